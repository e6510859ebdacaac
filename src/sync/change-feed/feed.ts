/**
 * The Roblox change feed (design §3.2): every ROBLOX_CHANGE_FEED_INTERVAL each bound group's audit
 * log is read, newest first, down to the last entry seen (the cursor, kept in the database), and
 * the members it names are brought in line in every guild of this process bound to the group.
 *
 * Cost grows with the changes, not the group: one audit-log request per group per interval when
 * nothing changed, and per change one Discord request per guild. The log's limit (100 a minute per
 * key owner) is shared by every group read with one credential, so polls on one credential are
 * spaced to stay under 90% of it: with more groups than that allows in an interval, each group is
 * read a little less often instead of queueing on the limiter.
 *
 * The whole-roster sync stays the safety net: a gap in the log (entries dropped before they were
 * read, more changes than a poll reads), a key that may not read the log, or a failed apply is
 * answered with a full sync of the guilds concerned, a warning, and a line in /sync-status and
 * /readyz (which stays 200: the bot still works without the feed).
 *
 * In a cluster with Redis (design §8, relay.ts) one process reads each group: the holder of the
 * group's feed lease reads the log, hands the batch on to every process following the group (itself
 * included, follower.ts) and moves the bot's cursor under the lease's fencing token. Without Redis,
 * each process reads its groups with a cursor of its own (`cursorScope`), so none takes another's
 * entries.
 *
 * About 350 lines on purpose: the poll loop, its spacing per credential, its claims and its
 * gap handling share one state per group; reading, applying and following are in their own files.
 */
import type { Repositories } from "../../services/storage-port.ts";
import type { Logger } from "../../observability/logger.ts";
import type { ChangeFeedSample, Metrics } from "../../observability/metrics.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import { isRobloxError, type RequestTally, type RobloxAuditLogReader } from "../../services/roblox-port.ts";
import type { FeedApplyDeps } from "./apply.ts";
import { FeedDelivery } from "./deliver.ts";
import { FeedFollower } from "./follower.ts";
import { readNewEntries, type FeedCursor } from "./new-entries.ts";
import type { OwnWrites } from "./own-writes.ts";
import { FeedClaims } from "./claims.ts";
import type { FeedBatch, FeedClaim, FeedRelay } from "./relay.ts";
import { FeedStatus } from "./status.ts";
import { feedTopology, type GroupTopology } from "./topology.ts";

/** Share of a credential's audit-log budget the feed plans to use; the rest is the start-up check's and headroom. */
const BUDGET_SHARE = 0.9;
/** More new entries than this many pages (100 each) in one poll: a full sync is cheaper and surer. */
const MAX_PAGES_PER_POLL = 5;
/** A log the key may not read is tried again this often, so a permission granted is noticed. */
const REFUSED_RETRY_MS = 5 * 60_000;

export interface ChangeFeedOptions {
  /** ROBLOX_CHANGE_FEED_INTERVAL. */
  intervalMs: number;
  repositories: Pick<Repositories, "guilds" | "members" | "feedCursors">;
  contexts: GuildContexts;
  apply: Omit<FeedApplyDeps, "repositories" | "contexts" | "logger">;
  ownWrites: OwnWrites;
  /** A whole-roster sync of the guild (the safety net); must not throw. */
  fullSync: (guildId: string, reason: string) => void;
  /** Guilds on this process's shards. */
  ownsGuild: (guildId: string) => boolean;
  metrics: Pick<Metrics, "changeFeedEntriesRead" | "changeFeedEntriesApplied" | "changeFeedOwnEntries" | "changeFeedErrors" | "changeFeedDelay">;
  logger: Logger;
  now?: () => number;
  /** Set (REDIS_URL): one process of the cluster reads each group and hands its entries on. Unset: this process reads its groups itself. */
  relay?: FeedRelay;
  /** Without a relay: whose cursor this process moves (its shard set when it is one of several, else `''`). Default `''`. */
  cursorScope?: () => string;
  /** A group's feed lease lives this long unrenewed (renewed every third of it); default the interval, at least 5 s. */
  claimTtlMs?: number;
  /** With a relay: how often batches handed on are taken (default 1 s). */
  followMs?: number;
}

interface GroupFeed {
  topology: GroupTopology;
  dueAt: number;
  /** Applying the last poll's entries; the next poll of the group waits for it. */
  busy: boolean;
}

