/** Storage layer entry point: open the database, then build the repositories on it. */
import type { Db } from "./client.ts";
import { createAuditRepository } from "./repositories/audit.ts";
import { createBindRepository } from "./repositories/binds.ts";
import { promised, type Promised, type RepositoryOptions } from "./repositories/common.ts";
import { createFeedCursorRepository } from "./repositories/feedCursors.ts";
import { createDashboardRepository } from "./repositories/dashboard.ts";
import { createGuildRepository } from "./repositories/guilds.ts";
import { createLinkChallengeRepository } from "./repositories/linkChallenges.ts";
import { createMemberRepository } from "./repositories/members.ts";
import { createMetaRepository } from "./repositories/meta.ts";
import { createPendingWriteRepository } from "./repositories/pendingWrites.ts";
import { createRankRepository } from "./repositories/ranks.ts";
import { createSyncRequestRepository } from "./repositories/syncRequests.ts";
import { createSyncRunRepository } from "./repositories/syncRuns.ts";
import { createSyncStepRepository } from "./repositories/syncSteps.ts";

export { DatabaseOpenError, openDatabase, type DatabaseHandle, type Db } from "./client.ts";
export { atomically, type RepositoryOptions } from "./repositories/common.ts";
export type * from "./schema.ts";

/** The storage port: every repository, each method async (design §8: SQLite or PostgreSQL). */
export type Repositories = { [K in keyof SqliteRepositories]: Promised<SqliteRepositories[K]> };

type SqliteRepositories = ReturnType<typeof createSqliteRepositories>;

/** The repositories over a SQLite database, behind the async port. */
export function createRepositories(db: Db, options?: RepositoryOptions): Repositories {
  const sqlite = createSqliteRepositories(db, options);
  return Object.fromEntries(Object.entries(sqlite).map(([name, repository]) => [name, promised(repository)])) as Repositories;
}

function createSqliteRepositories(db: Db, options?: RepositoryOptions) {
  const members = createMemberRepository(db, options);
  const audit = createAuditRepository(db, options);
  const syncRuns = createSyncRunRepository(db, options);
  return {
    guilds: createGuildRepository(db, options),
    ranks: createRankRepository(db, options),
    binds: createBindRepository(db, options),
    members,
    linkChallenges: createLinkChallengeRepository(db, options),
    audit,
    syncRuns: { ...syncRuns, ...createSyncStepRepository(db, { syncRuns, members, audit }) },
    pendingWrites: createPendingWriteRepository(db, options),
    meta: createMetaRepository(db, options),
    feedCursors: createFeedCursorRepository(db, options),
    dashboard: createDashboardRepository(db, options),
    syncRequests: createSyncRequestRepository(db, options),
  };
}
