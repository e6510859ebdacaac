/**
 * `/config min-account-age days:<integer>` (design §3.1): Roblox accounts younger than this cannot
 * link here (the linking service applies it); 0 turns the gate off. Audited (GuildSettingsService.change).
 */
import { ApplicationCommandOptionType, type APIApplicationCommandSubcommandOption } from "discord-api-types/v10";
import { MAX_ACCOUNT_AGE_DAYS, MIN_ACCOUNT_AGE_DAYS } from "../../ranks/account-age.ts";
import { minAccountAgeWording } from "../views/gates.ts";
import type { ConfigCommandDependencies } from "./config.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import type { CommandContext } from "./types.ts";

export const MIN_ACCOUNT_AGE_SUBCOMMAND = "min-account-age";

export const minAccountAgeSubcommand: APIApplicationCommandSubcommandOption = {
  type: ApplicationCommandOptionType.Subcommand,
  name: MIN_ACCOUNT_AGE_SUBCOMMAND,
  description: "Roblox accounts younger than this cannot link here",
  options: [
    {
      type: ApplicationCommandOptionType.Integer,
      name: "days",
      description: minAccountAgeWording.optionDescription,
      required: true,
      min_value: MIN_ACCOUNT_AGE_DAYS,
      max_value: MAX_ACCOUNT_AGE_DAYS,
    },
  ],
};

export async function setMinAccountAge(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  // Discord enforces min/max on the option; a value that arrives outside them anyway is refused here.
  const outcome = await deps.settingChanges.minAccountAge(guildId, actor.userId, options.integer("days"));
  if (outcome.kind === "invalid") throw new CommandRefusedError(minAccountAgeWording.invalid);
  await respond.reply({ content: minAccountAgeWording.reply(outcome.days) });
}
