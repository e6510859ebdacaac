import { ApplicationCommandOptionType, type APIApplicationCommandStringOption } from "discord-api-types/v10";
import { MAX_POINTS } from "../../db/repositories/members.ts";
import { formatRank, InvalidLadderError, RankLadder } from "../../ranks/ladder.ts";
import type { RankBinds } from "../../services/rank-binds.ts";
import type { RankEdits } from "../../services/rank-edits.ts";
import { describeBindDenial } from "./bind-wording.ts";
import type { DiscordGuilds } from "../guilds.ts";
import type { SomeRepositories } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin, requireGuild } from "./guards.ts";
import { escapeMarkdown } from "../views/markdown.ts";
import { describeRoleProblem } from "../views/role-problems.ts";
import { CommandOptions } from "./options.ts";
import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import { rankChoices, resolveRankOption } from "./rank-autocomplete.ts";
import { MAX_RANK_NAME_LENGTH } from "../../services/ladder-import.ts";
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

const RANK_GONE = "That rank was removed meanwhile. Run /list-ranks to see the ranks.";

/**
 * `/ranks import|bind|unbind|edit`: parses the options and words the outcome; the services
 * (src/services/rank-binds.ts, rank-edits.ts, ladder-import.ts) check, store and audit.
 */
export type RanksDependencies = RanksImportDependencies & {
  /** The admin check's reads and the autocomplete's ladder. */
  repositories: SomeRepositories<"guilds" | "ranks">;
  guilds: Pick<DiscordGuilds, "guild" | "rememberRole">;
  rankBinds: Pick<RankBinds, "ladder" | "bind" | "unbind">;
  rankEdits: Pick<RankEdits, "edit">;
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
      return focused?.name === "rank" ? await rankChoices(deps, guildId, focused.value) : [];
    },
  };
}

/** The stored ladder; a ladder that breaks the ladder's rules is explained, not crashed on. */
export function storedLadder(deps: { repositories: SomeRepositories<"ranks"> }, guildId: string): Promise<RankLadder> {
  return explainedLadder(async () => new RankLadder(await deps.repositories.ranks.list(guildId)));
}

async function explainedLadder<T>(read: () => Promise<T>): Promise<T> {
  try {
    return await read();
  } catch (error) {
    return ladderRefusal(error);
  }
}

function ladderRefusal(error: unknown): never {
  if (error instanceof InvalidLadderError) {
    throw new CommandRefusedError(`The rank ladder is inconsistent: ${describeLadderDefect(error.defect)} Run /ranks import to rebuild it.`);
  }
  throw error;
}

async function bindRank(deps: RanksDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  const rank = resolveRankOption(await explainedLadder(() => deps.rankBinds.ladder(guildId)), options.string("rank"));
  const roleId = options.snowflake("role");
  if (!roleId) throw new CommandRefusedError("Pick the Discord role to bind.");
  if (roleId === guildId) throw new CommandRefusedError("@everyone can't mirror a rank: every member has it. Pick another role.");

  // The role as the interaction resolved it is newer than any cached copy.
  await deps.guilds.guild(guildId);
  const resolvedRole = interaction.data.resolved?.roles?.[roleId];
  if (resolvedRole) deps.guilds.rememberRole(guildId, resolvedRole);

  const outcome = await deps.rankBinds.bind({ guildId, actor, authority: { ownerId, adminRoleIds }, rank, roleId }).catch(ladderRefusal);
  switch (outcome.kind) {
    case "rank-gone":
      throw new CommandRefusedError(RANK_GONE);
    case "bot-cannot-manage":
      throw new CommandRefusedError(`Can't bind **${escapeMarkdown(outcome.rank.name)}** to <@&${roleId}>: ${describeRoleProblem(outcome.problem)}`);
    case "denied":
      throw new CommandRefusedError(`Can't bind **${escapeMarkdown(outcome.rank.name)}** to <@&${roleId}>: ${describeBindDenial(outcome.denial, roleId)}`);
    case "role-taken":
      throw new CommandRefusedError(
        `<@&${roleId}> already mirrors **${escapeMarkdown(formatRank(outcome.holder))}**; one role can mirror only one rank. Run /ranks unbind for that rank first.`,
      );
    case "already-bound":
      await respond.reply({ content: `**${escapeMarkdown(formatRank(outcome.rank))}** is already bound to <@&${roleId}>.`, allowed_mentions: { parse: [] } });
      return;
    case "bound": {
      const replaced = outcome.previousRoleId ? ` (was <@&${outcome.previousRoleId}>)` : "";
      await respond.reply({
        content: `**${escapeMarkdown(formatRank(outcome.rank))}** is now mirrored by <@&${roleId}>${replaced}. Members' roles follow at the next /sync.`,
        allowed_mentions: { parse: [] },
      });
    }
  }
}

async function unbindRank(deps: RanksDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const rank = resolveRankOption(await explainedLadder(() => deps.rankBinds.ladder(guildId)), options.string("rank"));
  const outcome = await explainedLadder(() => deps.rankBinds.unbind(guildId, actor, rank));
  switch (outcome.kind) {
    case "rank-gone":
      throw new CommandRefusedError(RANK_GONE);
    case "not-bound":
      await respond.reply({ content: `**${escapeMarkdown(formatRank(outcome.rank))}** is not bound to a Discord role.` });
      return;
    case "unbound":
      await respond.reply({
        content: `**${escapeMarkdown(formatRank(outcome.rank))}** is no longer bound. rankbridge will stop giving or removing <@&${outcome.roleId}>; members keep it for now.`,
        allowed_mentions: { parse: [] },
      });
  }
}

async function editRank(deps: RanksDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const rank = resolveRankOption(await explainedLadder(() => deps.rankBinds.ladder(guildId)), options.string("rank"));
  const pointsRequired = options.integer("points-required");
  const rawName = options.string("name");
  if (pointsRequired === undefined && rawName === undefined) {
    throw new CommandRefusedError("Give points-required, name, or both.");
  }
  if (pointsRequired !== undefined && (!Number.isSafeInteger(pointsRequired) || pointsRequired < 0 || pointsRequired > MAX_POINTS)) {
    throw new CommandRefusedError(`points-required must be a whole number from 0 to ${MAX_POINTS.toLocaleString("en-US")}.`);
  }
  const name = rawName?.replace(/\s+/g, " ").trim();
  if (name !== undefined && (name.length === 0 || name.length > MAX_RANK_NAME_LENGTH)) {
    throw new CommandRefusedError(`A rank name must be 1 to ${MAX_RANK_NAME_LENGTH} characters.`);
  }

  const outcome = await explainedLadder(() => deps.rankEdits.edit({ guildId, actor, rank, name, pointsRequired }));
  if (outcome.kind === "name-taken") {
    throw new CommandRefusedError(`Another rank is already called **${escapeMarkdown(outcome.clash.name)}**; rank names must differ.`);
  }
  if (outcome.kind === "rank-gone") throw new CommandRefusedError(RANK_GONE);
  const { after: updated } = outcome;
  const changes = [
    ...(name !== undefined && name !== rank.name ? [`renamed to **${escapeMarkdown(updated.name)}** (a later /ranks import restores the Roblox name)`] : []),
    ...(pointsRequired !== undefined ? [`needs ${updated.pointsRequired} points`] : []),
  ];
  await respond.reply({
    content: `**${escapeMarkdown(formatRank(rank))}** ${changes.length ? changes.join(", and ") : "is unchanged"}.`,
  });
}
