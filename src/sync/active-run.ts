/**
 * One run as it goes, in memory: its counts (saved and not saved yet), the changes queued for the
 * applier, the cursor and report details stored in `sync_runs.progress` so a restart can go on,
 * and the views of it the reports, the database and the callers get.
 *
 * Over 300 lines on purpose: the run's state is read-only from outside, and every change of it (stop, pause, hold,
 * failure, planning progress, saving applied marks, settling at the end) is one method here, so the
 * files that drive a run (run-pipeline, run-planning, run-applying, run-guard, run-waiting,
 * run-ending) say what happened and this class keeps the state consistent.
 */
import type { SyncItemUpdate, SyncProgressPatch, SyncRun, SyncTrigger } from "../services/storage-port.ts";
import type { MemberRoleEditor } from "../services/member-role-editor.ts";
import type { BackgroundHooks, RunOutcome } from "./bulk-sync-types.ts";
import { ChangeQueue } from "./change-queue.ts";
import type { LiveHierarchy } from "./live-hierarchy.ts";
import type { LiveMemberRoles } from "./member-roles.ts";
import type { UpdateListEntry } from "./progress.ts";
import type { RunReporter } from "./reporter.ts";
import type { RunState, RunView } from "./run-report.ts";
import {
  addCounts,
  emptyCounts,
  parseProgress,
  sumCounts,
  type Counts,
  type HeldPlan,
  type MemberAudit,
  type QueuedChange,
  type RunEnd,
  type RunSetup,
  type StoredProgress,
} from "./run-state.ts";


/** The fields only the run's own methods change (stop, pause, hold, failure, planning, settling). */
type StateField = "state" | "error" | "stopRequested" | "pauseReason" | "failure" | "hold" | "guardOpen" | "waitingReason" | "planning" | "planningDone" | "cursor" | "planned";

/** Everything one run keeps in memory while it goes. */
export class ActiveRun {
  readonly guildId: string;
  readonly runId: number;
  readonly trigger: SyncTrigger;
  readonly dryRun: boolean;
  readonly actorId: string | null;
  readonly startedAtMs: number;
  readonly resumed: boolean;
  readonly reporter: RunReporter;
  readonly hooks: BackgroundHooks;
  readonly queue = new ChangeQueue<QueuedChange>();
  /** Persisted counts: planning of stored slices plus flushed marks. */
  durable: Counts;
  /** Applied but not saved yet. */
  #buffered = emptyCounts();
  #marks: SyncItemUpdate[] = [];
  #memberAudits: MemberAudit[] = [];
  #lastFlushAt: number;
  live: LiveMemberRoles | undefined;
  /** Member updates seen while the chunks were still arriving: newer than the chunks, so they win. */
  readonly earlyUpdates = new Map<string, readonly string[] | null>();
  robloxRequests: number;
  discordRequestsBefore: number;
  standingRequests = 0;
  applier: MemberRoleEditor | undefined;
  /** The role hierarchy the run checks changes against, once read; gateway role events update it. */
  hierarchy: LiveHierarchy | undefined;
  total: number;
  readonly cursor: string | null;
  readonly planned: number;
  readonly planningDone: boolean;
  readonly planning: boolean = true;
  strategy: string | null;
  resumes: number;
  readonly problems: Set<string>;
  readonly flaggedNames: string[];
  readonly updates: UpdateListEntry[];
  changesApplied = 0;
  firstChangeAt: number | undefined;
  readonly state: RunState = "running";
  readonly error: string | null = null;
  readonly stopRequested: boolean = false;
  readonly pauseReason: string | null = null;
  readonly guardOpen: boolean;
  /** Set when the mass-change guard held the run (it then ends paused, waiting for an admin). */
  readonly hold: HeldPlan | null;
  /** A dry run's stripping changes (a real run would hold them): how many, and the first names. */
  dryRunStripping = 0;
  readonly dryRunStrippingNames: string[] = [];
  /** Why the run is waiting for Roblox to answer again (it carries on by itself); null when not. */
  readonly waitingReason: string | null = null;
  /** Set on a run carried on after waiting for Roblox: the next wait, should Roblox fail again. */
  waitStepMs: number | undefined;
  /** Set when planning or applying failed: the other side stops too. */
  readonly failure: unknown = undefined;
  finished!: Promise<RunOutcome>;

