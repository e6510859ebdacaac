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
 *
 * This file starts, resumes, attaches to and stops runs; the parts live beside it: a run's state in
 * active-run.ts, its execution in run-execution.ts (the work in run-pipeline.ts, run-planning.ts and
 * run-applying.ts side by side; its end in run-ending.ts), what is recorded about it in
 * run-bookkeeping.ts, joins in member-join.ts.
 *
 * Over 300 lines on purpose: it is the one owner of the map of active runs, and every way a run
 * starts or is found (manual, background, resumed, adopted orphan, held-run decision, gateway
 * events, stop) reads and changes that map; split up, each part would need the map's invariants.
 */
import type { Repositories, SyncRun } from "../services/storage-port.ts";
import type { SyncGuilds } from "../services/discord-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { AuditTrail } from "../services/audit-trail.ts";
import type { GuildContext, GuildContexts } from "../services/guild-context.ts";
import { ActiveRun } from "./active-run.ts";
import type { RunSetup } from "./run-state.ts";
import type { SyncAlerts } from "./alerts.ts";
import {
  DEFAULT_TUNING,
  type BackgroundHooks,
  type BackgroundSyncResult,
  type BulkSyncTuning,
  type HeldRunDecision,
  type ManualSyncRequest,
  type ManualSyncStart,
  type RunOutcome,
} from "./bulk-sync-types.ts";
import { syncJoinedMember, type MemberJoinDeps, type MemberJoinInput, type MemberJoinOutcome } from "./member-join.ts";
import type { GroupMembershipsPort } from "./group-memberships.ts";
import type { MemberName, MemberRolesPort } from "./member-roles.ts";
import { DEFAULT_SYNC_DISCORD_REQUESTS_PER_SECOND, RequestPacer } from "./pacer.ts";
import { RunReporter, type ReplyTarget } from "./reporter.ts";
import type { SyncMessages } from "./sync-messages.ts";
import { approveHeldRun, cancelHeldRun, heldRunOf } from "./run-guard.ts";
import { RunBookkeeping } from "./run-bookkeeping.ts";
import { RunExecutor } from "./run-execution.ts";
import type { PipelineDeps } from "./run-pipeline.ts";
import type { RunWording } from "./run-report.ts";
import type { GroupLockKicker } from "../services/group-lock.ts";
import { resolveSyncContext, SyncNotPossibleError } from "./sync-context.ts";

export {
  DEFAULT_TUNING,
  type BackgroundHooks,
  type BackgroundSyncResult,
  type BulkSyncTuning,
  type HeldRunDecision,
  type ManualSyncRequest,
  type ManualSyncStart,
  type RunOutcome,
} from "./bulk-sync-types.ts";
export type { MemberJoinInput, MemberJoinOutcome } from "./member-join.ts";
export type { ReplyTarget } from "./reporter.ts";
export { robloxStandingOf } from "./roblox-standing.ts";
export { SyncNotPossibleError } from "./sync-context.ts";

export interface BulkSyncOptions {
  repositories: Repositories;
  contexts: GuildContexts;
  guilds: SyncGuilds;
  /** Where reports and held-run notices are shown (the Discord adapter, src/discord/sync-messages.ts). */
  messages: SyncMessages;
  /** How reports read (the Discord view, src/discord/views/sync-run.ts). */
  wording: RunWording;
  memberRoles: MemberRolesPort;
  /** Other Roblox groups' memberships for range binds (src/sync/group-memberships.ts). */
  groupMemberships?: GroupMembershipsPort;
  audit: AuditTrail;
  metrics: Metrics;
  logger: Logger;
  alerts?: SyncAlerts;
  /** Shared by every guild's run; default 40 Discord requests a second. */
  pacer?: RequestPacer;
  /** Group lock "kick" (design §3.1): DMs and removes linked members gone from the group, in runs and on join. */
  kicker?: GroupLockKicker;
  /** Guilds on this process's shards; others are left to their own process. Default: all. */
  ownsGuild?: (guildId: string) => boolean;
  tuning?: Partial<BulkSyncTuning>;
  now?: () => number;
}

