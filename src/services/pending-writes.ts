/**
 * Roblox rank writes that failed and are retried until they land (design §3, §6.4). Everything
 * lives in the `pending_roblox_writes` table, so a restart picks up where the last process left
 * off; while a write waits, sync treats its target as the member's Roblox rank. Processes sharing
 * the database each retry any due write, one claimed row at a time (pending-write-claims.ts).
 */
import type { EpochMs, PendingRobloxWrite, Repositories } from "./storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { GuildContexts } from "./guild-context.ts";
import type { RobloxWriteAccess, RobloxWriteRefusal } from "./roblox-access.ts";
import { scopedToGuild } from "./guild-scope.ts";
import type { RobloxRankWriter } from "./roblox-port.ts";
import { DEFAULT_RETRY_BACKOFF, isPermanentRobloxFailure, retryDelayMs, robloxErrorText, technicalDescription, type RetryBackoff } from "./write-retry-policy.ts";
import { WriteClaims, type ClaimedWrite } from "./pending-write-claims.ts";

/** What the rank-change service needs of the queue; the worker implements it. */
export interface RobloxWriteQueue {
  /** Stores a write that just failed, replacing the user's older one; returns the stored row. */
  queue(guildId: string, write: QueuedRobloxWrite, error: unknown): Promise<PendingRobloxWrite>;
  /**
   * No queued write for this user may run any more: a newer direct write landed, or the newest
   * target can never be written. Otherwise the retry would put back an older rank.
   */
  forget(guildId: string, robloxUserId: number): Promise<void>;
}

export interface QueuedRobloxWrite {
  discordId: string;
  robloxUserId: number;
  groupId: number;
  targetRobloxRoleId: number;
  targetRank: number;
}

export interface PendingWriteWorkerOptions {
  repositories: Pick<Repositories, "pendingWrites" | "guilds" | "ranks">;
  /** Decides whose credential may write each guild's ranks (design §10). */
  contexts: Pick<GuildContexts, "accessFor">;
  audit: Pick<AuditTrail, "record">;
  logger: Logger;
  metrics: Pick<Metrics, "pendingRobloxWrites">;
  /** How often due writes are looked for. Default 5 s. */
  pollIntervalMs?: number;
  backoff?: Partial<RetryBackoff>;
  /** Writes tried per poll, over all guilds. Default 50. */
  batchSize?: number;
  /** Names this process in its claims (`claimed_by`). Default `pid <pid>`. */
  claimantName?: string;
  /** How long a claim on a write lasts unless renewed (a dead process's writes wait this long). Default 2 min. */
  claimHoldMs?: number;
  now?: () => EpochMs;
  random?: () => number;
}

type RetryOutcome = "landed" | "rescheduled" | "abandoned" | "superseded";

export interface RetryRunSummary {
  attempted: number;
  landed: number;
  rescheduled: number;
  abandoned: number;
}

/**
 * Polls for due writes and retries them one at a time (Roblox rate limits are per key owner, so
 * parallel retries would only compete with interactive commands).
 */
export class PendingWriteWorker implements RobloxWriteQueue {
  readonly #options: PendingWriteWorkerOptions;
  readonly #backoff: RetryBackoff;
  readonly #pollIntervalMs: number;
  readonly #now: () => EpochMs;
  readonly #claims: WriteClaims;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #running: Promise<RetryRunSummary> | undefined;
  #started = false;
  #stopping = false;

