/**
 * One member's rank change (/promote, /demote, /set-rank): who may do it, what it changes, and the
 * four steps (database, Discord roles, Roblox rank, DM), each reported on its own because design §3
 * says one failing step must not stop the others. The domain decides (src/ranks); this file only
 * gathers the facts, runs the steps through the injected adapters and records what happened.
 */
import type { Repositories } from "../db/index.ts";
import type { AuditAction, AuditOutcome, PendingRobloxWrite } from "../db/schema.ts";
import type { GuildMemberView } from "../discord/guilds.ts";
import type { Logger } from "../observability/logger.ts";
import { decideRankChange, type Actor, type RankChangeDenial } from "../ranks/authority.ts";
import { requireRankAdmin } from "./admin-gate.ts";
import { RoleHierarchy, type BotStanding } from "../ranks/hierarchy.ts";
import {
  AlreadyAtBottomRankError,
  AlreadyAtTopRankError,
  AmbiguousRankError,
  EmptyLadderError,
  formatRank,
  formatRankOrNone,
  RankNotInLadderError,
  UnknownRankError,
  type Rank,
  type RankId,
  type RankLadder,
  type RobloxMembership,
} from "../ranks/ladder.ts";
import {
  NotRankedError,
  outcomesOfSkippedSteps,
  overallOutcome,
  planRankChange,
  renderOutcomeLines,
  renderRankChangeDm,
  type OverallOutcome,
  type PointsShortfall,
  type RankChangeIntent,
  type RankChangePlan,
  type RankDirection,
  type RankSource,
  type StepOutcome,
} from "../ranks/promotion.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { GuildContexts } from "./guild-context.ts";
import { MemberRoleEditor, type MemberEditOutcome, type MemberRolesWriter } from "./member-role-editor.ts";
import { RobloxWriteRefusedError } from "./roblox-access.ts";
import { describeFailure, isPermanentRobloxFailure, type RobloxWriteQueue } from "./pending-writes.ts";

/** The one Roblox call a rank change makes with the writer its guild's access allowed. */
type RobloxWriter = { setRank(groupId: number, userId: number, roleId: number): Promise<{ changed: boolean }> };

export type RankChangeKind = RankChangeIntent["kind"];

/** What the caller asks for; a set rank may be a rank id (a button) or what someone typed. */
export type RankChangeRequestIntent = { kind: "promote" } | { kind: "demote" } | { kind: "set"; rank: RankId | string };

export interface RankChangeOptions {
  reason?: string | null;
  /** The admin already confirmed a promotion past the member's points. */
  confirmPoints?: boolean;
  /**
   * The target rank the admin confirmed. If the member's rank moved in the meantime the target
   * differs, and acting on an old confirmation would give a rank nobody agreed to.
   */
  expectedTargetRankId?: RankId;
}

export type RankChangeRefusal =
  | RankChangeDenial
  | "not-linked"
  | "bot-target"
  | "rank-rules"
  | "unknown-rank"
  | "discord-hierarchy"
  | "target-changed";

/** The change was not made at all; `userMessage` says why and what to do. */
export class RankChangeRefusedError extends Error {
  override readonly name = "RankChangeRefusedError";
  constructor(
    readonly reason: RankChangeRefusal,
    readonly userMessage: string,
  ) {
    super(userMessage);
  }
}

/** The member a change is about, as replies name them (design §3: both the Discord member and the Roblox username). */
export interface RankChangeSubject {
  discordId: string;
  /** Null when they are not in the server. */
  displayName: string | null;
  robloxUserId: number;
  robloxUsername: string;
  points: number;
}

export interface RobloxStepFailure {
  /** What went wrong, for people. */
  message: string;
  /** The write waits in the retry queue; absent when no retry can help. */
  queued: PendingRobloxWrite | null;
}

export type RankChangeResult =
  | {
      status: "needs-confirmation";
      intent: RankChangeKind;
      member: RankChangeSubject;
      from: Rank | null;
      to: Rank;
      shortfall: PointsShortfall;
      reason: string | null;
    }
  | {
      status: "done";
      intent: RankChangeKind;
      member: RankChangeSubject;
      from: Rank | null;
      fromSource: RankSource | null;
      to: Rank;
      direction: RankDirection;
      steps: StepOutcome[];
      outcome: OverallOutcome;
      robloxFailure: RobloxStepFailure | null;
      reason: string | null;
      auditId: number;
    };

/** The Discord side the service needs (DiscordGuilds implements it). */
export interface RankChangeDiscord extends MemberRolesWriter {
  guild(guildId: string): Promise<{ name: string; ownerId: string }>;
  member(guildId: string, userId: string): Promise<GuildMemberView | null>;
  botStanding(guildId: string): Promise<BotStanding>;
  sendDirectMessage(userId: string, content: string): Promise<boolean>;
}

export interface RankChangeServiceOptions {
  repositories: Pick<Repositories, "guilds" | "members" | "pendingWrites">;
  guilds: RankChangeDiscord;
  contexts: Pick<GuildContexts, "resolve">;
  audit: Pick<AuditTrail, "record">;
  logger: Logger;
  /** Where a failed Roblox write goes to be retried (the PendingWriteWorker). */
  robloxWrites: RobloxWriteQueue;
}

