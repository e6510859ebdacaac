/**
 * The four steps of a rank change (database, Discord roles, Roblox rank, DM), each run and reported
 * on its own: design §3 says one failing step must not stop the others.
 */
import type { Repositories } from "./storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { Actor } from "../ranks/authority.ts";
import type { RoleHierarchy } from "../ranks/hierarchy.ts";
import type { RankChangePlan, StepOutcome } from "../ranks/promotion.ts";
import { MemberRoleEditor, type MemberEditOutcome } from "./member-role-editor.ts";
import type { RobloxWriteQueue } from "./pending-writes.ts";
import { isPermanentRobloxFailure, robloxErrorText } from "./write-retry-policy.ts";
import type { RankChangeDiscord, RankChangeSubject, RobloxStepFailure, RobloxWriter } from "./rank-change-types.ts";

export interface RankChangeStepDeps {
  repositories: Pick<Repositories, "members">;
  guilds: RankChangeDiscord;
  robloxWrites: RobloxWriteQueue;
}

export async function applyRankChangeSteps(
    deps: RankChangeStepDeps,
    guildId: string,
    plan: RankChangePlan,
    context: {
      member: RankChangeSubject;
      groupId: number;
      writer: RobloxWriter | undefined;
      guildName: string;
      actor: Actor;
      reason: string | null;
      log: Logger;
      /** The bot's standing the change was checked against (set when Discord roles change). */
      hierarchy: RoleHierarchy | undefined;
      heldRoleIds: readonly string[];
      heldNick: string | null;
      /** The Roblox roles of the guild's ladder: the write replaces the ladder rank and keeps other roles. */
      ladderRoleIds: readonly number[];
    },
  ): Promise<{ steps: StepOutcome[]; robloxFailure: RobloxStepFailure | null }> {
    const { repositories, guilds, robloxWrites } = deps;
    const { member, log } = context;
    const { to } = plan;
    const steps: StepOutcome[] = [];
    let robloxFailure: RobloxStepFailure | null = null;

    if (plan.database.action === "write") {
      try {
        const stored = await repositories.members.setStoredRank(guildId, member.discordId, plan.to.id);
        steps.push(stored ? { step: "database", status: "ok", code: "recorded", to } : { step: "database", status: "failed", code: "record-gone" });
      } catch (error) {
        log.error({ err: error }, "could not store the new rank");
        steps.push({ step: "database", status: "failed", code: "save-failed" });
      }
    }

    if (plan.discord.action === "update" && context.hierarchy) {
      const auditReason = { kind: "rank-change", intent: plan.intent, actorId: context.actor.userId, reason: context.reason } as const;
      const editor = new MemberRoleEditor({ writer: guilds, hierarchy: context.hierarchy, auditReason });
      const edited = await editor.edit(
        guildId,
        {
          discordId: member.discordId,
          addRoleIds: plan.discord.addRoleIds,
          removeRoleIds: plan.discord.removeRoleIds,
          ...(plan.discord.nick !== undefined && { nick: plan.discord.nick }),
        },
        { roleIds: context.heldRoleIds, nick: context.heldNick },
      );
      if (edited.kind === "updated" || edited.kind === "already-applied") {
        const removedRoleIds = plan.discord.removeRoleIds;
        const addedRoleIds = plan.discord.addRoleIds;
        const nick = edited.nickname?.kind === "set" ? { nick: edited.nickname.nick } : {};
        steps.push(
          to.discordRoleId === null
            ? { step: "discord", status: "warning", code: "old-role-removed", to, addedRoleIds, removedRoleIds, ...nick }
            : { step: "discord", status: "ok", code: "roles-given", roleId: to.discordRoleId, addedRoleIds, removedRoleIds, ...nick },
        );
      } else {
        log.warn({ err: failureCause(edited) }, "could not update the member's Discord roles");
        steps.push(
          edited.kind === "not-attempted"
            ? { step: "discord", status: "failed", code: "not-attempted", problems: edited.problems }
            : { step: "discord", status: "failed", code: "edit-failed", discordError: discordErrorText("error" in edited ? edited.error : undefined) },
        );
      }
    }

    if (plan.roblox.action === "set-role" && context.writer) {
      try {
        const result = await context.writer.setRank(context.groupId, member.robloxUserId, plan.roblox.roleId, {
          ladderRoleIds: context.ladderRoleIds,
        });
        // Any older queued write would now put back a rank nobody wants.
        await robloxWrites.forget(guildId, member.robloxUserId);
        steps.push({ step: "roblox", status: "ok", code: result.changed ? "set" : "already-set", to });
      } catch (error) {
        const robloxError = robloxErrorText(error);
        const permanent = isPermanentRobloxFailure(error);
        const queued = permanent
          ? null
          : await robloxWrites.queue(
              guildId,
              {
                discordId: member.discordId,
                robloxUserId: member.robloxUserId,
                groupId: context.groupId,
                targetRobloxRoleId: plan.to.robloxRoleId,
                targetRank: plan.to.robloxRank,
              },
              error,
            );
        if (permanent) await robloxWrites.forget(guildId, member.robloxUserId);
        log.warn(
          { err: error, targetRobloxRoleId: plan.to.robloxRoleId, pendingWriteId: queued?.id ?? null },
          `DESYNC: Roblox rank write failed; Discord and the database say ${plan.to.name}, Roblox does not${queued ? " (queued for retry)" : " (not retried)"}`,
        );
        robloxFailure = { robloxError, queued };
        steps.push({ step: "roblox", status: "failed", code: "write-failed", robloxError, queued: queued !== null });
      }
    }

    if (plan.dm.action === "send") {
      try {
        const delivered = await guilds.sendRankChangeDm(member.discordId, plan.dm, { guildName: context.guildName });
        steps.push(
          delivered
            ? { step: "dm", status: "ok", code: "sent" }
            : { step: "dm", status: "warning", code: "dms-closed" },
        );
      } catch (error) {
        log.warn({ err: error }, "could not send the rank-change DM");
        steps.push({ step: "dm", status: "failed", code: "send-failed", discordError: discordErrorText(error) });
      }
    }
    return { steps, robloxFailure };
  }

/** Discord's own words (e.g. "Missing Permissions") are carried as they are; the view puts them in a sentence. */
function discordErrorText(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : "unknown error";
}

function failureCause(outcome: MemberEditOutcome): unknown {
  return "error" in outcome ? outcome.error : undefined;
}
