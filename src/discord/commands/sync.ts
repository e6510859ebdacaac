import { ApplicationCommandOptionType, type APIInteraction } from "discord-api-types/v10";
import type { MemberSyncService } from "../../services/member-sync.ts";
import { formatMemberSyncReply } from "../views/member-sync.ts";
import type { BulkSync } from "../../sync/bulk-sync.ts";
import type { AdminCheckDependencies } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import { CommandOptions } from "./options.ts";
import { GUILD_ONLY, MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import type { ComponentContext, SlashCommand } from "./types.ts";
import { decodeHeldRunButton } from "../views/sync-run.ts";

const DISCORD_EPOCH_MS = 1_420_070_400_000n;

export type SyncCommandDependencies = AdminCheckDependencies;

export interface SyncCommandServices {
  bulkSync: Pick<BulkSync, "startManual" | "decideHeld">;
  memberSync: Pick<MemberSyncService, "syncMember">;
}

/** When an interaction was created: its token lives 15 minutes from then. */
export function interactionCreatedAtMs(interactionId: string): number {
  return Number((BigInt(interactionId) >> 22n) + DISCORD_EPOCH_MS);
}

function channelIdOf(interaction: APIInteraction): string | null {
  return interaction.channel?.id ?? interaction.channel_id ?? null;
}

/**
 * `/sync [member] [dry-run]`: one member through the member-sync service, or the whole guild as a
 * bulk run that edits this reply while it goes (and reports in the channel past 15 minutes).
 */
export function syncCommand(deps: SyncCommandDependencies, services: SyncCommandServices): SlashCommand {
  return {
    definition: {
      name: "sync",
      description: "Bring Discord rank roles in line with Roblox: one member, or every linked member",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: [...GUILD_ONLY],
      options: [
        { type: ApplicationCommandOptionType.User, name: "member", description: "Only this member (default: every linked member)", required: false },
        { type: ApplicationCommandOptionType.Boolean, name: "dry-run", description: "Show what would change without changing anything", required: false },
        {
          type: ApplicationCommandOptionType.Boolean,
          name: "force",
          description: "Apply even if it would strip the ranks of many members at once (skips the mass-change check)",
          required: false,
        },
      ],
    },
    ephemeral: true,
    deferImmediately: true,
    cooldown: "lookup",
    async execute({ interaction, respond }) {
      const { guildId, actor } = await requireAdmin(interaction, deps);
      const options = new CommandOptions(interaction.data);
      const dryRun = options.boolean("dry-run") ?? false;
      const force = options.boolean("force") ?? false;
      const target = options.user("member");

      if (target) {
        if (target.user.bot) throw new CommandRefusedError("Bots don't hold ranks.");
        const result = await services.memberSync.syncMember(guildId, target.user.id, { dryRun, actorId: actor.userId });
        await respond.reply(formatMemberSyncReply(result));
        return;
      }

      // The run edits the deferred reply itself, so the deferral must have reached Discord first.
      await respond.defer();
      const start = await services.bulkSync.startManual({
        guildId,
        actorId: actor.userId,
        dryRun,
        force,
        reply: {
          applicationId: interaction.application_id,
          token: interaction.token,
          channelId: channelIdOf(interaction),
          createdAtMs: interactionCreatedAtMs(interaction.id),
        },
      });
      if (start.kind === "attached") {
        await respond.reply({
          content: `A sync is already running in this server; this reply follows it.\n${start.text}`,
          allowed_mentions: { parse: [] },
        });
      }
    },
    component: (context) => answerHeldRun(context, deps, services),
  };
}

/**
 * Apply / Cancel under a sync the mass-change guard held (`sync:apply:<runId>`). Any admin of the
 * guild may answer (a scheduled run has nobody who started it); the run must be this guild's.
 */
async function answerHeldRun({ interaction, respond, action }: ComponentContext, deps: SyncCommandDependencies, services: SyncCommandServices): Promise<void> {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const button = decodeHeldRunButton(action);
  if (!button) throw new CommandRefusedError("This button is no longer valid.");
  const { verb, runId } = button;
  // The result replaces the message with the buttons, so they cannot be pressed twice.
  await respond.deferUpdate();
  const decision = await services.bulkSync.decideHeld(guildId, runId, verb, actor.userId, {
    applicationId: interaction.application_id,
    token: interaction.token,
    channelId: channelIdOf(interaction),
    createdAtMs: interactionCreatedAtMs(interaction.id),
  });
  const text = {
    applying: `Applying the held changes of run #${runId}, as <@${actor.userId}> confirmed.`,
    cancelled: `<@${actor.userId}> cancelled the held changes of run #${runId}: ${"cancelled" in decision ? decision.cancelled : 0} members keep their roles.`,
    gone: `Run #${runId} is no longer waiting for a decision (already answered, or replaced by a newer sync).`,
    busy: `Another sync of this server is running; answer run #${runId} once it ends.`,
  }[decision.kind];
  await respond.update({ content: text, components: [], allowed_mentions: { parse: [] } });
}

