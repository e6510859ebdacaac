import { ApplicationCommandOptionType } from "discord-api-types/v10";
import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import { GUILD_ONLY, handleRankChangeButton, MEMBER_OPTION, REASON_OPTION, runRankChangeCommand, type RankCommandDependencies } from "./promote.ts";
import { rankChoices, resolveRankOption } from "./rank-autocomplete.ts";
import { requireGuild } from "./guards.ts";
import { CommandOptions } from "./options.ts";
import type { SlashCommand } from "./types.ts";

/** `/set-rank member rank [reason]`: any rank on the ladder, with the same steps as /promote. */
export function setRankCommand(deps: RankCommandDependencies): SlashCommand {
  return {
    definition: {
      name: "set-rank",
      description: "Give a member any rank: database, Discord role, Roblox rank and a DM",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: GUILD_ONLY,
      options: [
        MEMBER_OPTION,
        { type: ApplicationCommandOptionType.String, name: "rank", description: "The rank to give", required: true, autocomplete: true },
        REASON_OPTION,
      ],
    },
    ephemeral: true,
    execute: (context) =>
      runRankChangeCommand(context, deps, "set-rank", async (options, guildId) => {
        // A value typed without picking a suggestion is resolved here, with "did you mean" hints.
        const { ladder } = await deps.contexts.resolve(guildId);
        return { kind: "set", rank: resolveRankOption(ladder, options.string("rank")).id };
      }),
    component: (context) => handleRankChangeButton(context, deps, "set-rank", (rankId) => ({ kind: "set", rank: rankId })),
    async autocomplete({ interaction }) {
      const { guildId } = requireGuild(interaction);
      const focused = new CommandOptions(interaction.data).focused();
      return focused?.name === "rank" ? await rankChoices(deps, guildId, focused.value) : [];
    },
  };
}
