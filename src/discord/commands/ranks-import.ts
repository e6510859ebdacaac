/**
 * `/ranks import`: reads the group's Roblox roles into the ladder and binds each to the Discord role
 * of the same name. Binds by name obey design §10 like any bind (ranks below the actor's own, roles
 * below their highest role) and never give a role with server-wide permissions; those are reported.
 */
import type { API } from "@discordjs/core";
import type { LadderEntry } from "../../db/repositories/ranks.ts";
import { decideBind, decideRankBind, privilegedPermissionsOf, type BindDenial } from "../../ranks/bind-authority.ts";
import { DiscordPermission, hasPermission, RoleHierarchy, type BotStanding, type GuildRole } from "../../ranks/hierarchy.ts";
import { GUEST_ROBLOX_RANK, type Rank } from "../../ranks/ladder.ts";
import type { GroupRole } from "../../roblox/types.ts";
import { ladderOrEmpty } from "../../services/bind-review.ts";
import { GroupNotConfiguredError } from "../../services/guild-context.ts";
import { userMessageOf } from "../../errors/user-message.ts";
import { describeBindDenial } from "./bind-wording.ts";
import { asRole } from "../schemas.ts";
import type { CommandDependencies } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import { groupFooter, ladderEmbed } from "./list-ranks.ts";
import { permissionBits } from "./permissions.ts";
import type { CommandContext } from "./types.ts";
import { escapeMarkdown, truncate } from "../views/markdown.ts";

/** Discord's cap on roles per guild. */
const MAX_GUILD_ROLES = 250;
export const MAX_RANK_NAME_LENGTH = 100;
const ROLES_SETTINGS = "Server Settings → Roles";

/** Rank rows as kept in audit before/after: enough to see what changed, nothing more. */
function ladderSnapshot(ranks: readonly Rank[]) {
  return ranks.map((rank) => ({ name: rank.name, robloxRoleId: rank.robloxRoleId, robloxRank: rank.robloxRank, discordRoleId: rank.discordRoleId }));
}

