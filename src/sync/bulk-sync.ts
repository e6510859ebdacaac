/**
 * Bulk sync (design §6): every linked member of a guild at once, as a roster diff.
 *
 * 1. Roblox: the cheapest lookup the Roblox client's planner finds (linked users 50 a request, or
 *    the whole roster 100 a page).
 * 2. Discord: every member's roles from gateway member chunks, kept current by gateway events.
 * 3. The planner diffs them; each slice of the plan is stored (sync_run_items, stored ranks, the
 *    run's cursor) in one transaction before any of it is applied.
 * 4. The applier sends one PATCH per member that changes, after the role-hierarchy check, paced
 *    below the global limit, while the planner reads the next slice from Roblox.
 * 5. Progress is saved in batches; after a restart `resumeUnfinished` applies what is still pending
 *    and plans what was not planned yet. A member whose roles already match is not sent again.
 *
 * One run per guild at a time (the database enforces it too); guilds run side by side.
 */
import type { API } from "@discordjs/core";
import type { Db, Repositories } from "../db/index.ts";
import { atomically } from "../db/index.ts";
import type { SyncRunItemInput, SyncItemUpdate } from "../db/repositories/syncRuns.ts";
import type { Member, SyncRun, SyncTrigger } from "../db/schema.ts";
import type { DiscordGuilds } from "../discord/guilds.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { RoleHierarchy } from "../ranks/hierarchy.ts";
import type { Rank, RankLadder, RobloxMembership } from "../ranks/ladder.ts";
import { isRobloxError } from "../roblox/errors.ts";
import type { RankLookupPlan } from "../roblox/planner.ts";
import type { RequestTally } from "../roblox/transport.ts";
import type { GroupMember } from "../roblox/types.ts";
import type { AuditTrail } from "../services/audit-trail.ts";
import { GroupNotConfiguredError, type GuildContext, type GuildContexts } from "../services/guild-context.ts";
import type { SyncAlerts } from "./alerts.ts";
import { RoleApplier, nextRoleSet, type ApplyOutcome, type PlannedRoleChange } from "./applier.ts";
import { ChangeQueue } from "./change-queue.ts";
import { collectMemberRoles, LiveMemberRoles, type CollectMemberRolesOptions, type MemberRolesPort } from "./member-roles.ts";
import { DEFAULT_SYNC_DISCORD_REQUESTS_PER_SECOND, RequestPacer } from "./pacer.ts";
import { planSync, type LinkedAccount, type SyncItem, type SyncOptions } from "./planner.ts";
import { updateListEntry, type UpdateListEntry } from "./progress.ts";
import { RunReporter, type ReplyTarget } from "./reporter.ts";
import {
  emptyBreakdown,
  rankLabelOf,
  renderRunProgress,
  renderRunSummary,
  type RunBreakdown,
  type RunState,
  type RunView,
} from "./run-report.ts";

export type { ReplyTarget } from "./reporter.ts";

/** A sync that cannot start for a reason an admin can fix; `userMessage` says how. */
export class SyncNotPossibleError extends Error {
  override readonly name = "SyncNotPossibleError";
  constructor(
    readonly reason: "no-group" | "no-ranks" | "stopping",
    readonly userMessage: string,
  ) {
    super(userMessage);
  }
}

export interface BulkSyncTuning {
  /** Linked members read from Roblox and planned together; a multiple of the 50-user batch. */
  sliceSize: number;
  /** Item marks saved together. */
  markBatchSize: number;
  /** ...or after this long, whichever comes first. */
  markIntervalMs: number;
  /** How often a running /sync reply is edited. */
  progressIntervalMs: number;
  /** Interaction tokens last 15 minutes (tests shorten it). */
  interactionTokenTtlMs: number;
  tokenMarginMs: number;
  /** Consecutive 403s after which the guild is paused instead of hammered. */
  forbiddenStreakToPause: number;
  /** Consecutive failed runs of a guild that raise an alert. */
  failedRunsToAlert: number;
  /** Entries kept for the "who changed" list. */
  updatesKept: number;
  memberRequest: CollectMemberRolesOptions;
}

export const DEFAULT_TUNING: BulkSyncTuning = {
  sliceSize: 1000,
  markBatchSize: 100,
  markIntervalMs: 1000,
  progressIntervalMs: 2500,
  interactionTokenTtlMs: 15 * 60_000,
  tokenMarginMs: 60_000,
  forbiddenStreakToPause: 3,
  failedRunsToAlert: 3,
  updatesKept: 25,
  memberRequest: {},
};

export interface BulkSyncOptions {
  repositories: Repositories;
  /** For the transactions that keep a slice of the plan and its progress together. */
  database: Db;
  contexts: GuildContexts;
  guilds: DiscordGuilds;
  api: API;
  memberRoles: MemberRolesPort;
  audit: AuditTrail;
  metrics: Metrics;
  logger: Logger;
  alerts?: SyncAlerts;
  /** Shared by every guild's run; default 40 Discord requests a second. */
  pacer?: RequestPacer;
  /** Guilds on this process's shards; others are left to their own process. Default: all. */
  ownsGuild?: (guildId: string) => boolean;
  tuning?: Partial<BulkSyncTuning>;
  now?: () => number;
}

export interface ManualSyncRequest {
  guildId: string;
  /** The admin who ran /sync (audit). */
  actorId: string;
  dryRun: boolean;
  reply: ReplyTarget;
}

export type ManualSyncStart =
  | { readonly kind: "started"; readonly runId: number; readonly finished: Promise<RunOutcome> }
  /** A run was already going in this guild: the reply follows it. */
  | { readonly kind: "attached"; readonly runId: number; readonly text: string };

export interface BackgroundHooks {
  /** Once the run is recorded, before any request for members. */
  onStart?: (runId: number) => void;
  /** One call per applied update. */
  onUpdate?: (entry: UpdateListEntry) => void;
}

export type BackgroundSyncResult =
  | { readonly kind: "ran"; readonly outcome: RunOutcome }
  | { readonly kind: "skipped"; readonly reason: "already-running" | "paused" | "not-configured" | "not-owned" | "stopping" };

