import { and, asc, count, eq, inArray, isNull, lte, or, sql } from "drizzle-orm";
import { assertInteger, clockOf, normalizeLimit, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import { byDueThenId, pendingWriteRow, type PendingWriteRepository } from "../../repositories/pendingWrites.ts";
import { pendingRobloxWrites } from "../schema.ts";
import { inTransaction, type PgExec } from "./common.ts";

/** pendingWrites.ts over PostgreSQL. */
export function createPgPendingWriteRepository(db: PgExec, options?: RepositoryOptions): Promised<PendingWriteRepository> {
  const now = clockOf(options);
  const scoped = (guildId: string, id: number) => and(eq(pendingRobloxWrites.guildId, guildId), eq(pendingRobloxWrites.id, id));
  const ofUser = (guildId: string, robloxUserId: number) => and(eq(pendingRobloxWrites.guildId, guildId), eq(pendingRobloxWrites.robloxUserId, robloxUserId));
  const heldBy = (guildId: string, id: number, claimant: string) => and(scoped(guildId, id), eq(pendingRobloxWrites.claimedBy, claimant));
  const first = async <T>(rows: Promise<T[]>) => (await rows)[0];

  return {
    async enqueue(guildId, input) {
      assertInteger("robloxUserId", input.robloxUserId);
      return inTransaction(db, async (tx) => {
        const [replaced] = await tx.delete(pendingRobloxWrites).where(ofUser(guildId, input.robloxUserId)).returning();
        const [write] = await tx.insert(pendingRobloxWrites).values(pendingWriteRow(guildId, input, now())).returning();
        return { write: write!, replaced };
      });
    },
    get: (guildId, id) => first(db.select().from(pendingRobloxWrites).where(scoped(guildId, id))),
    getForUser: (guildId, robloxUserId) => first(db.select().from(pendingRobloxWrites).where(ofUser(guildId, robloxUserId))),
    list: (guildId) =>
      db.select().from(pendingRobloxWrites).where(eq(pendingRobloxWrites.guildId, guildId)).orderBy(asc(pendingRobloxWrites.nextAttemptAt), asc(pendingRobloxWrites.id)),
    listDue: (guildId, at = now(), limit) =>
      db
        .select()
        .from(pendingRobloxWrites)
        .where(and(eq(pendingRobloxWrites.guildId, guildId), lte(pendingRobloxWrites.nextAttemptAt, at)))
        .orderBy(asc(pendingRobloxWrites.nextAttemptAt), asc(pendingRobloxWrites.id))
        .limit(normalizeLimit(limit, 50)),
    async guildsWithDue(at = now()) {
      const rows = await db.selectDistinct({ guildId: pendingRobloxWrites.guildId }).from(pendingRobloxWrites).where(lte(pendingRobloxWrites.nextAttemptAt, at));
      return rows.map((row) => row.guildId);
    },
    // The due rows are locked as they are picked, and rows another claimant's statement has
    // locked are skipped rather than waited for: concurrent claimants get disjoint rows at once.
    async claimDue(request) {
      const due = db
        .select({ id: pendingRobloxWrites.id })
        .from(pendingRobloxWrites)
        .where(and(lte(pendingRobloxWrites.nextAttemptAt, request.at), or(isNull(pendingRobloxWrites.claimedUntil), lte(pendingRobloxWrites.claimedUntil, request.at))))
        .orderBy(asc(pendingRobloxWrites.nextAttemptAt), asc(pendingRobloxWrites.id))
        .limit(normalizeLimit(request.limit, 1))
        .for("update", { skipLocked: true });
      const claimed = await db
        .update(pendingRobloxWrites)
        .set({ claimedBy: request.claimant, claimedUntil: request.at + request.holdMs })
        .where(inArray(pendingRobloxWrites.id, due))
        .returning();
      return claimed.sort(byDueThenId);
    },
    async renewClaim(guildId, id, claimant, until) {
      return (await db.update(pendingRobloxWrites).set({ claimedUntil: until }).where(heldBy(guildId, id, claimant)).returning({ id: pendingRobloxWrites.id })).length > 0;
    },
    markAttempt: (guildId, id, attempt) =>
      first(
        db
          .update(pendingRobloxWrites)
          .set({ attempts: sql`${pendingRobloxWrites.attempts} + 1`, lastError: attempt.error, nextAttemptAt: attempt.nextAttemptAt, claimedBy: null, claimedUntil: null })
          .where(heldBy(guildId, id, attempt.claimant))
          .returning(),
      ),
    async delete(guildId, id, claimant) {
      const where = claimant === undefined ? scoped(guildId, id) : heldBy(guildId, id, claimant);
      return (await db.delete(pendingRobloxWrites).where(where).returning({ id: pendingRobloxWrites.id })).length > 0;
    },
    removeForUser: (guildId, robloxUserId) => first(db.delete(pendingRobloxWrites).where(ofUser(guildId, robloxUserId)).returning()),
    async count(guildId) {
      const [row] = await db.select({ n: count().mapWith(Number) }).from(pendingRobloxWrites).where(eq(pendingRobloxWrites.guildId, guildId));
      return row!.n;
    },
    async countAll() {
      const [row] = await db.select({ n: count().mapWith(Number) }).from(pendingRobloxWrites);
      return row!.n;
    },
  };
}
