/**
 * "Sync now", "Dry run" and the answers to a held run, asked on the web dashboard (design §9), for a
 * guild whichever process serves the page (design §8). The process that runs the guild's shard acts
 * at once, through the same BulkSync calls as `/sync` (startManual, decideHeld: the same one run per
 * guild, mass-change guard, refusals and audit entry, with the signed-in admin as the actor). Any
 * other process queues the request in the shared database (sync_requests), where the process of
 * the shard claims it once (a row lock, SKIP LOCKED on PostgreSQL) and acts as if asked itself.
 *
 * Never run twice: a request for a guild with a running run joins that run; a second request while
 * one waits in the queue joins the waiting one (one queued row per guild, by a unique index);
 * a claimed row is acted on once, by its claimer.
 */
import type { Logger } from "../observability/logger.ts";
import type { Repositories, SyncRequest } from "../services/storage-port.ts";
import type { BulkSync } from "./bulk-sync.ts";
import { SyncNotPossibleError, type SyncNotPossibleReason } from "./sync-context.ts";

export type SyncAsk =
  | { readonly kind: "run"; readonly guildId: string; readonly actorId: string; readonly dryRun: boolean; readonly force?: boolean }
  /** Apply or Cancel on a run the mass-change guard held. */
  | { readonly kind: "held"; readonly guildId: string; readonly actorId: string; readonly runId: number; readonly decision: "apply" | "cancel" };

/** Why nothing was done: the sync's own refusals, or a held run already answered / busy. */
export type SyncRefusal = SyncNotPossibleReason | "held-gone" | "held-busy";

export type SyncAskOutcome =
  /** A run started (or, for Apply, carried on). */
  | { readonly kind: "started"; readonly runId: number }
  /** A run was already going in the guild: it is the one shown, none is started. */
  | { readonly kind: "attached"; readonly runId: number }
  | { readonly kind: "cancelled"; readonly runId: number; readonly cancelled: number }
  /** Waiting for the process that runs the guild's shard; `joined` when an earlier request was already waiting. */
  | { readonly kind: "queued"; readonly requestId: number; readonly joined: boolean }
  | { readonly kind: "refused"; readonly reason: SyncRefusal };

export interface SyncRequestsOptions {
  repositories: Pick<Repositories, "syncRequests" | "syncRuns">;
  bulkSync: Pick<BulkSync, "startManual" | "decideHeld">;
  /** Whether this process runs the guild's shard (ShardOwnership.owns). */
  ownsGuild: (guildId: string) => boolean;
  /** Names this process in the claims it makes (logs and the row's claimed_by). */
  processName: string;
  logger: Logger;
  now?: () => number;
  /** How often the queue is read for this process's guilds; default 1 s. */
  pollIntervalMs?: number;
  /** A claim not settled after this long is taken as its claimer's death, and claimable again; default 2 min. */
  staleClaimMs?: number;
  /** Settled requests are kept this long for the page; default 1 day. */
  keepMs?: number;
}

const REFUSALS: readonly SyncRefusal[] = ["no-group", "no-ranks", "stopping", "starting", "held-gone", "held-busy"];
export const isSyncRefusal = (value: string | null): value is SyncRefusal => value !== null && (REFUSALS as readonly string[]).includes(value);

export class SyncRequests {
  readonly #now: () => number;
  readonly #pollIntervalMs: number;
  readonly #staleClaimMs: number;
  readonly #keepMs: number;
  #timer: ReturnType<typeof setInterval> | undefined;
  #polling: Promise<void> | undefined;

  constructor(private readonly options: SyncRequestsOptions) {
    this.#now = options.now ?? Date.now;
    this.#pollIntervalMs = options.pollIntervalMs ?? 1_000;
    this.#staleClaimMs = options.staleClaimMs ?? 120_000;
    this.#keepMs = options.keepMs ?? 86_400_000;
  }

