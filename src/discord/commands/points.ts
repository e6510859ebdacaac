import {
  ApplicationCommandOptionType,
  type APIApplicationCommandBasicOption,
  type APIApplicationCommandSubcommandOption,
} from "discord-api-types/v10";
import { MAX_POINTS, type PointsChange } from "../../db/repositories/members.ts";
import type { Member } from "../../db/schema.ts";
import { formatRank } from "../../ranks/ladder.ts";
import type { Points } from "../../services/points.ts";
import type { AdminCheckDependencies } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin, requireGuild } from "./guards.ts";
import { CommandOptions } from "./options.ts";
import type { CommandContext, SlashCommand } from "./types.ts";
import { escapeMarkdown } from "../views/markdown.ts";

type PointsOperation = PointsChange["op"];
const MAX_REASON_LENGTH = 500;
const MAX_POINTS_TEXT = MAX_POINTS.toLocaleString("en-US");

const PAST_TENSE: Record<PointsOperation, string> = { add: "Added", remove: "Removed", set: "Set" };

function changeSubcommand(op: PointsOperation, description: string): APIApplicationCommandSubcommandOption {
  const options: APIApplicationCommandBasicOption[] = [
    { type: ApplicationCommandOptionType.User, name: "member", description: "The member", required: true },
    {
      type: ApplicationCommandOptionType.Integer,
      name: "amount",
      description: op === "set" ? "The new balance" : "How many points",
      required: true,
      min_value: op === "set" ? 0 : 1,
      max_value: MAX_POINTS,
    },
    { type: ApplicationCommandOptionType.String, name: "reason", description: "Why (kept in the audit log)", max_length: MAX_REASON_LENGTH },
  ];
  return { type: ApplicationCommandOptionType.Subcommand, name: op, description, options };
}

/**
 * `/points add|remove|set|show`. No `default_member_permissions`: `show` is for everyone about
 * themselves, so the admin check for the rest happens here.
 */
/** `/points`: the admin check's reads and the points service (src/services/points.ts), which changes, audits and reads. */
export interface PointsDependencies extends AdminCheckDependencies {
  points: Pick<Points, "change" | "standing">;
}

export function pointsCommand(deps: PointsDependencies): SlashCommand {
  return {
    definition: {
      name: "points",
      description: "Show or change members' points",
      contexts: [0],
      options: [
        changeSubcommand("add", "Give a member points (admin)"),
        changeSubcommand("remove", "Take points from a member (admin)"),
        changeSubcommand("set", "Set a member's points (admin)"),
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "show",
          description: "Show your points, or another member's (admin)",
          options: [{ type: ApplicationCommandOptionType.User, name: "member", description: "The member (yourself if empty)" }],
        },
      ],
    },
    ephemeral: true,
    async execute(context) {
      const options = new CommandOptions(context.interaction.data);
      switch (options.subcommand) {
        case "add":
        case "remove":
        case "set":
          return changePoints(deps, context, options, options.subcommand);
        case "show":
          return showPoints(deps, context, options);
        default:
          throw new CommandRefusedError("Unknown /points subcommand. Commands may still be updating; try again shortly.");
      }
    },
  };
}

/** Discord enforces the option bounds in its client, but a request can carry anything. */
export function validatedAmount(op: PointsOperation, amount: number | undefined): number {
  const min = op === "set" ? 0 : 1;
  if (amount === undefined || !Number.isSafeInteger(amount) || amount < min || amount > MAX_POINTS) {
    throw new CommandRefusedError(`The amount must be a whole number from ${min} to ${MAX_POINTS_TEXT}.`);
  }
  return amount;
}

/** "<@id> (Roblox: name)": replies about a person name both accounts (design §3). */
export function describeMember(discordId: string, member: Member | undefined): string {
  return member?.robloxUsername
    ? `<@${discordId}> (Roblox: **${escapeMarkdown(member.robloxUsername)}**)`
    : `<@${discordId}> (no Roblox account linked)`;
}

async function changePoints(deps: PointsDependencies, { interaction, respond }: CommandContext, options: CommandOptions, op: PointsOperation) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const target = options.user("member");
  if (!target) throw new CommandRefusedError("Pick the member.");
  if (target.user.bot) throw new CommandRefusedError("Bots don't collect points.");
  if (!target.member) throw new CommandRefusedError(`<@${target.user.id}> isn't a member of this server.`);
  const amount = validatedAmount(op, options.integer("amount"));
  const reason = options.string("reason")?.trim().slice(0, MAX_REASON_LENGTH) || null;

  const { member: stored, before, after, exact } = await deps.points.change({ guildId, actor, targetId: target.user.id, op, amount, reason });
  const clamped = exact ? "" : ` (points stay between 0 and ${MAX_POINTS_TEXT})`;
  const what = op === "set" ? `Set the points of ${describeMember(target.user.id, stored)} to ${after}` : `${PAST_TENSE[op]} ${amount} point${amount === 1 ? "" : "s"} ${op === "add" ? "to" : "from"} ${describeMember(target.user.id, stored)}`;
  await respond.reply({
    content: `${what}: ${before} → **${after}**${clamped}.`,
    allowed_mentions: { parse: [] },
  });
}

async function showPoints(deps: PointsDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, member } = requireGuild(interaction);
  const target = options.user("member");
  const targetId = target?.user.id ?? member.user.id;
  if (targetId !== member.user.id) await requireAdmin(interaction, deps);

  const { member: stored, points, rank: current, next } = await deps.points.standing(guildId, targetId);

  const lines = [`${describeMember(targetId, stored)} has **${points}** point${points === 1 ? "" : "s"}.`];
  if (current) lines.push(`Rank: ${escapeMarkdown(formatRank(current))}.`);
  if (next) lines.push(`Next: **${escapeMarkdown(next.name)}** at ${next.pointsRequired} points (${next.pointsRequired - points} to go).`);
  await respond.reply({ content: lines.join("\n"), allowed_mentions: { parse: [] } });
}
