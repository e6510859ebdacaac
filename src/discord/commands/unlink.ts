import { InteractionContextType } from "discord-api-types/v10";
import type { LinkingService, RoleUpdate } from "../../services/linking.ts";
import { requireGuild } from "./guards.ts";
import type { SlashCommand } from "./types.ts";
import { roleUpdateFixes, roleUpdateReason } from "../views/link-roles.ts";

/**
 * `/unlink`: removes the member's link and takes their rank roles, which only the link justified
 * (keeping them while sync stops following the member would leave stale ranks behind).
 */
export function unlinkCommand({ linking }: { linking: LinkingService }): SlashCommand {
  return {
    definition: {
      name: "unlink",
      description: "Unlink your Roblox account from this server (your rank roles are removed)",
      contexts: [InteractionContextType.Guild],
    },
    ephemeral: true,

    async execute({ interaction, respond }) {
      const { guildId, member } = requireGuild(interaction);
      const unlinked = await linking.unlink(guildId, member.user.id);
      await respond.reply({
        content: [
          `<@${member.user.id}> is no longer linked to Roblox **${unlinked.robloxUsername}**.`,
          removedRolesLine(unlinked.roles),
          "Run `/link-roblox` to link again.",
        ].join("\n"),
        allowed_mentions: { parse: [] },
      });
    },
  };
}

function removedRolesLine(roles: RoleUpdate): string {
  switch (roles.status) {
    case "applied":
      return roles.removed.length > 0 ? `Rank roles removed: ${roles.removed.map((id) => `<@&${id}>`).join(", ")}.` : "You had no rank roles to remove.";
    case "skipped":
      return `Rank roles untouched: ${roleUpdateReason(roles)}.`;
    case "blocked":
      return `Your rank roles couldn't be removed. An admin needs to fix this: ${roleUpdateFixes(roles)}`;
    case "failed":
      return `Your rank roles couldn't be removed (${roleUpdateReason(roles)}). An admin can remove them.`;
  }
}