const AUDIT_ACTION: Record<RankChangeKind, AuditAction> = { promote: "rank.promote", demote: "rank.demote", set: "rank.set" };

/** Domain errors whose message is already written for the admin. */
const LADDER_REFUSALS = [AlreadyAtTopRankError, AlreadyAtBottomRankError, NotRankedError, EmptyLadderError, RankNotInLadderError];

export class RankChangeService {
  readonly #options: RankChangeServiceOptions;
  /** Changes to one member run one after another, so two quick /promote calls move them two ranks, not one twice. */
  readonly #memberQueues = new Map<string, Promise<unknown>>();

  constructor(options: RankChangeServiceOptions) {
    this.#options = options;
  }

  /**
   * Checks, plans and applies one rank change.
   * @throws RankChangeRefusedError when nothing may or can be done; typed errors with a
   *   `userMessage` from the adapters (e.g. no Roblox group configured); RobloxWriteRefusedError
   *   when this guild may not write Roblox ranks (design §10), before anything is changed.
   */
  execute(
    guildId: string,
    actor: Actor,
    targetDiscordId: string,
    intent: RankChangeRequestIntent,
    options: RankChangeOptions = {},
  ): Promise<RankChangeResult> {
    return this.#oneAtATime(`${guildId}:${targetDiscordId}`, () => this.#execute(guildId, actor, targetDiscordId, intent, options));
  }