  constructor(row: SyncRun, setup: RunSetup, now: number) {
    const progress = parseProgress(row.progress);
    this.guildId = row.guildId;
    this.runId = row.id;
    this.trigger = row.trigger;
    this.dryRun = row.dryRun;
    this.actorId = setup.actorId;
    this.startedAtMs = row.startedAt;
    this.resumed = setup.resumed;
    this.reporter = setup.reporter;
    this.hooks = setup.hooks;
    this.durable = { updated: row.updated, inSync: row.inSync, errors: row.errors, skipped: row.skipped, breakdown: { ...progress.breakdown } };
    this.robloxRequests = row.robloxRequests;
    this.discordRequestsBefore = row.discordRequests;
    this.total = row.total;
    this.cursor = progress.cursor;
    this.planned = progress.planned;
    this.planningDone = progress.planningDone;
    this.strategy = progress.strategy;
    this.resumes = progress.resumes + (setup.resumed ? 1 : 0);
    this.problems = new Set(progress.problems);
    this.flaggedNames = [...progress.flaggedNames];
    this.updates = [...progress.updates];
    this.#lastFlushAt = now;
    this.guardOpen = progress.guardOpen || setup.openGuard === true;
    this.hold = setup.openGuard ? null : progress.hold;
  }

  /** The run's own write access to the fields the outside reads as read-only. */
  get #own(): { -readonly [K in StateField]: ActiveRun[K] } {
    return this;
  }

  get halted(): boolean {
    return this.stopRequested || this.pauseReason !== null || this.failure !== undefined;
  }

  /** The bot is stopping: the run halts where it is and resumes at the next start. */
  requestStop(): void {
    this.#own.stopRequested = true;
  }

  /** Planning or applying failed; the first failure is the one kept, and the other side stops too. */
  recordFailure(error: unknown): void {
    this.#own.failure ??= error;
  }

  /** Stops applying and ends the run paused, for an admin to fix `reason` (e.g. repeated 403s). */
  pause(reason: string): void {
    this.#own.pauseReason = reason;
  }

  /** The mass-change guard holds the run for an admin's Apply / Cancel. */
  holdFor(plan: HeldPlan): void {
    this.#own.hold = plan;
  }

  /** An admin applied the held changes: the guard is open for the rest of the run. */
  openGuard(): void {
    this.#own.hold = null;
    this.#own.guardOpen = true;
  }

  /** Roblox keeps failing: the run says why it waits until it carries on. */
  waitFor(reason: string): void {
    this.#own.waitingReason = reason;
  }

  /** A slice of the plan is stored: planning carries on after its last member. */
  planSliceStored(size: number, lastDiscordId: string | undefined): void {
    this.#own.planned += size;
    this.#own.cursor = lastDiscordId ?? this.cursor;
  }

  /** Every member is planned. */
  planningFinished(): void {
    this.#own.planningDone = true;
    this.#own.planning = false;
  }

  /** The pipeline returned (finished or not): nothing is being planned any more. */
  planningStopped(): void {
    this.#own.planning = false;
  }

  /** The run ended before settling: stopped by a shutdown, or failed with `error` for people. */
  endAs(state: "stopped" | "failed", error?: string): void {
    this.#own.state = state;
    if (error !== undefined) this.#own.error = error;
  }

  /**
   * A run still running when its pipeline returned settles: stopped when the bot is stopping,
   * paused for a pause or (not a dry run) a hold, else done. A paused run records why.
   */
  settle(describeHold: (plan: HeldPlan) => string): RunState {
    if (this.state === "running") {
      this.#own.state = this.stopRequested ? "stopped" : this.pauseReason || (this.hold && !this.dryRun) ? "paused" : "done";
    }
    if (this.state === "paused") this.#own.error = this.pauseReason ?? describeHold(this.hold!);
    return this.state;
  }

  get discordRequests(): number {
    return this.discordRequestsBefore + this.standingRequests + (this.applier?.requestsSent ?? 0) + this.reporter.requestsSent;
  }

  counts(): Counts {
    return sumCounts(this.durable, this.#buffered);
  }

  // ---- applied changes, buffered until they are saved together ----

  /** The counts of changes applied since the last save; the applier adds to them. */
  get buffered(): Counts {
    return this.#buffered;
  }
  get lastFlushAt(): number {
    return this.#lastFlushAt;
  }
  get unsavedMarks(): number {
    return this.#marks.length;
  }

  /** One member's change was applied (or skipped, or failed): kept until the next save. */
  mark(update: SyncItemUpdate, audit?: MemberAudit): void {
    this.#marks.push(update);
    if (audit) this.#memberAudits.push(audit);
  }

  /** Hands over what waits to be saved and starts a new batch; the counts move to `durable` with `commitBuffered`. */
  takeMarks(now: number): { marks: SyncItemUpdate[]; audits: MemberAudit[] } {
    this.#lastFlushAt = now;
    const taken = { marks: this.#marks, audits: this.#memberAudits };
    this.#marks = [];
    this.#memberAudits = [];
    return taken;
  }

  /** The buffered counts were saved: they are durable now. */
  commitBuffered(): void {
    addCounts(this.durable, this.#buffered);
    this.#buffered = emptyCounts();
  }

  /** Keeps the entry for the "who changed" list while fewer than `limit` are kept. */
  keepUpdate(entry: UpdateListEntry, limit: number): void {
    if (this.updates.length < limit) this.updates.push(entry);
  }

  /** One Discord change went through: feeds the rate behind the ETA. */
  countChange(now: number): void {
    this.changesApplied++;
    this.firstChangeAt ??= now;
  }

  /** The saved counts and where the run stands, for `sync_runs`. */
  progressPatch(): SyncProgressPatch {
    return {
      total: this.total,
      updated: this.durable.updated,
      inSync: this.durable.inSync,
      errors: this.durable.errors,
      skipped: this.durable.skipped,
      robloxRequests: this.robloxRequests,
      discordRequests: this.discordRequests,
      progress: this.#storedProgress() as unknown as Record<string, unknown>,
    };
  }

  view(now: number): RunView {
    const counts = this.counts();
    return {
      runId: this.runId,
      dryRun: this.dryRun,
      state: this.state,
      planning: this.planning,
      total: this.total,
      updated: counts.updated,
      inSync: counts.inSync,
      errors: counts.errors,
      skipped: counts.skipped,
      changesLeft: this.queue.length,
      changeRatePerSecond:
        this.firstChangeAt !== undefined && this.changesApplied >= 5 && now > this.firstChangeAt
          ? (this.changesApplied / (now - this.firstChangeAt)) * 1000
          : undefined,
      startedAtMs: this.startedAtMs,
      nowMs: now,
      breakdown: counts.breakdown,
      problems: [...this.problems],
      flaggedNames: this.flaggedNames,
      updates: this.updates,
      error: this.error,
      hold: this.hold,
      waitingReason: this.waitingReason,
    };
  }

  outcome(end: RunEnd): RunOutcome {
    return {
      guildId: this.guildId,
      runId: this.runId,
      trigger: this.trigger,
      resumed: this.resumed,
      dryRun: this.dryRun,
      state: end.state,
      total: this.total,
      updated: end.counts.updated,
      inSync: end.counts.inSync,
      errors: end.counts.errors,
      skipped: end.counts.skipped,
      breakdown: end.counts.breakdown,
      robloxRequests: this.robloxRequests,
      discordRequests: this.discordRequests,
      roleRequests: this.applier?.requestsSent ?? 0,
      durationMs: end.nowMs - this.startedAtMs,
      error: end.error,
      updates: this.updates,
      summary: end.summary,
    };
  }

  #storedProgress(): StoredProgress {
    return {
      v: 1,
      cursor: this.cursor,
      planned: this.planned,
      planningDone: this.planningDone,
      breakdown: { ...this.durable.breakdown },
      problems: [...this.problems].slice(0, 5),
      flaggedNames: this.flaggedNames.slice(0, 10),
      updates: this.updates,
      strategy: this.strategy,
      resumes: this.resumes,
      guardOpen: this.guardOpen,
      hold: this.hold,
    };
  }
}
