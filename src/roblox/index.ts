/** The Roblox client's public surface: what features import. */
export {
  AUDIT_LOG_PAGE_SIZES,
  AUDIT_LOG_PERMISSION,
  AUDIT_LOG_SCOPE,
  type AuditLogPageSize,
  type AuditLogQuery,
  RobloxAuditLogForbiddenError,
} from "./audit-log.ts";
export type { AuditActionType, AuditLogEntry, AuditLogPage, AuditMembershipAction, AuditRoleRef } from "./audit-log-schema.ts";
export { RobloxClient, type LinkedRanks, type RobloxClientOptions } from "./client.ts";
export * from "./errors.ts";
export { API_CLASSES, DOCUMENTED_PER_MINUTE, type ApiClass, type RateLimitOptions } from "./limits.ts";
export type { GroupHoldingsOptions, GroupHoldingsRead } from "./group-holdings.ts";
export {
  planGroupsLookup,
  planRankLookup,
  type GroupLookupChoice,
  type GroupLookupInput,
  type GroupsLookupInput,
  type GroupsLookupPlan,
  type BoundRoleCount,
  type RankLookupInput,
  type RankLookupOption,
  type RankLookupPlan,
  type RankLookupStrategy,
} from "./planner.ts";
export type { ApiFamily } from "./read-api.ts";
export type { RequestTally, RetryOptions } from "./transport.ts";
export type * from "./types.ts";
export { DEFAULT_ROBLOX_URL_TEMPLATE, ROBLOX_SERVICES, type RobloxService } from "./urls.ts";
export {
  verifyRobloxCredentials,
  type RobloxCredentialProblem,
  type RobloxCredentialReport,
  type RobloxSetting,
  type VerifyOptions,
} from "./verify.ts";
