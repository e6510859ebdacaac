/**
 * One run as it goes, in memory: its counts (saved and not saved yet), the changes queued for the
 * applier, the cursor and report details stored in `sync_runs.progress` so a restart can go on,
 * and the views of it the reports, the database and the callers get.
 */
import type { SyncItemUpdate, SyncProgressPatch } from "../db/repositories/syncRuns.ts";
import type { SyncRun, SyncTrigger } from "../db/schema.ts";
import type { MemberEdit, MemberRoleEditor } from "../services/member-role-editor.ts";
import type { BackgroundHooks, RunOutcome } from "./bulk-sync-types.ts";
import { ChangeQueue } from "./change-queue.ts";
import type { LiveHierarchy } from "./live-hierarchy.ts";
import type { LiveMemberRoles } from "./member-roles.ts";
import type { UpdateListEntry } from "./progress.ts";
import type { RunReporter } from "./reporter.ts";
import { emptyBreakdown, type RunBreakdown, type RunState, type RunView } from "./run-report.ts";

export interface Counts {
  updated: number;
  inSync: number;
  errors: number;
  skipped: number;
  breakdown: RunBreakdown;
}

export const emptyCounts = (): Counts => ({ updated: 0, inSync: 0, errors: 0, skipped: 0, breakdown: emptyBreakdown() });

export function addCounts(into: Counts, delta: Counts): void {
  into.updated += delta.updated;
  into.inSync += delta.inSync;
  into.errors += delta.errors;
  into.skipped += delta.skipped;
  for (const key of Object.keys(delta.breakdown) as (keyof RunBreakdown)[]) into.breakdown[key] += delta.breakdown[key];
}

function sumCounts(a: Counts, b: Counts): Counts {
  const sum = emptyCounts();
  addCounts(sum, a);
  addCounts(sum, b);
  return sum;
}

/** A planned Discord change on its way to the applier. */
export interface QueuedChange extends MemberEdit {
  readonly robloxUserId: number | null;
  readonly robloxUsername: string;
  readonly fromRankId: number | null;
  readonly toRankId: number | null;
}

/** The run's cursor and report details, stored in `sync_runs.progress` so a restart can go on. */
interface StoredProgress {
  v: 1;
  /** Linked members are planned in Discord-id order; the last one planned. */
  cursor: string | null;
  planned: number;
  planningDone: boolean;
  breakdown: RunBreakdown;
  problems: string[];
  flaggedNames: string[];
  updates: UpdateListEntry[];
  strategy: string | null;
  resumes: number;
  /** Stripping changes need not wait for the mass-change guard: it passed, an admin approved, or /sync force. */
  guardOpen: boolean;
  /** The guard held the run: what an admin is asked to confirm. */
  hold: HeldPlan | null;
}

/** What the mass-change guard held (kept with the run so /sync-status and the buttons can show it). */
export interface HeldPlan {
  readonly affected: number;
  readonly linked: number;
  readonly percent: number;
  readonly members: number;
  /** Roblox names of the first few affected members. */
  readonly sample: readonly string[];
}

function parseHold(value: unknown): HeldPlan | null {
  if (!value || typeof value !== "object") return null;
  const hold = value as Partial<HeldPlan>;
  const numbers = [hold.affected, hold.linked, hold.percent, hold.members];
  if (!numbers.every((n) => typeof n === "number")) return null;
  const sample = Array.isArray(hold.sample) ? hold.sample.filter((name): name is string => typeof name === "string") : [];
  return { affected: hold.affected!, linked: hold.linked!, percent: hold.percent!, members: hold.members!, sample };
}

/** Whether a stored run's progress says the mass-change guard holds it. */
export function isHeldProgress(value: unknown): boolean {
  return parseProgress(value).hold !== null;
}

function parseProgress(value: unknown): StoredProgress {
  const stored = (value && typeof value === "object" ? value : {}) as Partial<StoredProgress>;
  return {
    v: 1,
    cursor: typeof stored.cursor === "string" ? stored.cursor : null,
    planned: typeof stored.planned === "number" ? stored.planned : 0,
    planningDone: stored.planningDone === true,
    breakdown: { ...emptyBreakdown(), ...(stored.breakdown ?? {}) },
    problems: Array.isArray(stored.problems) ? stored.problems.filter((p): p is string => typeof p === "string") : [],
    flaggedNames: Array.isArray(stored.flaggedNames) ? stored.flaggedNames.filter((p): p is string => typeof p === "string") : [],
    updates: Array.isArray(stored.updates) ? stored.updates : [],
    strategy: typeof stored.strategy === "string" ? stored.strategy : null,
    resumes: typeof stored.resumes === "number" ? stored.resumes : 0,
    guardOpen: stored.guardOpen === true,
    hold: parseHold(stored.hold),
  };
}

/** How this process came to run a stored run. */
export interface RunSetup {
  /** Carried on after a restart rather than started here. */
  readonly resumed: boolean;
  /** The admin who ran /sync; null for background and resumed runs. */
  readonly actorId: string | null;
  readonly reporter: RunReporter;
  readonly hooks: BackgroundHooks;
  /** `/sync force:true`, or an admin's Apply: the mass-change guard does not hold this run. */
  readonly openGuard?: boolean;
}

/** How a run ended, for its outcome. */
export interface RunEnd {
  readonly state: RunState;
  readonly counts: Counts;
  readonly nowMs: number;
  readonly error: string | null;
  readonly summary: string;
}

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
  buffered = emptyCounts();
  marks: SyncItemUpdate[] = [];
  memberAudits: { change: QueuedChange; from: string | null; to: string | null }[] = [];
  lastFlushAt: number;
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
  cursor: string | null;
  planned: number;
  planningDone: boolean;
  planning = true;
  strategy: string | null;
  resumes: number;
  readonly problems: Set<string>;
  readonly flaggedNames: string[];
  readonly updates: UpdateListEntry[];
  changesApplied = 0;
  firstChangeAt: number | undefined;
  state: RunState = "running";
  error: string | null = null;
  stopRequested = false;
  pauseReason: string | null = null;
  guardOpen: boolean;
  /** Set when the mass-change guard held the run (it then ends paused, waiting for an admin). */
  hold: HeldPlan | null;
  /** A dry run's stripping changes (a real run would hold them): how many, and the first names. */
  dryRunStripping = 0;
  readonly dryRunStrippingNames: string[] = [];
  /** Why the run is waiting for Roblox to answer again (it carries on by itself); null when not. */
  waitingReason: string | null = null;
  /** Set on a run carried on after waiting for Roblox: the next wait, should Roblox fail again. */
  waitStepMs: number | undefined;
  /** Set when planning or applying failed: the other side stops too. */
  failure: unknown = undefined;
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
    this.lastFlushAt = now;
    this.guardOpen = progress.guardOpen || setup.openGuard === true;
    this.hold = setup.openGuard ? null : progress.hold;
  }

  get halted(): boolean {
    return this.stopRequested || this.pauseReason !== null || this.failure !== undefined;
  }

  get discordRequests(): number {
    return this.discordRequestsBefore + this.standingRequests + (this.applier?.requestsSent ?? 0) + this.reporter.requestsSent;
  }

  counts(): Counts {
    return sumCounts(this.durable, this.buffered);
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
