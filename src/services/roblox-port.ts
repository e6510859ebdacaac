/**
 * The Roblox side the application layer needs, declared here and implemented by the Roblox adapter
 * (`RobloxClient` in src/roblox/client.ts, built in src/app.ts). Services and the sync name these
 * interfaces, never the client class: each asks for the narrowest part it uses.
 *
 * The failure vocabulary lives here too: the application branches on a failure's `kind` and
 * `retryable`, and src/roblox/errors.ts builds one subclass per kind on this base. The plain data
 * shapes (users, roles, memberships) are the adapter's, re-exported as types only (the one place
 * the application names src/roblox; scripts/check-layers.ts enforces it).
 */
import type { GroupHoldingsOptions, GroupHoldingsRead } from "../roblox/group-holdings.ts";
import type { AuditLogQuery } from "../roblox/audit-log.ts";
import type { AuditLogPage } from "../roblox/audit-log-schema.ts";
import type { RankLookupPlan } from "../roblox/planner.ts";
import type { RequestTally } from "../roblox/transport.ts";
import type {
  GroupInfo,
  GroupMember,
  GroupRole,
  MemberRank,
  Membership,
  RobloxUser,
  RobloxUserId,
  RobloxUserProfile,
  SetRankOptions,
  SetRankResult,
} from "../roblox/types.ts";

export type { GroupHoldingsOptions, GroupHoldingsRead } from "../roblox/group-holdings.ts";
export type { GroupsLookupPlan, RankLookupPlan } from "../roblox/planner.ts";
export type { RequestTally } from "../roblox/transport.ts";
export type { AuditLogQuery } from "../roblox/audit-log.ts";
export type { AuditLogEntry, AuditLogPage, AuditMembershipAction } from "../roblox/audit-log-schema.ts";
export type { RankWritten } from "../roblox/client.ts";
export type {
  GroupInfo,
  GroupMember,
  GroupRole,
  GroupRoleHoldings,
  MemberRank,
  Membership,
  RobloxUser,
  RobloxUserId,
  RobloxUserProfile,
  SetRankOptions,
  SetRankResult,
} from "../roblox/types.ts";

/** Linked members' ranks as one plan read them. */
export interface LinkedRanks {
  /** Linked users found in the group (for `bound-roles`: found in one of the bound roles). */
  ranks: Map<RobloxUserId, MemberRank>;
  /** The same users: every role each holds with its rank, highest first (legacy hosts: the highest only). */
  held: Map<RobloxUserId, MemberRank[]>;
  /** HTTP requests the read took, retries and the planning reads included. */
  requests: number;
  plan: RankLookupPlan;
}

/** Reads of a group and its members: what a read-only path gets. */
export interface RobloxReader {
  getGroup(groupId: number, tally?: RequestTally): Promise<GroupInfo>;
  /** Every role of the group, lowest rank first. */
  listRoles(groupId: number, tally?: RequestTally): Promise<GroupRole[]>;
  /** Null when the user is not a member. */
  getMembership(groupId: number, userId: RobloxUserId, tally?: RequestTally): Promise<Membership | null>;
  /** Keyed by the requested name in lower case; names that match no user are absent. */
  usersByUsernames(usernames: string[]): Promise<Map<string, RobloxUser>>;
  getUserProfile(userId: RobloxUserId, tally?: RequestTally): Promise<RobloxUserProfile>;
  membershipsOf(groupId: number, userIds: RobloxUserId[], tally?: RequestTally): Promise<Map<RobloxUserId, GroupMember>>;
  /** The cheapest way to learn linked members' ranks. */
  planLinkedRankLookup(groupId: number, linkedCount: number, boundRoleIds?: number[], tally?: RequestTally): Promise<RankLookupPlan>;
  readLinkedRanks(groupId: number, linkedUserIds: RobloxUserId[], options?: { boundRoleIds?: number[]; plan?: RankLookupPlan }): Promise<LinkedRanks>;
  /**
   * Every role the linked users hold in each of `groupIds` (the guild's own group and the other
   * groups its binds name), read the cheapest way.
   */
  readGroupRoleHoldings(groupIds: readonly number[], linkedUserIds: readonly RobloxUserId[], options?: GroupHoldingsOptions): Promise<GroupHoldingsRead>;
  /** How long a lookup asked now would wait for its rate limit, in ms. */
  lookupWaitMs(lookup: "username" | "membership" | "profile"): number;
  /** The longest any request already waiting for a rate limit still has to wait, in ms. */
  queuedWaitMs(): number;
}

/**
 * A credential's view of groups' audit logs, the change feed's source (design §3.2): Open Cloud
 * only (`auth` "api-key"), 100 requests a minute per key owner, shared by every group it reads.
 */
export interface RobloxAuditLogReader {
  readonly auth: "api-key" | "cookie" | "none";
  /** One page, newest first unless asked otherwise; a 403 is a RobloxAuditLogForbiddenError naming what to grant. */
  readAuditLog(groupId: number, query?: AuditLogQuery, tally?: RequestTally): Promise<AuditLogPage>;
  /** Audit-log requests a minute this credential may send, as its limiter knows it (headers win over the documented limit). */
  auditLogPerMinute(): number;
}

/** A credential that may change ranks: reads, the audit log, and the one write. */
export interface RobloxRankWriter extends RobloxReader, RobloxAuditLogReader {
  /** Moves the member's ladder rank to `roleId`, keeping their other roles; `{changed:false}` when nothing needed sending. */
  setRank(groupId: number, userId: RobloxUserId, roleId: number, options?: SetRankOptions): Promise<SetRankResult>;
  /**
   * Asks Roblox, without changing anything, whether this credential may write ranks in the group
   * (the start-up check's probe); each reason it may not is passed to `problem`.
   */
  probeRankWrite(groupId: number, roles: GroupRole[], problem: (setting: string, message: string) => void): Promise<boolean>;
}

export type RobloxErrorKind =
  | "user_not_found"
  | "not_in_group"
  | "role_not_found"
  | "role_not_assignable"
  | "group_not_found"
  | "missing_permission"
  | "cannot_change_own_rank"
  | "cannot_change_owner_rank"
  | "same_role"
  | "rate_limited"
  | "service_unavailable"
  | "invalid_credentials"
  | "no_credentials"
  | "network"
  | "timeout"
  | "invalid_request"
  | "unexpected_response";

export interface RobloxErrorDetails {
  /** HTTP status of the response that caused the error; absent for network failures and local checks. */
  status?: number;
  /** The API's own error code: a number for legacy BEDEV1 and gateway bodies, a string for Open Cloud v2. */
  code?: number | string;
  /** The API's message, verbatim (for logs, not for users). */
  apiMessage?: string;
  cause?: unknown;
}

/** A failed Roblox call: a `kind` to branch on, and what the response said when there was one. */
export abstract class RobloxError extends Error {
  abstract readonly kind: RobloxErrorKind;
  abstract readonly userMessage: string;
  /** Whether the same request may succeed later without anyone changing anything. */
  readonly retryable: boolean = false;
  readonly status: number | undefined;
  readonly code: number | string | undefined;
  readonly apiMessage: string | undefined;

  constructor(message: string, details: RobloxErrorDetails = {}) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = new.target.name;
    this.status = details.status;
    this.code = details.code;
    this.apiMessage = details.apiMessage;
  }
}

export function isRobloxError(error: unknown): error is RobloxError {
  return error instanceof RobloxError;
}
