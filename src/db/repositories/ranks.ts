import { and, asc, eq, notInArray, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { ranks, type Rank } from "../schema.ts";
import { assertInteger, atomically, clockOf, p, type RepositoryOptions } from "./common.ts";

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

export type RankRepository = ReturnType<typeof createRankRepository>;

export function createRankRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);
  const listStmt = db
    .select()
    .from(ranks)
    .where(eq(ranks.guildId, p("guildId")))
    .orderBy(asc(ranks.position), asc(ranks.id))
    .prepare();
  const getStmt = db
    .select()
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
      .select()
      .from(ranks)
      .where(and(eq(ranks.guildId, guildId), eq(ranks.robloxRoleId, robloxRoleId)))
      .get();
  }

  /** Case-insensitive, for autocomplete answers and typed rank names. */
  function findByName(guildId: string, name: string): Rank | undefined {
    return db
      .select()
      .from(ranks)
      .where(and(eq(ranks.guildId, guildId), sql`lower(${ranks.name}) = lower(${name})`))
      .orderBy(asc(ranks.position))
      .get();
  }

  /** Ranks bound to this Discord role (several ranks may share one role). */
  function findByDiscordRoleId(guildId: string, discordRoleId: string): Rank[] {
    return db
      .select()
      .from(ranks)
      .where(and(eq(ranks.guildId, guildId), eq(ranks.discordRoleId, discordRoleId)))
      .orderBy(asc(ranks.position))
      .all();
  }

  /**
   * Replaces the guild's ladder with `entries` (lowest first; position = index). Ranks are matched
   * by Roblox role id and updated in place, so their ids, and members' stored ranks, survive a
   * re-import; only ranks whose Roblox role is gone are deleted.
   */
  function replace(guildId: string, entries: readonly LadderEntry[]): LadderReplaceResult {
    const seen = new Set<number>();
    for (const e of entries) {
      assertInteger("robloxRoleId", e.robloxRoleId);
      if (seen.has(e.robloxRoleId)) throw new RangeError(`Roblox role ${e.robloxRoleId} appears twice in the ladder`);
      seen.add(e.robloxRoleId);
      if (!Number.isInteger(e.robloxRank) || e.robloxRank < 0 || e.robloxRank > 255) {
        throw new RangeError(`Roblox rank of "${e.name}" must be 0-255, got ${e.robloxRank}`);
      }
    }

    return atomically(db, () => {
      const before = new Map(list(guildId).map((r) => [r.robloxRoleId, r]));
      const at = now();
      const added: Rank[] = [];
      entries.forEach((e, position) => {
        const kept = {
          ...(e.discordRoleId !== undefined && { discordRoleId: e.discordRoleId }),
          ...(e.pointsRequired !== undefined && { pointsRequired: e.pointsRequired }),
        };
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
          .returning()
          .get();
        if (!before.has(e.robloxRoleId)) added.push(row);
      });

      const keep = [...seen];
      const removed = db
        .delete(ranks)
        .where(
          keep.length > 0
            ? and(eq(ranks.guildId, guildId), notInArray(ranks.robloxRoleId, keep))
            : eq(ranks.guildId, guildId),
        )
        .returning()
        .all();
      return { ladder: list(guildId), added, removed };
    });
  }

  function edit(guildId: string, rankId: number, patch: RankPatch): Rank | undefined {
    const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as RankPatch;
    return db
      .update(ranks)
      .set({ ...set, updatedAt: now() })
      .where(and(eq(ranks.guildId, guildId), eq(ranks.id, rankId)))
      .returning()
      .get();
  }

  function bind(guildId: string, rankId: number, discordRoleId: string): Rank | undefined {
    return edit(guildId, rankId, { discordRoleId });
  }

  function unbind(guildId: string, rankId: number): Rank | undefined {
    return edit(guildId, rankId, { discordRoleId: null });
  }

  /** Clears every binding to a Discord role (the role was deleted); returns the affected ranks. */
  function unbindDiscordRole(guildId: string, discordRoleId: string): Rank[] {
    return db
      .update(ranks)
      .set({ discordRoleId: null, updatedAt: now() })
      .where(and(eq(ranks.guildId, guildId), eq(ranks.discordRoleId, discordRoleId)))
      .returning()
      .all();
  }

  return { list, get, findByRobloxRoleId, findByName, findByDiscordRoleId, replace, edit, bind, unbind, unbindDiscordRole };
}
