import { eq } from "drizzle-orm";
import { clockOf, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import type { FeedCursorRepository } from "../../repositories/feedCursors.ts";
import { robloxFeedCursors } from "../schema.ts";
import type { PgExec } from "./common.ts";

/** feedCursors.ts over PostgreSQL. */
export function createPgFeedCursorRepository(db: PgExec, options?: RepositoryOptions): Promised<FeedCursorRepository> {
  const now = clockOf(options);
  return {
    async get(groupId) {
      const [row] = await db.select().from(robloxFeedCursors).where(eq(robloxFeedCursors.groupId, groupId));
      return row;
    },
    async save(groupId, cursor) {
      const values = { newestCreatedAt: cursor.newestCreatedAt, newestKeys: cursor.newestKeys, updatedAt: now() };
      await db.insert(robloxFeedCursors).values({ groupId, ...values }).onConflictDoUpdate({ target: robloxFeedCursors.groupId, set: values });
    },
  };
}
