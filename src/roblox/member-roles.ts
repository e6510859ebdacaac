/**
 * A member's roles in one group, read against the group's role list: the highest (their rank), all
 * of them with ranks, and what a rank change must assign and unassign to move the ladder rank while
 * keeping every other role (multi-role membership, 2026-03-31).
 */
import { RobloxMalformedAnswerError } from "./schemas.ts";
import type { GroupMember, GroupRole, MemberRank } from "./types.ts";

/** Every role the member holds with its rank, highest first. */
export function rolesHeld(member: GroupMember, roles: GroupRole[]): MemberRank[] {
  highestRole(member, roles); // every held role must be listed
  return roles
    .filter((role) => member.roleIds.includes(role.id) || role.id === member.roleId)
    .sort((a, b) => b.rank - a.rank)
    .map((role) => ({ roleId: role.id, rank: role.rank }));
}

/** The member's highest-ranked role (Open Cloud: rank = the highest of the roles held). */
export function highestRole(member: GroupMember, roles: GroupRole[]): GroupRole {
  // A rank guessed from a partial role list could demote someone (their base role would look
  // highest): every role they hold must be listed, or the answer is asked for again later.
  const missing = [member.roleId, ...member.roleIds].find((id) => !roles.some((role) => role.id === id));
  if (missing !== undefined) {
    throw new RobloxMalformedAnswerError("list roles", "groupRoles", `lacks role ${missing}, which user ${member.userId} holds`);
  }
  const held = roles.filter((role) => member.roleIds.includes(role.id) || role.id === member.roleId);
  return held.reduce((best, role) => (role.rank > best.rank ? role : best));
}

/**
 * What a rank change to `target` sends (see `setRank`): the member's rank role is the highest
 * ladder role they hold; it and every ladder role above the target go, the target comes, and every
 * other role is kept. Without a ladder every role of the group counts as a rank.
 */
export function rankChangeFor(
  member: GroupMember,
  roles: GroupRole[],
  target: GroupRole,
  ladderRoleIds: readonly number[] | undefined,
): { previous: GroupRole; assign: boolean; unassign: number[]; kept: number[] } {
  const ladder = ladderRoleIds ? new Set(ladderRoleIds) : undefined;
  const onLadder = (role: GroupRole) => ladder === undefined || ladder.has(role.id);
  const held = roles.filter((role) => member.roleIds.includes(role.id)).sort((a, b) => b.rank - a.rank);
  const previous = held.find(onLadder) ?? highestRole(member, roles);
  const removable = (role: GroupRole) =>
    !role.isBase && role.id !== target.id && onLadder(role) && (role.id === previous.id || role.rank > target.rank);
  const unassign = held.filter(removable).map((role) => role.id);
  const kept = held.filter((role) => !role.isBase && role.id !== target.id && !unassign.includes(role.id)).map((role) => role.id);
  return { previous, assign: !target.isBase && !member.roleIds.includes(target.id), unassign, kept };
}
