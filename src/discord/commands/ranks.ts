import type { API } from "@discordjs/core";
import { ApplicationCommandOptionType, type APIApplicationCommandStringOption } from "discord-api-types/v10";
import type { LadderEntry } from "../../db/repositories/ranks.ts";
import { MAX_POINTS } from "../../db/repositories/members.ts";
import { DiscordPermission, hasPermission, RoleHierarchy, type BotStanding, type GuildRole } from "../../ranks/hierarchy.ts";
import { formatRank, GUEST_ROBLOX_RANK, InvalidLadderError, RankLadder, type Rank } from "../../ranks/ladder.ts";
import { decideBind, privilegedPermissionsOf, type BindDenial } from "../../ranks/bind-authority.ts";
import type { GroupRole } from "../../roblox/types.ts";
import { ladderOrEmpty } from "../../services/bind-review.ts";
import { GroupNotConfiguredError } from "../../services/guild-context.ts";
import type { CommandDependencies } from "./dependencies.ts";
import { describeBindDenial } from "./bind-wording.ts";
import { CommandRefusedError, requireAdmin, requireGuild } from "./guards.ts";
import { escapeMarkdown, groupFooter, ladderEmbed } from "./list-ranks.ts";
import { CommandOptions } from "./options.ts";
import { MANAGE_ROLES_PERMISSION, permissionBits } from "./permissions.ts";
import { rankChoices, resolveRankOption } from "./rank-autocomplete.ts";
import type { CommandContext, SlashCommand } from "./types.ts";
import { userMessageOf } from "../../errors/user-message.ts";

/** Discord's cap on roles per guild. */
const MAX_GUILD_ROLES = 250;
const MAX_RANK_NAME_LENGTH = 100;
const ROLES_SETTINGS = "Server Settings → Roles";

const rankOption = (description: string): APIApplicationCommandStringOption => ({
  type: ApplicationCommandOptionType.String,
  name: "rank",
  description,
  required: true,
  autocomplete: true,
});

