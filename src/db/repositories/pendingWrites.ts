import { and, asc, count, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { pendingRobloxWrites, type EpochMs, type PendingRobloxWrite } from "../schema.ts";
import { assertInteger, atomically, clockOf, normalizeLimit, p, type RepositoryOptions } from "./common.ts";

/** A Roblox rank change that failed and will be retried. */
export interface PendingWriteInput {
  discordId: string;
  robloxUserId: number;
  groupId: number;
  targetRobloxRoleId: number;
  targetRank: number;
  /** First attempt time; defaults to now. */
  nextAttemptAt?: EpochMs;
  /** Error of the attempt that failed before queueing, if any. */
  lastError?: string | null;
}

/**
 * A retry taking due writes for itself. The Roblox request runs outside any transaction, so the
 * claim is a mark on the row: no other claimant gets the row until the claim is released (the
 * attempt is recorded or the row deleted by its holder) or has run out (its holder died).
 */
export interface ClaimRequest {
  /** Unique to this claim; the holder names it to renew, record or delete what it took. */
  claimant: string;
  /** Now, on the clock `nextAttemptAt` is written with: rows due by then whose claim ended by then. */
  at: EpochMs;
  /** How long the claim lasts unless renewed. */
  holdMs: number;
  /** Rows taken at most. Default 1. */
  limit?: number;
}

/** Ordering of due writes: longest due first, then oldest. */
export const byDueThenId = (a: PendingRobloxWrite, b: PendingRobloxWrite) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id;

export interface QueuedWrite {
  write: PendingRobloxWrite;
  /** The older write for the same Roblox user that this one replaced. */
  replaced: PendingRobloxWrite | undefined;
}

/** The row a queued write becomes (both stores). */
export function pendingWriteRow(guildId: string, input: PendingWriteInput, at: EpochMs) {
  return {
    guildId,
    discordId: input.discordId,
    robloxUserId: input.robloxUserId,
    groupId: input.groupId,
    targetRobloxRoleId: input.targetRobloxRoleId,
    targetRank: input.targetRank,
    attempts: 0,
    nextAttemptAt: input.nextAttemptAt ?? at,
    lastError: input.lastError ?? null,
    claimedBy: null,
    claimedUntil: null,
    createdAt: at,
  };
}

export type PendingWriteRepository = ReturnType<typeof createPendingWriteRepository>;

export function createPendingWriteRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);

  const dueStmt = db
    .select()
    .from(pendingRobloxWrites)
    .where(and(eq(pendingRobloxWrites.guildId, p("guildId")), lte(pendingRobloxWrites.nextAttemptAt, p("now"))))
    .orderBy(asc(pendingRobloxWrites.nextAttemptAt), asc(pendingRobloxWrites.id))
    .limit(p("limit"))
    .prepare();
  const byUserStmt = db
    .select()
    .from(pendingRobloxWrites)
    .where(and(eq(pendingRobloxWrites.guildId, p("guildId")), eq(pendingRobloxWrites.robloxUserId, p("robloxUserId"))))
    .prepare();

  const scoped = (guildId: string, id: number) =>
    and(eq(pendingRobloxWrites.guildId, guildId), eq(pendingRobloxWrites.id, id));
  const heldBy = (guildId: string, id: number, claimant: string) => and(scoped(guildId, id), eq(pendingRobloxWrites.claimedBy, claimant));
  const claimable = (at: EpochMs) =>
    and(lte(pendingRobloxWrites.nextAttemptAt, at), or(isNull(pendingRobloxWrites.claimedUntil), lte(pendingRobloxWrites.claimedUntil, at)));

  /**
   * Queues a write, replacing any older one for the same Roblox user. The replacement gets a new
   * id, so a retry worker still holding the old row can't delete or update the newer write.
   */
  function enqueue(guildId: string, input: PendingWriteInput): QueuedWrite {
    assertInteger("robloxUserId", input.robloxUserId);
    return atomically(db, () => {
      const replaced = db
        .delete(pendingRobloxWrites)
        .where(and(eq(pendingRobloxWrites.guildId, guildId), eq(pendingRobloxWrites.robloxUserId, input.robloxUserId)))
        .returning()
        .get();
      const at = now();
      const write = db
        .insert(pendingRobloxWrites)
        .values(pendingWriteRow(guildId, input, at))
        .returning()
        .get();
      return { write, replaced };
    });
  }

  function get(guildId: string, id: number): PendingRobloxWrite | undefined {
    return db.select().from(pendingRobloxWrites).where(scoped(guildId, id)).get();
  }

  /** The write waiting for this user: sync must not revert such a member to their Roblox rank. */
  function getForUser(guildId: string, robloxUserId: number): PendingRobloxWrite | undefined {
    return byUserStmt.get({ guildId, robloxUserId });
  }

  /** Every pending write of the guild, oldest due first (the sync planner loads them all). */
  function list(guildId: string): PendingRobloxWrite[] {
    return db
      .select()
      .from(pendingRobloxWrites)
      .where(eq(pendingRobloxWrites.guildId, guildId))
      .orderBy(asc(pendingRobloxWrites.nextAttemptAt), asc(pendingRobloxWrites.id))
      .all();
  }

  function listDue(guildId: string, at: EpochMs = now(), limit?: number): PendingRobloxWrite[] {
    return dueStmt.all({ guildId, now: at, limit: normalizeLimit(limit, 50) });
  }

  /**
   * Guilds with a write due, for the retry worker. Crosses guilds by design; with several
   * processes sharing the file, each must keep only the guilds on its own shards.
   */
  function guildsWithDue(at: EpochMs = now()): string[] {
    return db
      .selectDistinct({ guildId: pendingRobloxWrites.guildId })
      .from(pendingRobloxWrites)
      .where(lte(pendingRobloxWrites.nextAttemptAt, at))
      .all()
      .map((r) => r.guildId);
  }

  /**
   * Takes up to `limit` due writes that no live claim holds, in one statement (SQLite runs one
   * writer at a time, so two claimants never get the same row).
   */
  function claimDue(request: ClaimRequest): PendingRobloxWrite[] {
    const due = db
      .select({ id: pendingRobloxWrites.id })
      .from(pendingRobloxWrites)
      .where(claimable(request.at))
      .orderBy(asc(pendingRobloxWrites.nextAttemptAt), asc(pendingRobloxWrites.id))
      .limit(normalizeLimit(request.limit, 1));
    return db
      .update(pendingRobloxWrites)
      .set({ claimedBy: request.claimant, claimedUntil: request.at + request.holdMs })
      .where(inArray(pendingRobloxWrites.id, due))
      .returning()
      .all()
      .sort(byDueThenId);
  }

  /** Extends a claim its holder still has. False if the write is gone or another claim took it. */
  function renewClaim(guildId: string, id: number, claimant: string, until: EpochMs): boolean {
    return (
      db
        .update(pendingRobloxWrites)
        .set({ claimedUntil: until })
        .where(heldBy(guildId, id, claimant))
        .returning({ id: pendingRobloxWrites.id })
        .get() !== undefined
    );
  }

  /**
   * Records a failed attempt and when to try next, and frees the write. Only its holder may: undefined
   * if the write is gone, was replaced, or its claim ran out and another claimant took it.
   */
  function markAttempt(
    guildId: string,
    id: number,
    attempt: { error: string; nextAttemptAt: EpochMs; claimant: string },
  ): PendingRobloxWrite | undefined {
    return db
      .update(pendingRobloxWrites)
      .set({
        attempts: sql`${pendingRobloxWrites.attempts} + 1`,
        lastError: attempt.error,
        nextAttemptAt: attempt.nextAttemptAt,
        claimedBy: null,
        claimedUntil: null,
      })
      .where(heldBy(guildId, id, attempt.claimant))
      .returning()
      .get();
  }

  /**
   * Removes a write (it succeeded or was given up). With `claimant`, only while that claim holds it.
   * False if it is gone, was replaced, or is held by another claim.
   */
  function remove(guildId: string, id: number, claimant?: string): boolean {
    const where = claimant === undefined ? scoped(guildId, id) : heldBy(guildId, id, claimant);
    return db.delete(pendingRobloxWrites).where(where).returning({ id: pendingRobloxWrites.id }).get() !== undefined;
  }

  /** Drops the user's write (e.g. they unlinked, or a newer direct write succeeded). */
  function removeForUser(guildId: string, robloxUserId: number): PendingRobloxWrite | undefined {
    return db
      .delete(pendingRobloxWrites)
      .where(and(eq(pendingRobloxWrites.guildId, guildId), eq(pendingRobloxWrites.robloxUserId, robloxUserId)))
      .returning()
      .get();
  }

  function countForGuild(guildId: string): number {
    return db.select({ n: count() }).from(pendingRobloxWrites).where(eq(pendingRobloxWrites.guildId, guildId)).get()!.n;
  }

  /** Total over every guild, for the pending-writes gauge. */
  function countAll(): number {
    return db.select({ n: count() }).from(pendingRobloxWrites).get()!.n;
  }

  return { enqueue, get, getForUser, list, listDue, guildsWithDue, claimDue, renewClaim, markAttempt, delete: remove, removeForUser, count: countForGuild, countAll };
}
