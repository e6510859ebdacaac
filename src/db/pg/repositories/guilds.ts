import { eq, isNotNull } from "drizzle-orm";
import { clockOf, definedOnly, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import type { GuildRepository, GuildSettingsPatch } from "../../repositories/guilds.ts";
import type { GuildSettings } from "../../schema.ts";
import { auditLog, binds, guildSettings, linkChallenges, members, pendingRobloxWrites, ranks, syncRuns } from "../schema.ts";
import { inTransaction, type PgExec } from "./common.ts";

/** guilds.ts over PostgreSQL. */
export function createPgGuildRepository(db: PgExec, options?: RepositoryOptions): Promised<GuildRepository> {
  const now = clockOf(options);

  async function get(guildId: string): Promise<GuildSettings | undefined> {
    const [row] = await db.select().from(guildSettings).where(eq(guildSettings.guildId, guildId));
    return row;
  }

  async function upsert(guildId: string, patch: GuildSettingsPatch = {}): Promise<GuildSettings> {
    const at = now();
    const set = definedOnly(patch);
    const [row] = await db
      .insert(guildSettings)
      .values({ ...set, guildId, createdAt: at, updatedAt: at })
      .onConflictDoUpdate({ target: guildSettings.guildId, set: { ...set, updatedAt: at } })
      .returning();
    return row!;
  }

  return {
    get,
    upsert,
    async ensure(guildId) {
      return (await get(guildId)) ?? upsert(guildId);
    },
    purge(guildId) {
      return inTransaction(db, async (tx) => {
        // The same order as SQLite's: members first (their rank FK points at ranks).
        for (const table of [members, binds, ranks, linkChallenges, auditLog, syncRuns, pendingRobloxWrites, guildSettings]) {
          await tx.delete(table).where(eq(table.guildId, guildId));
        }
      });
    },
    listWithApiKey() {
      return db.select().from(guildSettings).where(isNotNull(guildSettings.robloxApiKeyEncrypted));
    },
  };
}
