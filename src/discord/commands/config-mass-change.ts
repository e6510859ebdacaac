/**
 * `/config mass-change-threshold`: when a sync must wait for an admin before stripping ranks (the
 * mass-change guard, design §6 point 5). Held when more than `percent` of the linked members AND
 * more than `members` of them would lose their rank roles or count as gone from the group.
 */
import { ApplicationCommandOptionType, type APIApplicationCommandSubcommandOption } from "discord-api-types/v10";
import { DEFAULT_MASS_CHANGE_THRESHOLD, massChangeThresholdOf } from "../../sync/mass-change-guard.ts";
import type { ConfigCommandDependencies } from "./config.ts";
import { requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import type { CommandContext } from "./types.ts";

export const MASS_CHANGE_SUBCOMMAND = "mass-change-threshold";

export const massChangeSubcommand: APIApplicationCommandSubcommandOption = {
  type: ApplicationCommandOptionType.Subcommand,
  name: MASS_CHANGE_SUBCOMMAND,
  description: "When a sync waits for an admin before taking rank roles from many members at once",
  options: [
    {
      type: ApplicationCommandOptionType.Integer,
      name: "percent",
      description: `Hold when more than this % of linked members would lose their rank (default ${DEFAULT_MASS_CHANGE_THRESHOLD.percent})`,
      required: false,
      min_value: 0,
      max_value: 100,
    },
    {
      type: ApplicationCommandOptionType.Integer,
      name: "members",
      description: `...and more than this many members (default ${DEFAULT_MASS_CHANGE_THRESHOLD.members})`,
      required: false,
      min_value: 0,
      max_value: 1_000_000,
    },
  ],
};

/** The /config show line. */
export function massChangeField(settings: { massChangePercent: number | null; massChangeMembers: number | null } | undefined): { name: string; value: string; inline: boolean } {
  const threshold = massChangeThresholdOf(settings);
  const own = settings?.massChangePercent != null || settings?.massChangeMembers != null;
  return { name: "Mass-change check", value: `held above ${threshold.percent}% and ${threshold.members} members${own ? "" : " (default)"}`, inline: true };
}

export async function setMassChangeThreshold(
  deps: ConfigCommandDependencies,
  { interaction, respond }: CommandContext,
  options: CommandOptions,
): Promise<void> {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const percent = options.integer("percent");
  const members = options.integer("members");
  // Neither given: back to the defaults.
  const reset = percent === undefined && members === undefined;
  if (reset || percent !== undefined) await deps.settings.change(guildId, actor.userId, "massChangePercent", percent ?? null, `Mass-change threshold: ${percent ?? "default"} %`);
  if (reset || members !== undefined) await deps.settings.change(guildId, actor.userId, "massChangeMembers", members ?? null, `Mass-change threshold: ${members ?? "default"} members`);
  const threshold = massChangeThresholdOf(await deps.repositories.guilds.get(guildId));
  await respond.reply({
    content:
      `A sync now waits for an admin's confirmation when it would take the rank roles from (or count as gone from the group) ` +
      `more than **${threshold.percent}%** and more than **${threshold.members}** of the linked members. \`/sync force:true\` skips the check.`,
  });
}
