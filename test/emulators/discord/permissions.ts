// Guild-level permissions and the role hierarchy, as Discord enforces them
// (docs: topics/permissions#permission-hierarchy). Channel overwrites are not modelled.
import { PermissionFlagsBits } from "discord-api-types/v10";
import { compareSnowflakes } from "./snowflake.ts";
import type { GuildRec, MemberRec, RoleRec } from "./state.ts";

export const ALL_PERMISSIONS = Object.values(PermissionFlagsBits).reduce((a, b) => a | b, 0n);

export function basePermissions(guild: GuildRec, userId: string): bigint {
  if (guild.ownerId === userId) return ALL_PERMISSIONS;
  const member = guild.members.get(userId);
  let perms = guild.roles.get(guild.id)?.permissions ?? 0n;
  if (member) for (const id of member.roles) perms |= guild.roles.get(id)?.permissions ?? 0n;
  return perms & PermissionFlagsBits.Administrator ? ALL_PERMISSIONS : perms;
}

export function hasPermission(guild: GuildRec, userId: string, flag: bigint): boolean {
  return (basePermissions(guild, userId) & flag) === flag;
}

/** >0 when a sits above b. Equal positions: the older (lower id) role ranks higher, as clients sort. */
export function compareRoles(a: RoleRec, b: RoleRec): number {
  return a.position - b.position || compareSnowflakes(b.id, a.id);
}

export function highestRole(guild: GuildRec, member: MemberRec | undefined): RoleRec {
  let top = guild.roles.get(guild.id)!;
  if (member) {
    for (const id of member.roles) {
      const r = guild.roles.get(id);
      if (r && compareRoles(r, top) > 0) top = r;
    }
  }
  return top;
}

/**
 * Can `actorId` add, remove or edit `role`? Needs MANAGE_ROLES (Administrator implies it) and the role
 * strictly below the actor's highest role; the owner bypasses both. Administrator does not bypass the
 * hierarchy.
 */
export function canManageRole(guild: GuildRec, actorId: string, role: RoleRec): boolean {
  if (guild.ownerId === actorId) return true;
  if (!hasPermission(guild, actorId, PermissionFlagsBits.ManageRoles)) return false;
  return compareRoles(highestRole(guild, guild.members.get(actorId)), role) > 0;
}

/** Can `actorId` act on `target` (nickname, kick...): target's top role strictly below the actor's; never the owner. */
export function outranksMember(guild: GuildRec, actorId: string, targetId: string): boolean {
  if (guild.ownerId === actorId) return true;
  if (guild.ownerId === targetId) return false;
  if (actorId === targetId) return true;
  return compareRoles(highestRole(guild, guild.members.get(actorId)), highestRole(guild, guild.members.get(targetId))) > 0;
}
