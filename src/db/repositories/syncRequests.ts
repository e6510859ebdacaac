/**
 * Sync requests from the dashboard for a guild another process runs (design §8): queued by the
 * process that served the page, claimed once by the process of the guild's shard, settled with the
 * run they started (or why they were refused). One queued request per guild; a second one joins it.
 */
import { and, asc, desc, eq, inArray, lt, or } from "drizzle-orm";
import type { Db } from "../client.ts";
import { syncRequests, type EpochMs, type SyncRequest } from "../schema.ts";
import { atomically, clockOf, normalizeLimit, runCounting, type RepositoryOptions } from "./common.ts";

export interface NewSyncRequest {
  actorId: string;
  action: SyncRequest["action"];
  dryRun?: boolean;
  force?: boolean;
  /** apply / cancel: the held run answered. */
  runId?: number | null;
}

/** The request now queued for the guild, and whether it was already there (the new one joined it). */
export interface EnqueuedSyncRequest {
  request: SyncRequest;
  joined: boolean;
}

export type SyncRequestSettlement = { status: "done"; runId: number | null } | { status: "refused"; refusal: string };

export type SyncRequestRepository = ReturnType<typeof createSyncRequestRepository>;

/** Queued, or claimed so long ago (`staleBefore`) that its claimer must have died before settling it. */
export const claimable = (staleBefore: EpochMs) =>
  or(eq(syncRequests.status, "queued"), and(eq(syncRequests.status, "claimed"), lt(syncRequests.claimedAt, staleBefore)));

export const requestRow = (guildId: string, input: NewSyncRequest, at: EpochMs) => ({
  guildId,
  actorId: input.actorId,
  action: input.action,
  dryRun: input.dryRun ?? false,
  force: input.force ?? false,
  runId: input.runId ?? null,
  requestedAt: at,
});

export function createSyncRequestRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);
  const queuedOf = (guildId: string) =>
    db
      .select()
      .from(syncRequests)
      .where(and(eq(syncRequests.guildId, guildId), eq(syncRequests.status, "queued")))
      .get();

  return {
    enqueue(guildId: string, input: NewSyncRequest): EnqueuedSyncRequest {
      return atomically(db, () => {
        const queued = queuedOf(guildId);
        if (queued) return { request: queued, joined: true };
        return { request: db.insert(syncRequests).values(requestRow(guildId, input, now())).returning().get(), joined: false };
      });
    },

    /** Oldest first: the requests a claimer may take (it keeps those of its own guilds). */
    claimableRequests(staleBefore: EpochMs, limit?: number): SyncRequest[] {
      return db.select().from(syncRequests).where(claimable(staleBefore)).orderBy(asc(syncRequests.id)).limit(normalizeLimit(limit, 100)).all();
    },

    /** Claims those of `ids` still claimable; each row goes to exactly one claimer (SQLite's one writer). */
    claim(ids: readonly number[], claimer: string, staleBefore: EpochMs): SyncRequest[] {
      if (ids.length === 0) return [];
      return db
        .update(syncRequests)
        .set({ status: "claimed", claimedAt: now(), claimedBy: claimer })
        .where(and(inArray(syncRequests.id, [...ids]), claimable(staleBefore)))
        .returning()
        .all()
        .sort((a, b) => a.id - b.id);
    },

    /** The claimer acted: the run it started or joined, or why it could not. */
    settle(guildId: string, id: number, settlement: SyncRequestSettlement): SyncRequest | undefined {
      const set = settlement.status === "done" ? { status: "done" as const, runId: settlement.runId } : { status: "refused" as const, refusal: settlement.refusal };
      return db
        .update(syncRequests)
        .set(set)
        .where(and(eq(syncRequests.guildId, guildId), eq(syncRequests.id, id)))
        .returning()
        .get();
    },

    get(guildId: string, id: number): SyncRequest | undefined {
      return db
        .select()
        .from(syncRequests)
        .where(and(eq(syncRequests.guildId, guildId), eq(syncRequests.id, id)))
        .get();
    },

    /** The guild's newest request. */
    latest(guildId: string): SyncRequest | undefined {
      return db.select().from(syncRequests).where(eq(syncRequests.guildId, guildId)).orderBy(desc(syncRequests.id)).limit(1).get();
    },

    /** Retention: settled requests asked before `before` go. */
    prune(before: EpochMs): number {
      return runCounting(db, db.delete(syncRequests).where(and(inArray(syncRequests.status, ["done", "refused"]), lt(syncRequests.requestedAt, before))));
    },
  };
}