  async #execute(
    guildId: string,
    actor: Actor,
    targetDiscordId: string,
    requested: RankChangeRequestIntent,
    options: RankChangeOptions,
  ): Promise<RankChangeResult> {
    const { repositories, guilds, logger } = this.#options;
    const guild = await guilds.guild(guildId);
    // Before anything else: a non-admin learns nothing about the member or the ladder.
    const { adminRoleIds } = await requireRankAdmin({ settings: repositories.guilds, guilds }, guildId, actor);

    const context = await this.#options.contexts.resolve(guildId);
    const { ladder, roblox, groupId } = context;
    const intent = resolveIntent(ladder, requested);
    const reason = options.reason?.trim() || null;

    const link = repositories.members.get(guildId, targetDiscordId);
    if (!link || link.robloxUserId === null || !link.robloxUsername) {
      throw new RankChangeRefusedError(
        "not-linked",
        `<@${targetDiscordId}> has not linked a Roblox account, so there is no Roblox rank to change. They must run /link-roblox first.`,
      );
    }
    const robloxUserId = link.robloxUserId;
    const discordMember = await guilds.member(guildId, targetDiscordId);
    const pending = repositories.pendingWrites.getForUser(guildId, robloxUserId);
    const robloxMembership = await this.#readMembership(roblox, groupId, robloxUserId, guildId);

    const plan = refusingLadderErrors(() =>
      planRankChange({
        ladder,
        intent,
        storedRankId: link.rankId,
        robloxMembership,
        pendingRobloxRoleId: pending?.targetRobloxRoleId ?? null,
        discordRoleIds: discordMember?.roleIds ?? null,
        points: link.points,
        reason,
      }),
    );

    const decision = decideRankChange({
      actor,
      guild: { ownerId: guild.ownerId, adminRoleIds },
      ladder,
      target: { userId: targetDiscordId, currentRank: plan.from.rank },
      toRank: plan.to,
    });
    if (!decision.allowed) throw new RankChangeRefusedError(decision.reason, decision.message);

    if (options.expectedTargetRankId !== undefined && options.expectedTargetRankId !== plan.to.id) {
      throw new RankChangeRefusedError(
        "target-changed",
        `<@${targetDiscordId}>'s rank changed since you were asked to confirm; the next rank is now ${formatRank(plan.to)}. Run the command again.`,
      );
    }

    const member: RankChangeSubject = {
      discordId: targetDiscordId,
      displayName: discordMember?.displayName ?? null,
      robloxUserId,
      robloxUsername: link.robloxUsername,
      points: link.points,
    };
    // Design §6.3: a request Discord must refuse still counts toward its invalid-request ban, and a
    // half-done change is worse than none; so the hierarchy is checked before any step runs.
    let hierarchy: RoleHierarchy | undefined;
    if (plan.discord.action === "update") {
      hierarchy = new RoleHierarchy(await guilds.botStanding(guildId));
      const check = hierarchy.check({
        addRoleIds: plan.discord.addRoleIds,
        removeRoleIds: plan.discord.removeRoleIds,
      });
      if (!check.ok) {
        const fixes = [...new Set(check.problems.map((problem) => `• ${problem.message}`))].join("\n");
        throw new RankChangeRefusedError(
          "discord-hierarchy",
          `Nothing was changed: rankbridge cannot change <@${targetDiscordId}>'s Discord roles yet.\n${fixes}\nThen run the command again.`,
        );
      }
    }

    // Design §10: whose credential may write this guild's Roblox ranks is settled before any step
    // runs, so a refused write leaves the database, Discord and Roblox as they were.
    let writer: RobloxWriter | undefined;
    if (plan.roblox.action === "set-role") {
      const write = await context.access.writer(groupId);
      if (!write.allowed) throw new RobloxWriteRefusedError(write.refusal);
      writer = write.client;
    }

    // After the hierarchy check, so an admin never confirms a change the bot then cannot make.
    if (plan.pointsShortfall && !options.confirmPoints) {
      return { status: "needs-confirmation", intent: intent.kind, member, from: plan.from.rank, to: plan.to, shortfall: plan.pointsShortfall, reason };
    }

    const log = logger.child({ guildId, discordId: targetDiscordId, robloxUserId, intent: intent.kind, actorId: actor.userId });
    const applied = await this.#applySteps(guildId, plan, {
      member,
      groupId,
      writer,
      guildName: guild.name,
      actor,
      reason,
      log,
      hierarchy,
      heldRoleIds: discordMember?.roleIds ?? [],
    });
    const steps = [...outcomesOfSkippedSteps(plan), ...applied.steps];
    const outcome = overallOutcome(steps);
    const auditId = this.#options.audit.record(guildId, {
      actorId: actor.userId,
      action: AUDIT_ACTION[intent.kind],
      targetDiscordId,
      targetRobloxUserId: robloxUserId,
      before: {
        rankId: plan.from.rank?.id ?? null,
        rank: plan.from.rank?.name ?? null,
        source: plan.from.source,
        storedRankId: link.rankId,
        robloxRoleId: robloxMembership?.roleId ?? null,
        discordRoleIds: discordMember?.roleIds ?? null,
      },
      after: {
        rankId: plan.to.id,
        rank: plan.to.name,
        robloxRoleId: plan.to.robloxRoleId,
        steps: Object.fromEntries(steps.map((step) => [step.step, step.status])),
        pendingWriteId: applied.robloxFailure?.queued?.id ?? null,
      },
      reason,
      outcome: outcome satisfies AuditOutcome,
      detail: renderOutcomeLines(steps).join("\n"),
      summary: `${formatRankOrNone(plan.from.rank)} → ${formatRank(plan.to)}\n${renderOutcomeLines(steps).join("\n")}`,
    });
    return {
      status: "done",
      intent: intent.kind,
      member,
      from: plan.from.rank,
      fromSource: plan.from.source,
      to: plan.to,
      direction: plan.direction,
      steps,
      outcome,
      robloxFailure: applied.robloxFailure,
      reason,
      auditId,
    };
  }

  /** Roblox is the truth the current rank is read from; when it cannot be read, the database and Discord stand in. */
  async #readMembership(
    roblox: { getMembership(groupId: number, userId: number): Promise<RobloxMembership | null> },
    groupId: number,
    robloxUserId: number,
    guildId: string,
  ): Promise<RobloxMembership | null | undefined> {
    try {
      return await roblox.getMembership(groupId, robloxUserId);
    } catch (error) {
      this.#options.logger.warn({ err: error, guildId, robloxUserId }, "could not read the Roblox rank; planning from the stored rank");
      return undefined;
    }
  }

  async #applySteps(
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
    },
  ): Promise<{ steps: StepOutcome[]; robloxFailure: RobloxStepFailure | null }> {
    const { repositories, guilds, robloxWrites } = this.#options;
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
        const result = await context.writer.setRank(context.groupId, member.robloxUserId, plan.roblox.roleId);
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
        const delivered = await guilds.sendDirectMessage(member.discordId, renderRankChangeDm(plan.dm, { guildName: context.guildName }));
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

  async #oneAtATime<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#memberQueues.get(key) ?? Promise.resolve();
    const run = previous.then(work, work);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.#memberQueues.set(key, settled);
    try {
      return await run;
    } finally {
      if (this.#memberQueues.get(key) === settled) this.#memberQueues.delete(key);
    }
  }
}

function resolveIntent(ladder: RankLadder, requested: RankChangeRequestIntent): RankChangeIntent {
  if (requested.kind !== "set") return requested;
  if (ladder.isEmpty) throw new RankChangeRefusedError("rank-rules", new EmptyLadderError().message);
  if (typeof requested.rank === "number") {
    const rank = ladder.byId(requested.rank);
    if (!rank) throw new RankChangeRefusedError("unknown-rank", new RankNotInLadderError(requested.rank).message);
    return { kind: "set", rank };
  }
  try {
    return { kind: "set", rank: ladder.resolveName(requested.rank) };
  } catch (error) {
    if (error instanceof UnknownRankError || error instanceof AmbiguousRankError) {
      throw new RankChangeRefusedError("unknown-rank", `${error.message} Pick a rank from the list, or run /list-ranks to see them all.`);
    }
    throw error;
  }
}

function refusingLadderErrors<T>(plan: () => T): T {
  try {
    return plan();
  } catch (error) {
    if (LADDER_REFUSALS.some((type) => error instanceof type)) throw new RankChangeRefusedError("rank-rules", (error as Error).message);
    throw error;
  }
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
