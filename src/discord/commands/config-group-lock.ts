/**
 * `/config group-lock mode:<off|remove-roles|kick>` (design §3.1): what happens to a linked member
 * who is not in the guild's Roblox group. The sync and the join path apply it; this stores it,
 * audited, and says when the bot cannot kick yet.
 */
import { ApplicationCommandOptionType, type APIApplicationCommandSubcommandOption } from "discord-api-types/v10";
import { GROUP_LOCK_MODES, } from "../../db/schema.ts";
import { groupLockWording } from "../views/gates.ts";
import type { ConfigCommandDependencies } from "./config.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import type { CommandContext } from "./types.ts";

export const GROUP_LOCK_SUBCOMMAND = "group-lock";

export const groupLockSubcommand: APIApplicationCommandSubcommandOption = {
  type: ApplicationCommandOptionType.Subcommand,
  name: GROUP_LOCK_SUBCOMMAND,
  description: "What happens to a linked member who is not in this server's Roblox group",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "mode",
      description: groupLockWording.optionDescription,
      required: true,
      choices: GROUP_LOCK_MODES.map((mode) => ({ name: mode, value: mode })),
    },
  ],
};

export async function setGroupLock(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const outcome = await deps.settingChanges.groupLock(guildId, actor.userId, options.string("mode"));
  if (outcome.kind === "invalid") throw new CommandRefusedError(groupLockWording.invalid);
  await respond.reply({ content: groupLockWording.reply(outcome.mode, outcome.botMayKick) });
}
