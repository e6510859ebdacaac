/**
 * The storage the application layer uses: the repositories the composition root builds on the
 * database (src/db), and the row shapes they return. Named here as types only, so services and the
 * sync never reach into src/db; each asks for the repositories it uses (`Pick<Repositories, ...>`
 * or `Repositories["members"]`). scripts/check-layers.ts enforces that this is the only way in.
 */
export type { Repositories } from "../db/index.ts";
export type { AuditInput } from "../db/repositories/audit.ts";
export type { StoredBind } from "../db/repositories/binds.ts";
export type { GuildSettingsPatch } from "../db/repositories/guilds.ts";
export type { LinkedAccountRow, PointsChange } from "../db/repositories/members.ts";
export type { LadderEntry, LadderReplaceResult } from "../db/repositories/ranks.ts";
export type { EnqueuedSyncRequest, NewSyncRequest, SyncRequestSettlement } from "../db/repositories/syncRequests.ts";
export type { SyncItemUpdate, SyncProgressPatch, SyncRunItemInput } from "../db/repositories/syncRuns.ts";
export type {
  AuditAction,
  AuditOutcome,
  EpochMs,
  GroupLockMode,
  GuildSettings,
  LinkChallenge,
  Member,
  PendingRobloxWrite,
  SyncRun,
  SyncRequest,
  SyncRunItem,
  SyncTrigger,
  VerificationMethod,
} from "../db/schema.ts";