export interface RunOutcome {
  readonly guildId: string;
  readonly runId: number;
  readonly trigger: SyncTrigger;
  readonly resumed: boolean;
  readonly dryRun: boolean;
  readonly state: RunState;
  readonly total: number;
  readonly updated: number;
  readonly inSync: number;
  readonly errors: number;
  readonly skipped: number;
  readonly breakdown: RunBreakdown;
  readonly robloxRequests: number;
  readonly discordRequests: number;
  /** Discord role edits sent by this process (PATCHes). */
  readonly roleRequests: number;
  readonly durationMs: number;
  readonly error: string | null;
  readonly updates: readonly UpdateListEntry[];
  /** The final text shown to admins. */
  readonly summary: string;
}

export interface MemberJoinInput {
  userId: string;
  roleIds: readonly string[];
}

export type MemberJoinOutcome =
  | { readonly kind: "not-linked" | "not-configured" | "paused" | "in-sync" }
  | { readonly kind: "updated"; readonly from: string | null; readonly to: string | null }
  | { readonly kind: "not-attempted"; readonly problems: readonly string[] }
  | { readonly kind: "failed"; readonly message: string };

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
}

interface Counts {
  updated: number;
  inSync: number;
  errors: number;
  skipped: number;
  breakdown: RunBreakdown;
}

const emptyCounts = (): Counts => ({ updated: 0, inSync: 0, errors: 0, skipped: 0, breakdown: emptyBreakdown() });

function addCounts(into: Counts, delta: Counts): void {
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
interface QueuedChange extends PlannedRoleChange {
  readonly robloxUserId: number | null;
  readonly robloxUsername: string;
  readonly fromRankId: number | null;
  readonly toRankId: number | null;
}

/** Everything one run keeps in memory while it goes. */
class ActiveRun {
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
  applier: RoleApplier | undefined;
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
  /** Set when planning or applying failed: the other side stops too. */
  failure: unknown = undefined;
  finished!: Promise<RunOutcome>;

  constructor(
    readonly guildId: string,
    readonly runId: number,
    readonly trigger: SyncTrigger,
    readonly dryRun: boolean,
    readonly actorId: string | null,
    readonly startedAtMs: number,
    readonly resumed: boolean,
    readonly reporter: RunReporter,
    readonly hooks: BackgroundHooks,
    row: SyncRun,
    progress: StoredProgress,
    now: number,
  ) {
    this.durable = { updated: row.updated, inSync: row.inSync, errors: row.errors, skipped: row.skipped, breakdown: { ...progress.breakdown } };
    this.robloxRequests = row.robloxRequests;
    this.discordRequestsBefore = row.discordRequests;
    this.total = row.total;
    this.cursor = progress.cursor;
    this.planned = progress.planned;
    this.planningDone = progress.planningDone;
    this.strategy = progress.strategy;
    this.resumes = progress.resumes;
    this.problems = new Set(progress.problems);
    this.flaggedNames = [...progress.flaggedNames];
    this.updates = [...progress.updates];
    this.lastFlushAt = now;
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

  storedProgress(): StoredProgress {
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
    };
  }
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
  };
}

/**
 * The member's rank in Roblox terms. Open Cloud lists every role a member holds; the highest one
 * the ladder knows is their rank. When they hold a role the ladder does not know (created in
 * Roblox, not imported yet), it might be the highest, so the API's own pick stands and the planner
 * leaves the member alone if that role is unknown.
 */
export function robloxStandingOf(member: GroupMember, ladder: RankLadder): RobloxMembership {
  let best: Rank | undefined;
  for (const roleId of member.roleIds) {
    const rank = ladder.byRobloxRoleId(roleId);
    if (!rank) return { roleId: member.roleId, rank: ladder.byRobloxRoleId(member.roleId)?.robloxRank ?? 0 };
    if (!best || rank.robloxRank > best.robloxRank) best = rank;
  }
  return best ? { roleId: best.robloxRoleId, rank: best.robloxRank } : { roleId: member.roleId, rank: 0 };
}

/** Metrics tell a run carried on after a restart apart from the one that started it. */
const metricTrigger = (run: ActiveRun) => (run.resumed ? "resume" : run.trigger);

export class BulkSync {
  readonly #active = new Map<string, ActiveRun>();
  readonly #tuning: BulkSyncTuning;
  readonly #pacer: RequestPacer;
  readonly #now: () => number;
  #stopping = false;

