import { and, asc, count, eq, gt, inArray, isNotNull, sql } from "drizzle-orm";
import { assertInteger, clockOf, normalizeLimit, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import { linkFieldsOf, pointsOf, robloxNameStarts, UNLINKED_FIELDS, type LinkResult, type MemberRepository } from "../../repositories/members.ts";
import type { EpochMs, Member } from "../../schema.ts";
import { members, ranks } from "../schema.ts";
import { inTransaction, type PgExec } from "./common.ts";

/** members.ts over PostgreSQL. */
export function createPgMemberRepository(db: PgExec, options?: RepositoryOptions): Promised<MemberRepository> {
  const now = clockOf(options);
  const ofMember = (guildId: string, discordId: string) => and(eq(members.guildId, guildId), eq(members.discordId, discordId));
  const linkedIn = (guildId: string) => and(eq(members.guildId, guildId), isNotNull(members.robloxUserId));

  async function get(guildId: string, discordId: string, exec: PgExec = db): Promise<Member | undefined> {
    const [row] = await exec.select().from(members).where(ofMember(guildId, discordId));
    return row;
  }

  async function findByRobloxUserId(guildId: string, robloxUserId: number, exec: PgExec = db): Promise<Member | undefined> {
    const [row] = await exec.select().from(members).where(and(eq(members.guildId, guildId), eq(members.robloxUserId, robloxUserId)));
    return row;
  }

  async function setStoredRank(guildId: string, discordId: string, rankId: number | null, at: EpochMs = now(), exec: PgExec = db): Promise<Member | undefined> {
    // The EXISTS keeps a rank id from another guild out of this guild's member rows.
    const ofGuild = rankId === null ? undefined : sql`exists (select 1 from ${ranks} where ${ranks.id} = ${rankId} and ${ranks.guildId} = ${guildId})`;
    const [row] = await exec
      .update(members)
      .set({ rankId, rankUpdatedAt: at, updatedAt: at })
      .where(and(ofMember(guildId, discordId), ofGuild))
      .returning();
    return row;
  }

  return {
    get: (guildId, discordId) => get(guildId, discordId),
    findByRobloxUserId: (guildId, robloxUserId) => findByRobloxUserId(guildId, robloxUserId),
    async findByRobloxUserIds(guildId, robloxUserIds) {
      if (robloxUserIds.length === 0) return [];
      return db.select().from(members).where(and(eq(members.guildId, guildId), inArray(members.robloxUserId, [...robloxUserIds])));
    },
    async searchByRobloxUsername(guildId, prefix, limit) {
      if (prefix === "") return [];
      return db
        .select()
        .from(members)
        .where(and(linkedIn(guildId), robloxNameStarts(members.robloxUsername, prefix)))
        .orderBy(asc(members.robloxUsername), asc(members.discordId))
        .limit(normalizeLimit(limit, 10, 100));
    },
    async link(guildId, discordId, input) {
      assertInteger("robloxUserId", input.robloxUserId);
      return inTransaction(db, async (tx): Promise<LinkResult> => {
        // Serialises links in the guild, as SQLite's write lock does: the check and the write are one step.
        await tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`members:${guildId}`}, 0))`);
        const holder = await findByRobloxUserId(guildId, input.robloxUserId, tx);
        if (holder && holder.discordId !== discordId) return { ok: false, reason: "roblox-account-taken", linkedTo: holder.discordId };
        const previous = await get(guildId, discordId, tx);
        const at = now();
        const { linkFields, resetRank } = linkFieldsOf(input, previous, at);
        const [member] = await tx
          .insert(members)
          .values({ guildId, discordId, ...linkFields, createdAt: at, updatedAt: at })
          .onConflictDoUpdate({ target: [members.guildId, members.discordId], set: { ...linkFields, ...resetRank, updatedAt: at } })
          .returning();
        return { ok: true, member: member!, previous };
      });
    },
    unlink(guildId, discordId) {
      return inTransaction(db, async (tx) => {
        const previous = await get(guildId, discordId, tx);
        if (!previous || previous.robloxUserId === null) return undefined;
        await tx.update(members).set({ ...UNLINKED_FIELDS, updatedAt: now() }).where(ofMember(guildId, discordId));
        return previous;
      });
    },
    listLinked(guildId, page = {}) {
      const all = page.after === undefined && page.limit === undefined;
      const query = db
        .select()
        .from(members)
        .where(and(linkedIn(guildId), page.after === undefined ? undefined : gt(members.discordId, page.after)))
        .orderBy(asc(members.discordId));
      return all ? query : query.limit(normalizeLimit(page.limit, 1000, 10_000));
    },
    async listLinkedAccounts(guildId) {
      const rows = await db
        .select({
          discordId: members.discordId,
          robloxUserId: members.robloxUserId,
          robloxUsername: members.robloxUsername,
          robloxDisplayName: members.robloxDisplayName,
          rankId: members.rankId,
        })
        .from(members)
        .where(linkedIn(guildId))
        .orderBy(asc(members.discordId));
      return rows.map((row) => ({ ...row, robloxUserId: row.robloxUserId! }));
    },
    async countLinked(guildId) {
      const [row] = await db.select({ n: count().mapWith(Number) }).from(members).where(linkedIn(guildId));
      return row!.n;
    },
    async updateRobloxUsername(guildId, discordId, robloxUsername) {
      const rows = await db
        .update(members)
        .set({ robloxUsername, updatedAt: now() })
        .where(and(ofMember(guildId, discordId), isNotNull(members.robloxUserId)))
        .returning({ discordId: members.discordId });
      return rows.length > 0;
    },
    async changePoints(guildId, discordId, change) {
      const { amount, initial, max } = pointsOf(change);
      const sign = change.op === "add" ? sql`+` : sql`-`;
      const next = change.op === "set" ? sql`${amount}` : sql`greatest(0, least(${max}, ${members.points} ${sign} ${amount}))`;
      const at = now();
      const [row] = await db
        .insert(members)
        .values({ guildId, discordId, points: initial, createdAt: at, updatedAt: at })
        .onConflictDoUpdate({ target: [members.guildId, members.discordId], set: { points: next, updatedAt: at } })
        .returning({ points: members.points });
      return row!.points;
    },
    setStoredRank: (guildId, discordId, rankId, at) => setStoredRank(guildId, discordId, rankId, at),
  };
}

/**
 * Many members' stored ranks in one statement (a slice of a bulk sync), with setStoredRank's rule:
 * a rank id that is not this guild's leaves the member as they were.
 */
export async function setStoredRanks(exec: PgExec, guildId: string, changes: readonly { discordId: string; rankId: number | null }[], at: EpochMs): Promise<void> {
  // The last change of a member wins, as one update after another would.
  const latest = [...new Map(changes.map((change) => [change.discordId, change.rankId])).entries()];
  for (let i = 0; i < latest.length; i += 1000) {
    const values = sql.join(
      latest.slice(i, i + 1000).map(([discordId, rankId]) => sql`(${discordId}::text, ${rankId}::bigint)`),
      sql`, `,
    );
    await exec.execute(sql`
      update members as m set rank_id = v.rank_id, rank_updated_at = ${at}, updated_at = ${at}
      from (values ${values}) as v(discord_id, rank_id)
      where m.guild_id = ${guildId} and m.discord_id = v.discord_id
        and (v.rank_id is null or exists (select 1 from ranks r where r.id = v.rank_id and r.guild_id = ${guildId}))`);
  }
}

