import { and, asc, count, eq, gt, inArray, isNotNull, sql, type SQLWrapper } from "drizzle-orm";
import type { Db } from "../client.ts";
import { members, ranks, type EpochMs, type Member, type VerificationMethod } from "../schema.ts";
import { assertInteger, atomically, clamp, clockOf, normalizeLimit, p, type RepositoryOptions } from "./common.ts";

/** Points live in [0, MAX_POINTS]; changes beyond either end are clamped, not rejected. */
export const MAX_POINTS = 1_000_000_000;

export interface LinkInput {
  robloxUserId: number;
  robloxUsername: string;
  /** Roblox display name (`{display-name}`); null or absent when the link's proof did not give it. */
  robloxDisplayName?: string | null;
  verifiedBy: VerificationMethod;
  verifiedAt?: EpochMs;
}

export type LinkResult =
  | { ok: true; member: Member; /** the row before linking, if there was one */ previous: Member | undefined }
  | { ok: false; reason: "roblox-account-taken"; /** Discord id already linked to that Roblox account */ linkedTo: string };

export type PointsChange = { op: "add" | "remove" | "set"; amount: number };

export interface PageOptions {
  /** Keyset cursor: the last discord id of the previous page. */
  after?: string;
  /** Omit for every row. */
  limit?: number;
}

/** What a sync needs of a linked member, without the rest of the row (a large guild has tens of thousands). */
export interface LinkedAccountRow {
  discordId: string;
  robloxUserId: number;
  robloxUsername: string | null;
  robloxDisplayName: string | null;
  rankId: number | null;
}

/** A Roblox username starting with `prefix`, case-insensitive (no LIKE, so `_` and `%` are plain characters). */
export const robloxNameStarts = (column: SQLWrapper, prefix: string) => sql`substr(lower(${column}), 1, ${prefix.length}) = ${prefix.toLowerCase()}`;

/** The columns a link writes, and whether it clears the stored rank (a different account: it described the old one). */
export function linkFieldsOf(input: LinkInput, previous: Member | undefined, at: EpochMs) {
  const linkFields = {
    robloxUserId: input.robloxUserId,
    robloxUsername: input.robloxUsername,
    robloxDisplayName: input.robloxDisplayName ?? null,
    verifiedBy: input.verifiedBy,
    verifiedAt: input.verifiedAt ?? at,
  };
  const resetRank = previous?.robloxUserId !== input.robloxUserId ? { rankId: null, rankUpdatedAt: null } : {};
  return { linkFields, resetRank };
}

/** What an unlink clears (points stay). */
export const UNLINKED_FIELDS = {
  robloxUserId: null,
  robloxUsername: null,
  robloxDisplayName: null,
  verifiedBy: null,
  verifiedAt: null,
  rankId: null,
  rankUpdatedAt: null,
} as const;

/** A points change checked and clamped: the amount to apply, and the balance of a new row. */
export function pointsOf(change: PointsChange): { amount: number; initial: number; max: number } {
  assertInteger("amount", change.amount);
  if (change.amount < 0) throw new RangeError(`amount must not be negative, got ${change.amount}`);
  const amount = Math.min(change.amount, MAX_POINTS);
  return { amount, initial: change.op === "remove" ? 0 : clamp(amount, 0, MAX_POINTS), max: MAX_POINTS };
}

export type MemberRepository = ReturnType<typeof createMemberRepository>;