export async function importLadder(deps: CommandDependencies, { interaction, api, respond }: CommandContext, createMissingRoles: boolean) {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  await respond.defer();
  // Not contexts.resolve(): that validates the stored ladder, and a broken ladder is what an import repairs.
  const settings = deps.repositories.guilds.get(guildId);
  const groupId = deps.contexts.groupIdOf(guildId, settings);
  if (!groupId) throw new GroupNotConfiguredError(guildId, deps.contexts.isHome(guildId));
  const roblox = (await deps.contexts.accessFor(guildId, settings)).read;
  const standing = await deps.guilds.botStanding(guildId);
  if (createMissingRoles && !hasPermission(standing.botPermissions, DiscordPermission.ManageRoles)) {
    throw new CommandRefusedError(
      `rankbridge needs the Manage Roles permission to create roles. Grant it to its role in ${ROLES_SETTINGS}, then run /ranks import again.`,
    );
  }

  const robloxRoles = (await roblox.listRoles(groupId))
    .filter((role) => role.rank !== GUEST_ROBLOX_RANK)
    .sort((a, b) => a.rank - b.rank || a.id - b.id);
  if (robloxRoles.length === 0) {
    throw new CommandRefusedError(`Roblox group ${groupId} has no roles besides Guest, so there is nothing to import.`);
  }

  const previous = deps.repositories.ranks.list(guildId);
  // The actor's own rank comes from the ladder before the import; a broken one counts as empty.
  const previousLadder = ladderOrEmpty(previous);
  // Design §10: a bind by name obeys the ceiling like any bind, and never gives a privileged role.
  const mayBindByName = (robloxRole: GroupRole, role: GuildRole): BindDenial | null => {
    const permissions = privilegedPermissionsOf(role);
    if (permissions.length > 0) return { reason: "privileged-role", permissions };
    const decision = decideBind({
      actor,
      guild: { ownerId, adminRoleIds },
      ladder: previousLadder,
      rank: { robloxRank: robloxRole.rank },
      role,
      guildRoles: standing.guildRoles,
    });
    return decision.allowed ? null : decision.denial;
  };
  const { bindings, skipped } = chooseBindings(robloxRoles, previous, standing, guildId, mayBindByName);
  const withoutRole = robloxRoles.filter((role) => !bindings.has(role.id));
  // A created role sits at the bottom, where the actor could give it to themselves: only ranks below theirs.
  const creatable = (role: GroupRole) =>
    decideRankBind({ actor, guild: { ownerId, adminRoleIds }, ladder: previousLadder, rank: { robloxRank: role.rank } }).allowed;
  const unbound = createMissingRoles ? withoutRole.filter(creatable) : withoutRole;
  const notCreated = createMissingRoles ? withoutRole.filter((role) => !creatable(role)) : [];

  const created: string[] = [];
  let creationFailure: string | undefined;
  if (createMissingRoles && unbound.length > 0) {
    if (standing.guildRoles.length + unbound.length > MAX_GUILD_ROLES) {
      throw new CommandRefusedError(
        `Creating ${unbound.length} roles would pass Discord's limit of ${MAX_GUILD_ROLES} roles per server. Delete unused roles or bind ranks with /ranks bind.`,
      );
    }
    // Discord puts new roles at the bottom, below the bot's role; creating from the top rank down
    // leaves them in ladder order.
    for (const robloxRole of [...unbound].reverse()) {
      try {
        const role = await createRankRole(api, guildId, robloxRole.name);
        deps.guilds.rememberRole(guildId, role);
        bindings.set(robloxRole.id, role.id);
        created.push(role.id);
      } catch (error) {
        creationFailure = `Could not create the role "${robloxRole.name}": ${userMessageOf(error) ?? (error as Error).message}. The ranks left are not bound.`;
        // The import itself still goes ahead: the roles created so far are bound.
        break;
      }
    }
  }

  const entries: LadderEntry[] = robloxRoles.map((role) => ({
    name: role.name,
    robloxRoleId: role.id,
    robloxRank: role.rank,
    discordRoleId: bindings.get(role.id) ?? null,
  }));
  const result = deps.repositories.ranks.replace(guildId, entries);

  const notes: string[] = [];
  notes.push(`${result.added.length} rank${plural(result.added.length)} added, ${result.removed.length} removed.`);
  if (created.length > 0) notes.push(`Created ${created.length} Discord role${plural(created.length)}: ${created.map((id) => `<@&${id}>`).join(" ")}.`);
  if (creationFailure) notes.push(creationFailure);
  if (result.removed.length > 0) {
    notes.push(`No longer in the group: ${result.removed.map((rank) => `**${escapeMarkdown(rank.name)}**`).join(", ")}. Members who held them have no stored rank until the next sync.`);
  }
  const stillUnbound = result.ladder.filter((rank) => rank.discordRoleId === null);
  if (stillUnbound.length > 0) {
    notes.push(
      `${stillUnbound.length} rank${plural(stillUnbound.length)} not bound to a Discord role. Bind with /ranks bind` +
        (createMissingRoles ? "." : ", or run /ranks import create-missing-roles:True to create them."),
    );
  }
  if (notCreated.length > 0) {
    notes.push(
      `No role created for ${notCreated.map((role) => `**${escapeMarkdown(role.name)}**`).join(", ")}: you can only bind ranks below your own. ` +
        "The server owner or an Administrator can create and bind them.",
    );
  }
  for (const skip of skipped) {
    notes.push(`Not bound by name: **${escapeMarkdown(skip.robloxRole.name)}** → <@&${skip.role.id}>: ${describeBindDenial(skip.denial, skip.role.id)}`);
  }
  notes.push(...bindingWarnings(result.ladder, standing, new Set(created)));

  deps.audit.record(guildId, {
    actorId: actor.userId,
    action: "ranks.import",
    before: ladderSnapshot(previous),
    after: ladderSnapshot(result.ladder),
    outcome: creationFailure ? "partial" : "ok",
    detail: `Imported ${result.ladder.length} ranks from Roblox group ${groupId}` + (created.length ? `; created ${created.length} roles` : ""),
  });

  await respond.reply({
    content: truncate(notes.join("\n"), 2_000),
    embeds: [
      ladderEmbed(
        `Imported ${result.ladder.length} rank${plural(result.ladder.length)}`,
        result.ladder,
        groupFooter(deps, guildId),
      ),
    ],
    allowed_mentions: { parse: [] },
  });
}

