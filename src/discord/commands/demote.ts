import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import { GUILD_ONLY, MEMBER_OPTION, REASON_OPTION, runRankChangeCommand, type RankCommandDependencies } from "./promote.ts";
import type { SlashCommand } from "./types.ts";

/** `/demote member [reason]`: next rank down; points never hold a demotion back. */
export function demoteCommand(deps: RankCommandDependencies): SlashCommand {
  return {
    definition: {
      name: "demote",
      description: "Move a member one rank down: database, Discord role, Roblox rank and a DM",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: GUILD_ONLY,
      options: [MEMBER_OPTION, REASON_OPTION],
    },
    ephemeral: true,
    execute: (context) => runRankChangeCommand(context, deps, "demote", () => ({ kind: "demote" })),
  };
}
