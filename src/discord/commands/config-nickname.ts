/**
 * `/config nickname template:<string>` (design §3.1): linked members' nickname, from placeholders
 * (src/ranks/nickname.ts); "off" turns it off. Longer results are cut to 32 characters, never
 * refused; a placeholder rankbridge doesn't know is refused, since every member would show it as
 * typed. Audited (GuildSettingsService.change).
 */
import { ApplicationCommandOptionType, type APIApplicationCommandSubcommandOption } from "discord-api-types/v10";
import { DiscordPermission, hasPermission } from "../../ranks/hierarchy.ts";
import { NICKNAME_OFF, NICKNAME_PLACEHOLDERS, renderNickname, unknownPlaceholders } from "../../ranks/nickname.ts";
import { nicknameWording } from "../views/gates.ts";
import type { ConfigCommandDependencies } from "./config.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import type { CommandContext } from "./types.ts";

export const NICKNAME_SUBCOMMAND = "nickname";
/** Room for a few placeholders and text; the result is cut to 32 characters anyway. */
const MAX_TEMPLATE_LENGTH = 100;

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
      max_length: MAX_TEMPLATE_LENGTH,
    },
  ],
};

export async function setNicknameTemplate(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const input = (options.string("template") ?? "").trim();
  if (input === "") throw new CommandRefusedError(nicknameWording.empty);
  const template = input.toLowerCase() === NICKNAME_OFF ? null : input.slice(0, MAX_TEMPLATE_LENGTH);
  if (template) {
    const unknown = unknownPlaceholders(template);
    if (unknown.length > 0) throw new CommandRefusedError(nicknameWording.unknownPlaceholders(unknown, NICKNAME_PLACEHOLDERS));
  }
  await deps.settings.change(guildId, actor.userId, "nicknameTemplate", template, nicknameWording.audit(template));

  const topRank = (await deps.repositories.ranks.list(guildId)).at(-1);
  const example = renderNickname(template, {
    robloxUsername: "builderman",
    displayName: "Builder",
    robloxUserId: 156,
    rank: topRank ? { name: topRank.name, robloxRank: topRank.robloxRank } : null,
    discordName: interaction.member?.user.global_name ?? interaction.member?.user.username ?? "member",
  });
  const canManage = template ? hasPermission((await deps.guilds.botStanding(guildId)).botPermissions, DiscordPermission.ManageNicknames) : true;
  await respond.reply({ content: nicknameWording.reply(template, example, canManage), allowed_mentions: { parse: [] } });
}
