/**
 * The four steps of a rank change (database, Discord roles, Roblox rank, DM), each run and reported
 * on its own: design §3 says one failing step must not stop the others.
 */
import type { Repositories } from "../db/index.ts";
import type { Logger } from "../observability/logger.ts";
import type { Actor } from "../ranks/authority.ts";
import type { RoleHierarchy } from "../ranks/hierarchy.ts";
import { formatRank } from "../ranks/ladder.ts";
import type { RankChangePlan, StepOutcome } from "../ranks/promotion.ts";
import { MemberRoleEditor, type MemberEditOutcome } from "./member-role-editor.ts";
import { describeFailure, isPermanentRobloxFailure, type RobloxWriteQueue } from "./pending-writes.ts";
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
      /** The Roblox roles of the guild's ladder: the write replaces the ladder rank and keeps other roles. */
      ladderRoleIds: readonly number[];
    },
  ): Promise<{ steps: StepOutcome[]; robloxFailure: RobloxStepFailure | null }> {
    const { repositories, guilds, robloxWrites } = deps;
    const { member, log } = context;
    const to = formatRank(plan.to);
    const steps: StepOutcome[] = [];
    let robloxFailure: RobloxStepFailure | null = null;

    if (plan.database.action === "write") {
      try {
        const stored = repositories.members.setStoredRank(guildId, member.discordId, plan.to.id);
        steps.push(stored ? { step: "database", status: "ok", detail: `recorded ${to}` } : { step: "database", status: "failed", detail: "the member's record is gone" });
      } catch (error) {
        log.error({ err: error }, "could not store the new rank");
        steps.push({ step: "database", status: "failed", detail: "could not be saved; the error is logged" });
      }
    }

    if (plan.discord.action === "update" && context.hierarchy) {
      const auditReason = `${plan.intent} by ${context.actor.userId}${context.reason ? `: ${context.reason}` : ""}`.slice(0, 400);
      const editor = new MemberRoleEditor({ writer: guilds, hierarchy: context.hierarchy, auditReason });
      const edited = await editor.edit(
        guildId,
        { discordId: member.discordId, addRoleIds: plan.discord.addRoleIds, removeRoleIds: plan.discord.removeRoleIds },
        context.heldRoleIds,
      );
      if (edited.kind === "updated" || edited.kind === "already-applied") {
        const removed = plan.discord.removeRoleIds.length > 0 ? `, removed ${plan.discord.removeRoleIds.map((id) => `<@&${id}>`).join(" ")}` : "";
        steps.push(
          plan.discord.targetRoleUnbound
            ? { step: "discord", status: "warning", detail: `${to} has no Discord role bound; removed the old rank role${removed}` }
            : { step: "discord", status: "ok", detail: `gave <@&${plan.to.discordRoleId}>${removed}` },
        );
      } else {
        log.warn({ err: failureCause(edited) }, "could not update the member's Discord roles");
        steps.push({ step: "discord", status: "failed", detail: `could not update the roles: ${editFailureText(edited)}` });
      }
    }

    if (plan.roblox.action === "set-role" && context.writer) {
      try {
        const result = await context.writer.setRank(context.groupId, member.robloxUserId, plan.roblox.roleId, {
          ladderRoleIds: context.ladderRoleIds,
        });
        // Any older queued write would now put back a rank nobody wants.
        robloxWrites.forget(guildId, member.robloxUserId);
        steps.push({ step: "roblox", status: "ok", detail: result.changed ? `set to ${to}` : `already ${to} in the group` });
      } catch (error) {
        const message = describeFailure(error);
        const permanent = isPermanentRobloxFailure(error);
        const queued = permanent
          ? null
          : robloxWrites.queue(
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
        if (permanent) robloxWrites.forget(guildId, member.robloxUserId);
        log.warn(
          { err: error, targetRobloxRoleId: plan.to.robloxRoleId, pendingWriteId: queued?.id ?? null },
          `DESYNC: Roblox rank write failed; Discord and the database say ${plan.to.name}, Roblox does not${queued ? " (queued for retry)" : " (not retried)"}`,
        );
        robloxFailure = { message, queued };
        steps.push({
          step: "roblox",
          status: "failed",
          detail: queued ? `not set yet: ${message} It is queued and retried automatically.` : `not set: ${message}`,
        });
      }
    }

    if (plan.dm.action === "send") {
      try {
        const delivered = await guilds.sendRankChangeDm(member.discordId, plan.dm, { guildName: context.guildName });
        steps.push(
          delivered
            ? { step: "dm", status: "ok", detail: "sent" }
            : { step: "dm", status: "warning", detail: "not delivered: the member does not accept direct messages from this server" },
        );
      } catch (error) {
        log.warn({ err: error }, "could not send the rank-change DM");
        steps.push({ step: "dm", status: "failed", detail: `could not be sent: ${discordErrorText(error)}` });
      }
    }
    return { steps, robloxFailure };
  }

/** Discord's own message (e.g. "Missing Permissions") is clearer than anything generic. */
function discordErrorText(error: unknown): string {
  return error instanceof Error ? error.message.slice(0, 200) : "unknown error";
}

function failureCause(outcome: MemberEditOutcome): unknown {
  return "error" in outcome ? outcome.error : undefined;
}

function editFailureText(outcome: Exclude<MemberEditOutcome, { kind: "updated" | "already-applied" }>): string {
  if (outcome.kind === "not-attempted") return outcome.problems.map((problem) => problem.message).join(" ");
  return discordErrorText(outcome.error);
}
