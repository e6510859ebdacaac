/**
 * The one admin check (design §3): Manage Roles, the guild's configured rankbridge admin role, or
 * the owner. Every admin command and every service that changes ranks asks here, so the rule and
 * its refusal are the same wherever they are met. Checked on every call, not only through
 * `default_member_permissions`, which server admins can override.
 */
import { isRankAdmin, type Actor, type GuildAuthority } from "../ranks/authority.ts";

/** The caller is not a rankbridge admin in this guild. */
export class NotRankAdminError extends Error {
  override readonly name = "NotRankAdminError";
  readonly reason = "not-admin";
  constructor(
    /** Whether the guild has an admin role the caller could have held (the reply names it). */
    readonly adminRoleConfigured: boolean,
  ) {
    super("the caller is not a rankbridge admin in this guild");
  }
}

/** What the gate reads: the guild's settings (its admin role) and its owner. */
export interface AdminGateSources {
  settings: { get(guildId: string): Promise<{ adminRoleId: string | null } | undefined | null> };
  guilds: { guild(guildId: string): Promise<{ ownerId: string }> };
}

export interface AdminAuthority {
  ownerId: string;
  adminRoleIds: string[];
}

/** @throws NotRankAdminError unless `actor` may run admin commands in `guildId`. */
export async function requireRankAdmin(sources: AdminGateSources, guildId: string, actor: Actor): Promise<AdminAuthority> {
  const adminRoleId = (await sources.settings.get(guildId))?.adminRoleId;
  const adminRoleIds = adminRoleId ? [adminRoleId] : [];
  const { ownerId } = await sources.guilds.guild(guildId);
  const authority: GuildAuthority = { ownerId, adminRoleIds };
  if (!isRankAdmin(actor, authority)) throw new NotRankAdminError(adminRoleIds.length > 0);
  return { ownerId, adminRoleIds };
}
