/**
 * One member's rank change (/promote, /demote, /set-rank): who may do it, what it changes, and the
 * four steps (database, Discord roles, Roblox rank, DM), each reported on its own because design §3
 * says one failing step must not stop the others. The domain decides (src/ranks); this file only
 * gathers the facts, runs the steps through the injected adapters and records what happened.
 *
 * A little over 300 lines on purpose: the four steps share the facts gathered at the top and are read
 * in order; the steps' own work is in rank-change-steps.ts and the types in rank-change-types.ts.
 */
import type { AuditAction, AuditOutcome, GuildSettings, Repositories } from "./storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import { decideRankChange, type Actor } from "../ranks/authority.ts";
import { requireRankAdmin } from "./admin-gate.ts";
import { RoleHierarchy } from "../ranks/hierarchy.ts";
import type { RankChangeBinds } from "../ranks/rank-change-discord.ts";
import { nicknameTemplateOf } from "../sync/sync-context.ts";
import type { GroupMembershipsPort } from "../sync/group-memberships.ts";
import type { GuildMemberView } from "./discord-port.ts";
import { otherGroupsOfMember } from "./other-groups.ts";
import {
  AlreadyAtBottomRankError,
  AlreadyAtTopRankError,
  AmbiguousRankError,
  EmptyLadderError,
  RankNotInLadderError,
  UnknownRankError,
  type RankLadder,
  type RobloxMembership,
} from "../ranks/ladder.ts";
import {
  NotRankedError,
  outcomesOfSkippedSteps,
  overallOutcome,
  planRankChange,
  type RankChangeIntent,
} from "../ranks/promotion.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { GuildContexts } from "./guild-context.ts";
import { RobloxWriteRefusedError } from "./roblox-access.ts";
import type { RobloxWriteQueue } from "./pending-writes.ts";


export * from "./rank-change-types.ts";
import {
  RankChangeRefusedError,
  type LadderRefusal,
  type RankChangeDiscord,
  type RankChangeKind,
  type RankChangeOptions,
  type RankChangeRequestIntent,
  type RankChangeResult,
  type RankChangeSubject,
  type RobloxWriter,
} from "./rank-change-types.ts";
import { applyRankChangeSteps } from "./rank-change-steps.ts";
import { notedRank, notedRankOrNone } from "./audit-notes.ts";

export interface RankChangeServiceOptions {
  repositories: Pick<Repositories, "guilds" | "members" | "pendingWrites">;
  guilds: RankChangeDiscord;
  contexts: Pick<GuildContexts, "resolve">;
  audit: Pick<AuditTrail, "record">;
  logger: Logger;
  /** Where a failed Roblox write goes to be retried (the PendingWriteWorker). */
  robloxWrites: RobloxWriteQueue;
  /** Other groups' memberships for range binds (src/sync/group-memberships.ts). */
  groupMemberships?: GroupMembershipsPort;
}

const AUDIT_ACTION: Record<RankChangeKind, AuditAction> = { promote: "rank.promote", demote: "rank.demote", set: "rank.set" };

