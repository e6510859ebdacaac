import type { APIInteractionGuildMember, APIInteraction } from "discord-api-types/v10";
import type { Actor } from "../../ranks/authority.ts";
import { requireRankAdmin } from "../../services/admin-gate.ts";
import type { AdminCheckDependencies } from "./dependencies.ts";

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

/** Admin commands need Manage Roles or the guild's configured admin role (design §3; the one check is services/admin-gate.ts). */
export async function requireAdmin(
  interaction: APIInteraction,
  dependencies: AdminCheckDependencies,
): Promise<{ guildId: string; actor: Actor; ownerId: string; adminRoleIds: string[] }> {
  const { guildId, member } = requireGuild(interaction);
  const actor = actorOf(member);
  const { ownerId, adminRoleIds } = await requireRankAdmin({ settings: dependencies.repositories.guilds, guilds: dependencies.guilds }, guildId, actor);
  return { guildId, actor, ownerId, adminRoleIds };
}