/**
 * Roblox role id → Discord role id. A Discord role of the same name (case-insensitive) wins; a
 * rank with none keeps its earlier binding while that role still exists. Each Discord role mirrors
 * at most one rank, and managed roles (nobody can assign them) are never chosen.
 */
function chooseBindings(
  robloxRoles: readonly GroupRole[],
  previous: readonly Rank[],
  standing: BotStanding & { guildRoles: GuildRole[] },
  guildId: string,
  mayBindByName: (robloxRole: GroupRole, role: GuildRole) => BindDenial | null,
) {
  const hierarchy = new RoleHierarchy(standing);
  const assignable = standing.guildRoles.filter((role) => role.id !== guildId && !role.managed);
  const byName = new Map<string, GuildRole[]>();
  for (const role of assignable) {
    const key = nameKey(role.name);
    byName.set(key, [...(byName.get(key) ?? []), role]);
  }
  const bindings = new Map<number, string>();
  const used = new Set<string>();
  const skipped: { robloxRole: GroupRole; role: GuildRole; denial: BindDenial }[] = [];

  for (const robloxRole of robloxRoles) {
    const candidates = (byName.get(nameKey(robloxRole.name)) ?? []).filter((role) => !used.has(role.id));
    // Among same-named roles prefer one the bot can give, then the highest.
    candidates.sort(
      (a, b) => Number(hierarchy.problemWith(a.id) !== null) - Number(hierarchy.problemWith(b.id) !== null) || b.position - a.position,
    );
    const denials = candidates.map((role) => mayBindByName(robloxRole, role));
    const match = candidates.find((_, index) => denials[index] === null);
    if (match) {
      bindings.set(robloxRole.id, match.id);
      used.add(match.id);
    } else if (candidates[0]) {
      skipped.push({ robloxRole, role: candidates[0], denial: denials[0]! });
    }
  }

  const existing = new Set(assignable.map((role) => role.id));
  const previousByRobloxRole = new Map(previous.map((rank) => [rank.robloxRoleId, rank.discordRoleId]));
  for (const robloxRole of robloxRoles) {
    if (bindings.has(robloxRole.id)) continue;
    const kept = previousByRobloxRole.get(robloxRole.id);
    if (kept && existing.has(kept) && !used.has(kept)) {
      bindings.set(robloxRole.id, kept);
      used.add(kept);
    }
  }
  return { bindings, skipped };
}

/** Roles the bot cannot give yet, with the fix; freshly created roles are below the bot by construction. */
function bindingWarnings(ladder: readonly Rank[], standing: BotStanding, created: ReadonlySet<string>): string[] {
  const hierarchy = new RoleHierarchy(standing);
  const aboveBot: string[] = [];
  for (const rank of ladder) {
    if (!rank.discordRoleId || created.has(rank.discordRoleId)) continue;
    const problem = hierarchy.problemWith(rank.discordRoleId);
    if (problem?.kind === "missing-permission") return [problem.message];
    if (problem) aboveBot.push(`<@&${rank.discordRoleId}>`);
  }
  if (aboveBot.length === 0) return [];
  return [
    `rankbridge can't give ${aboveBot.join(" ")} yet: move rankbridge's role above ${aboveBot.length === 1 ? "it" : "them"} in ${ROLES_SETTINGS}.`,
  ];
}

async function createRankRole(api: API, guildId: string, name: string) {
  // No permissions: a rank role only marks the rank; granting anything is the server's choice.
  const role = await api.guilds.createRole(
    guildId,
    { name: name.slice(0, MAX_RANK_NAME_LENGTH), permissions: permissionBits(0n), mentionable: false, hoist: false },
    { reason: "rankbridge: /ranks import create-missing-roles" },
  );
  return asRole(`POST /guilds/${guildId}/roles`, role);
}

export function nameKey(name: string): string {
  return name.normalize("NFKC").replace(/\s+/g, " ").trim().toLowerCase();
}

function plural(count: number): string {
  return count === 1 ? "" : "s";
}

