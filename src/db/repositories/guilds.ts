import { eq, isNotNull } from "drizzle-orm";
import type { Db } from "../client.ts";
import {
  auditLog,
  binds,
  guildSettings,
  linkChallenges,
  members,
  pendingRobloxWrites,
  ranks,
  syncRuns,
  type GuildSettings,
  type NewGuildSettings,
} from "../schema.ts";
import { atomically, clockOf, definedOnly, p, type RepositoryOptions } from "./common.ts";

/** Settable fields; `undefined` leaves a field as it is, `null` clears a nullable one. */
export type GuildSettingsPatch = Partial<Omit<NewGuildSettings, "guildId" | "createdAt" | "updatedAt">>;

export type GuildRepository = ReturnType<typeof createGuildRepository>;

export function createGuildRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);
  const getStmt = db.select().from(guildSettings).where(eq(guildSettings.guildId, p("guildId"))).prepare();

  function get(guildId: string): GuildSettings | undefined {
    return getStmt.get({ guildId });
  }

  /** Inserts or patches the guild's settings and returns the stored row. */
  function upsert(guildId: string, patch: GuildSettingsPatch = {}): GuildSettings {
    const at = now();
    const set = definedOnly(patch);
    return db
      .insert(guildSettings)
      .values({ ...set, guildId, createdAt: at, updatedAt: at })
      .onConflictDoUpdate({ target: guildSettings.guildId, set: { ...set, updatedAt: at } })
      .returning()
      .get();
  }

  /** The guild's settings, creating the defaults row if there is none. */
  function ensure(guildId: string): GuildSettings {
    return get(guildId) ?? upsert(guildId);
  }

  /** Deletes every row the bot keeps for the guild (e.g. on an operator's data-removal request). */
  function purge(guildId: string): void {
    atomically(db, () => {
      // Members first: their rank FK points at ranks. Sync items go with their runs (cascade).
      db.delete(members).where(eq(members.guildId, guildId)).run();
      db.delete(binds).where(eq(binds.guildId, guildId)).run();
      db.delete(ranks).where(eq(ranks.guildId, guildId)).run();
      db.delete(linkChallenges).where(eq(linkChallenges.guildId, guildId)).run();
      db.delete(auditLog).where(eq(auditLog.guildId, guildId)).run();
      db.delete(syncRuns).where(eq(syncRuns.guildId, guildId)).run();
      db.delete(pendingRobloxWrites).where(eq(pendingRobloxWrites.guildId, guildId)).run();
      db.delete(guildSettings).where(eq(guildSettings.guildId, guildId)).run();
    });
  }

  /** Every guild that stored a Roblox API key of its own (checked once at start-up). */
  function listWithApiKey(): GuildSettings[] {
    return db.select().from(guildSettings).where(isNotNull(guildSettings.robloxApiKeyEncrypted)).all();
  }

  return { get, ensure, upsert, purge, listWithApiKey };
}
