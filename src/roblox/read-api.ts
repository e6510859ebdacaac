import type { RequestTally } from "./transport.ts";
import type { GroupInfo, GroupMember, GroupRole, RobloxUserId, RobloxUserProfile, RosterPage } from "./types.ts";

/** A membership with the group it is in (answers that cover several groups). */
export type GroupMembership = GroupMember & { groupId: number };

export type ApiFamily = "open-cloud" | "legacy";

/** Page sizes are the maximum each endpoint allows: fewer requests for the same data. */
export const ROSTER_PAGE_SIZE = 100;
export const ROLES_PAGE_SIZE = 20;
/** `groups/-/memberships` takes at most 50 users in one `user in [...]` filter. */
export const MEMBERSHIP_BATCH_SIZE = 50;

/** The reads both API families (Open Cloud with a key, legacy with a cookie or none) provide. */
export interface RobloxReadApi {
  getGroup(groupId: number, tally?: RequestTally): Promise<GroupInfo>;
  listRoles(groupId: number, tally?: RequestTally): Promise<GroupRole[]>;
  /** Null when the user is not a member. */
  getMember(groupId: number, userId: RobloxUserId, tally?: RequestTally): Promise<GroupMember | null>;
  rosterPage(groupId: number, pageToken: string | null, tally?: RequestTally): Promise<RosterPage>;
  roleMembersPage(groupId: number, roleId: number, pageToken: string | null, tally?: RequestTally): Promise<RosterPage>;
  /** The members of the group among at most `MEMBERSHIP_BATCH_SIZE` users; non-members are left out. */
  membersAmong(groupId: number, userIds: RobloxUserId[], tally?: RequestTally): Promise<GroupMember[]>;
  /**
   * Every group membership of at most `MEMBERSHIP_BATCH_SIZE` users, whatever the group: Open Cloud
   * answers `groups/-/memberships` with all of them (more pages when the users are in many groups);
   * the legacy hosts take one request per user, each listing all of that user's groups.
   */
  groupMembershipsAmong(userIds: RobloxUserId[], tally?: RequestTally): Promise<GroupMembership[]>;
  getUserProfile(userId: RobloxUserId, tally?: RequestTally): Promise<RobloxUserProfile>;
  /** Legacy hosts have no batch lookup: there `membersAmong` costs one request per user. */
  readonly family: ApiFamily;
}

/** Open Cloud has no base-role flag: the lowest non-guest role is the one every member holds. */
export function markBaseRole<T extends Omit<GroupRole, "isBase"> & { isBase?: boolean | null }>(roles: T[]): GroupRole[] {
  const flagged = roles.some((role) => role.isBase === true);
  const lowest = Math.min(...roles.filter((role) => role.rank > 0 && role.rank < 255).map((role) => role.rank));
  return roles
    .map((role) => ({ ...role, isBase: flagged ? role.isBase === true : role.rank === lowest }))
    .sort((a, b) => a.rank - b.rank);
}