export function createMemberRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);

  const getStmt = db
    .select()
    .from(members)
    .where(and(eq(members.guildId, p("guildId")), eq(members.discordId, p("discordId"))))
    .prepare();
  const byRobloxStmt = db
    .select()
    .from(members)
    .where(and(eq(members.guildId, p("guildId")), eq(members.robloxUserId, p("robloxUserId"))))
    .prepare();
  const linkedAllStmt = db
    .select()
    .from(members)
    .where(and(eq(members.guildId, p("guildId")), isNotNull(members.robloxUserId)))
    .orderBy(asc(members.discordId))
    .prepare();
  const linkedAccountsStmt = db
    .select({
      discordId: members.discordId,
      robloxUserId: members.robloxUserId,
      robloxUsername: members.robloxUsername,
      robloxDisplayName: members.robloxDisplayName,
      rankId: members.rankId,
    })
    .from(members)
    .where(and(eq(members.guildId, p("guildId")), isNotNull(members.robloxUserId)))
    .orderBy(asc(members.discordId))
    .prepare();
  const linkedPageStmt = db
    .select()
    .from(members)
    .where(
      and(eq(members.guildId, p("guildId")), isNotNull(members.robloxUserId), gt(members.discordId, p("after"))),
    )
    .orderBy(asc(members.discordId))
    .limit(p("limit"))
    .prepare();
  // The EXISTS keeps a rank id from another guild out of this guild's member rows.
  const setRankStmt = db
    .update(members)
    .set({ rankId: sql`${p("rankId")}`, rankUpdatedAt: sql`${p("at")}`, updatedAt: sql`${p("at")}` })
    .where(
      and(
        eq(members.guildId, p("guildId")),
        eq(members.discordId, p("discordId")),
        sql`(${p("rankId")} IS NULL OR EXISTS (SELECT 1 FROM ${ranks} WHERE ${ranks.id} = ${p("rankId")} AND ${ranks.guildId} = ${p("guildId")}))`,
      ),
    )
    .returning()
    .prepare();

  function get(guildId: string, discordId: string): Member | undefined {
    return getStmt.get({ guildId, discordId });
  }

  function findByRobloxUserId(guildId: string, robloxUserId: number): Member | undefined {
    return byRobloxStmt.get({ guildId, robloxUserId });
  }

  /** The members linked to any of these Roblox accounts (one read for a batch, e.g. a poll of the change feed). */
  function findByRobloxUserIds(guildId: string, robloxUserIds: readonly number[]): Member[] {
    if (robloxUserIds.length === 0) return [];
    return db
      .select()
      .from(members)
      .where(and(eq(members.guildId, guildId), inArray(members.robloxUserId, [...robloxUserIds])))
      .all();
  }

  /**
   * Linked members whose Roblox username starts with `prefix` (case-insensitive; Roblox names are
   * ASCII), by username, at most `limit`: the dashboard's member lookup. This guild's rows only.
   */
  function searchByRobloxUsername(guildId: string, prefix: string, limit?: number): Member[] {
    if (prefix === "") return [];
    return db
      .select()
      .from(members)
      .where(and(eq(members.guildId, guildId), isNotNull(members.robloxUserId), robloxNameStarts(members.robloxUsername, prefix)))
      .orderBy(asc(members.robloxUsername), asc(members.discordId))
      .limit(normalizeLimit(limit, 10, 100))
      .all();
  }

  /**
   * Links the Discord member to a Roblox account. Refused if that account is linked to someone
   * else in this guild. Relinking to a different account clears the stored rank (it described
   * the old account); relinking the same account keeps it.
   */
  function link(guildId: string, discordId: string, input: LinkInput): LinkResult {
    assertInteger("robloxUserId", input.robloxUserId);
    return atomically(db, (): LinkResult => {
      const holder = findByRobloxUserId(guildId, input.robloxUserId);
      if (holder && holder.discordId !== discordId) {
        return { ok: false, reason: "roblox-account-taken", linkedTo: holder.discordId };
      }
      const previous = get(guildId, discordId);
      const at = now();
      const { linkFields, resetRank } = linkFieldsOf(input, previous, at);
      const member = db
        .insert(members)
        .values({ guildId, discordId, ...linkFields, createdAt: at, updatedAt: at })
        .onConflictDoUpdate({
          target: [members.guildId, members.discordId],
          set: { ...linkFields, ...resetRank, updatedAt: at },
        })
        .returning()
        .get();
      return { ok: true, member, previous };
    });
  }

  /**
   * Removes the link (and the stored rank, which mirrored the Roblox account); points stay.
   * Returns the row as it was before, or undefined if the member was not linked.
   */
  function unlink(guildId: string, discordId: string): Member | undefined {
    return atomically(db, () => {
      const previous = get(guildId, discordId);
      if (!previous || previous.robloxUserId === null) return undefined;
      db.update(members)
        .set({ ...UNLINKED_FIELDS, updatedAt: now() })
        .where(and(eq(members.guildId, guildId), eq(members.discordId, discordId)))
        .run();
      return previous;
    });
  }

  /** Linked members ordered by discord id: all of them, or one keyset page. */
  function listLinked(guildId: string, page: PageOptions = {}): Member[] {
    if (page.after === undefined && page.limit === undefined) return linkedAllStmt.all({ guildId });
    return linkedPageStmt.all({ guildId, after: page.after ?? "", limit: normalizeLimit(page.limit, 1000, 10_000) });
  }

  /** Every linked member's accounts and stored rank, in Discord-id order: four columns, not the row. */
  function listLinkedAccounts(guildId: string): LinkedAccountRow[] {
    // Rows as arrays: drizzle's per-row objects cost a 50,000-link guild about 20 MB more at once.
    const rows = linkedAccountsStmt.values({ guildId }) as [string, number, string | null, string | null, number | null][];
    return rows.map(([discordId, robloxUserId, robloxUsername, robloxDisplayName, rankId]) => ({ discordId, robloxUserId, robloxUsername, robloxDisplayName, rankId }));
  }

  function countLinked(guildId: string): number {
    return db
      .select({ n: count() })
      .from(members)
      .where(and(eq(members.guildId, guildId), isNotNull(members.robloxUserId)))
      .get()!.n;
  }

  /** Roblox usernames change; sync refreshes the stored one. */
  function updateRobloxUsername(guildId: string, discordId: string, robloxUsername: string): boolean {
    const row = db
      .update(members)
      .set({ robloxUsername, updatedAt: now() })
      .where(and(eq(members.guildId, guildId), eq(members.discordId, discordId), isNotNull(members.robloxUserId)))
      .returning({ discordId: members.discordId })
      .get();
    return row !== undefined;
  }

  /**
   * Adds, removes or sets points (creating the member row if needed) and returns the new balance,
   * clamped to [0, MAX_POINTS]. The arithmetic happens in SQL, so concurrent changes don't lose updates.
   */
  function changePoints(guildId: string, discordId: string, change: PointsChange): number {
    const { amount, initial } = pointsOf(change);
    const at = now();
    const next =
      change.op === "set"
        ? sql`${amount}`
        : sql`max(0, min(${MAX_POINTS}, ${members.points} ${change.op === "add" ? sql`+` : sql`-`} ${amount}))`;
    return db
      .insert(members)
      .values({ guildId, discordId, points: initial, createdAt: at, updatedAt: at })
      .onConflictDoUpdate({ target: [members.guildId, members.discordId], set: { points: next, updatedAt: at } })
      .returning({ points: members.points })
      .get().points;
  }

  /**
   * Sets the stored rank (`null` clears it). Returns the updated member, or undefined when the
   * member has no row or the rank is not one of this guild's.
   */
  function setStoredRank(guildId: string, discordId: string, rankId: number | null, at: EpochMs = now()): Member | undefined {
    return setRankStmt.get({ guildId, discordId, rankId, at });
  }

  return {
    get,
    findByRobloxUserId,
    findByRobloxUserIds,
    searchByRobloxUsername,
    link,
    unlink,
    listLinked,
    listLinkedAccounts,
    countLinked,
    updateRobloxUsername,
    changePoints,
    setStoredRank,
  };
}
