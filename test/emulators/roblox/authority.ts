/**
 * Who may change whom in a group, as the legacy rank and exile endpoints and the website check it:
 * the owner may manage everyone else; a member needs the permission and must outrank both the
 * target and any role it gives.
 */
import { type GroupRecord, hasPermission, highestRole, type MemberRecord, type RoleRecord, type RolePermissionKey } from "./state.ts";

/** The actor holds `permission` and outranks the target, who is not the owner. */
export function mayManage(group: GroupRecord, actorId: number, target: MemberRecord, permission: RolePermissionKey): boolean {
  if (target.userId === group.ownerId || target.userId === actorId) return false;
  if (actorId === group.ownerId) return true;
  const actor = group.members.get(actorId);
  if (!actor || !hasPermission(actor, permission)) return false;
  return highestRole(target).rank < highestRole(actor).rank;
}

/** The actor may give or take `role`: the owner, or a member ranked above it. */
export function mayGrant(group: GroupRecord, actorId: number, role: RoleRecord): boolean {
  if (actorId === group.ownerId) return true;
  const actor = group.members.get(actorId);
  return actor !== undefined && role.rank < highestRole(actor).rank;
}
