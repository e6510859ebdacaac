/**
 * `/binds add-rank-role|add-range|list|remove` (design §3.1): which Discord roles rankbridge gives
 * for a ladder rank or a rank-number range in any Roblox group. Admin only; every change audited.
 * The handlers are beside this file (binds-add.ts, binds-list.ts, binds-remove.ts).
 */
import { ApplicationCommandOptionType } from "discord-api-types/v10";
import { MAX_ROBLOX_RANK, MIN_ROBLOX_RANK } from "../../ranks/binds.ts";
import type { BindService } from "../../services/binds.ts";
import { NotRankAdminError } from "../../services/admin-gate.ts";
import type { BindCheckDependencies } from "./bind-checks.ts";
import { addRange, addRankRole } from "./binds-add.ts";
import { listBinds } from "./binds-list.ts";
import { bindChoices, removeBind } from "./binds-remove.ts";
import type { AdminCheckDependencies, SomeRepositories } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import { CommandOptions } from "./options.ts";
import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import { rankChoices } from "./rank-autocomplete.ts";
import type { SlashCommand } from "./types.ts";

export type BindsCommandDependencies = AdminCheckDependencies &
  BindCheckDependencies & {
    repositories: SomeRepositories<"guilds" | "ranks">;
    binds: Pick<BindService, "addRankRole" | "addRange" | "remove" | "stored" | "overview">;
  };

const rankNumber = (name: string, description: string) => ({
  type: ApplicationCommandOptionType.Integer as const,
  name,
  description,
  required: true,
  min_value: MIN_ROBLOX_RANK,
  max_value: MAX_ROBLOX_RANK,
});

export function bindsCommand(deps: BindsCommandDependencies): SlashCommand {
  return {
    definition: {
      name: "binds",
      description: "Which Discord roles rankbridge gives for Roblox ranks and ranges",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: [0],
      options: [
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "add-rank-role",
          description: "A ladder rank gives this role too (a rank may give several roles)",
          options: [
            { type: ApplicationCommandOptionType.String, name: "rank", description: "The ladder rank", required: true, autocomplete: true },
            { type: ApplicationCommandOptionType.Role, name: "role", description: "The Discord role its members also get", required: true },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "add-range",
          description: "Members whose rank number in a Roblox group lies in a range hold a role",
          options: [
            {
              type: ApplicationCommandOptionType.Integer,
              name: "group",
              description: "The Roblox group id (this server's or another, such as an ally)",
              required: true,
              min_value: 1,
            },
            rankNumber("min-rank", "Lowest rank number, 0 to 255 (0: not in the group)"),
            rankNumber("max-rank", "Highest rank number, 0 to 255"),
            { type: ApplicationCommandOptionType.Role, name: "role", description: "The Discord role they hold", required: true },
          ],
        },
        { type: ApplicationCommandOptionType.Subcommand, name: "list", description: "Every role rankbridge manages and the binds it comes from" },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "remove",
          description: "Remove a bind (its roles are no longer given or taken)",
          options: [{ type: ApplicationCommandOptionType.String, name: "bind", description: "The bind to remove", required: true, autocomplete: true, max_length: 100 }],
        },
      ],
    },
    ephemeral: true,
    async execute(context) {
      const options = new CommandOptions(context.interaction.data);
      switch (options.subcommand) {
        case "add-rank-role":
          return addRankRole(deps, context, options);
        case "add-range":
          return addRange(deps, context, options);
        case "list":
          return listBinds(deps, context);
        case "remove":
          return removeBind(deps, context, options);
        default:
          throw new CommandRefusedError("Unknown /binds subcommand. Commands may still be updating; try again shortly.");
      }
    },
    async autocomplete({ interaction }) {
      // Choices name the guild's roles and ranks: only its admins see them.
      const admin = await requireAdmin(interaction, deps).catch((error: unknown) => {
        if (error instanceof NotRankAdminError) return null;
        throw error;
      });
      if (!admin) return [];
      const { guildId } = admin;
      const focused = new CommandOptions(interaction.data).focused();
      if (focused?.name === "rank") return await rankChoices(deps, guildId, focused.value);
      if (focused?.name === "bind") return bindChoices(deps, guildId, focused.value);
      return [];
    },
  };
}