/** `/ranks import|bind|unbind|edit`: builds the ladder from Roblox and ties ranks to Discord roles. */
export function ranksCommand(deps: CommandDependencies): SlashCommand {
  return {
    definition: {
      name: "ranks",
      description: "Set up the rank ladder: import it from Roblox, bind ranks to Discord roles",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: [0],
      options: [
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "import",
          description: "Read the group's Roblox roles into the ladder and bind Discord roles of the same name",
          options: [
            {
              type: ApplicationCommandOptionType.Boolean,
              name: "create-missing-roles",
              description: "Create a Discord role for each rank that has none",
            },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "bind",
          description: "Mirror a rank with a Discord role",
          options: [
            rankOption("The rank to bind"),
            { type: ApplicationCommandOptionType.Role, name: "role", description: "The Discord role members of this rank get", required: true },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "unbind",
          description: "Stop mirroring a rank with a Discord role",
          options: [rankOption("The rank to unbind")],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "edit",
          description: "Change a rank's points requirement or display name",
          options: [
            rankOption("The rank to edit"),
            {
              type: ApplicationCommandOptionType.Integer,
              name: "points-required",
              description: "Points a member needs for this rank",
              min_value: 0,
              max_value: MAX_POINTS,
            },
            {
              type: ApplicationCommandOptionType.String,
              name: "name",
              description: "New display name (a later /ranks import restores the Roblox name)",
              min_length: 1,
              max_length: MAX_RANK_NAME_LENGTH,
            },
          ],
        },
      ],
    },
    ephemeral: true,
    async execute(context) {
      const options = new CommandOptions(context.interaction.data);
      switch (options.subcommand) {
        case "import":
          return importLadder(deps, context, options.boolean("create-missing-roles") ?? false);
        case "bind":
          return bindRank(deps, context, options);
        case "unbind":
          return unbindRank(deps, context, options);
        case "edit":
          return editRank(deps, context, options);
        default:
          throw new CommandRefusedError("Unknown /ranks subcommand. Commands may still be updating; try again shortly.");
      }
    },
    async autocomplete({ interaction }) {
      const { guildId } = requireGuild(interaction);
      const focused = new CommandOptions(interaction.data).focused();
      return focused?.name === "rank" ? rankChoices(deps, guildId, focused.value) : [];
    },
  };
}

/** The stored ladder; a ladder that breaks the ladder's rules is explained, not crashed on. */
export function storedLadder(deps: Pick<CommandDependencies, "repositories">, guildId: string): RankLadder {
  try {
    return new RankLadder(deps.repositories.ranks.list(guildId));
  } catch (error) {
    if (error instanceof InvalidLadderError) {
      throw new CommandRefusedError(`The rank ladder is inconsistent: ${error.message} Run /ranks import to rebuild it.`);
    }
    throw error;
  }
}

/** Rank rows as kept in audit before/after: enough to see what changed, nothing more. */
function ladderSnapshot(ranks: readonly Rank[]) {
  return ranks.map((rank) => ({ name: rank.name, robloxRoleId: rank.robloxRoleId, robloxRank: rank.robloxRank, discordRoleId: rank.discordRoleId }));
}

async function importLadder(deps: CommandDependencies, { interaction, api, respond }: CommandContext, createMissingRoles: boolean) {
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
  const unbound = robloxRoles.filter((role) => !bindings.has(role.id));

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
  return api.guilds.createRole(
    guildId,
    { name: name.slice(0, MAX_RANK_NAME_LENGTH), permissions: permissionBits(0n), mentionable: false, hoist: false },
    { reason: "rankbridge: /ranks import create-missing-roles" },
  );
}

async function bindRank(deps: CommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  const ladder = storedLadder(deps, guildId);
  const rank = resolveRankOption(ladder, options.string("rank"));
  const roleId = options.snowflake("role");
  if (!roleId) throw new CommandRefusedError("Pick the Discord role to bind.");
  if (roleId === guildId) throw new CommandRefusedError("@everyone can't mirror a rank: every member has it. Pick another role.");

  // The role as the interaction resolved it is newer than any cached copy.
  await deps.guilds.guild(guildId);
  const resolvedRole = interaction.data.resolved?.roles?.[roleId];
  if (resolvedRole) deps.guilds.rememberRole(guildId, resolvedRole);
  const standing = await deps.guilds.botStanding(guildId);
  const problem = new RoleHierarchy(standing).problemWith(roleId);
  if (problem) throw new CommandRefusedError(`Can't bind **${escapeMarkdown(rank.name)}** to <@&${roleId}>: ${problem.message}`);
  // Design §10: binds obey the ceiling, or a bind would lift its author (or a friend) above their rank.
  const role = [...standing.guildRoles].find((candidate) => candidate.id === roleId);
  if (role) {
    const decision = decideBind({ actor, guild: { ownerId, adminRoleIds }, ladder, rank, role, guildRoles: standing.guildRoles });
    if (!decision.allowed) {
      throw new CommandRefusedError(`Can't bind **${escapeMarkdown(rank.name)}** to <@&${roleId}>: ${describeBindDenial(decision.denial, roleId)}`);
    }
  }

  const holder = ladder.byDiscordRoleId(roleId);
  if (holder && holder.id !== rank.id) {
    throw new CommandRefusedError(
      `<@&${roleId}> already mirrors **${escapeMarkdown(formatRank(holder))}**; one role can mirror only one rank. Run /ranks unbind for that rank first.`,
    );
  }
  if (rank.discordRoleId === roleId) {
    await respond.reply({ content: `**${escapeMarkdown(formatRank(rank))}** is already bound to <@&${roleId}>.`, allowed_mentions: { parse: [] } });
    return;
  }

  deps.repositories.ranks.bind(guildId, rank.id, roleId);
  deps.audit.record(guildId, {
    actorId: actor.userId,
    action: "ranks.bind",
    before: { rank: rank.name, discordRoleId: rank.discordRoleId },
    after: { rank: rank.name, discordRoleId: roleId },
    detail: `${formatRank(rank)} bound to role ${roleId}`,
  });
  const replaced = rank.discordRoleId ? ` (was <@&${rank.discordRoleId}>)` : "";
  await respond.reply({
    content: `**${escapeMarkdown(formatRank(rank))}** is now mirrored by <@&${roleId}>${replaced}. Members' roles follow at the next /sync.`,
    allowed_mentions: { parse: [] },
  });
}

async function unbindRank(deps: CommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const rank = resolveRankOption(storedLadder(deps, guildId), options.string("rank"));
  if (!rank.discordRoleId) {
    await respond.reply({ content: `**${escapeMarkdown(formatRank(rank))}** is not bound to a Discord role.` });
    return;
  }
  deps.repositories.ranks.unbind(guildId, rank.id);
  deps.audit.record(guildId, {
    actorId: actor.userId,
    action: "ranks.unbind",
    before: { rank: rank.name, discordRoleId: rank.discordRoleId },
    after: { rank: rank.name, discordRoleId: null },
    detail: `${formatRank(rank)} unbound from role ${rank.discordRoleId}`,
  });
  await respond.reply({
    content: `**${escapeMarkdown(formatRank(rank))}** is no longer bound. rankbridge will stop giving or removing <@&${rank.discordRoleId}>; members keep it for now.`,
    allowed_mentions: { parse: [] },
  });
}

async function editRank(deps: CommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const ladder = storedLadder(deps, guildId);
  const rank = resolveRankOption(ladder, options.string("rank"));
  const pointsRequired = options.integer("points-required");
  const rawName = options.string("name");
  if (pointsRequired === undefined && rawName === undefined) {
    throw new CommandRefusedError("Give points-required, name, or both.");
  }
  if (pointsRequired !== undefined && (!Number.isSafeInteger(pointsRequired) || pointsRequired < 0 || pointsRequired > MAX_POINTS)) {
    throw new CommandRefusedError(`points-required must be a whole number from 0 to ${MAX_POINTS.toLocaleString("en-US")}.`);
  }
  const name = rawName?.replace(/\s+/g, " ").trim();
  if (name !== undefined) {
    if (name.length === 0 || name.length > MAX_RANK_NAME_LENGTH) {
      throw new CommandRefusedError(`A rank name must be 1 to ${MAX_RANK_NAME_LENGTH} characters.`);
    }
    const clash = ladder.ranks.find((other) => other.id !== rank.id && nameKey(other.name) === nameKey(name));
    if (clash) throw new CommandRefusedError(`Another rank is already called **${escapeMarkdown(clash.name)}**; rank names must differ.`);
  }

  const updated = deps.repositories.ranks.edit(guildId, rank.id, { name, pointsRequired });
  if (!updated) throw new CommandRefusedError("That rank was removed meanwhile. Run /list-ranks to see the ranks.");
  deps.audit.record(guildId, {
    actorId: actor.userId,
    action: "ranks.edit",
    before: { name: rank.name, pointsRequired: rank.pointsRequired },
    after: { name: updated.name, pointsRequired: updated.pointsRequired },
    detail: `Edited ${formatRank(rank)}`,
  });
  const changes = [
    ...(name !== undefined && name !== rank.name ? [`renamed to **${escapeMarkdown(updated.name)}** (a later /ranks import restores the Roblox name)`] : []),
    ...(pointsRequired !== undefined ? [`needs ${updated.pointsRequired} points`] : []),
  ];
  await respond.reply({
    content: `**${escapeMarkdown(formatRank(rank))}** ${changes.length ? changes.join(", and ") : "is unchanged"}.`,
  });
}

function nameKey(name: string): string {
  return name.normalize("NFKC").replace(/\s+/g, " ").trim().toLowerCase();
}

function plural(count: number): string {
  return count === 1 ? "" : "s";
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}


