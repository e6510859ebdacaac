import type { APIInteractionGuildMember, APIInteraction } from "discord-api-types/v10";
import type { AdminCheckDependencies } from "./dependencies.ts";
import { isRankAdmin, type Actor } from "../../ranks/authority.ts";

/** Refusals whose message is shown to the user as it is (the router displays `userMessage`). */
export class CommandRefusedError extends Error {
  constructor(readonly userMessage: string) {
    super(userMessage);
    this.name = "CommandRefusedError";
  }
}

/** The guild and member of an interaction; commands of this bot only make sense inside a server. */
export function requireGuild(interaction: APIInteraction): { guildId: string; member: APIInteractionGuildMember } {
  if (!interaction.guild_id || !interaction.member) {
    throw new CommandRefusedError("This command only works inside a server.");
  }
  return { guildId: interaction.guild_id, member: interaction.member };
}

export function actorOf(member: APIInteractionGuildMember): Actor {
  return { userId: member.user.id, roleIds: member.roles, permissions: BigInt(member.permissions) };
}

/**
 * Admin commands need Manage Roles or the guild's configured admin role (design §3). Checked on
 * every call, not only through `default_member_permissions`, which server admins can override.
 */
export async function requireAdmin(
  interaction: APIInteraction,
  dependencies: AdminCheckDependencies,
): Promise<{ guildId: string; actor: Actor; ownerId: string; adminRoleIds: string[] }> {
  const { guildId, member } = requireGuild(interaction);
  const settings = dependencies.repositories.guilds.get(guildId);
  const guild = await dependencies.guilds.guild(guildId);
  const adminRoleIds = settings?.adminRoleId ? [settings.adminRoleId] : [];
  const actor = actorOf(member);
  if (!isRankAdmin(actor, { ownerId: guild.ownerId, adminRoleIds })) {
    throw new CommandRefusedError(
      "You need the Manage Roles permission" + (adminRoleIds.length ? " or this server's rankbridge admin role" : "") + " to use this command.",
    );
  }
  return { guildId, actor, ownerId: guild.ownerId, adminRoleIds };
}
