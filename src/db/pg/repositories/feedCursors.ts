import { and, eq, lte, sql } from "drizzle-orm";
import { clockOf, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import type { FeedCursorRepository } from "../../repositories/feedCursors.ts";
import { robloxFeedCursors } from "../schema.ts";
import type { PgExec } from "./common.ts";

/** feedCursors.ts over PostgreSQL. */
export function createPgFeedCursorRepository(db: PgExec, options?: RepositoryOptions): Promised<FeedCursorRepository> {
  const now = clockOf(options);
  return {
    async get(groupId, scope = "") {
      const [row] = await db
        .select()
        .from(robloxFeedCursors)
        .where(and(eq(robloxFeedCursors.groupId, groupId), eq(robloxFeedCursors.scope, scope)));
      return row;
    },
    async save(groupId, cursor, saveOptions = {}) {
      const { scope = "", fence } = saveOptions;
      const values = { newestCreatedAt: cursor.newestCreatedAt, newestKeys: cursor.newestKeys, updatedAt: now() };
      const written = await db
        .insert(robloxFeedCursors)
        .values({ groupId, scope, ...values, fence: fence ?? 0 })
        .onConflictDoUpdate({
          target: [robloxFeedCursors.groupId, robloxFeedCursors.scope],
          set: fence === undefined ? values : { ...values, fence },
          ...(fence === undefined ? {} : { setWhere: lte(robloxFeedCursors.fence, sql`${fence}`) }),
        })
        .returning({ groupId: robloxFeedCursors.groupId });
      return written.length > 0;
    },
  };
}