  constructor(private readonly options: BulkSyncOptions) {
    this.#tuning = { ...DEFAULT_TUNING, ...options.tuning };
    if (this.#tuning.sliceSize % 50 !== 0) throw new RangeError("sliceSize must be a multiple of 50 (the Roblox batch size)");
    this.#pacer = options.pacer ?? new RequestPacer(DEFAULT_SYNC_DISCORD_REQUESTS_PER_SECOND);
    this.#now = options.now ?? Date.now;
  }

  isRunning(guildId: string): boolean {
    return this.#active.has(guildId);
  }

  /** The running run's progress text, for /sync-status. */
  progressText(guildId: string): string | undefined {
    const run = this.#active.get(guildId);
    // A run that has ended is still registered while its final report goes out; it is not "running".
    return run && run.state === "running" ? renderRunProgress(run.view(this.#now())) : undefined;
  }

  /** `/sync` without a member. Resolves once the run is under way (or attached to), not when it ends. */
  async startManual(request: ManualSyncRequest): Promise<ManualSyncStart> {
    const { guildId } = request;
    const attached = this.#attach(guildId, request.reply);
    if (attached) return attached;
    if (this.#stopping) throw new SyncNotPossibleError("stopping", "rankbridge is restarting. Run /sync again in a minute.");
    const context = await this.#context(guildId);

    const { repositories } = this.options;
    if (!request.dryRun) {
      const unfinished = repositories.syncRuns.findUnfinished(guildId);
      if (unfinished?.status === "paused") {
        // The admin asks again after a pause: the old plan is stale, a new run replaces it.
        repositories.syncRuns.finish(guildId, unfinished.id, { status: "failed", error: `replaced by a new /sync: ${unfinished.error ?? "paused"}` });
      }
      if (context.settings?.syncPausedReason) repositories.guilds.upsert(guildId, { syncPausedReason: null });
    }

    const start = () =>
      repositories.syncRuns.start(guildId, {
        trigger: "manual",
        dryRun: request.dryRun,
        interactionAppId: request.reply.applicationId,
        interactionToken: request.reply.token,
        channelId: request.reply.channelId,
      });
    let started = start();
    if (!started.ok) {
      const again = this.#attach(guildId, request.reply);
      if (again) return again;
      const orphan = this.#adoptOrphan(started.run, context, request.actorId, {});
      if (orphan) {
        orphan.reporter.addTarget(request.reply);
        return { kind: "attached", runId: orphan.runId, text: renderRunProgress(orphan.view(this.#now())) };
      }
      started = start();
      if (!started.ok) throw new SyncNotPossibleError("stopping", "Another sync of this server is starting. Run /sync again in a moment.");
    }
    const run = this.#launch(started.run, context, { resumed: false, actorId: request.actorId, hooks: {} });
    run.reporter.addTarget(request.reply);
    void run.reporter.publish(renderRunProgress(run.view(this.#now())));
    return { kind: "started", runId: run.runId, finished: run.finished };
  }

  /** One background run of the guild, unless one is going or the guild is paused or not set up. */
  async runBackground(guildId: string, hooks: BackgroundHooks = {}): Promise<BackgroundSyncResult> {
    if (this.#stopping) return { kind: "skipped", reason: "stopping" };
    if (this.options.ownsGuild && !this.options.ownsGuild(guildId)) return { kind: "skipped", reason: "not-owned" };
    if (this.#active.has(guildId)) return { kind: "skipped", reason: "already-running" };
    let context: GuildContext;
    try {
      context = await this.#context(guildId);
    } catch (error) {
      if (error instanceof SyncNotPossibleError) return { kind: "skipped", reason: "not-configured" };
      throw error;
    }
    if (context.settings?.syncPausedReason) return { kind: "skipped", reason: "paused" };
    if (this.#active.has(guildId)) return { kind: "skipped", reason: "already-running" };
    const started = this.options.repositories.syncRuns.start(guildId, { trigger: "background" });
    if (!started.ok) {
      // A run left "running" by a crash that nobody resumed: carry it on instead of waiting forever.
      const orphan = this.#adoptOrphan(started.run, context, null, hooks);
      return orphan ? { kind: "ran", outcome: await orphan.finished } : { kind: "skipped", reason: "already-running" };
    }
    const run = this.#launch(started.run, context, { resumed: false, actorId: null, hooks });
    return { kind: "ran", outcome: await run.finished };
  }

  /**
   * A run the database says is running while no run of this process is: left over from a crash.
   * A real run is carried on; a dry run changed nothing and is closed. Undefined when closed.
   */
  #adoptOrphan(row: SyncRun, context: GuildContext, actorId: string | null, hooks: BackgroundHooks): ActiveRun | undefined {
    if (this.#active.has(row.guildId)) return this.#active.get(row.guildId);
    if (row.dryRun) {
      this.options.repositories.syncRuns.finish(row.guildId, row.id, { status: "failed", error: "interrupted by a restart" });
      return undefined;
    }
    this.options.logger.info({ guildId: row.guildId, runId: row.id }, "carrying on a sync run a restart left unfinished");
    return this.#launch(row, context, { resumed: true, actorId, hooks });
  }

  /**
   * Carries on every run a crash or restart left unfinished in a guild this process owns. Call it
   * once the gateway is up (member chunks need the guild's shard). Paused runs wait for an admin.
   */
  async resumeUnfinished(): Promise<{ guildId: string; runId: number; finished: Promise<RunOutcome> }[]> {
    const { repositories, logger } = this.options;
    const resumed: { guildId: string; runId: number; finished: Promise<RunOutcome> }[] = [];
    if (this.#stopping) return resumed;
    for (const guildId of repositories.syncRuns.guildsWithUnfinishedRuns()) {
      if (this.options.ownsGuild && !this.options.ownsGuild(guildId)) continue;
      if (this.#active.has(guildId)) continue;
      const row = repositories.syncRuns.findUnfinished(guildId);
      if (!row || row.status !== "running") continue;
      if (row.dryRun) {
        // A dry run changed nothing; there is nothing to carry on.
        repositories.syncRuns.finish(guildId, row.id, { status: "failed", error: "interrupted by a restart" });
        continue;
      }
      let context: GuildContext;
      try {
        context = await this.#context(guildId);
      } catch (error) {
        const message = error instanceof SyncNotPossibleError ? error.userMessage : String(error);
        repositories.syncRuns.finish(guildId, row.id, { status: "failed", error: message });
        continue;
      }
      // A background tick may have adopted it while the context was being resolved.
      if (this.#active.has(guildId)) continue;
      logger.info({ guildId, runId: row.id }, "resuming an unfinished sync run");
      const run = this.#launch(row, context, { resumed: true, actorId: null, hooks: {} });
      if (row.trigger === "manual") this.#reportResumedManualRun(run, row);
      resumed.push({ guildId, runId: run.runId, finished: run.finished });
    }
    return resumed;
  }

  /** GUILD_MEMBER_UPDATE: keeps a running sync from writing back roles that just changed. */
  observeMemberUpdate(guildId: string, userId: string, roleIds: readonly string[]): void {
    const run = this.#active.get(guildId);
    if (!run) return;
    if (run.live) run.live.set(userId, roleIds);
    else run.earlyUpdates.set(userId, roleIds);
  }

  /** GUILD_MEMBER_REMOVE. */
  observeMemberRemove(guildId: string, userId: string): void {
    const run = this.#active.get(guildId);
    if (!run) return;
    if (run.live) run.live.delete(userId);
    else run.earlyUpdates.set(userId, null);
  }

  /**
   * GUILD_MEMBER_ADD: a linked member who joins gets their rank role at once, from one Roblox
   * lookup, with the same plan and hierarchy rules as a bulk run.
   */
  async onMemberJoin(guildId: string, member: MemberJoinInput): Promise<MemberJoinOutcome> {
    const { repositories, metrics, logger } = this.options;
    this.observeMemberUpdate(guildId, member.userId, member.roleIds);
    const stored = repositories.members.get(guildId, member.userId);
    if (!stored || stored.robloxUserId === null) return { kind: "not-linked" };
    let context: GuildContext;
    try {
      context = await this.#context(guildId);
    } catch (error) {
      if (error instanceof SyncNotPossibleError) return { kind: "not-configured" };
      throw error;
    }
    if (context.settings?.syncPausedReason) return { kind: "paused" };

    const link: LinkedAccount = {
      discordId: stored.discordId,
      robloxUserId: stored.robloxUserId,
      robloxUsername: stored.robloxUsername ?? String(stored.robloxUserId),
      storedRankId: stored.rankId,
    };
    const tally: RequestTally = { requests: 0 };
    const found = await context.roblox.membershipsOf(context.groupId, [link.robloxUserId], tally);
    const groupMember = found.get(link.robloxUserId);
    const plan = planSync({
      robloxMemberships: new Map([[link.robloxUserId, groupMember ? robloxStandingOf(groupMember, context.ladder) : null]]),
      links: [link],
      ladder: context.ladder,
      discordMemberRoles: new Map([[member.userId, member.roleIds]]),
      pendingRobloxWrites: this.#pendingWrites(guildId),
      options: this.#syncOptions(context, false),
    });
    const item = plan.items[0];
    if (!item) return { kind: "in-sync" };
    if (item.storedRankChange) repositories.members.setStoredRank(guildId, item.discordId, item.storedRankChange.toRankId);
    if (!item.nextRoleIds) return { kind: "in-sync" };

    const standing = await this.options.guilds.botStanding(guildId);
    const applier = new RoleApplier({
      guilds: this.options.guilds,
      hierarchy: new RoleHierarchy(standing),
      pacer: this.#pacer,
      auditReason: "rankbridge: rank role for a linked member who joined",
    });
    const outcome = await applier.apply(guildId, item, member.roleIds);
    const from = item.fromRank?.name ?? null;
    const to = item.toRank?.name ?? null;
    const result = this.#joinResult(outcome, from, to);
    metrics.syncMembers.inc({ outcome: `join_${result.kind.replaceAll("-", "_")}` });
    if (outcome.kind === "updated") this.observeMemberUpdate(guildId, member.userId, outcome.roleIds);
    this.options.audit.record(guildId, {
      actorId: "system",
      action: "sync.member",
      targetDiscordId: item.discordId,
      targetRobloxUserId: item.robloxUserId,
      before: { rank: from },
      after: { rank: to },
      outcome: result.kind === "updated" ? "ok" : "failed",
      detail: `joined the server: ${describeJoin(result)}`,
      summary: `${link.robloxUsername} (<@${item.discordId}>) joined: ${describeJoin(result)}`,
    });
    logger.info({ guildId, userId: member.userId, outcome: result.kind }, "linked member joined");
    return result;
  }

  /**
   * Stops every run after its current request, saves where each stood and leaves it "running", so
   * the next start resumes it. Resolves when all have stopped (or the budget runs out).
   */
  async stop(budgetMs = 5_000): Promise<void> {
    this.#stopping = true;
    const runs = [...this.#active.values()];
    for (const run of runs) {
      run.stopRequested = true;
      run.queue.interrupt();
    }
    await Promise.race([Promise.allSettled(runs.map((run) => run.finished)), Bun.sleep(budgetMs)]);
  }

  #attach(guildId: string, reply: ReplyTarget): ManualSyncStart | undefined {
    const run = this.#active.get(guildId);
    if (!run) return undefined;
    run.reporter.addTarget(reply);
    return { kind: "attached", runId: run.runId, text: renderRunProgress(run.view(this.#now())) };
  }

  async #context(guildId: string): Promise<GuildContext> {
    let context: GuildContext;
    try {
      context = await this.options.contexts.resolve(guildId);
    } catch (error) {
      if (error instanceof GroupNotConfiguredError) throw new SyncNotPossibleError("no-group", error.userMessage);
      throw error;
    }
    if (context.ladder.isEmpty) {
      throw new SyncNotPossibleError("no-ranks", "No ranks are set up yet. An admin can run /ranks import to read them from the Roblox group.");
    }
    return context;
  }

  #syncOptions(context: GuildContext, bulk: boolean): SyncOptions {
    const filter = bulk ? context.settings?.syncRankFilter : null;
    return {
      leftGroupPolicy: context.settings?.leftGroupPolicy ?? "remove",
      ...(filter && filter.length > 0 ? { rankFilter: new Set(filter) } : {}),
    };
  }

  #pendingWrites(guildId: string): Map<number, number> {
    return new Map(this.options.repositories.pendingWrites.list(guildId).map((write) => [write.robloxUserId, write.targetRobloxRoleId]));
  }

  #joinResult(outcome: ApplyOutcome, from: string | null, to: string | null): MemberJoinOutcome {
    switch (outcome.kind) {
      case "updated":
        return { kind: "updated", from, to };
      case "already-applied":
      case "left-guild":
        return { kind: "in-sync" };
      case "not-attempted":
        return { kind: "not-attempted", problems: outcome.problems.map((problem) => problem.message) };
      case "forbidden":
      case "failed":
        return { kind: "failed", message: outcome.message };
    }
  }

  #launch(row: SyncRun, context: GuildContext, how: { resumed: boolean; actorId: string | null; hooks: BackgroundHooks }): ActiveRun {
    const progress = parseProgress(row.progress);
    if (how.resumed) progress.resumes++;
    const reporter = new RunReporter({
      api: this.options.api,
      logger: this.options.logger.child({ guildId: row.guildId, runId: row.id }),
      tokenTtlMs: this.#tuning.interactionTokenTtlMs,
      tokenMarginMs: this.#tuning.tokenMarginMs,
      now: this.#now,
    });
    const run = new ActiveRun(
      row.guildId,
      row.id,
      row.trigger,
      row.dryRun,
      how.actorId,
      row.startedAt,
      how.resumed,
      reporter,
      how.hooks,
      row,
      progress,
      this.#now(),
    );
    this.#active.set(row.guildId, run);
    run.finished = this.#execute(run, context)
      .catch((error: unknown) => this.#crashed(run, error))
      .finally(() => this.#active.delete(row.guildId));
    return run;
  }

  /** A resumed /sync run reports where its admin can see it: the reply if still editable, else the channel. */
  #reportResumedManualRun(run: ActiveRun, row: SyncRun): void {
    const hasToken = row.interactionAppId !== null && row.interactionToken !== null;
    if (!hasToken && !row.channelId) return;
    run.reporter.addTarget({
      applicationId: row.interactionAppId ?? "",
      token: row.interactionToken ?? `run-${row.id}`,
      channelId: row.channelId,
      // The run starts right after the command, so its start stands in for the interaction's creation;
      // without a token, 0 sends the report straight to the channel.
      createdAtMs: hasToken ? row.startedAt : 0,
    });
  }

  async #execute(run: ActiveRun, context: GuildContext): Promise<RunOutcome> {
    const { repositories, logger: rootLogger } = this.options;
    const log = rootLogger.child({ guildId: run.guildId, runId: run.runId, trigger: run.trigger, resumed: run.resumed });
    const began = this.#now();
    const countsAtStart = run.counts();
    const requestsAtStart = { roblox: run.robloxRequests, discord: run.discordRequests };
    const ticker = setInterval(() => void this.#publishProgress(run), this.#tuning.progressIntervalMs);
    try {
      run.hooks.onStart?.(run.runId);
      await this.#runPipeline(run, context, log);
    } catch (error) {
      run.state = "failed";
      run.error = describeError(error);
      log.error({ err: error }, "sync run failed");
      if (isRobloxError(error) && error.kind === "invalid_credentials") {
        void this.#alert(context, "credentials-rejected", `Roblox rejected the bot's credentials during a sync: ${error.userMessage}`);
      }
    } finally {
      clearInterval(ticker);
    }
    run.planning = false;
    if (run.state === "running") run.state = run.stopRequested ? "stopped" : run.pauseReason ? "paused" : "done";
    this.#flushMarks(run);

    const final = run.counts();
    if (run.state === "paused") {
      run.error = run.pauseReason;
      repositories.syncRuns.updateProgress(run.guildId, run.runId, this.#progressPatch(run));
      repositories.syncRuns.pause(run.guildId, run.runId, run.pauseReason ?? "paused");
      repositories.guilds.upsert(run.guildId, { syncPausedReason: run.pauseReason });
      void this.#alert(context, "guild-paused", `Rank sync paused: ${run.pauseReason}`);
    } else if (run.state === "stopped") {
      repositories.syncRuns.updateProgress(run.guildId, run.runId, this.#progressPatch(run));
    } else {
      repositories.syncRuns.finish(run.guildId, run.runId, { status: run.state === "done" ? "done" : "failed", error: run.error, ...this.#progressPatch(run) });
    }

    const now = this.#now();
    const view = run.view(now);
    const summary = renderRunSummary(view);
    await run.reporter.publish(summary, { force: true, final: true });
    await run.reporter.flush();
    // The final edits themselves were Discord requests of this run.
    repositories.syncRuns.updateProgress(run.guildId, run.runId, { discordRequests: run.discordRequests });

    const outcome: RunOutcome = {
      guildId: run.guildId,
      runId: run.runId,
      trigger: run.trigger,
      resumed: run.resumed,
      dryRun: run.dryRun,
      state: run.state,
      total: run.total,
      updated: final.updated,
      inSync: final.inSync,
      errors: final.errors,
      skipped: final.skipped,
      breakdown: final.breakdown,
      robloxRequests: run.robloxRequests,
      discordRequests: run.discordRequests,
      roleRequests: run.applier?.requestsSent ?? 0,
      durationMs: now - run.startedAtMs,
      error: run.error,
      updates: run.updates,
      summary,
    };
    this.#recordMetrics(run, countsAtStart, final, requestsAtStart, (now - began) / 1000);
    if (run.state !== "stopped") this.#recordRunAudit(run, outcome);
    if (run.state === "failed") this.#alertOnRepeatedFailures(context, run);
    log.info(
      { state: run.state, updated: final.updated, inSync: final.inSync, errors: final.errors, skipped: final.skipped, robloxRequests: run.robloxRequests, discordRequests: run.discordRequests, ms: now - began },
      "sync run ended",
    );
    return outcome;
  }

  /** The run's own bookkeeping failed (e.g. the database went away): report it, never throw. */
  #crashed(run: ActiveRun, error: unknown): RunOutcome {
    this.options.logger.error({ err: error, guildId: run.guildId, runId: run.runId }, "sync run crashed");
    const counts = run.counts();
    return {
      guildId: run.guildId,
      runId: run.runId,
      trigger: run.trigger,
      resumed: run.resumed,
      dryRun: run.dryRun,
      state: "failed",
      total: run.total,
      updated: counts.updated,
      inSync: counts.inSync,
      errors: counts.errors,
      skipped: counts.skipped,
      breakdown: counts.breakdown,
      robloxRequests: run.robloxRequests,
      discordRequests: run.discordRequests,
      roleRequests: run.applier?.requestsSent ?? 0,
      durationMs: this.#now() - run.startedAtMs,
      error: describeError(error),
      updates: run.updates,
      summary: "",
    };
  }

  async #runPipeline(run: ActiveRun, context: GuildContext, log: Logger): Promise<void> {
    const { repositories, guilds } = this.options;
    const { guildId } = run;

    const links = repositories.members.listLinked(guildId);
    const linkByDiscordId = new Map(links.map((link) => [link.discordId, link]));
    const remaining = run.planningDone ? [] : run.cursor === null ? links : links.filter((link) => link.discordId > run.cursor!);
    run.total = run.planned + remaining.length;
    if (!run.dryRun) repositories.syncRuns.updateProgress(guildId, run.runId, { total: run.total });

    // Discord members and the Roblox lookup plan are independent: ask for both at once.
    const memberRolesTask = collectMemberRoles(this.options.memberRoles, guildId, {
      ...this.#tuning.memberRequest,
      onRateLimited: (waitMs, attempt) => log.info({ waitMs, attempt }, "the gateway asked to wait before sending the member list"),
    }).then((roles) => {
      run.live = new LiveMemberRoles(roles);
      for (const [userId, roleIds] of run.earlyUpdates) {
        if (roleIds === null) run.live.delete(userId);
        else run.live.set(userId, roleIds);
      }
      run.earlyUpdates.clear();
      return run.live;
    });
    // Surfaced when awaited; keeps an early failure from being reported as unhandled meanwhile.
    memberRolesTask.catch(() => undefined);

    const standing = await guilds.botStanding(guildId);
    run.standingRequests++;
    const hierarchy = new RoleHierarchy(standing);

    const tally: RequestTally = { requests: 0 };
    let lookup: RankLookupPlan | null = null;
    if (remaining.length > 0) {
      try {
        lookup = await context.roblox.planLinkedRankLookup(context.groupId, remaining.length, [], tally);
      } finally {
        run.robloxRequests += tally.requests;
      }
      run.strategy = lookup.strategy;
      log.debug({ strategy: lookup.strategy, requests: lookup.requests, options: lookup.options }, "roblox lookup planned");
    }

    // Changes planned before a restart come first, in their original order.
    if (run.resumed && !run.dryRun) {
      let afterSeq = -1;
      for (;;) {
        const page = repositories.syncRuns.listPendingItems(guildId, run.runId, { afterSeq, limit: 5000 });
        if (page.length === 0) break;
        for (const item of page) {
          const link = linkByDiscordId.get(item.discordId);
          run.queue.push({
            discordId: item.discordId,
            addRoleIds: item.addRoles,
            removeRoleIds: item.removeRoles,
            robloxUserId: item.robloxUserId,
            robloxUsername: link?.robloxUsername ?? (item.robloxUserId !== null ? String(item.robloxUserId) : item.discordId),
            fromRankId: item.fromRankId,
            toRankId: item.toRankId,
          });
        }
        afterSeq = page[page.length - 1]!.seq;
      }
    }

    const applying = run.dryRun
      ? Promise.resolve()
      : this.#applyAll(run, context, hierarchy, memberRolesTask).catch((error: unknown) => {
          // Stops the planner too: there is no point planning what cannot be applied.
          run.failure ??= error;
        });
    try {
      await this.#planAll(run, context, hierarchy, remaining, lookup, memberRolesTask);
    } catch (error) {
      run.failure ??= error;
    } finally {
      // Whatever was planned and stored still gets applied; a failed run then ends as failed.
      run.queue.close();
    }
    await applying;
    if (run.failure !== undefined) throw run.failure;
  }

  async #planAll(
    run: ActiveRun,
    context: GuildContext,
    hierarchy: RoleHierarchy,
    remaining: readonly Member[],
    lookup: RankLookupPlan | null,
    memberRolesTask: Promise<LiveMemberRoles>,
  ): Promise<void> {
    const sliceSize = this.#tuning.sliceSize;
    const pendingWrites = this.#pendingWrites(run.guildId);
    const options = this.#syncOptions(context, true);
    const accounts: LinkedAccount[] = remaining
      .filter((link) => link.robloxUserId !== null)
      .map((link) => ({
        discordId: link.discordId,
        robloxUserId: link.robloxUserId!,
        robloxUsername: link.robloxUsername ?? String(link.robloxUserId),
        storedRankId: link.rankId,
      }));

    // The roster strategies read everything before anything can be planned; the linked-users one
    // goes slice by slice, so applying starts after the first slice.
    let everyone: Map<number, RobloxMembership | null> | undefined;
    if (lookup && lookup.strategy !== "linked-users" && accounts.length > 0) {
      const result = await context.roblox.readLinkedRanks(context.groupId, accounts.map((a) => a.robloxUserId), { plan: lookup });
      run.robloxRequests += result.requests;
      everyone = new Map(accounts.map((a) => [a.robloxUserId, result.ranks.get(a.robloxUserId) ?? null]));
    }

    for (let start = 0; start < accounts.length; start += sliceSize) {
      if (run.halted) return;
      const slice = accounts.slice(start, start + sliceSize);
      let memberships: Map<number, RobloxMembership | null>;
      if (everyone) {
        memberships = everyone;
      } else {
        const tally: RequestTally = { requests: 0 };
        try {
          const found = await context.roblox.membershipsOf(context.groupId, slice.map((a) => a.robloxUserId), tally);
          memberships = new Map(slice.map((a) => {
            const member = found.get(a.robloxUserId);
            return [a.robloxUserId, member ? robloxStandingOf(member, context.ladder) : null];
          }));
        } finally {
          run.robloxRequests += tally.requests;
        }
      }
      const live = await memberRolesTask;
      if (run.halted) return;
      const plan = planSync({
        robloxMemberships: memberships,
        links: slice,
        ladder: context.ladder,
        discordMemberRoles: live.asMap(),
        pendingRobloxWrites: pendingWrites,
        options,
      });
      this.#storeSlice(run, context, hierarchy, slice, plan.items, plan.counts.filteredOut);
    }
    run.planningDone = true;
    run.planning = false;
    if (!run.dryRun) this.options.repositories.syncRuns.updateProgress(run.guildId, run.runId, this.#progressPatch(run));
    run.queue.close();
  }

  /**
   * Counts a planned slice, stores its changes, stored ranks and the cursor in one transaction, and
   * only then queues its changes: nothing is applied that a restart would not find.
   */
  #storeSlice(run: ActiveRun, context: GuildContext, hierarchy: RoleHierarchy, slice: readonly LinkedAccount[], items: readonly SyncItem[], filteredOut: number): void {
    const delta = emptyCounts();
    delta.skipped += filteredOut;
    delta.breakdown.filteredOut += filteredOut;
    const rows: SyncRunItemInput[] = [];
    const queued: QueuedChange[] = [];
    const storedRanks: { discordId: string; rankId: number | null }[] = [];

    for (const item of items) {
      if (item.storedRankChange) {
        delta.breakdown.storedRankUpdates++;
        storedRanks.push({ discordId: item.discordId, rankId: item.storedRankChange.toRankId });
      }
      switch (item.kind) {
        case "not-in-guild":
          delta.skipped++;
          delta.breakdown.notInGuild++;
          continue;
        case "unranked-role":
          delta.skipped++;
          delta.breakdown.unrankedRole++;
          continue;
        case "roblox-unknown":
          delta.skipped++;
          delta.breakdown.robloxUnknown++;
          continue;
        case "duplicate-link":
          delta.skipped++;
          delta.breakdown.duplicateLink++;
          continue;
        case "left-group":
          if (!item.nextRoleIds) {
            // Flagged for an admin's review only while they still show a rank; otherwise nothing is left to review.
            if (context.settings?.leftGroupPolicy === "flag" && item.fromRank !== null) {
              delta.skipped++;
              delta.breakdown.leftGroupFlagged++;
              if (run.flaggedNames.length < 10) run.flaggedNames.push(item.robloxUsername);
            } else {
              delta.inSync++;
            }
            continue;
          }
          break;
        case "in-sync":
        case "update":
          if (!item.nextRoleIds) {
            delta.inSync++;
            continue;
          }
          break;
      }

      // A Discord change: checked against the role hierarchy before it may be queued.
      const check = hierarchy.check({ addRoleIds: item.addRoleIds, removeRoleIds: item.removeRoleIds });
      const row: SyncRunItemInput = {
        discordId: item.discordId,
        robloxUserId: item.robloxUserId,
        fromRankId: item.fromRank?.id ?? null,
        toRankId: item.toRank?.id ?? null,
        addRoles: item.addRoleIds,
        removeRoles: item.removeRoleIds,
      };
      if (!check.ok) {
        delta.skipped++;
        delta.breakdown.notAttempted++;
        for (const problem of check.problems) run.problems.add(problem.message);
        rows.push({ ...row, status: "skipped", error: check.problems.map((problem) => problem.message).join(" ") });
        continue;
      }
      if (run.dryRun) {
        delta.updated++;
        if (item.kind === "left-group") delta.breakdown.leftGroupRemoved++;
        this.#keepUpdate(run, updateListEntry(item));
        continue;
      }
      rows.push(row);
      queued.push({
        discordId: item.discordId,
        addRoleIds: item.addRoleIds,
        removeRoleIds: item.removeRoleIds,
        robloxUserId: item.robloxUserId,
        robloxUsername: item.robloxUsername,
        fromRankId: row.fromRankId ?? null,
        toRankId: row.toRankId ?? null,
      });
    }

    const advance = () => {
      addCounts(run.durable, delta);
      run.cursor = slice[slice.length - 1]?.discordId ?? run.cursor;
      run.planned += slice.length;
    };
    if (run.dryRun) {
      advance();
      return;
    }
    const { repositories, database } = this.options;
    atomically(database, () => {
      if (rows.length > 0) repositories.syncRuns.insertItems(run.guildId, run.runId, rows);
      for (const stored of storedRanks) repositories.members.setStoredRank(run.guildId, stored.discordId, stored.rankId);
      advance();
      repositories.syncRuns.updateProgress(run.guildId, run.runId, this.#progressPatch(run));
    });
    for (const change of queued) run.queue.push(change);
  }

  async #applyAll(run: ActiveRun, context: GuildContext, hierarchy: RoleHierarchy, memberRolesTask: Promise<LiveMemberRoles>): Promise<void> {
    const applier = new RoleApplier({
      guilds: this.options.guilds,
      hierarchy,
      pacer: this.#pacer,
      auditReason: `rankbridge rank sync (run #${run.runId})`,
    });
    run.applier = applier;
    let forbiddenStreak = 0;
    const live = await memberRolesTask;

    for (;;) {
      if (run.halted) break;
      const change = await run.queue.next();
      if (!change) {
        if (run.queue.closed || run.halted) break;
        continue;
      }
      const outcome = await applier.apply(run.guildId, change, live.get(change.discordId));
      const from = rankLabelOf(context.ladder, change.fromRankId);
      const to = rankLabelOf(context.ladder, change.toRankId);
      const buffered = run.buffered;
      let status: SyncItemUpdate["status"] = "done";
      let error: string | null = null;
      switch (outcome.kind) {
        case "updated":
        case "already-applied": {
          // "already-applied": the roles match the plan, e.g. the PATCH went out just before a restart.
          if (outcome.kind === "updated") {
            live.set(change.discordId, outcome.roleIds);
            this.#countChange(run);
            forbiddenStreak = 0;
          }
          buffered.updated++;
          if (change.toRankId === null) buffered.breakdown.leftGroupRemoved++;
          const entry: UpdateListEntry = { robloxUsername: change.robloxUsername, discordId: change.discordId, from, to };
          this.#keepUpdate(run, entry);
          run.memberAudits.push({ change, from, to });
          run.hooks.onUpdate?.(entry);
          break;
        }
        case "not-attempted":
          status = "skipped";
          error = outcome.problems.map((problem) => problem.message).join(" ");
          buffered.skipped++;
          buffered.breakdown.notAttempted++;
          for (const problem of outcome.problems) run.problems.add(problem.message);
          break;
        case "left-guild":
          status = "skipped";
          error = "not in the server";
          buffered.skipped++;
          buffered.breakdown.leftGuild++;
          live.delete(change.discordId);
          break;
        case "forbidden":
          status = "failed";
          error = outcome.message;
          buffered.errors++;
          forbiddenStreak++;
          if (forbiddenStreak >= this.#tuning.forbiddenStreakToPause) {
            run.pauseReason =
              `Discord refused ${forbiddenStreak} role changes in a row for missing permissions (${outcome.message}). ` +
              "Check that rankbridge has Manage Roles and that its role is above every rank role (Server Settings → Roles), then run /sync again.";
          }
          break;
        case "failed":
          status = "failed";
          error = outcome.message;
          buffered.errors++;
          break;
      }
      run.marks.push({ discordId: change.discordId, status, error });
      if (run.marks.length >= this.#tuning.markBatchSize || this.#now() - run.lastFlushAt >= this.#tuning.markIntervalMs) {
        this.#flushMarks(run);
      }
    }
    this.#flushMarks(run);
  }

  #countChange(run: ActiveRun): void {
    run.changesApplied++;
    run.firstChangeAt ??= this.#now();
  }

  #keepUpdate(run: ActiveRun, entry: UpdateListEntry): void {
    if (run.updates.length < this.#tuning.updatesKept) run.updates.push(entry);
  }

  /** Saves applied marks, their audit rows and the counts in one transaction. */
  #flushMarks(run: ActiveRun): void {
    run.lastFlushAt = this.#now();
    if (run.dryRun || (run.marks.length === 0 && run.memberAudits.length === 0)) return;
    const { repositories, database } = this.options;
    const marks = run.marks;
    const audits = run.memberAudits;
    run.marks = [];
    run.memberAudits = [];
    atomically(database, () => {
      repositories.syncRuns.markItems(run.guildId, run.runId, marks);
      for (const { change, from, to } of audits) {
        repositories.audit.append(run.guildId, {
          actorId: run.actorId ?? "system",
          action: "sync.member",
          targetDiscordId: change.discordId,
          targetRobloxUserId: change.robloxUserId,
          before: { rank: from },
          after: { rank: to },
          detail: `rank sync run #${run.runId}`,
        });
      }
      addCounts(run.durable, run.buffered);
      run.buffered = emptyCounts();
      repositories.syncRuns.updateProgress(run.guildId, run.runId, this.#progressPatch(run));
    });
  }

  #progressPatch(run: ActiveRun) {
    return {
      total: run.total,
      updated: run.durable.updated,
      inSync: run.durable.inSync,
      errors: run.durable.errors,
      skipped: run.durable.skipped,
      robloxRequests: run.robloxRequests,
      discordRequests: run.discordRequests,
      progress: run.storedProgress() as unknown as Record<string, unknown>,
    };
  }

  async #publishProgress(run: ActiveRun): Promise<void> {
    if (!run.reporter.hasTargets || run.state !== "running") return;
    await run.reporter.publish(renderRunProgress(run.view(this.#now())));
  }

  #recordMetrics(run: ActiveRun, before: Counts, after: Counts, requestsBefore: { roblox: number; discord: number }, seconds: number): void {
    const { metrics, repositories } = this.options;
    metrics.syncRuns.inc({ trigger: metricTrigger(run), outcome: run.dryRun ? "dry_run" : run.state });
    metrics.syncDuration.observe(seconds);
    if (!run.dryRun) {
      const outcomes: [string, number][] = [
        ["updated", after.updated - before.updated],
        ["in_sync", after.inSync - before.inSync],
        ["error", after.errors - before.errors],
        ["skipped", after.skipped - before.skipped],
      ];
      for (const [outcome, count] of outcomes) if (count > 0) metrics.syncMembers.inc({ outcome }, count);
    }
    metrics.syncRequests.inc({ api: "roblox" }, Math.max(0, run.robloxRequests - requestsBefore.roblox));
    metrics.syncRequests.inc({ api: "discord" }, Math.max(0, run.discordRequests - requestsBefore.discord));
    metrics.pendingRobloxWrites.set(repositories.pendingWrites.countAll());
  }

  #recordRunAudit(run: ActiveRun, outcome: RunOutcome): void {
    const auditOutcome = run.state === "done" ? (outcome.errors > 0 ? "partial" : "ok") : "failed";
    const text = outcome.summary.length > 1500 ? `${outcome.summary.slice(0, 1499)}…` : outcome.summary;
    this.options.audit.record(run.guildId, {
      actorId: run.actorId ?? "system",
      action: "sync.run",
      outcome: auditOutcome,
      after: {
        runId: run.runId,
        trigger: metricTrigger(run),
        dryRun: run.dryRun,
        updated: outcome.updated,
        inSync: outcome.inSync,
        errors: outcome.errors,
        skipped: outcome.skipped,
        leftGroupFlagged: outcome.breakdown.leftGroupFlagged,
        flagged: run.flaggedNames,
      },
      detail: text,
      summary: text,
    });
  }

  #alertOnRepeatedFailures(context: GuildContext, run: ActiveRun): void {
    const needed = this.#tuning.failedRunsToAlert;
    const latest = this.options.repositories.syncRuns.listLatest(run.guildId, needed * 2).filter((row) => !row.dryRun).slice(0, needed);
    if (latest.length === needed && latest.every((row) => row.status === "failed")) {
      void this.#alert(context, "repeated-failures", `the last ${needed} rank syncs failed; the latest: ${run.error ?? "unknown error"}`);
    }
  }

  async #alert(context: GuildContext, kind: "credentials-rejected" | "guild-paused" | "repeated-failures", message: string): Promise<void> {
    const alerts = this.options.alerts;
    if (!alerts) {
      this.options.logger.warn({ guildId: context.guildId, alert: kind }, message);
      return;
    }
    // Settings are read again: the run may have changed them (pausing) since the context was resolved.
    const url = this.options.repositories.guilds.get(context.guildId)?.alertWebhookUrl ?? null;
    await alerts.send(url, { guildId: context.guildId, kind, message });
  }
}

function describeError(error: unknown): string {
  if (isRobloxError(error)) return error.userMessage;
  if (error && typeof error === "object" && "userMessage" in error && typeof error.userMessage === "string") return error.userMessage;
  return error instanceof Error ? error.message : String(error);
}

function describeJoin(result: MemberJoinOutcome): string {
  switch (result.kind) {
    case "updated":
      return `rank role set (${result.from ?? "no rank"} → ${result.to ?? "no rank"})`;
    case "not-attempted":
      return `not attempted: ${result.problems.join(" ")}`;
    case "failed":
      return `failed: ${result.message}`;
    default:
      return result.kind;
  }
}