/** The ladder's refusals of a planned change (the view words them). */
const LADDER_REFUSALS = [AlreadyAtTopRankError, AlreadyAtBottomRankError, NotRankedError, EmptyLadderError, RankNotInLadderError];
const isLadderRefusal = (error: unknown): error is LadderRefusal => LADDER_REFUSALS.some((type) => error instanceof type);

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

    const link = await repositories.members.get(guildId, targetDiscordId);
    if (!link || link.robloxUserId === null || !link.robloxUsername) {
      throw new RankChangeRefusedError("not-linked", { memberId: targetDiscordId });
    }
    const robloxUserId = link.robloxUserId;
    const discordMember = await guilds.member(guildId, targetDiscordId);
    const pending = await repositories.pendingWrites.getForUser(guildId, robloxUserId);
    const robloxMembership = await this.#readMembership(roblox, groupId, robloxUserId, guildId, ladder);
    const otherGroups = await otherGroupsOfMember(this.#options.groupMemberships, context, robloxUserId, logger);

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
        binds: {
          binds: context.binds,
          robloxGroupId: groupId,
          otherGroups,
          ...nicknameOf(context.settings, discordMember, { robloxUsername: link.robloxUsername ?? String(robloxUserId), displayName: link.robloxDisplayName, robloxUserId }),
        },
      }),
    );

    const decision = decideRankChange({
      actor,
      guild: { ownerId: guild.ownerId, adminRoleIds },
      ladder,
      target: { userId: targetDiscordId, currentRank: plan.from.rank },
      toRank: plan.to,
    });
    if (!decision.allowed) throw new RankChangeRefusedError(decision.reason, { denial: decision });

    if (options.expectedTargetRankId !== undefined && options.expectedTargetRankId !== plan.to.id) {
      throw new RankChangeRefusedError("target-changed", { memberId: targetDiscordId, nextRank: plan.to });
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
        throw new RankChangeRefusedError("discord-hierarchy", {
          memberId: targetDiscordId,
          problems: check.problems,
        });
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
    const applied = await applyRankChangeSteps(this.#options, guildId, plan, {
      member,
      groupId,
      writer,
      guildName: guild.name,
      actor,
      reason,
      log,
      hierarchy,
      heldRoleIds: discordMember?.roleIds ?? [],
      heldNick: discordMember?.nick ?? null,
      ladderRoleIds: ladder.ranks.map((rank) => rank.robloxRoleId),
    });
    const steps = [...outcomesOfSkippedSteps(plan), ...applied.steps];
    const outcome = overallOutcome(steps);
    const auditId = await this.#options.audit.record(guildId, {
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
      note: { kind: "rank-change", from: notedRankOrNone(plan.from.rank), to: notedRank(plan.to), steps },
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

  /**
   * Roblox is the truth the current rank is read from; when it cannot be read, the database and
   * Discord stand in. A member may hold several roles in the group: their rank here is the highest
   * one on the ladder (a role off the ladder, even a higher one, is not a rank to move from).
   */
  async #readMembership(
    roblox: { getMembership(groupId: number, userId: number): Promise<(RobloxMembership & { roleIds?: readonly number[] }) | null> },
    groupId: number,
    robloxUserId: number,
    guildId: string,
    ladder: RankLadder,
  ): Promise<RobloxMembership | null | undefined> {
    try {
      const membership = await roblox.getMembership(groupId, robloxUserId);
      if (!membership) return null;
      const ladderRanks = (membership.roleIds ?? [membership.roleId]).flatMap((id) => ladder.byRobloxRoleId(id) ?? []);
      const top = ladderRanks.reduce<(typeof ladderRanks)[number] | undefined>((best, rank) => (!best || rank.robloxRank > best.robloxRank ? rank : best), undefined);
      return top ? { roleId: top.robloxRoleId, rank: top.robloxRank } : { roleId: membership.roleId, rank: membership.rank };
    } catch (error) {
      this.#options.logger.warn({ err: error, guildId, robloxUserId }, "could not read the Roblox rank; planning from the stored rank");
      return undefined;
    }
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
  if (ladder.isEmpty) throw new RankChangeRefusedError("rank-rules", { ladderError: new EmptyLadderError() });
  if (typeof requested.rank === "number") {
    const rank = ladder.byId(requested.rank);
    if (!rank) throw new RankChangeRefusedError("unknown-rank", { ladderError: new RankNotInLadderError(requested.rank) });
    return { kind: "set", rank };
  }
  try {
    return { kind: "set", rank: ladder.resolveName(requested.rank) };
  } catch (error) {
    if (error instanceof UnknownRankError || error instanceof AmbiguousRankError) {
      throw new RankChangeRefusedError("unknown-rank", { ladderError: error, suggestList: true });
    }
    throw error;
  }
}

function refusingLadderErrors<T>(plan: () => T): T {
  try {
    return plan();
  } catch (error) {
    if (isLadderRefusal(error)) throw new RankChangeRefusedError("rank-rules", { ladderError: error });
    throw error;
  }
}

/** The template's input for a rank change, when the guild has one on and the member is here. */
function nicknameOf(
  settings: GuildSettings | undefined,
  member: GuildMemberView | null,
  account: { robloxUsername: string; displayName: string | null; robloxUserId: number },
): Pick<RankChangeBinds, "nickname"> {
  const template = nicknameTemplateOf(settings);
  if (template === null || !member) return {};
  return { nickname: { template, facts: { ...account, discordName: member.accountName }, current: member.nick } };
}
