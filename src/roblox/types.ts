/** What the rest of the bot sees of Roblox: plain data, the same whichever API answered. */
import type { RequestTally } from "./transport.ts";

export type RobloxUserId = number;

/** Which credential the client was given: decides the API family and whether writes are possible. */
export type RobloxAuthKind = "api-key" | "cookie" | "none";

export interface GroupInfo {
  id: number;
  name: string;
  description: string;
  /** Absent when the group is abandoned. */
  ownerUserId: RobloxUserId | null;
  memberCount: number;
}

export interface GroupRole {
  id: number;
  name: string;
  /** 0 (Guest) to 255 (Owner); distinct from the role id. */
  rank: number;
  /** Not returned for the Guest role, and by some API versions. */
  memberCount: number | null;
  /** The member role every member holds (multi-role groups); the lowest non-guest role otherwise. */
  isBase: boolean;
  /**
   * The role's "Change rank" permission; null when the credentials may not see it (Open Cloud shows
   * permissions only of the key owner's roles, or all to the owner; legacy never).
   */
  canChangeRank: boolean | null;
}

export interface GroupMember {
  userId: RobloxUserId;
  /** The highest-ranked role the member holds. */
  roleId: number;
  /** Every role the member holds (Open Cloud's multi-role model); `[roleId]` where an API shows only one. */
  roleIds: number[];
}

export interface MemberRank {
  roleId: number;
  rank: number;
}

export interface Membership extends GroupMember, MemberRank {
  roleName: string;
  /** Every role the member holds with its rank, highest first (the first is `roleId`/`rank`). */
  roles: MemberRank[];
}

/**
 * Per Roblox group id, per linked user, every role held with its rank (highest first). A user
 * absent from a group's map is not in that group (rank 0, Guest).
 */
export type GroupRoleHoldings = Map<number, Map<RobloxUserId, MemberRank[]>>;

export interface RosterPage {
  members: GroupMember[];
  /** Pass back to resume after this page; null on the last page. */
  nextPageToken: string | null;
}

export interface RobloxUser {
  id: RobloxUserId;
  name: string;
  displayName: string;
}

export interface RobloxUserProfile extends RobloxUser {
  /** The profile's About text (Open Cloud `about`, legacy `description`). */
  about: string;
}

export interface SetRankResult {
  /** False when the member already held that rank and nothing was sent. */
  changed: boolean;
  /** The role that was the member's (ladder) rank before. */
  previousRoleId: number;
  roleId: number;
  /** Roles taken away (Open Cloud): the old rank role and ladder roles above the new rank. Other roles are kept. */
  unassignedRoleIds: number[];
}

export interface SetRankOptions {
  /**
   * The Roblox role ids of the guild's rank ladder. A rank change replaces the member's ladder rank
   * and leaves every other role they hold alone; without it, every role of the group counts as a
   * rank. Ignored on the legacy hosts, which show and set one role only.
   */
  ladderRoleIds?: readonly number[];
  tally?: RequestTally;
}
