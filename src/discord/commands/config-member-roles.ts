/**
 * `/config verified-role` and `/config unverified-role` (design §3.1): the role linked members hold
 * and the role members who are not linked hold. Leaving the role out unsets it. A new role passes the
 * same checks as any bind (bind-checks.ts); every change is audited (GuildSettingsService.change).
 */
import { ApplicationCommandOptionType, type APIApplicationCommandSubcommandOption } from "discord-api-types/v10";
import { memberRoleSettingWording } from "../views/binds.ts";
import { rememberResolvedRole, wordRoleRefusal } from "./bind-checks.ts";
import type { ConfigCommandDependencies } from "./config.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import type { CommandContext } from "./types.ts";

export const VERIFIED_ROLE_SUBCOMMAND = "verified-role";
export const UNVERIFIED_ROLE_SUBCOMMAND = "unverified-role";

const subcommand = (name: string, description: string, roleDescription: string): APIApplicationCommandSubcommandOption => ({
  type: ApplicationCommandOptionType.Subcommand,
  name,
  description,
  options: [{ type: ApplicationCommandOptionType.Role, name: "role", description: roleDescription }],
});

export const verifiedRoleSubcommand = subcommand(VERIFIED_ROLE_SUBCOMMAND, "The role every linked member holds", "The verified role; leave empty to have none");
export const unverifiedRoleSubcommand = subcommand(
  UNVERIFIED_ROLE_SUBCOMMAND,
  "The role members hold until they link",
  "The unverified role; leave empty to have none",
);

export async function setMemberRoleSetting(
  deps: ConfigCommandDependencies,
  { interaction, respond }: CommandContext,
  options: CommandOptions,
  which: "verified" | "unverified",
): Promise<void> {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  const wording = memberRoleSettingWording[which];
  const roleId = options.snowflake("role") ?? null;
  if (roleId) await rememberResolvedRole(deps, interaction, guildId, roleId);
  const outcome = await deps.settingChanges.memberRole({ guildId, actor, authority: { ownerId, adminRoleIds } }, which, roleId);
  if (outcome.kind === "same-as-other") throw new CommandRefusedError(memberRoleSettingWording.sameAsOther(outcome.roleId));
  if (outcome.kind === "role-refused") throw new CommandRefusedError(wordRoleRefusal(outcome.refusal, interaction, outcome.roleId, `make the ${which} role`));
  await respond.reply({ content: roleId ? wording.set(roleId) : wording.unset, allowed_mentions: { parse: [] } });
}
