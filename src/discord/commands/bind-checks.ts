/**
 * The checks every new bind passes before anything is stored (design §3.1 and §10): not
 * @everyone, not a managed role (a bot's, the booster role, an integration's), a role the bot can
 * give (below its highest role, Manage Roles held), and the actor's own ceiling (decideBind: roles
 * below their highest, privileged roles only by the owner or an Administrator, ranks below theirs).
 */
import type { APIChatInputApplicationCommandInteraction, APIRole } from "discord-api-types/v10";
import type { Actor } from "../../ranks/authority.ts";
import { decideBind } from "../../ranks/bind-authority.ts";
import { RoleHierarchy, type GuildRole } from "../../ranks/hierarchy.ts";
import type { Rank, RankLadder } from "../../ranks/ladder.ts";
import type { DiscordGuilds } from "../guilds.ts";
import { describeRoleRefusal, type RoleRefusal } from "../views/binds.ts";
import { describeBindDenial } from "./bind-wording.ts";
import { CommandRefusedError } from "./guards.ts";

export interface BindCheckDependencies {
  guilds: Pick<DiscordGuilds, "guild" | "botStanding" | "rememberRole">;
}

export interface BindRequestFacts {
  guildId: string;
  roleId: string;
  actor: Actor;
  authority: { ownerId: string; adminRoleIds: string[] };
  ladder: RankLadder;
  /** The rank the bind gives (a rank bind; a range's top in the guild's own group); absent when it gives none. */
  rank?: Rank | Pick<Rank, "robloxRank">;
  /** What the refusal says the actor tried: "bind", "make the verified role". */
  what: string;
}

/**
 * The role the bind would give, as the guild has it now.
 * @throws CommandRefusedError with what to do instead; nothing has been changed then
 */
export async function requireBindableRole(
  deps: BindCheckDependencies,
  interaction: APIChatInputApplicationCommandInteraction,
  facts: BindRequestFacts,
): Promise<GuildRole> {
  const refuse = (refusal: RoleRefusal): never => {
    throw new CommandRefusedError(describeRoleRefusal(refusal, facts.roleId, facts.what));
  };
  if (facts.roleId === facts.guildId) refuse({ kind: "everyone" });

  // The role as the interaction resolved it is newer than any cached copy.
  await deps.guilds.guild(facts.guildId);
  const resolved: APIRole | undefined = interaction.data.resolved?.roles?.[facts.roleId];
  if (resolved) deps.guilds.rememberRole(facts.guildId, resolved);
  if (resolved?.managed) refuse({ kind: "managed", what: managedKind(resolved) });

  const standing = await deps.guilds.botStanding(facts.guildId);
  const problem = new RoleHierarchy(standing).problemWith(facts.roleId);
  if (problem?.kind === "managed") refuse({ kind: "managed", what: "integration" });
  if (problem) refuse({ kind: "bot-problem", message: problem.message });
  const role = standing.guildRoles.find((candidate) => candidate.id === facts.roleId)!;

  const decision = decideBind({
    actor: facts.actor,
    guild: facts.authority,
    ladder: facts.ladder,
    rank: facts.rank,
    role,
    guildRoles: standing.guildRoles,
  });
  if (!decision.allowed) refuse({ kind: "authority", message: describeBindDenial(decision.denial, facts.roleId) });
  return role;
}

function managedKind(role: APIRole): "bot" | "booster" | "integration" {
  if (role.tags?.bot_id) return "bot";
  if (role.tags && "premium_subscriber" in role.tags) return "booster";
  return "integration";
}
