import { and, eq, lte, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import { robloxFeedCursors, type EpochMs, type RobloxFeedCursor } from "../schema.ts";
import { clockOf, p, type RepositoryOptions } from "./common.ts";

/** The change feed's place in each Roblox group's audit log (schema.ts, `roblox_feed_cursors`). */
export type FeedCursorRepository = ReturnType<typeof createFeedCursorRepository>;

export interface FeedCursorInput {
  newestCreatedAt: EpochMs;
  newestKeys: string[];
}

export interface FeedCursorSaveOptions {
  /** Whose cursor (schema.ts, `scope`); default `''`, the bot's. */
  scope?: string;
  /**
   * The feed lease's fencing token: the cursor moves only when no later token moved it, so a
   * reader that lost its lease cannot move it back. Unset: moved unconditionally (no lease).
   */
  fence?: number;
}

export function createFeedCursorRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);
  const getStmt = db
    .select()
    .from(robloxFeedCursors)
    .where(and(eq(robloxFeedCursors.groupId, p("groupId")), eq(robloxFeedCursors.scope, p("scope"))))
    .prepare();

  function get(groupId: number, scope = ""): RobloxFeedCursor | undefined {
    return getStmt.get({ groupId, scope });
  }

  /** Moves the group's cursor (creating it on the first read of the group); false when a later fencing token holds it. */
  function save(groupId: number, cursor: FeedCursorInput, saveOptions: FeedCursorSaveOptions = {}): boolean {
    const { scope = "", fence } = saveOptions;
    const values = { newestCreatedAt: cursor.newestCreatedAt, newestKeys: cursor.newestKeys, updatedAt: now() };
    const written = db
      .insert(robloxFeedCursors)
      .values({ groupId, scope, ...values, fence: fence ?? 0 })
      .onConflictDoUpdate({
        target: [robloxFeedCursors.groupId, robloxFeedCursors.scope],
        set: fence === undefined ? values : { ...values, fence },
        ...(fence === undefined ? {} : { setWhere: lte(robloxFeedCursors.fence, sql`${fence}`) }),
      })
      .returning({ groupId: robloxFeedCursors.groupId })
      .all();
    return written.length > 0;
  }

  return { get, save };
}
