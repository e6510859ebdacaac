/** syncRequests.ts over PostgreSQL: claims lock their rows (`FOR UPDATE SKIP LOCKED`), so concurrent claimers never share one. */
import { and, asc, desc, eq, inArray, lt, or } from "drizzle-orm";
import { clockOf, normalizeLimit, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import { requestRow, type SyncRequestRepository } from "../../repositories/syncRequests.ts";
import type { EpochMs } from "../../schema.ts";
import { syncRequests } from "../schema.ts";
import { inTransaction, type PgExec } from "./common.ts";

const claimable = (staleBefore: EpochMs) =>
  or(eq(syncRequests.status, "queued"), and(eq(syncRequests.status, "claimed"), lt(syncRequests.claimedAt, staleBefore)));

export function createPgSyncRequestRepository(db: PgExec, options?: RepositoryOptions): Promised<SyncRequestRepository> {
  const now = clockOf(options);
  const first = async <T>(rows: Promise<T[]>) => (await rows)[0];
  const queuedOf = (exec: PgExec, guildId: string) =>
    first(exec.select().from(syncRequests).where(and(eq(syncRequests.guildId, guildId), eq(syncRequests.status, "queued"))));

  return {
    enqueue: (guildId, input) =>
      inTransaction(db, async (tx) => {
        // The partial unique index decides between two processes inserting at once; the loser joins the winner's row.
        const [inserted] = await tx.insert(syncRequests).values(requestRow(guildId, input, now())).onConflictDoNothing().returning();
        if (inserted) return { request: inserted, joined: false };
        const queued = await queuedOf(tx, guildId);
        if (!queued) throw new Error(`sync request of guild ${guildId} neither inserted nor queued`);
        return { request: queued, joined: true };
      }),
    claimableRequests: (staleBefore, limit) =>
      db.select().from(syncRequests).where(claimable(staleBefore)).orderBy(asc(syncRequests.id)).limit(normalizeLimit(limit, 100)),
    async claim(ids, claimer, staleBefore) {
      if (ids.length === 0) return [];
      const free = db
        .select({ id: syncRequests.id })
        .from(syncRequests)
        .where(and(inArray(syncRequests.id, [...ids]), claimable(staleBefore)))
        .for("update", { skipLocked: true });
      const rows = await db
        .update(syncRequests)
        .set({ status: "claimed", claimedAt: now(), claimedBy: claimer })
        .where(and(inArray(syncRequests.id, free), claimable(staleBefore)))
        .returning();
      return rows.sort((a, b) => a.id - b.id);
    },
    settle(guildId, id, settlement) {
      const set = settlement.status === "done" ? { status: "done" as const, runId: settlement.runId } : { status: "refused" as const, refusal: settlement.refusal };
      return first(db.update(syncRequests).set(set).where(and(eq(syncRequests.guildId, guildId), eq(syncRequests.id, id))).returning());
    },
    get: (guildId, id) => first(db.select().from(syncRequests).where(and(eq(syncRequests.guildId, guildId), eq(syncRequests.id, id)))),
    latest: (guildId) => first(db.select().from(syncRequests).where(eq(syncRequests.guildId, guildId)).orderBy(desc(syncRequests.id)).limit(1)),
    async prune(before) {
      const gone = await db
        .delete(syncRequests)
        .where(and(inArray(syncRequests.status, ["done", "refused"]), lt(syncRequests.requestedAt, before)))
        .returning({ id: syncRequests.id });
      return gone.length;
    },
  };
}
