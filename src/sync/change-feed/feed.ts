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
 * A little over 300 lines on purpose: the poll loop, its spacing per credential and its gap handling
 * share one state per group; reading, folding and applying entries are in their own files.
 */
import type { Repositories } from "../../services/storage-port.ts";
import type { Logger } from "../../observability/logger.ts";
import type { ChangeFeedSample, Metrics } from "../../observability/metrics.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import { type AuditLogEntry, isRobloxError, type RequestTally, type RobloxAuditLogReader } from "../../services/roblox-port.ts";
import { applyToGuild, type FeedApplyDeps } from "./apply.ts";
import { readNewEntries, type FeedCursor } from "./new-entries.ts";
import type { OwnWrites } from "./own-writes.ts";
import { entriesByMember, isMemberEntry } from "./standings.ts";
import { FeedStatus, type FeedProblemKind } from "./status.ts";
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
  #topologyDueAt = 0;
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  readonly #applying = new Set<Promise<void>>();

  constructor(options: ChangeFeedOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.status = new FeedStatus(options.intervalMs);
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
  }

  /** Stops polling; a poll or apply in flight finishes (each member's edit is one request). */
  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
    await Promise.allSettled([...this.#applying]);
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
      if (!group.reader) this.#problem(group, "no-credential", null);
      else if (group.reader.auth !== "api-key") this.#problem(group, "no-api-key", null);
    }
    this.status.retain(new Set(topology.keys()));
  }

  async #poll(group: GroupFeed): Promise<void> {
    const { topology } = group;
    const reader = topology.reader!;
    const { groupId } = topology;
    const startedAt = this.#now();
    const tally: RequestTally = { requests: 0 };
    group.dueAt = startedAt + this.#options.intervalMs;
    let stored: Awaited<ReturnType<Repositories["feedCursors"]["get"]>>;
    try {
      stored = await this.#options.repositories.feedCursors.get(groupId);
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
      if (found.kind === "gap") {
        this.#options.metrics.changeFeedErrors.inc({ kind: "gap" });
        this.#options.logger.warn({ groupId, reason: found.reason, guilds: topology.guildIds }, "change feed: gap in the group's audit log; running a full sync");
        this.#fullSyncAll(topology, `gap (${found.reason})`);
        await this.#saveCursor(groupId, found.cursor);
        this.status.gap(groupId, found.reason, startedAt);
        return;
      }
      if (found.kind === "started" || found.entries.length === 0) {
        await this.#saveCursorIfMoved(groupId, cursor, found.cursor);
        this.status.polled(groupId, startedAt, null);
        return;
      }
      for (const entry of found.entries) this.#options.metrics.changeFeedEntriesRead.inc({ action: entry.actionType });
      group.busy = true;
      // The cursor moves once the entries are applied: a process stopped before that reads them again
      // (applying twice changes nothing twice: a member already in line is left alone).
      const applying = this.#applyAll(topology, found.entries, startedAt)
        .then(() => this.#saveCursor(groupId, found.cursor))
        .catch((error: unknown) => this.#options.logger.error({ err: error, groupId }, "change feed: could not apply or record a poll"))
        .finally(() => {
        group.busy = false;
        this.#applying.delete(applying);
        this.#wake?.();
      });
      this.#applying.add(applying);
    } catch (error) {
      this.#readFailed(group, error);
    } finally {
      this.#nextSlot.set(reader, this.#now() + Math.max(1, tally.requests) * this.#spacingMs(reader));
    }
  }

  async #applyAll(topology: GroupTopology, entries: readonly AuditLogEntry[], startedAt: number): Promise<void> {
    const { groupId } = topology;
    const byMember = entriesByMember(entries);
    // Decided once per entry (recognising one teaches the feed our actor id), whatever guilds follow.
    const own = new Set(entries.filter((entry) => isMemberEntry(entry) && this.#options.ownWrites.isOwn(groupId, entry)));
    if (own.size > 0) this.#options.metrics.changeFeedOwnEntries.inc(own.size);
    const isOwn = (entry: AuditLogEntry) => own.has(entry);
    const deps: FeedApplyDeps = { ...this.#options.apply, repositories: this.#options.repositories, contexts: this.#options.contexts, logger: this.#options.logger };
    let failed = false;
    for (const guildId of topology.guildIds) {
      if (!this.#options.ownsGuild(guildId)) continue;
      try {
        const result = await applyToGuild(deps, guildId, groupId, byMember, isOwn);
        if (result.kind !== "applied") continue;
        for (const { change, result: synced } of result.applied) {
          const last = change.entries.at(-1)!;
          const changed = synced.discordChange === "updated" || synced.storedChange === "updated";
          if (changed) this.#options.metrics.changeFeedEntriesApplied.inc({ action: last.actionType });
          if (synced.discordChange === "updated") this.#options.metrics.changeFeedDelay.observe(Math.max(0, this.#now() - last.created.getTime()) / 1000);
        }
        if (result.held) {
          this.#options.logger.warn({ guildId, groupId, leaving: result.held.affected, linked: result.held.linked }, "change feed: more members left the group than the mass-change threshold; held for an admin");
          this.#options.fullSync(guildId, "mass change from the audit log");
        }
      } catch (error) {
        failed = true;
        this.#options.metrics.changeFeedErrors.inc({ kind: "apply" });
        this.#options.logger.error({ err: error, guildId, groupId }, "change feed: could not apply the group's changes; running a full sync");
        this.#options.fullSync(guildId, "change feed could not apply");
      }
    }
    this.status.polled(groupId, startedAt, failed ? "apply" : null);
  }

  #readFailed(group: GroupFeed, error: unknown): void {
    const { topology } = group;
    const reader = topology.reader!;
    // A 403 on the log (code 23): the key lacks the scope or its owner the group permission; the error names both.
    if (isRobloxError(error) && error.kind === "missing_permission" && error.status === 403) {
      const refused = this.#refused.get(topology.groupId) ?? new Set<RobloxAuditLogReader>();
      refused.add(reader);
      this.#refused.set(topology.groupId, refused);
      group.dueAt = this.#now() + Math.max(this.#options.intervalMs, REFUSED_RETRY_MS);
      // Another bound guild's key may be allowed: look again before the next poll.
      this.#topologyDueAt = 0;
      this.#problem(topology, "forbidden", error.userMessage);
      return;
    }
    if (isRobloxError(error) && (error.kind === "missing_permission" || error.kind === "invalid_request" || error.kind === "group_not_found" || error.kind === "no_credentials")) {
      group.dueAt = this.#now() + Math.max(this.#options.intervalMs, REFUSED_RETRY_MS);
      this.#problem(topology, "unavailable", error.message);
      return;
    }
    // Outages and rate limits: the next poll reads on from the same cursor, so nothing is lost.
    this.#options.metrics.changeFeedErrors.inc({ kind: "roblox" });
    this.status.failed(topology.groupId, isRobloxError(error) ? error.message : String(error), this.#now());
    this.#options.logger.warn({ err: error, groupId: topology.groupId }, "change feed: could not read the group's audit log; trying again next interval");
  }

  /** A lasting problem: warned about and answered with a full sync once, when it starts. */
  #problem(topology: GroupTopology, kind: FeedProblemKind, detail: string | null): void {
    const metricKind = kind === "no-api-key" ? "no_api_key" : kind === "no-credential" ? null : kind;
    if (!this.status.problem(topology.groupId, kind, detail, this.#now())) return;
    if (metricKind) this.#options.metrics.changeFeedErrors.inc({ kind: metricKind });
    if (kind === "no-credential") return;
    this.#options.logger.warn(
      { groupId: topology.groupId, guilds: topology.guildIds, problem: kind },
      `change feed: the audit log of group ${topology.groupId} cannot be read${detail ? `: ${detail}` : kind === "no-api-key" ? ": it needs an Open Cloud API key with the legacy-group:manage scope" : ""}. Changes made on Roblox reach Discord at the periodic sync instead.`,
    );
    if (kind !== "no-api-key") this.#fullSyncAll(topology, `audit log ${kind}`);
  }

  #fullSyncAll(topology: GroupTopology, reason: string): void {
    for (const guildId of topology.guildIds) if (this.#options.ownsGuild(guildId)) this.#options.fullSync(guildId, reason);
  }

  async #saveCursorIfMoved(groupId: number, before: FeedCursor | null, after: FeedCursor): Promise<void> {
    if (before && before.newestCreatedAt === after.newestCreatedAt && before.newestKeys.length === after.newestKeys.length) return;
    await this.#saveCursor(groupId, after);
  }

  async #saveCursor(groupId: number, cursor: FeedCursor): Promise<void> {
    await this.#options.repositories.feedCursors.save(groupId, { newestCreatedAt: cursor.newestCreatedAt, newestKeys: [...cursor.newestKeys] });
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
