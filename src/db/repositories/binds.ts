/**
 * Stored binds (design §3.1), one guild at a time: every read and write names the guild, so one
 * guild never reads or changes another's binds. A rank bind's rank must be one of the guild's own.
 */
import { and, asc, eq, sql } from "drizzle-orm";
import type { Bind, BindCondition } from "../../ranks/binds.ts";
import type { Db } from "../client.ts";
import { binds, ranks, type BindRow } from "../schema.ts";
import { atomically, clockOf, type RepositoryOptions } from "./common.ts";

/** A stored bind: the domain's Bind with its row id. */
export type StoredBind = Bind & { readonly origin: { readonly kind: "stored"; readonly id: number; readonly rankRole: boolean } };

/** A rank bind names a rank this guild does not have. */
export class BindRankNotFoundError extends Error {
  override readonly name = "BindRankNotFoundError";
  constructor(
    readonly guildId: string,
    readonly rankId: number,
  ) {
    super(`rank ${rankId} is not on guild ${guildId}'s ladder`);
  }
}

export type BindRepository = ReturnType<typeof createBindRepository>;

export function toStoredBind(row: BindRow): StoredBind {
  const origin = { kind: "stored", id: row.id, rankRole: row.rankRole } as const;
  const roleIds = row.roleIds;
  switch (row.kind) {
    case "rank":
      return { kind: "rank", rankId: row.rankId!, origin, roleIds };
    case "range":
      return { kind: "range", groupId: row.groupId!, minRank: row.minRank!, maxRank: row.maxRank!, origin, roleIds };
    case "linked":
    case "unlinked":
      return { kind: row.kind, origin, roleIds };
  }
}

export function conditionColumns(condition: BindCondition) {
  return {
    kind: condition.kind,
    rankId: condition.kind === "rank" ? condition.rankId : null,
    groupId: condition.kind === "range" ? condition.groupId : null,
    minRank: condition.kind === "range" ? condition.minRank : null,
    maxRank: condition.kind === "range" ? condition.maxRank : null,
  };
}

export function sameConditionRow(row: BindRow, condition: BindCondition): boolean {
  const columns = conditionColumns(condition);
  return (
    row.kind === columns.kind && row.rankId === columns.rankId && row.groupId === columns.groupId && row.minRank === columns.minRank && row.maxRank === columns.maxRank
  );
}

export function createBindRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);

  function rows(guildId: string): BindRow[] {
    return db.select().from(binds).where(eq(binds.guildId, guildId)).orderBy(asc(binds.id)).all();
  }

  /** The guild's binds, oldest first. */
  function list(guildId: string): StoredBind[] {
    return rows(guildId).map(toStoredBind);
  }

  function get(guildId: string, bindId: number): StoredBind | undefined {
    const row = db
      .select()
      .from(binds)
      .where(and(eq(binds.guildId, guildId), eq(binds.id, bindId)))
      .get();
    return row ? toStoredBind(row) : undefined;
  }

  function assertRankOfGuild(guildId: string, condition: BindCondition): void {
    if (condition.kind !== "rank") return;
    const rank = db
      .select({ id: ranks.id })
      .from(ranks)
      .where(and(eq(ranks.guildId, guildId), eq(ranks.id, condition.rankId)))
      .get();
    if (!rank) throw new BindRankNotFoundError(guildId, condition.rankId);
  }

  /**
   * Adds roles under a condition. A bind with the same condition (other than a rank's own role)
   * takes the new roles, so `/binds list` shows one bind per condition; `created` says which.
   * @throws BindRankNotFoundError, RangeError (no roles)
   */
  function add(guildId: string, condition: BindCondition, roleIds: readonly string[]): { bind: StoredBind; created: boolean } {
    if (roleIds.length === 0) throw new RangeError("a bind gives at least one role");
    return atomically(db, () => {
      assertRankOfGuild(guildId, condition);
      const at = now();
      const existing = rows(guildId).find((row) => !row.rankRole && sameConditionRow(row, condition));
      if (existing) {
        const merged = [...new Set([...existing.roleIds, ...roleIds])];
        const row = db.update(binds).set({ roleIds: merged, updatedAt: at }).where(eq(binds.id, existing.id)).returning().get();
        return { bind: toStoredBind(row), created: false };
      }
      const row = db
        .insert(binds)
        .values({ guildId, ...conditionColumns(condition), roleIds: [...new Set(roleIds)], rankRole: false, createdAt: at, updatedAt: at })
        .returning()
        .get();
      return { bind: toStoredBind(row), created: true };
    });
  }

  /** Deletes one bind; undefined when the guild has no such bind. */
  function remove(guildId: string, bindId: number): StoredBind | undefined {
    const row = db
      .delete(binds)
      .where(and(eq(binds.guildId, guildId), eq(binds.id, bindId)))
      .returning()
      .get();
    return row ? toStoredBind(row) : undefined;
  }

  /**
   * A role is gone from Discord: no bind gives it any more; binds left with no role are deleted.
   * Returns the binds that gave it, as they were.
   */
  function forgetRole(guildId: string, roleId: string): StoredBind[] {
    return atomically(db, () => {
      const affected = db
        .select()
        .from(binds)
        .where(and(eq(binds.guildId, guildId), sql`exists (select 1 from json_each(${binds.roleIds}) where value = ${roleId})`))
        .all();
      const at = now();
      for (const row of affected) {
        const left = row.roleIds.filter((id) => id !== roleId);
        if (left.length === 0) db.delete(binds).where(eq(binds.id, row.id)).run();
        else db.update(binds).set({ roleIds: left, updatedAt: at }).where(eq(binds.id, row.id)).run();
      }
      return affected.map(toStoredBind);
    });
  }

  /** Each rank's own Discord role (its rank bind marked rank_role). */
  function rankRoles(guildId: string): Map<number, string> {
    const found = new Map<number, string>();
    for (const row of rows(guildId)) if (row.rankRole && row.rankId !== null && row.roleIds[0]) found.set(row.rankId, row.roleIds[0]);
    return found;
  }

  /**
   * Sets (or, with null, clears) a rank's own Discord role. The caller has checked the rank is the
   * guild's (the ranks repository does this inside its own transaction).
   */
  function setRankRole(guildId: string, rankId: number, roleId: string | null): void {
    const at = now();
    const where = and(eq(binds.guildId, guildId), eq(binds.rankId, rankId), eq(binds.rankRole, true));
    if (roleId === null) {
      db.delete(binds).where(where).run();
      return;
    }
    const updated = db.update(binds).set({ roleIds: [roleId], updatedAt: at }).where(where).returning({ id: binds.id }).get();
    if (!updated) {
      db.insert(binds).values({ guildId, kind: "rank", rankId, roleIds: [roleId], rankRole: true, createdAt: at, updatedAt: at }).run();
    }
  }

  /** Every bind of the guild (for a guild's data removal). */
  function purge(guildId: string): void {
    db.delete(binds).where(eq(binds.guildId, guildId)).run();
  }

  return { list, get, add, remove, forgetRole, rankRoles, setRankRole, purge };
}