export class ChangeFeed {
  readonly status: FeedStatus;
  readonly #options: ChangeFeedOptions;
  readonly #now: () => number;
  readonly #guildIds = new Set<string>();
  readonly #groups = new Map<number, GroupFeed>();
  /** Per credential: when its next audit-log request may go. */
  readonly #nextSlot = new Map<RobloxAuditLogReader, number>();
  readonly #refused = new Map<number, Set<RobloxAuditLogReader>>();
  readonly #delivery: FeedDelivery;
  readonly #follower: FeedFollower | undefined;
  /** With a relay: the groups' feed leases this process holds. */
  readonly #claims: FeedClaims | undefined;
  readonly #claimTtlMs: number;
  #topologyDueAt = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #applying = new Set<Promise<void>>();

  constructor(options: ChangeFeedOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.status = new FeedStatus(options.intervalMs);
    this.#claimTtlMs = options.claimTtlMs ?? Math.max(options.intervalMs, 5_000);
    const { repositories, contexts, logger } = options;
    this.#delivery = new FeedDelivery({
      ...{ status: this.status, ownWrites: options.ownWrites, fullSync: options.fullSync, ownsGuild: options.ownsGuild, metrics: options.metrics, logger, now: this.#now },
      apply: { ...options.apply, repositories, contexts, logger },
    });
    this.#claims = options.relay && new FeedClaims({ relay: options.relay, ttlMs: this.#claimTtlMs, status: this.status, logger, now: this.#now });
    this.#follower =
      options.relay &&
      new FeedFollower({
        ...{ relay: options.relay, delivery: this.#delivery, pollMs: options.followMs ?? 1_000, logger, now: this.#now },
        groups: () => [...this.#groups.values()].map((group) => group.topology),
      });
  }

  /** GUILD_CREATE: a guild on one of our shards. */
  addGuild(guildId: string): void {
    if (this.#guildIds.has(guildId)) return;
    this.#guildIds.add(guildId);
    this.#topologyDueAt = 0;
    this.#wake?.();
  }

  /** GUILD_DELETE (removed). */
  removeGuild(guildId: string): void {
    if (this.#guildIds.delete(guildId)) this.#topologyDueAt = 0;
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run().catch((error: unknown) => this.#options.logger.error({ err: error }, "change feed stopped unexpectedly"));
    this.#follower?.start();
  }

  /** Stops polling; a poll or apply in flight finishes (each member's edit is one request); leases are handed back. */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await this.#follower?.stop();
    await Promise.allSettled([...this.#applying]);
    await this.#claims?.releaseAll();
  }

  /** For /metrics. */
  samples(): ChangeFeedSample[] {
    return this.status.groups().map((group) => ({ groupId: group.groupId, caughtUpTo: group.caughtUpTo }));
  }

  async #run(): Promise<void> {
    while (this.#running) {
      if (this.#now() >= this.#topologyDueAt) await this.#refreshTopology();
      const next = this.#nextPoll();
      const wakeAt = Math.min(next?.at ?? Number.POSITIVE_INFINITY, this.#topologyDueAt);
      if (wakeAt > this.#now()) {
        await this.#sleep(wakeAt - this.#now());
        continue;
      }
      if (next) await this.#poll(next.group);
    }
  }

  #nextPoll(): { group: GroupFeed; at: number } | undefined {
    let best: { group: GroupFeed; at: number } | undefined;
    for (const group of this.#groups.values()) {
      const reader = group.topology.reader;
      if (group.busy || !reader || reader.auth !== "api-key") continue;
      const at = Math.max(group.dueAt, this.#nextSlot.get(reader) ?? 0);
      // When the credential's budget is what waits, the group waiting longest goes first (round robin, none starves).
      if (!best || at < best.at || (at === best.at && group.dueAt < best.group.dueAt)) best = { group, at };
    }
    return best;
  }

  async #refreshTopology(): Promise<void> {
    this.#topologyDueAt = this.#now() + this.#options.intervalMs;
    const owned = [...this.#guildIds].filter((guildId) => this.#options.ownsGuild(guildId));
    let topology: Map<number, GroupTopology>;
    try {
      topology = await feedTopology(
        { repositories: this.#options.repositories, contexts: this.#options.contexts, refused: (groupId, reader) => this.#refused.get(groupId)?.has(reader) ?? false },
        owned,
      );
    } catch (error) {
      this.#options.logger.error({ err: error }, "change feed: could not work out which groups to read");
      return;
    }
    for (const groupId of this.#groups.keys()) if (!topology.has(groupId)) this.#groups.delete(groupId);
    for (const [groupId, group] of topology) {
      const feed = this.#groups.get(groupId);
      if (feed) feed.topology = group;
      else this.#groups.set(groupId, { topology: group, dueAt: this.#now(), busy: false });
      this.status.track(group);
      // Another process of the cluster reads the group and hands its entries on: nothing is missing here.
      if (this.#fedFromElsewhere(groupId)) {
        if (group.reader?.auth !== "api-key") this.status.readHere(groupId, false);
        continue;
      }
      if (!group.reader) this.#delivery.problem(group, "no-credential", null);
      else if (group.reader.auth !== "api-key") this.#delivery.problem(group, "no-api-key", null);
    }
    this.status.retain(new Set(topology.keys()));
    for (const groupId of this.#claims?.held() ?? []) if (!topology.has(groupId)) void this.#claims!.drop(groupId, true);
  }

  #fedFromElsewhere(groupId: number): boolean {
    if (!this.#options.relay) return false;
    const lastPollAt = this.status.groups().find((state) => state.groupId === groupId)?.lastPollAt ?? null;
    return lastPollAt !== null && this.#now() - lastPollAt < 2 * this.#options.intervalMs + this.#claimTtlMs;
  }

  async #poll(group: GroupFeed): Promise<void> {
    const { topology } = group;
    const reader = topology.reader!;
    const { groupId } = topology;
    const startedAt = this.#now();
    const tally: RequestTally = { requests: 0 };
    group.dueAt = startedAt + this.#options.intervalMs;
    const taken = this.#claims ? await this.#claims.take(groupId) : undefined;
    if (taken === "elsewhere") {
      // Asked again well within the lease's life, so a holder that died is replaced about one TTL later.
      group.dueAt = startedAt + Math.min(this.#options.intervalMs, this.#claimTtlMs / 3);
      return;
    }
    if (taken === "unavailable") return;
    const claim = taken;
    const scope = claim ? "" : (this.#options.cursorScope?.() ?? "");
    let stored: Awaited<ReturnType<Repositories["feedCursors"]["get"]>>;
    try {
      stored = await this.#options.repositories.feedCursors.get(groupId, scope);
    } catch (error) {
      // The store is unreachable (e.g. PostgreSQL restarting): the group is read at its next interval.
      this.#options.logger.error({ err: error, groupId }, "change feed: could not read the group's place in its log");
      return;
    }
    const cursor: FeedCursor | null = stored ? { newestCreatedAt: stored.newestCreatedAt, newestKeys: stored.newestKeys } : null;
    try {
      const found = await readNewEntries((pageCursor) => reader.readAuditLog(groupId, { cursor: pageCursor, limit: 100 }, tally), cursor, {
        maxPages: MAX_PAGES_PER_POLL,
      });
      this.#refused.get(groupId)?.delete(reader);
      const entries = found.kind === "entries" ? found.entries : [];
      for (const entry of entries) this.#options.metrics.changeFeedEntriesRead.inc({ action: entry.actionType });
      const moved = found.kind === "gap" || entries.length > 0 || cursorMoved(cursor, found.cursor);
      if (claim) {
        const batch: FeedBatch = found.kind === "gap" ? { kind: "gap", polledAt: startedAt, reason: found.reason } : { kind: "entries", polledAt: startedAt, entries };
        await this.#claims!.handOn(groupId, claim, batch, moved ? (token) => this.#saveCursor(groupId, found.cursor, "", token) : null).catch((error: unknown) => {
          this.#options.metrics.changeFeedErrors.inc({ kind: "roblox" });
          this.status.failed(groupId, "could not hand the entries read on to the cluster", this.#now());
          this.#options.logger.warn({ err: error, groupId }, "change feed: could not hand the group's entries on; they are read again next interval");
        });
        return;
      }
      if (found.kind === "gap") {
        this.#delivery.gap(topology, found.reason, startedAt);
        await this.#saveCursor(groupId, found.cursor, scope);
        return;
      }
      if (entries.length === 0) {
        if (moved) await this.#saveCursor(groupId, found.cursor, scope);
        this.status.polled(groupId, startedAt, null);
        return;
      }
      group.busy = true;
      // The cursor moves once the entries are applied: a process stopped before that reads them again
      // (applying twice changes nothing twice: a member already in line is left alone).
      const applying = this.#delivery
        .deliver(topology, { kind: "entries", polledAt: startedAt, entries })
        .then(() => this.#saveCursor(groupId, found.cursor, scope).then(() => undefined))
        .catch((error: unknown) => this.#options.logger.error({ err: error, groupId }, "change feed: could not apply or record a poll"))
        .finally(() => {
          group.busy = false;
          this.#applying.delete(applying);
          this.#wake?.();
        });
      this.#applying.add(applying);
    } catch (error) {
      await this.#readFailed(group, error, claim);
    } finally {
      this.#nextSlot.set(reader, this.#now() + Math.max(1, tally.requests) * this.#spacingMs(reader));
    }
  }

  async #readFailed(group: GroupFeed, error: unknown, claim: FeedClaim | undefined): Promise<void> {
    const { topology } = group;
    const reader = topology.reader!;
    const lasting = (problem: "forbidden" | "unavailable", detail: string | null) =>
      claim ? this.#handOnProblem(topology, problem, detail) : this.#delivery.problem(topology, problem, detail);
    // A 403 on the log (code 23): the key lacks the scope or its owner the group permission; the error names both.
    if (isRobloxError(error) && error.kind === "missing_permission" && error.status === 403) {
      const refused = this.#refused.get(topology.groupId) ?? new Set<RobloxAuditLogReader>();
      refused.add(reader);
      this.#refused.set(topology.groupId, refused);
      group.dueAt = this.#now() + Math.max(this.#options.intervalMs, REFUSED_RETRY_MS);
      // Another bound guild's key may be allowed: look again before the next poll.
      this.#topologyDueAt = 0;
      await lasting("forbidden", error.userMessage);
      return;
    }
    if (isRobloxError(error) && (error.kind === "missing_permission" || error.kind === "invalid_request" || error.kind === "group_not_found" || error.kind === "no_credentials")) {
      group.dueAt = this.#now() + Math.max(this.#options.intervalMs, REFUSED_RETRY_MS);
      await lasting("unavailable", error.message);
      return;
    }
    // Outages and rate limits: the next poll reads on from the same cursor, so nothing is lost.
    this.#options.metrics.changeFeedErrors.inc({ kind: "roblox" });
    this.status.failed(topology.groupId, isRobloxError(error) ? error.message : String(error), this.#now());
    this.#options.logger.warn({ err: error, groupId: topology.groupId }, "change feed: could not read the group's audit log; trying again next interval");
  }

  /** The holder's key cannot read the log: every follower is told, and the lease is let go so a process with another key may try. */
  async #handOnProblem(topology: GroupTopology, problem: "forbidden" | "unavailable", detail: string | null): Promise<void> {
    await this.#options.relay!.publish(topology.groupId, { kind: "problem", polledAt: this.#now(), problem, detail }).catch((error: unknown) => {
      this.#options.logger.warn({ err: error, groupId: topology.groupId }, "change feed: could not tell the cluster that the group's log cannot be read");
      this.#delivery.problem(topology, problem, detail);
    });
    await this.#claims!.drop(topology.groupId, true);
  }

  async #saveCursor(groupId: number, cursor: FeedCursor, scope: string, fence?: number): Promise<boolean> {
    return await this.#options.repositories.feedCursors.save(
      groupId,
      { newestCreatedAt: cursor.newestCreatedAt, newestKeys: [...cursor.newestKeys] },
      { scope, ...(fence === undefined ? {} : { fence }) },
    );
  }

  /** Time between two audit-log requests on one credential: its budget (headers win over the documented 100/min), shared. */
  #spacingMs(reader: RobloxAuditLogReader): number {
    return 60_000 / Math.max(1, reader.auditLogPerMinute() * BUDGET_SHARE);
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      timer.unref?.();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}

/** Whether a poll that found nothing new still moved the cursor (the first read, more keys at the same time). */
function cursorMoved(before: FeedCursor | null, after: FeedCursor): boolean {
  return !(before && before.newestCreatedAt === after.newestCreatedAt && before.newestKeys.length === after.newestKeys.length);
}