  /** An admin asked on the dashboard: done here when this process runs the guild, else queued for the one that does. */
  async ask(ask: SyncAsk): Promise<SyncAskOutcome> {
    if (this.options.ownsGuild(ask.guildId)) return this.#act(ask);
    const { repositories } = this.options;
    if (ask.kind === "run") {
      const running = await repositories.syncRuns.findRunning(ask.guildId);
      if (running) return { kind: "attached", runId: running.id };
    }
    const { request, joined } = await repositories.syncRequests.enqueue(ask.guildId, {
      actorId: ask.actorId,
      action: ask.kind === "run" ? "sync" : ask.decision,
      dryRun: ask.kind === "run" && ask.dryRun,
      force: ask.kind === "run" && ask.force === true,
      runId: ask.kind === "held" ? ask.runId : null,
    });
    this.options.logger.info({ guildId: ask.guildId, requestId: request.id, joined }, "sync request queued for the process of the guild's shard");
    return { kind: "queued", requestId: request.id, joined };
  }

  /** Reads the queue every poll interval; call once the process knows its shards. */
  start(): void {
    if (this.#timer) return;
    this.#timer = setInterval(() => {
      this.#polling ??= this.pollOnce()
        .then(
          () => undefined,
          (error: unknown) => this.options.logger.warn({ err: error }, "could not read the sync request queue"),
        )
        .finally(() => {
          this.#polling = undefined;
        });
    }, this.#pollIntervalMs);
  }

  /** Stops reading the queue; resolves once a poll in progress has acted. */
  async stop(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.#polling;
  }

  /** Claims the queued requests of this process's guilds and acts on each; returns what was claimed. */
  async pollOnce(): Promise<SyncRequest[]> {
    const { repositories, logger } = this.options;
    const staleBefore = this.#now() - this.#staleClaimMs;
    const mine = (await repositories.syncRequests.claimableRequests(staleBefore)).filter((row) => this.options.ownsGuild(row.guildId));
    const claimed = await repositories.syncRequests.claim(
      mine.map((row) => row.id),
      this.options.processName,
      staleBefore,
    );
    for (const row of claimed) {
      try {
        const outcome = await this.#act(askOf(row));
        logger.info({ guildId: row.guildId, requestId: row.id, outcome: outcome.kind }, "queued sync request acted on");
        await repositories.syncRequests.settle(
          row.guildId,
          row.id,
          outcome.kind === "refused" ? { status: "refused", refusal: outcome.reason } : { status: "done", runId: "runId" in outcome ? outcome.runId : null },
        );
      } catch (error) {
        // Left claimed: once stale it is claimed again (by then a started run is found running and joined).
        logger.error({ err: error, guildId: row.guildId, requestId: row.id }, "could not act on a queued sync request");
      }
    }
    if (claimed.length > 0) await repositories.syncRequests.prune(this.#now() - this.#keepMs);
    return claimed;
  }

  /** What `/sync` (or its Apply / Cancel buttons) would do, with no Discord reply to keep up to date. */
  async #act(ask: SyncAsk): Promise<SyncAskOutcome> {
    const { bulkSync } = this.options;
    if (ask.kind === "held") {
      const decision = await bulkSync.decideHeld(ask.guildId, ask.runId, ask.decision, ask.actorId);
      switch (decision.kind) {
        case "applying":
          return { kind: "started", runId: decision.runId };
        case "cancelled":
          return { kind: "cancelled", runId: decision.runId, cancelled: decision.cancelled };
        case "gone":
          return { kind: "refused", reason: "held-gone" };
        case "busy":
          return { kind: "refused", reason: "held-busy" };
      }
    }
    try {
      const start = await bulkSync.startManual({ guildId: ask.guildId, actorId: ask.actorId, dryRun: ask.dryRun, force: ask.force === true });
      return { kind: start.kind, runId: start.runId };
    } catch (error) {
      if (error instanceof SyncNotPossibleError) return { kind: "refused", reason: error.reason };
      throw error;
    }
  }
}

function askOf(row: SyncRequest): SyncAsk {
  const base = { guildId: row.guildId, actorId: row.actorId };
  if (row.action === "sync") return { kind: "run", ...base, dryRun: row.dryRun, force: row.force };
  return { kind: "held", ...base, runId: row.runId ?? 0, decision: row.action };
}
