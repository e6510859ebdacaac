import { eq } from "drizzle-orm";
import type { Db } from "../client.ts";
import { robloxFeedCursors, type EpochMs, type RobloxFeedCursor } from "../schema.ts";
import { clockOf, p, type RepositoryOptions } from "./common.ts";

/** The change feed's place in each Roblox group's audit log (schema.ts, `roblox_feed_cursors`). */
export type FeedCursorRepository = ReturnType<typeof createFeedCursorRepository>;

export interface FeedCursorInput {
  newestCreatedAt: EpochMs;
  newestKeys: string[];
}

export function createFeedCursorRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);
  const getStmt = db.select().from(robloxFeedCursors).where(eq(robloxFeedCursors.groupId, p("groupId"))).prepare();

  function get(groupId: number): RobloxFeedCursor | undefined {
    return getStmt.get({ groupId });
  }

  /** Moves the group's cursor (creating it on the first read of the group). */
  function save(groupId: number, cursor: FeedCursorInput): void {
    const at = now();
    const values = { newestCreatedAt: cursor.newestCreatedAt, newestKeys: cursor.newestKeys, updatedAt: at };
    db.insert(robloxFeedCursors)
      .values({ groupId, ...values })
      .onConflictDoUpdate({ target: robloxFeedCursors.groupId, set: values })
      .run();
  }

  return { get, save };
}