  constructor(options: PendingWriteWorkerOptions) {
    this.#options = options;
    this.#backoff = { ...DEFAULT_RETRY_BACKOFF, ...options.backoff };
    this.#pollIntervalMs = options.pollIntervalMs ?? 5_000;
    this.#now = options.now ?? Date.now;
    this.#claims = new WriteClaims({
      pendingWrites: options.repositories.pendingWrites,
      logger: options.logger,
      claimantName: options.claimantName ?? `pid ${process.pid}`,
      holdMs: options.claimHoldMs,
      now: this.#now,
    });
  }

  /** Starts polling; the first poll runs at once, so writes left by a previous process resume. */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    this.#stopping = false;
    this.#schedule(0);
    this.updateGauge().catch((error: unknown) => this.#options.logger.warn({ err: error }, "could not count the pending Roblox writes"));
  }

  /** Stops polling and waits for the attempt in flight, if any (no write is cut off mid-way). */
  async stop(): Promise<void> {
    this.#started = false;
    this.#stopping = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#running?.catch(() => undefined);
  }

  async queue(guildId: string, write: QueuedRobloxWrite, error: unknown): Promise<PendingRobloxWrite> {
    const { write: stored } = await this.#options.repositories.pendingWrites.enqueue(guildId, {
      ...write,
      nextAttemptAt: this.#now() + retryDelayMs(1, this.#backoff, this.#options.random),
      lastError: technicalDescription(error),
    });
    await this.updateGauge();
    return stored;
  }

  async forget(guildId: string, robloxUserId: number): Promise<void> {
    if (await this.#options.repositories.pendingWrites.removeForUser(guildId, robloxUserId)) await this.updateGauge();
  }

  async updateGauge(): Promise<void> {
    this.#options.metrics.pendingRobloxWrites.set(await this.#options.repositories.pendingWrites.countAll());
  }

  /** One pass over every due write. Concurrent callers share the pass in progress. */
  runOnce(): Promise<RetryRunSummary> {
    if (this.#running) return this.#running;
    const run = this.#runDue().finally(() => {
      this.#running = undefined;
      return this.updateGauge();
    });
    this.#running = run;
    return run;
  }

  #schedule(delayMs: number): void {
    if (!this.#started) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.runOnce()
        .catch((error) => this.#options.logger.error({ err: error }, "pending Roblox write retry pass failed"))
        .finally(() => this.#schedule(this.#pollIntervalMs));
    }, delayMs);
  }

  /**
   * Claims due writes one at a time, so processes sharing the database share the work and a claim
   * never covers writes still waiting behind this one.
   */
  async #runDue(): Promise<RetryRunSummary> {
    const summary: RetryRunSummary = { attempted: 0, landed: 0, rescheduled: 0, abandoned: 0 };
    const writers = new Map<string, Promise<RobloxWriteAccess>>();
    const batchSize = this.#options.batchSize ?? 50;
    for (let tried = 0; tried < batchSize; tried++) {
      // stop() lets the attempt in flight finish but starts no new one.
      if (this.#stopping) break;
      const claimed = await this.#claims.next();
      if (!claimed) break;
      // A throw (the store gone mid-pass) ends the pass; the claim then lapses and the write waits one hold.
      const result = await this.#claims.holding(claimed, () => this.#retry(claimed, writers));
      if (result === "superseded") continue;
      summary.attempted++;
      summary[result]++;
    }
    return summary;
  }

  async #retry(claimed: ClaimedWrite, writers: Map<string, Promise<RobloxWriteAccess>>): Promise<RetryOutcome> {
    const { guildId, groupId } = claimed.write;
    const key = `${guildId}:${groupId}`;
    let writer = writers.get(key);
    if (!writer) {
      writer = this.#options.contexts
        .accessFor(guildId, await this.#options.repositories.guilds.get(guildId))
        .then((access) => access.writer(groupId));
      writers.set(key, writer);
    }
    const access = await writer;
    return access.allowed ? this.#attempt(claimed, scopedToGuild(access.client, guildId)) : this.#refused(claimed, access.refusal);
  }

  /**
   * The guild may not write with any credential right now (design §10): nothing is sent, and the
   * write waits for an admin to store a usable key rather than being lost.
   */
  async #refused({ write, claimant }: ClaimedWrite, refusal: RobloxWriteRefusal): Promise<"rescheduled" | "superseded"> {
    const { guildId } = write;
    const delay = retryDelayMs(write.attempts + 2, this.#backoff, this.#options.random);
    const updated = await this.#options.repositories.pendingWrites.markAttempt(guildId, write.id, {
      error: `not sent: ${refusal.kind}`,
      nextAttemptAt: this.#now() + delay,
      claimant,
    });
    this.#options.logger.warn(
      { guildId, pendingWriteId: write.id, refusal: refusal.kind, retryInMs: delay },
      "queued Roblox rank write not sent: no credential may write this guild's ranks",
    );
    return updated ? "rescheduled" : "superseded";
  }

  async #attempt({ write, claimant }: ClaimedWrite, roblox: RobloxRankWriter): Promise<RetryOutcome> {
    const { repositories, audit, logger } = this.#options;
    const { guildId } = write;
    // A newer rank change may have replaced or settled this write since it was claimed.
    if (!await repositories.pendingWrites.get(guildId, write.id)) return "superseded";
    const log = logger.child({ guildId, discordId: write.discordId, robloxUserId: write.robloxUserId, pendingWriteId: write.id });
    const tries = write.attempts + 2; // the failed direct write, the earlier retries, and this one
    try {
      // The ladder as it is now: the write replaces the member's ladder rank and keeps their other roles.
      const ladderRoleIds = (await repositories.ranks.list(guildId)).map((rank) => rank.robloxRoleId);
      await roblox.setRank(write.groupId, write.robloxUserId, write.targetRobloxRoleId, { ladderRoleIds });
    } catch (error) {
      if (isPermanentRobloxFailure(error)) {
        // Not ours any more (replaced, or another process holds it now): that one decides.
        if (!await repositories.pendingWrites.delete(guildId, write.id, claimant)) return "superseded";
        log.warn({ err: error }, "DESYNC persists: gave up a queued Roblox rank write that can never succeed");
        await audit.record(guildId, {
          actorId: "system",
          action: "roblox.write",
          targetDiscordId: write.discordId,
          targetRobloxUserId: write.robloxUserId,
          before: { attempts: tries - 1, lastError: write.lastError },
          after: { robloxRoleId: write.targetRobloxRoleId, robloxRank: write.targetRank },
          outcome: "failed",
          note: { kind: "roblox-write-abandoned", targetRank: write.targetRank, tries, robloxError: robloxErrorText(error) },
        });
        return "abandoned";
      }
      const delay = retryDelayMs(tries, this.#backoff, this.#options.random);
      const updated = await repositories.pendingWrites.markAttempt(guildId, write.id, {
        error: technicalDescription(error),
        nextAttemptAt: this.#now() + delay,
        claimant,
      });
      log.warn({ err: error, tries, retryInMs: delay }, "queued Roblox rank write failed again; will retry");
      return updated ? "rescheduled" : "superseded";
    }

    // Deleting by id and claim: if a newer write replaced this row meanwhile, that one stays queued.
    // The write did land, so it is recorded either way.
    await repositories.pendingWrites.delete(guildId, write.id, claimant);
    log.info({ tries }, "queued Roblox rank write landed");
    await audit.record(guildId, {
      actorId: "system",
      action: "roblox.write",
      targetDiscordId: write.discordId,
      targetRobloxUserId: write.robloxUserId,
      before: { attempts: tries - 1, lastError: write.lastError },
      after: { robloxRoleId: write.targetRobloxRoleId, robloxRank: write.targetRank },
      outcome: "ok",
      note: { kind: "roblox-write-landed", targetRank: write.targetRank, tries },
    });
    return "landed";
  }
}
