/**
 * `/config nickname template:<string>` (design §3.1): linked members' nickname, from placeholders
 * (src/ranks/nickname.ts); "off" turns it off. Longer results are cut to 32 characters, never
 * refused; a placeholder rankbridge doesn't know is refused, since every member would show it as
 * typed. Audited (GuildSettingsService.change).
 */
import { ApplicationCommandOptionType, type APIApplicationCommandSubcommandOption } from "discord-api-types/v10";
import { NICKNAME_PLACEHOLDERS, renderNickname } from "../../ranks/nickname.ts";
import { MAX_NICKNAME_TEMPLATE_LENGTH } from "../../services/setting-changes.ts";
import { nicknameWording } from "../views/gates.ts";
import type { ConfigCommandDependencies } from "./config.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import type { CommandContext } from "./types.ts";

export const NICKNAME_SUBCOMMAND = "nickname";

export const nicknameSubcommand: APIApplicationCommandSubcommandOption = {
  type: ApplicationCommandOptionType.Subcommand,
  name: NICKNAME_SUBCOMMAND,
  description: "Set linked members' nicknames from their Roblox account and rank",
  options: [
    {
      type: ApplicationCommandOptionType.String,
      name: "template",
      description: nicknameWording.optionDescription,
      required: true,
      max_length: MAX_NICKNAME_TEMPLATE_LENGTH,
    },
  ],
};

export async function setNicknameTemplate(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const outcome = await deps.settingChanges.nicknameTemplate(guildId, actor.userId, options.string("template") ?? "");
  if (outcome.kind === "empty") throw new CommandRefusedError(nicknameWording.empty);
  if (outcome.kind === "unknown-placeholders") throw new CommandRefusedError(nicknameWording.unknownPlaceholders(outcome.unknown, NICKNAME_PLACEHOLDERS));
  const { template } = outcome;

  const topRank = (await deps.repositories.ranks.list(guildId)).at(-1);
  const example = renderNickname(template, {
    robloxUsername: "builderman",
    displayName: "Builder",
    robloxUserId: 156,
    rank: topRank ? { name: topRank.name, robloxRank: topRank.robloxRank } : null,
    discordName: interaction.member?.user.global_name ?? interaction.member?.user.username ?? "member",
  });
  await respond.reply({ content: nicknameWording.reply(template, example, outcome.botMayManageNicknames), allowed_mentions: { parse: [] } });
}
