/** ranks.ts over PostgreSQL: the ladder, each rank's own Discord role read from its rank bind. */
import { and, asc, eq, notInArray, sql } from "drizzle-orm";
import { clockOf, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import { checkedLadder, rankPatchOf, type LadderReplaceResult, type RankRepository } from "../../repositories/ranks.ts";
import type { Rank } from "../../schema.ts";
import { ranks } from "../schema.ts";
import { createPgBindRepository } from "./binds.ts";
import { inTransaction, type PgExec } from "./common.ts";

const rankColumns = {
  id: ranks.id,
  guildId: ranks.guildId,
  position: ranks.position,
  name: ranks.name,
  robloxRoleId: ranks.robloxRoleId,
  robloxRank: ranks.robloxRank,
  // Written out in full: drizzle leaves a single table's columns unqualified.
  discordRoleId: sql<string | null>`(select b.role_ids->>0 from binds b where b.rank_id = "ranks"."id" and b.rank_role)`,
  pointsRequired: ranks.pointsRequired,
  createdAt: ranks.createdAt,
  updatedAt: ranks.updatedAt,
};

export function createPgRankRepository(db: PgExec, options?: RepositoryOptions): Promised<RankRepository> {
  const now = clockOf(options);
  const select = (exec: PgExec) => exec.select(rankColumns).from(ranks);
  const list = (guildId: string, exec: PgExec = db): Promise<Rank[]> => select(exec).where(eq(ranks.guildId, guildId)).orderBy(asc(ranks.position), asc(ranks.id));
  const get = async (guildId: string, rankId: number, exec: PgExec = db): Promise<Rank | undefined> =>
    (await select(exec).where(and(eq(ranks.guildId, guildId), eq(ranks.id, rankId))))[0];
  const findByDiscordRoleId = async (guildId: string, discordRoleId: string, exec: PgExec = db) =>
    (await list(guildId, exec)).filter((rank) => rank.discordRoleId === discordRoleId);

  function edit(guildId: string, rankId: number, patch: Parameters<RankRepository["edit"]>[2]) {
    const { columns, discordRoleId } = rankPatchOf(patch);
    return inTransaction(db, async (tx) => {
      const [row] = await tx.update(ranks).set({ ...columns, updatedAt: now() }).where(and(eq(ranks.guildId, guildId), eq(ranks.id, rankId))).returning({ id: ranks.id });
      if (!row) return undefined;
      if (discordRoleId !== undefined) await createPgBindRepository(tx, options).setRankRole(guildId, rankId, discordRoleId);
      return get(guildId, rankId, tx);
    });
  }

  return {
    list: (guildId) => list(guildId),
    get: (guildId, rankId) => get(guildId, rankId),
    async findByRobloxRoleId(guildId, robloxRoleId) {
      return (await select(db).where(and(eq(ranks.guildId, guildId), eq(ranks.robloxRoleId, robloxRoleId))))[0];
    },
    async findByName(guildId, name) {
      return (await select(db).where(and(eq(ranks.guildId, guildId), sql`lower(${ranks.name}) = lower(${name})`)).orderBy(asc(ranks.position)))[0];
    },
    findByDiscordRoleId: (guildId, discordRoleId) => findByDiscordRoleId(guildId, discordRoleId),
    async replace(guildId, entries) {
      const seen = checkedLadder(entries);
      return inTransaction(db, async (tx): Promise<LadderReplaceResult> => {
        const bindRepository = createPgBindRepository(tx, options);
        const before = new Map((await list(guildId, tx)).map((r) => [r.robloxRoleId, r]));
        const at = now();
        const added: Rank[] = [];
        for (const [position, e] of entries.entries()) {
          const kept = e.pointsRequired !== undefined ? { pointsRequired: e.pointsRequired } : {};
          const [row] = await tx
            .insert(ranks)
            .values({ guildId, position, name: e.name, robloxRoleId: e.robloxRoleId, robloxRank: e.robloxRank, ...kept, createdAt: at, updatedAt: at })
            .onConflictDoUpdate({ target: [ranks.guildId, ranks.robloxRoleId], set: { position, name: e.name, robloxRank: e.robloxRank, ...kept, updatedAt: at } })
            .returning({ id: ranks.id });
          if (e.discordRoleId !== undefined) await bindRepository.setRankRole(guildId, row!.id, e.discordRoleId);
          if (!before.has(e.robloxRoleId)) added.push((await get(guildId, row!.id, tx))!);
        }
        const keep = [...seen];
        // Their binds go with them (ON DELETE CASCADE).
        const removedIds = await tx
          .delete(ranks)
          .where(keep.length > 0 ? and(eq(ranks.guildId, guildId), notInArray(ranks.robloxRoleId, keep)) : eq(ranks.guildId, guildId))
          .returning({ robloxRoleId: ranks.robloxRoleId });
        return { ladder: await list(guildId, tx), added, removed: removedIds.map((row) => before.get(row.robloxRoleId)!) };
      });
    },
    edit,
    bind: (guildId, rankId, discordRoleId) => edit(guildId, rankId, { discordRoleId }),
    unbind: (guildId, rankId) => edit(guildId, rankId, { discordRoleId: null }),
    unbindDiscordRole: (guildId, discordRoleId) =>
      inTransaction(db, async (tx) => {
        const affected = await findByDiscordRoleId(guildId, discordRoleId, tx);
        await createPgBindRepository(tx, options).forgetRole(guildId, discordRoleId);
        return affected;
      }),
  };
}
