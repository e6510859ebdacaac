import { ApplicationCommandOptionType, type APIApplicationCommandBasicOption } from "discord-api-types/v10";
import type { GuildContexts } from "../../services/guild-context.ts";
import type { RankChangeRequestIntent, RankChangeResult, RankChangeService } from "../../services/rank-changes.ts";
import { decodePointsButton, formatPointsConfirmation, formatRankChangeReply, REASON_FIELD } from "../views/rank-change.ts";
import type { AdminCheckDependencies, SomeRepositories } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import { withWriteRefusalsExplained } from "./roblox-write-refusal.ts";
import { CommandOptions } from "./options.ts";
import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import type { CommandContext, ComponentContext, SlashCommand } from "./types.ts";
import { describeError } from "../views/errors.ts";

/** Admin commands are hidden from members without Manage Roles until a server admin says otherwise. */
/** Guild only: ranks belong to a server. */
export const GUILD_ONLY = [0];

/** /promote, /demote and /set-rank: the admin check, the guild's ladder, and the rank-change service. */
export type RankCommandDependencies = AdminCheckDependencies & {
  repositories: SomeRepositories<"guilds" | "ranks">;
  contexts: Pick<GuildContexts, "resolve">;
  rankChanges: Pick<RankChangeService, "execute">;
};

export const MEMBER_OPTION: APIApplicationCommandBasicOption = {
  type: ApplicationCommandOptionType.User,
  name: "member",
  description: "The member whose rank changes",
  required: true,
};

export const REASON_OPTION: APIApplicationCommandBasicOption = {
  type: ApplicationCommandOptionType.String,
  name: "reason",
  description: "Why; sent to the member and kept in the audit log",
  required: false,
  max_length: 400,
};

/** `/promote member [reason]`: next rank up, with a Confirm button when the member lacks the points. */
export function promoteCommand(deps: RankCommandDependencies): SlashCommand {
  return {
    definition: {
      name: "promote",
      description: "Move a member one rank up: database, Discord role, Roblox rank and a DM",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: GUILD_ONLY,
      options: [MEMBER_OPTION, REASON_OPTION],
    },
    ephemeral: true,
    execute: (context) => runRankChangeCommand(context, deps, "promote", () => ({ kind: "promote" })),
    component: (context) => handleRankChangeButton(context, deps, "promote", () => ({ kind: "promote" })),
  };
}

/**
 * The flow /promote, /demote and /set-rank share: admin check, the change, then either the result
 * or (short of points) a confirmation that comes back to `handleRankChangeButton`.
 */
export async function runRankChangeCommand(
  { interaction, respond }: CommandContext,
  deps: RankCommandDependencies,
  commandName: string,
  intentOf: (options: CommandOptions, guildId: string) => Promise<RankChangeRequestIntent> | RankChangeRequestIntent,
): Promise<void> {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const options = new CommandOptions(interaction.data);
  const target = options.user("member");
  if (!target) throw new CommandRefusedError("Pick the member whose rank should change.");
  if (target.user.bot) throw new CommandRefusedError("Bots don't hold ranks.");
  const intent = await intentOf(options, guildId);
  const result = await withWriteRefusalsExplained(() =>
    deps.rankChanges.execute(guildId, actor, target.user.id, intent, { reason: options.string("reason") ?? null }),
  );
  await respond.reply(result.status === "done" ? formatRankChangeReply(result) : formatPointsConfirmation(result, commandName));
}

/**
 * Confirm/Cancel on a points confirmation (`<command>:confirm:<memberId>:<rankId>`). Only the admin
 * who ran the command may answer it, and only for the target they were shown.
 */
export async function handleRankChangeButton(
  { interaction, respond, action }: ComponentContext,
  deps: RankCommandDependencies,
  commandName: string,
  intentFor: (rankId: number) => RankChangeRequestIntent,
): Promise<void> {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const invokerId = interaction.message.interaction_metadata?.user.id ?? interaction.message.interaction?.user.id;
  // Fail closed: without knowing who asked, anyone could confirm someone else's promotion.
  if (!invokerId || invokerId !== actor.userId) {
    throw new CommandRefusedError(`Only the admin who ran /${commandName} can answer this.`);
  }
  const button = decodePointsButton(action);
  if (button?.verb === "cancel") {
    await respond.update({ content: "Cancelled. Nothing was changed.", embeds: [], components: [] });
    return;
  }
  if (!button) throw new CommandRefusedError("This button is no longer valid.");
  const { memberId, rankId } = button;

  const reason = interaction.message.embeds[0]?.fields?.find((field) => field.name === REASON_FIELD)?.value ?? null;
  // No "thinking" message: the result replaces the confirmation itself.
  await respond.deferUpdate();
  let result: RankChangeResult;
  try {
    result = await withWriteRefusalsExplained(() =>
      deps.rankChanges.execute(guildId, actor, memberId, intentFor(rankId), {
        reason,
        confirmPoints: true,
        expectedTargetRankId: rankId,
      }),
    );
  } catch (error) {
    // A refusal replaces the confirmation, so its buttons cannot be pressed again.
    const sentence = describeError(error);
    if (sentence === undefined) throw error;
    await respond.update({ content: sentence, embeds: [], components: [], allowed_mentions: { parse: [] } });
    return;
  }
  if (result.status !== "done") throw new Error("a confirmed rank change asked for confirmation again");
  await respond.update(formatRankChangeReply(result));
}
