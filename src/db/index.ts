/** Storage layer entry point: open the database, then build the repositories on it. */
import type { Db } from "./client.ts";
import { createAuditRepository } from "./repositories/audit.ts";
import { createBindRepository } from "./repositories/binds.ts";
import type { RepositoryOptions } from "./repositories/common.ts";
import { createFeedCursorRepository } from "./repositories/feedCursors.ts";
import { createDashboardRepository } from "./repositories/dashboard.ts";
import { createGuildRepository } from "./repositories/guilds.ts";
import { createLinkChallengeRepository } from "./repositories/linkChallenges.ts";
import { createMemberRepository } from "./repositories/members.ts";
import { createMetaRepository } from "./repositories/meta.ts";
import { createPendingWriteRepository } from "./repositories/pendingWrites.ts";
import { createRankRepository } from "./repositories/ranks.ts";
import { createSyncRunRepository } from "./repositories/syncRuns.ts";

export { DatabaseOpenError, openDatabase, type DatabaseHandle, type Db } from "./client.ts";
export { atomically, type RepositoryOptions } from "./repositories/common.ts";
export type * from "./schema.ts";

export type Repositories = ReturnType<typeof createRepositories>;

export function createRepositories(db: Db, options?: RepositoryOptions) {
  return {
    guilds: createGuildRepository(db, options),
    ranks: createRankRepository(db, options),
    binds: createBindRepository(db, options),
    members: createMemberRepository(db, options),
    linkChallenges: createLinkChallengeRepository(db, options),
    audit: createAuditRepository(db, options),
    syncRuns: createSyncRunRepository(db, options),
    pendingWrites: createPendingWriteRepository(db, options),
    meta: createMetaRepository(db, options),
    feedCursors: createFeedCursorRepository(db, options),
    dashboard: createDashboardRepository(db, options),
  };
}
