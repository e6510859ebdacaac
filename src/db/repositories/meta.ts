import { eq } from "drizzle-orm";
import type { Db } from "../client.ts";
import { meta } from "../schema.ts";
import { clockOf, p, type RepositoryOptions } from "./common.ts";

/**
 * Process-wide key/value state (e.g. the hash of the registered slash commands). The one
 * repository that is not guild-scoped: its keys describe the bot, not a guild.
 */
export type MetaRepository = ReturnType<typeof createMetaRepository>;

export function createMetaRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);
  const getStmt = db.select({ value: meta.value }).from(meta).where(eq(meta.key, p("key"))).prepare();

  function get(key: string): string | undefined {
    return getStmt.get({ key })?.value;
  }

  function set(key: string, value: string): void {
    const at = now();
    db.insert(meta)
      .values({ key, value, updatedAt: at })
      .onConflictDoUpdate({ target: meta.key, set: { value, updatedAt: at } })
      .run();
  }

  function remove(key: string): boolean {
    return db.delete(meta).where(eq(meta.key, key)).returning({ key: meta.key }).get() !== undefined;
  }

  return { get, set, delete: remove };
}
