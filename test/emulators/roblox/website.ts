/**
 * Changes people make on the Roblox website (or in Roblox's own apps), for tests: each one checks
 * the actor's authority as the legacy endpoints do, changes the group, and writes the audit entry
 * Roblox would write, naming the actor. A refusal throws (a test that asks for an impossible change
 * is wrong, not Roblox).
 *
 * The seeding helpers (setMembership, addRoleToMember, bulkSeed, ...) write no entries: they set up
 * the world as it was before the test began.
 */
import { type AuditLog, rankChange, roleChange, target } from "./audit-log.ts";
import { mayGrant, mayManage } from "./authority.ts";
import { type GroupRecord, highestRole, type MemberRecord, type RobloxState } from "./state.ts";

export interface WebsiteActions {
  /** ChangeRank: `actorUserId` gives `userId` the rank `roleId` (replacing every role but the base role). */
  changeRankAsUser(actorUserId: number, groupId: number, userId: number, roleId: number): void;
  /** AssignRole: one more role (multi-role). */
  assignRoleAsUser(actorUserId: number, groupId: number, userId: number, roleId: number): void;
  /** UnassignRole. */
  unassignRoleAsUser(actorUserId: number, groupId: number, userId: number, roleId: number): void;
  /** JoinGroup: the user joins with the base member role. */
  joinGroupAsUser(userId: number, groupId: number): void;
  /** LeaveGroup: the user leaves. */
  leaveGroupAsUser(userId: number, groupId: number): void;
  /** RemoveMember (exile): needs `exileMembers`. */
  removeMemberAsUser(actorUserId: number, groupId: number, userId: number): void;
  /** BanMember: needs `banMembers`; the member leaves the group (one BanMember entry; whether Roblox also logs RemoveMember is unconfirmed). */
  banMemberAsUser(actorUserId: number, groupId: number, userId: number): void;
}

export function websiteActions(state: RobloxState, audit: AuditLog): WebsiteActions {
  function memberOf(group: GroupRecord, userId: number): MemberRecord {
    const member = group.members.get(userId);
    if (!member) throw new Error(`user ${userId} is not a member of group ${group.id}`);
    return member;
  }

  function roleChangeBy(actorUserId: number, groupId: number, userId: number, roleId: number) {
    const group = state.requireGroup(groupId);
    const role = state.requireRole(group, roleId);
    const member = memberOf(group, userId);
    if (!mayManage(group, actorUserId, member, "changeRank") || !mayGrant(group, actorUserId, role)) {
      throw new Error(`user ${actorUserId} may not change the roles of ${userId} to ${roleId} in group ${groupId}`);
    }
    if (role === group.guestRole || role === group.ownerRole) throw new Error("the Guest and Owner roles cannot be given or taken");
    return { group, role, member, user: state.requireUser(userId) };
  }

  function exileBy(actorUserId: number, groupId: number, userId: number, permission: "exileMembers" | "banMembers") {
    const group = state.requireGroup(groupId);
    const member = memberOf(group, userId);
    if (!mayManage(group, actorUserId, member, permission)) {
      throw new Error(`user ${actorUserId} may not remove ${userId} from group ${groupId}`);
    }
    const action = permission === "banMembers" ? "BanMember" : "RemoveMember";
    audit.append(group, { actionType: action, actorUserId, description: target(state.requireUser(userId)) });
    state.leave(group, member);
  }

  return {
    changeRankAsUser(actorUserId, groupId, userId, roleId) {
      const { group, role, member, user } = roleChangeBy(actorUserId, groupId, userId, roleId);
      const before = highestRole(member);
      if (state.replaceRoles(group, member, role)) audit.append(group, rankChange(actorUserId, user, before, highestRole(member)));
    },
    assignRoleAsUser(actorUserId, groupId, userId, roleId) {
      const { group, role, member, user } = roleChangeBy(actorUserId, groupId, userId, roleId);
      if (state.assignRole(member, role)) audit.append(group, roleChange("AssignRole", actorUserId, user, role));
    },
    unassignRoleAsUser(actorUserId, groupId, userId, roleId) {
      const { group, role, member, user } = roleChangeBy(actorUserId, groupId, userId, roleId);
      if (role.isBase) throw new Error("the base member role cannot be unassigned");
      if (state.unassignRole(member, role)) audit.append(group, roleChange("UnassignRole", actorUserId, user, role));
    },
    joinGroupAsUser(userId, groupId) {
      const group = state.requireGroup(groupId);
      if (group.members.has(userId)) throw new Error(`user ${userId} is already a member of group ${groupId}`);
      state.joinAsMember(group, userId);
      audit.append(group, { actionType: "JoinGroup", actorUserId: userId, description: {} });
    },
    leaveGroupAsUser(userId, groupId) {
      const group = state.requireGroup(groupId);
      const member = memberOf(group, userId);
      if (group.ownerId === userId) throw new Error("the owner cannot leave the group");
      audit.append(group, { actionType: "LeaveGroup", actorUserId: userId, description: {} });
      state.leave(group, member);
    },
    removeMemberAsUser: (actorUserId, groupId, userId) => exileBy(actorUserId, groupId, userId, "exileMembers"),
    banMemberAsUser: (actorUserId, groupId, userId) => exileBy(actorUserId, groupId, userId, "banMembers"),
  };
}
