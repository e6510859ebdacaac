/** The storage port over PostgreSQL: the same repositories as SQLite's (src/db/index.ts), each method one transaction at most. */
import type { Repositories } from "../../index.ts";
import type { RepositoryOptions } from "../../repositories/common.ts";
import { createPgAuditRepository } from "./audit.ts";
import { createPgBindRepository } from "./binds.ts";
import type { PgExec } from "./common.ts";
import { createPgDashboardRepository } from "./dashboard.ts";
import { createPgFeedCursorRepository } from "./feedCursors.ts";
import { createPgGuildRepository } from "./guilds.ts";
import { createPgLinkChallengeRepository } from "./linkChallenges.ts";
import { createPgMemberRepository } from "./members.ts";
import { createPgMetaRepository } from "./meta.ts";
import { createPgPendingWriteRepository } from "./pendingWrites.ts";
import { createPgRankRepository } from "./ranks.ts";
import { createPgSyncRequestRepository } from "./syncRequests.ts";
import { createPgSyncRunRepository } from "./syncRuns.ts";

export function createPgRepositories(db: PgExec, options?: RepositoryOptions): Repositories {
  return {
    guilds: createPgGuildRepository(db, options),
    ranks: createPgRankRepository(db, options),
    binds: createPgBindRepository(db, options),
    members: createPgMemberRepository(db, options),
    linkChallenges: createPgLinkChallengeRepository(db, options),
    audit: createPgAuditRepository(db, options),
    syncRuns: createPgSyncRunRepository(db, options),
    pendingWrites: createPgPendingWriteRepository(db, options),
    meta: createPgMetaRepository(db, options),
    feedCursors: createPgFeedCursorRepository(db, options),
    dashboard: createPgDashboardRepository(db, options),
    syncRequests: createPgSyncRequestRepository(db, options),
  };
}
