import { ApplicationCommandOptionType, type APIApplicationCommandStringOption } from "discord-api-types/v10";
import { MAX_POINTS } from "../../db/repositories/members.ts";
import { decideBind } from "../../ranks/bind-authority.ts";
import { RoleHierarchy } from "../../ranks/hierarchy.ts";
import { formatRank, InvalidLadderError, RankLadder } from "../../ranks/ladder.ts";
import { describeBindDenial } from "./bind-wording.ts";
import type { AuditTrail } from "../../services/audit-trail.ts";
import type { DiscordGuilds } from "../guilds.ts";
import type { SomeRepositories } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin, requireGuild } from "./guards.ts";
import { escapeMarkdown } from "../views/markdown.ts";
import { describeRoleProblem } from "../views/role-problems.ts";
import { CommandOptions } from "./options.ts";
import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import { rankChoices, resolveRankOption } from "./rank-autocomplete.ts";
import { MAX_RANK_NAME_LENGTH, nameKey } from "../../services/ladder-import.ts";
import { importLadder, type RanksImportDependencies } from "./ranks-import.ts";
import type { CommandContext, SlashCommand } from "./types.ts";
import { describeLadderDefect } from "../views/rank-rules.ts";

const rankOption = (description: string): APIApplicationCommandStringOption => ({
  type: ApplicationCommandOptionType.String,
  name: "rank",
  description,
  required: true,
  autocomplete: true,
});

/** `/ranks import|bind|unbind|edit`: builds the ladder from Roblox and ties ranks to Discord roles. */
/** `/ranks`: binds, edits and the import, on the stored ladder, each checked and audited. */
export type RanksDependencies = RanksImportDependencies & {
  repositories: SomeRepositories<"guilds" | "ranks">;
  guilds: Pick<DiscordGuilds, "guild" | "botStanding" | "rememberRole">;
  audit: Pick<AuditTrail, "record">;
};

export function ranksCommand(deps: RanksDependencies): SlashCommand {
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
export function storedLadder(deps: { repositories: SomeRepositories<"ranks"> }, guildId: string): RankLadder {
  try {
    return new RankLadder(deps.repositories.ranks.list(guildId));
  } catch (error) {
    if (error instanceof InvalidLadderError) {
      throw new CommandRefusedError(`The rank ladder is inconsistent: ${describeLadderDefect(error.defect)} Run /ranks import to rebuild it.`);
    }
    throw error;
  }
}

async function bindRank(deps: RanksDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
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
  if (problem) throw new CommandRefusedError(`Can't bind **${escapeMarkdown(rank.name)}** to <@&${roleId}>: ${describeRoleProblem(problem)}`);
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

async function unbindRank(deps: RanksDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
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

async function editRank(deps: RanksDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
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





