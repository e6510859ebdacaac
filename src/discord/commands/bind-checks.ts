/**
 * What every command that makes a bind does before asking the bind service: the role as the
 * interaction resolved it is remembered (newer than any cached copy), and a refusal is worded
 * (src/discord/views/binds.ts), naming the managed role's kind from Discord's role tags.
 */
import type { APIChatInputApplicationCommandInteraction, APIRole } from "discord-api-types/v10";
import type { BindRoleRefusal } from "../../services/binds.ts";
import type { DiscordGuilds } from "../guilds.ts";
import { describeRoleRefusal, type RoleRefusal } from "../views/binds.ts";
import { describeRoleProblem } from "../views/role-problems.ts";
import { describeBindDenial } from "./bind-wording.ts";

export interface BindCheckDependencies {
  guilds: Pick<DiscordGuilds, "guild" | "rememberRole">;
}

/** Makes the guild's role cache current with the role the interaction names. */
export async function rememberResolvedRole(deps: BindCheckDependencies, interaction: APIChatInputApplicationCommandInteraction, guildId: string, roleId: string): Promise<void> {
  await deps.guilds.guild(guildId);
  const resolved = interaction.data.resolved?.roles?.[roleId];
  if (resolved) deps.guilds.rememberRole(guildId, resolved);
}

/** The refusal in words; `what` is what the actor tried ("bind", "make the verified role"). */
export function wordRoleRefusal(refusal: BindRoleRefusal, interaction: APIChatInputApplicationCommandInteraction, roleId: string, what: string): string {
  const resolved: APIRole | undefined = interaction.data.resolved?.roles?.[roleId];
  const worded: RoleRefusal =
    refusal.kind === "everyone"
      ? { kind: "everyone" }
      : refusal.kind === "managed"
        ? { kind: "managed", what: managedKind(resolved) }
        : refusal.kind === "bot-cannot-manage"
          ? { kind: "bot-problem", message: describeRoleProblem(refusal.problem) }
          : { kind: "authority", message: describeBindDenial(refusal.denial, roleId) };
  return describeRoleRefusal(worded, roleId, what);
}

function managedKind(role: APIRole | undefined): "bot" | "booster" | "integration" {
  if (role?.tags?.bot_id) return "bot";
  if (role?.tags && "premium_subscriber" in role.tags) return "booster";
  return "integration";
}
