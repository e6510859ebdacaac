import { and, asc, eq, sql } from "drizzle-orm";
import { BindRankNotFoundError, conditionColumns, sameConditionRow, toStoredBind, type BindRepository } from "../../repositories/binds.ts";
import { clockOf, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import { binds, ranks } from "../schema.ts";
import { inTransaction, type PgExec } from "./common.ts";

/** binds.ts over PostgreSQL. */
export function createPgBindRepository(db: PgExec, options?: RepositoryOptions): Promised<BindRepository> {
  const now = clockOf(options);
  const rows = (guildId: string, exec: PgExec = db) => exec.select().from(binds).where(eq(binds.guildId, guildId)).orderBy(asc(binds.id));

  return {
    async list(guildId) {
      return (await rows(guildId)).map(toStoredBind);
    },
    async get(guildId, bindId) {
      const [row] = await db.select().from(binds).where(and(eq(binds.guildId, guildId), eq(binds.id, bindId)));
      return row ? toStoredBind(row) : undefined;
    },
    async add(guildId, condition, roleIds) {
      if (roleIds.length === 0) throw new RangeError("a bind gives at least one role");
      return inTransaction(db, async (tx) => {
        if (condition.kind === "rank") {
          const [rank] = await tx.select({ id: ranks.id }).from(ranks).where(and(eq(ranks.guildId, guildId), eq(ranks.id, condition.rankId)));
          if (!rank) throw new BindRankNotFoundError(guildId, condition.rankId);
        }
        // Adds to one guild's binds queue here, so two adds of one condition make one bind.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`binds:${guildId}`}, 0))`);
        const at = now();
        const existing = (await rows(guildId, tx)).find((row) => !row.rankRole && sameConditionRow(row, condition));
        if (existing) {
          const merged = [...new Set([...existing.roleIds, ...roleIds])];
          const [row] = await tx.update(binds).set({ roleIds: merged, updatedAt: at }).where(eq(binds.id, existing.id)).returning();
          return { bind: toStoredBind(row!), created: false };
        }
        const [row] = await tx
          .insert(binds)
          .values({ guildId, ...conditionColumns(condition), roleIds: [...new Set(roleIds)], rankRole: false, createdAt: at, updatedAt: at })
          .returning();
        return { bind: toStoredBind(row!), created: true };
      });
    },
    async remove(guildId, bindId) {
      const [row] = await db.delete(binds).where(and(eq(binds.guildId, guildId), eq(binds.id, bindId))).returning();
      return row ? toStoredBind(row) : undefined;
    },
    forgetRole(guildId, roleId) {
      return inTransaction(db, async (tx) => {
        const affected = await tx
          .select()
          .from(binds)
          .where(and(eq(binds.guildId, guildId), sql`${binds.roleIds} @> jsonb_build_array(${roleId}::text)`));
        const at = now();
        for (const row of affected) {
          const left = row.roleIds.filter((id) => id !== roleId);
          if (left.length === 0) await tx.delete(binds).where(eq(binds.id, row.id));
          else await tx.update(binds).set({ roleIds: left, updatedAt: at }).where(eq(binds.id, row.id));
        }
        return affected.map(toStoredBind);
      });
    },
    async rankRoles(guildId) {
      const found = new Map<number, string>();
      for (const row of await rows(guildId)) if (row.rankRole && row.rankId !== null && row.roleIds[0]) found.set(row.rankId, row.roleIds[0]);
      return found;
    },
    async setRankRole(guildId, rankId, roleId) {
      const at = now();
      const where = and(eq(binds.guildId, guildId), eq(binds.rankId, rankId), eq(binds.rankRole, true));
      if (roleId === null) {
        await db.delete(binds).where(where);
        return;
      }
      const updated = await db.update(binds).set({ roleIds: [roleId], updatedAt: at }).where(where).returning({ id: binds.id });
      if (updated.length === 0) await db.insert(binds).values({ guildId, kind: "rank", rankId, roleIds: [roleId], rankRole: true, createdAt: at, updatedAt: at });
    },
    async purge(guildId) {
      await db.delete(binds).where(eq(binds.guildId, guildId));
    },
  };
}
