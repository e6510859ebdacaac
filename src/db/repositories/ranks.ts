/**
 * The rank ladder of each guild. A rank's own Discord role is stored as its rank bind (binds table,
 * rank_role = 1) and read back here as `discordRoleId`, so the ladder and the binds never disagree.
 */
import { and, asc, eq, notInArray, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { ranks, type Rank } from "../schema.ts";
import { createBindRepository } from "./binds.ts";
import { assertInteger, atomically, clockOf, definedOnly, p, type RepositoryOptions } from "./common.ts";

/** The rank row with its own Discord role, read from its rank bind. */
const rankColumns = {
  id: ranks.id,
  guildId: ranks.guildId,
  position: ranks.position,
  name: ranks.name,
  robloxRoleId: ranks.robloxRoleId,
  robloxRank: ranks.robloxRank,
  // Written out in full: drizzle leaves a single table's columns unqualified, and "id" inside the
  // subquery would name the bind's id.
  discordRoleId: sql<
    string | null
  >`(select json_extract(b.role_ids, '$[0]') from binds b where b.rank_id = "ranks"."id" and b.rank_role = 1)`,
  pointsRequired: ranks.pointsRequired,
  createdAt: ranks.createdAt,
  updatedAt: ranks.updatedAt,
};

/** One rung of a ladder being imported. */
export interface LadderEntry {
  name: string;
  robloxRoleId: number;
  /** Roblox rank number, 0-255. */
  robloxRank: number;
  /** `undefined` keeps the existing binding of this Roblox role (if any); `null` clears it. */
  discordRoleId?: string | null;
  /** `undefined` keeps the existing value (0 for a new rank). */
  pointsRequired?: number;
}

export interface LadderReplaceResult {
  /** The new ladder, lowest first. */
  ladder: Rank[];
  added: Rank[];
  /** Ranks that are gone; members that held them now have no stored rank. */
  removed: Rank[];
}

export interface RankPatch {
  name?: string;
  pointsRequired?: number;
  discordRoleId?: string | null;
}

/** The Roblox role ids of a ladder being imported, once each; RangeError on a repeated role or a rank beyond 0-255. */
export function checkedLadder(entries: readonly LadderEntry[]): Set<number> {
  const seen = new Set<number>();
  for (const e of entries) {
    assertInteger("robloxRoleId", e.robloxRoleId);
    if (seen.has(e.robloxRoleId)) throw new RangeError(`Roblox role ${e.robloxRoleId} appears twice in the ladder`);
    seen.add(e.robloxRoleId);
    if (!Number.isInteger(e.robloxRank) || e.robloxRank < 0 || e.robloxRank > 255) {
      throw new RangeError(`Roblox rank of "${e.name}" must be 0-255, got ${e.robloxRank}`);
    }
  }
  return seen;
}

/** A rank's patch split into its columns and its own role (both stores). */
export function rankPatchOf(patch: RankPatch): { columns: Omit<RankPatch, "discordRoleId">; discordRoleId: string | null | undefined } {
  const { discordRoleId, ...columns } = patch;
  return { columns: definedOnly(columns), discordRoleId };
}

export type RankRepository = ReturnType<typeof createRankRepository>;

export function createRankRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);
  const bindRepository = createBindRepository(db, options);
  const listStmt = db
    .select(rankColumns)
    .from(ranks)
    .where(eq(ranks.guildId, p("guildId")))
    .orderBy(asc(ranks.position), asc(ranks.id))
    .prepare();
  const getStmt = db
    .select(rankColumns)
    .from(ranks)
    .where(and(eq(ranks.guildId, p("guildId")), eq(ranks.id, p("rankId"))))
    .prepare();

  /** The ladder, lowest first. */
  function list(guildId: string): Rank[] {
    return listStmt.all({ guildId });
  }

  function get(guildId: string, rankId: number): Rank | undefined {
    return getStmt.get({ guildId, rankId });
  }

  function findByRobloxRoleId(guildId: string, robloxRoleId: number): Rank | undefined {
    return db
      .select(rankColumns)
      .from(ranks)
      .where(and(eq(ranks.guildId, guildId), eq(ranks.robloxRoleId, robloxRoleId)))
      .get();
  }

  /** Case-insensitive, for autocomplete answers and typed rank names. */
  function findByName(guildId: string, name: string): Rank | undefined {
    return db
      .select(rankColumns)
      .from(ranks)
      .where(and(eq(ranks.guildId, guildId), sql`lower(${ranks.name}) = lower(${name})`))
      .orderBy(asc(ranks.position))
      .get();
  }

  /** Ranks whose own Discord role is this one. */
  function findByDiscordRoleId(guildId: string, discordRoleId: string): Rank[] {
    return list(guildId).filter((rank) => rank.discordRoleId === discordRoleId);
  }

  /**
   * Replaces the guild's ladder with `entries` (lowest first; position = index). Ranks are matched
   * by Roblox role id and updated in place, so their ids, and members' stored ranks, survive a
   * re-import; only ranks whose Roblox role is gone are deleted.
   */
  function replace(guildId: string, entries: readonly LadderEntry[]): LadderReplaceResult {
    const seen = checkedLadder(entries);

    return atomically(db, () => {
      const before = new Map(list(guildId).map((r) => [r.robloxRoleId, r]));
      const at = now();
      const added: Rank[] = [];
      entries.forEach((e, position) => {
        const kept = e.pointsRequired !== undefined ? { pointsRequired: e.pointsRequired } : {};
        const row = db
          .insert(ranks)
          .values({
            guildId,
            position,
            name: e.name,
            robloxRoleId: e.robloxRoleId,
            robloxRank: e.robloxRank,
            ...kept,
            createdAt: at,
            updatedAt: at,
          })
          .onConflictDoUpdate({
            target: [ranks.guildId, ranks.robloxRoleId],
            set: { position, name: e.name, robloxRank: e.robloxRank, ...kept, updatedAt: at },
          })
          .returning({ id: ranks.id })
          .get();
        if (e.discordRoleId !== undefined) bindRepository.setRankRole(guildId, row.id, e.discordRoleId);
        if (!before.has(e.robloxRoleId)) added.push(get(guildId, row.id)!);
      });

      const keep = [...seen];
      // Their binds go with them (ON DELETE CASCADE).
      const removedIds = db
        .delete(ranks)
        .where(
          keep.length > 0
            ? and(eq(ranks.guildId, guildId), notInArray(ranks.robloxRoleId, keep))
            : eq(ranks.guildId, guildId),
        )
        .returning({ robloxRoleId: ranks.robloxRoleId })
        .all();
      const removed = removedIds.map((row) => before.get(row.robloxRoleId)!);
      return { ladder: list(guildId), added, removed };
    });
  }

  function edit(guildId: string, rankId: number, patch: RankPatch): Rank | undefined {
    const { columns: set, discordRoleId } = rankPatchOf(patch);
    return atomically(db, () => {
      const row = db
        .update(ranks)
        .set({ ...set, updatedAt: now() })
        .where(and(eq(ranks.guildId, guildId), eq(ranks.id, rankId)))
        .returning({ id: ranks.id })
        .get();
      if (!row) return undefined;
      if (discordRoleId !== undefined) bindRepository.setRankRole(guildId, rankId, discordRoleId);
      return get(guildId, rankId);
    });
  }

  function bind(guildId: string, rankId: number, discordRoleId: string): Rank | undefined {
    return edit(guildId, rankId, { discordRoleId });
  }

  function unbind(guildId: string, rankId: number): Rank | undefined {
    return edit(guildId, rankId, { discordRoleId: null });
  }

  /**
   * The Discord role was deleted: no bind gives it any more. Returns the ranks whose own role it
   * was, as they were.
   */
  function unbindDiscordRole(guildId: string, discordRoleId: string): Rank[] {
    return atomically(db, () => {
      const affected = findByDiscordRoleId(guildId, discordRoleId);
      bindRepository.forgetRole(guildId, discordRoleId);
      return affected;
    });
  }

  return { list, get, findByRobloxRoleId, findByName, findByDiscordRoleId, replace, edit, bind, unbind, unbindDiscordRole };
}