export class BulkSync {
  readonly #active = new Map<string, ActiveRun>();
  readonly #tuning: BulkSyncTuning;
  readonly #now: () => number;
  /** What a run's planning and applying need. */
  readonly #runDeps: PipelineDeps;
  readonly #joinDeps: MemberJoinDeps;
  readonly #bookkeeping: RunBookkeeping;
  readonly #executor: RunExecutor;
  #stopping = false;

  constructor(private readonly options: BulkSyncOptions) {
    this.#tuning = { ...DEFAULT_TUNING, ...options.tuning };
    if (this.#tuning.sliceSize % 50 !== 0) throw new RangeError("sliceSize must be a multiple of 50 (the Roblox batch size)");
    const pacer = options.pacer ?? new RequestPacer(DEFAULT_SYNC_DISCORD_REQUESTS_PER_SECOND);
    this.#now = options.now ?? Date.now;
    const { repositories, guilds, memberRoles, contexts, metrics, audit, logger, alerts } = options;
    const { kicker } = options;
    this.#runDeps = {
      repositories,
      guilds,
      memberRoles,
      pacer,
      tuning: this.#tuning,
      now: this.#now,
      wording: options.wording,
      kicker,
      ...(options.groupMemberships && { groupMemberships: options.groupMemberships }),
    };
    this.#joinDeps = {
      repositories,
      contexts,
      guilds,
      pacer,
      metrics,
      audit,
      logger,
      observeMemberRoles: (guildId, userId, roleIds) => this.observeMemberUpdate(guildId, userId, roleIds),
      kicker,
      ...(options.groupMemberships && { groupMemberships: options.groupMemberships }),
    };
    this.#bookkeeping = new RunBookkeeping({
      messages: options.messages,
      repositories,
      metrics,
      audit,
      logger,
      alerts,
      failedRunsToAlert: this.#tuning.failedRunsToAlert,
      wording: options.wording,
    });
    this.#executor = new RunExecutor({
      pipeline: this.#runDeps,
      ending: { ...this.#runDeps, bookkeeping: this.#bookkeeping, wording: options.wording },
      wording: options.wording,
      bookkeeping: this.#bookkeeping,
      tuning: this.#tuning,
      logger,
      now: this.#now,
      carryOn: (next) => this.#active.set(next.guildId, next),
    });
  }

  isRunning(guildId: string): boolean {
    return this.#active.has(guildId);
  }

  /** The running run's progress text, for /sync-status. */
  progressText(guildId: string): string | undefined {
    const run = this.#active.get(guildId);
    // A run that has ended is still registered while its final report goes out; it is not "running".
    return run && run.state === "running" ? this.options.wording.progress(run.view(this.#now())) : undefined;
  }

  /** `/sync` without a member. Resolves once the run is under way (or attached to), not when it ends. */
  async startManual(request: ManualSyncRequest): Promise<ManualSyncStart> {
    const { guildId } = request;
    const attached = this.#attach(guildId, request.reply);
    if (attached) return attached;
    if (this.#stopping) throw new SyncNotPossibleError("stopping");
    const context = await resolveSyncContext(this.options.contexts, guildId);

    const { repositories } = this.options;
    if (!request.dryRun) {
      const unfinished = await repositories.syncRuns.findUnfinished(guildId);
      if (unfinished?.status === "paused") {
        // The admin asks again after a pause: the old plan is stale, a new run replaces it.
        const error = this.options.wording.runRecord({ kind: "replaced", previousError: unfinished.error });
        await repositories.syncRuns.finish(guildId, unfinished.id, { status: "failed", error });
      }
      if (context.settings?.syncPausedReason) await repositories.guilds.upsert(guildId, { syncPausedReason: null });
    }

    const start = () =>
      repositories.syncRuns.start(guildId, {
        trigger: "manual",
        dryRun: request.dryRun,
        interactionAppId: request.reply?.applicationId ?? null,
        interactionToken: request.reply?.token ?? null,
        channelId: request.reply?.channelId ?? null,
      });
    let started = await start();
    if (!started.ok) {
      const again = this.#attach(guildId, request.reply);
      if (again) return again;
      const orphan = await this.#adoptOrphan(started.run, context, request.actorId, {});
      if (orphan) return this.#attachTo(orphan, request.reply);
      started = await start();
      if (!started.ok) throw new SyncNotPossibleError("starting");
    }
    const run = this.#launch(started.run, context, { resumed: false, actorId: request.actorId, hooks: {}, openGuard: request.force === true });
    if (request.reply) run.reporter.addTarget(request.reply);
    void run.reporter.publish(this.options.wording.progress(run.view(this.#now())));
    return { kind: "started", runId: run.runId, finished: run.finished };
  }

  /** One background run of the guild, unless one is going or the guild is paused or not set up. */
  async runBackground(guildId: string, hooks: BackgroundHooks = {}): Promise<BackgroundSyncResult> {
    if (this.#stopping) return { kind: "skipped", reason: "stopping" };
    if (!this.#owns(guildId)) return { kind: "skipped", reason: "not-owned" };
    if (this.#active.has(guildId)) return { kind: "skipped", reason: "already-running" };
    let context: GuildContext;
    try {
      context = await resolveSyncContext(this.options.contexts, guildId);
    } catch (error) {
      if (error instanceof SyncNotPossibleError) return { kind: "skipped", reason: "not-configured" };
      throw error;
    }
    if (context.settings?.syncPausedReason) return { kind: "skipped", reason: "paused" };
    if (this.#active.has(guildId)) return { kind: "skipped", reason: "already-running" };
    const started = await this.options.repositories.syncRuns.start(guildId, { trigger: "background" });
    if (!started.ok) {
      // A run left "running" by a crash that nobody resumed: carry it on instead of waiting forever.
      const orphan = await this.#adoptOrphan(started.run, context, null, hooks);
      return orphan ? { kind: "ran", outcome: await orphan.finished } : { kind: "skipped", reason: "already-running" };
    }
    const run = this.#launch(started.run, context, { resumed: false, actorId: null, hooks });
    return { kind: "ran", outcome: await run.finished };
  }

  /**
   * A run the database says is running while no run of this process is: left over from a crash.
   * A real run is carried on; a dry run changed nothing and is closed. Undefined when closed.
   */
  async #adoptOrphan(row: SyncRun, context: GuildContext, actorId: string | null, hooks: BackgroundHooks): Promise<ActiveRun | undefined> {
    if (this.#active.has(row.guildId)) return this.#active.get(row.guildId);
    if (row.dryRun) {
      await this.#closeInterruptedDryRun(row);
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
    for (const guildId of await repositories.syncRuns.guildsWithUnfinishedRuns()) {
      if (!this.#owns(guildId)) continue;
      if (this.#active.has(guildId)) continue;
      const row = await repositories.syncRuns.findUnfinished(guildId);
      if (row?.status !== "running") continue;
      if (row.dryRun) {
        await this.#closeInterruptedDryRun(row);
        continue;
      }
      let context: GuildContext;
      try {
        context = await resolveSyncContext(this.options.contexts, guildId);
      } catch (error) {
        const message = error instanceof SyncNotPossibleError ? this.options.wording.notPossible(error.reason, error.home) : String(error);
        await repositories.syncRuns.finish(guildId, row.id, { status: "failed", error: message });
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

  /** Member roles each running sync holds (linked members, and unlinked ones out of line with the verified/unverified roles), for /metrics. */
  memberStateSizes(): { guildId: string; members: number; approximateBytes: number }[] {
    return [...this.#active.values()].flatMap((run) =>
      run.live ? [{ guildId: run.guildId, members: run.live.size, approximateBytes: run.live.approximateBytes() }] : [],
    );
  }

  /** GUILD_MEMBER_UPDATE: keeps a running sync from writing back roles that just changed. */
  observeMemberUpdate(guildId: string, userId: string, roleIds: readonly string[], name?: MemberName): void {
    const run = this.#active.get(guildId);
    if (!run) return;
    // The bot's own roles decide what it may edit: re-judge the edits not sent yet.
    if (userId === this.options.guilds.botUserId) run.hierarchy?.botRolesChanged(roleIds);
    if (run.live) {
      run.live.set(userId, roleIds);
      if (name) run.live.setName(userId, name);
    }
    else run.earlyUpdates.set(userId, roleIds);
  }

  /** GUILD_ROLE_UPDATE / GUILD_ROLE_DELETE / GUILD_UPDATE, once the guild cache holds the change. */
  observeRolesChanged(guildId: string): void {
    this.#active.get(guildId)?.hierarchy?.rolesChanged();
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
  onMemberJoin(guildId: string, member: MemberJoinInput): Promise<MemberJoinOutcome> {
    return syncJoinedMember(this.#joinDeps, guildId, member);
  }

  /**
   * Stops every run after its current request, saves where each stood and leaves it "running", so
   * the next start resumes it. Resolves when all have stopped (or the budget runs out).
   */
  async stop(budgetMs = 5_000): Promise<void> {
    this.#stopping = true;
    const runs = [...this.#active.values()];
    for (const run of runs) {
      run.requestStop();
      run.queue.interrupt();
    }
    await Promise.race([Promise.allSettled(runs.map((run) => run.finished)), Bun.sleep(budgetMs)]);
  }

  #owns(guildId: string): boolean {
    return !this.options.ownsGuild || this.options.ownsGuild(guildId);
  }

  #attach(guildId: string, reply: ReplyTarget | undefined): ManualSyncStart | undefined {
    const run = this.#active.get(guildId);
    return run && this.#attachTo(run, reply);
  }

  #attachTo(run: ActiveRun, reply: ReplyTarget | undefined): ManualSyncStart {
    if (reply) run.reporter.addTarget(reply);
    return { kind: "attached", runId: run.runId, text: this.options.wording.progress(run.view(this.#now())) };
  }

  /** A dry run changed nothing: one a restart interrupted has nothing to carry on, and is closed. */
  async #closeInterruptedDryRun(row: SyncRun): Promise<void> {
    await this.options.repositories.syncRuns.finish(row.guildId, row.id, { status: "failed", error: this.options.wording.runRecord({ kind: "interrupted" }) });
  }

  #launch(row: SyncRun, context: GuildContext, how: Omit<RunSetup, "reporter">): ActiveRun {
    const reporter = new RunReporter({
      messages: this.options.messages,
      logger: this.options.logger.child({ guildId: row.guildId, runId: row.id }),
      tokenTtlMs: this.#tuning.interactionTokenTtlMs,
      tokenMarginMs: this.#tuning.tokenMarginMs,
      now: this.#now,
      wording: this.options.wording,
    });
    const run = new ActiveRun(row, { ...how, reporter }, this.#now());
    this.#active.set(row.guildId, run);
    run.finished = this.#executor.execute(run, context)
      .catch((error: unknown) => this.#executor.crashed(run, error))
      .finally(() => {
        // A run that waited for Roblox hands over to its continuation, which ends later (or already did).
        const current = this.#active.get(row.guildId);
        if (current === run || current?.runId === row.id) this.#active.delete(row.guildId);
      });
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

  /**
   * An admin's Apply or Cancel on a run the mass-change guard held. Only a paused, held run of this
   * very guild can be decided (the run id alone opens nothing in another guild).
   */
  async decideHeld(guildId: string, runId: number, decision: "apply" | "cancel", actorId: string, reply?: ReplyTarget): Promise<HeldRunDecision> {
    const deps = { repositories: this.options.repositories, audit: this.options.audit, wording: this.options.wording };
    if (!await heldRunOf(deps.repositories, guildId, runId)) return { kind: "gone", runId };
    if (this.#active.has(guildId)) return { kind: "busy", runId };
    if (decision === "cancel") return { kind: "cancelled", runId, cancelled: await cancelHeldRun(deps, guildId, runId, actorId) };
    const context = await resolveSyncContext(this.options.contexts, guildId);
    const row = await approveHeldRun(deps, guildId, runId, actorId);
    if (!row) return { kind: "busy", runId };
    const run = this.#launch(row, context, { resumed: true, actorId, hooks: {}, openGuard: true });
    if (reply) run.reporter.addTarget(reply);
    return { kind: "applying", runId, finished: run.finished };
  }
}
