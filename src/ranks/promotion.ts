/**
 * Planning one member's rank change (/promote, /demote, /set-rank) and reporting how it went.
 * The plan has four independent steps (database, Discord roles, Roblox rank, DM): design §3 says
 * one failing step must not stop the others, so each step is planned and reported on its own.
 */
import {
  EmptyLadderError,
  type DiscordRoleId,
  type Rank,
  type RankId,
  type RankLadder,
  type RobloxMembership,
  type RobloxRoleId,
} from "./ladder.ts";

/** Roblox's Owner role: only an ownership transfer can give or take it, never a rank write. */
export const ROBLOX_OWNER_RANK = 255;

export type RankChangeIntent = { readonly kind: "promote" } | { readonly kind: "demote" } | { readonly kind: "set"; readonly rank: Rank };

/** Demoting someone who holds no rank at all. */
export class NotRankedError extends Error {
  override readonly name = "NotRankedError";
  constructor() {
    super("the member holds no rank to demote from");
  }
}

/** Where the member's current rank was read from (shown in replies when sources disagree). */
export type RankSource = "pending-roblox-write" | "roblox" | "database" | "discord";

export interface CurrentRank {
  readonly rank: Rank | null;
  readonly source: RankSource | null;
}

export interface MemberRankState {
  readonly ladder: RankLadder;
  readonly storedRankId: RankId | null;
  /** What Roblox reports: a membership, null when not in the group, undefined when it could not be read. */
  readonly robloxMembership: RobloxMembership | null | undefined;
  /** A Roblox write we queued that has not gone through yet; it is newer than what Roblox reports. */
  readonly pendingRobloxRoleId?: RobloxRoleId | null;
  /** The member's Discord roles, or null when they are not in the guild. */
  readonly discordRoleIds: readonly DiscordRoleId[] | null;
}

/**
 * The rank a promote/demote moves from. Roblox is the source of truth that sync follows, but a
 * pending write of ours is newer than Roblox; then the database, then Discord, as fallbacks.
 */
export function currentRankOf(state: MemberRankState): CurrentRank {
  const { ladder } = state;
  const pending = state.pendingRobloxRoleId != null ? ladder.byRobloxRoleId(state.pendingRobloxRoleId) : undefined;
  if (pending) return { rank: pending, source: "pending-roblox-write" };
  const roblox = state.robloxMembership ? ladder.byRobloxRoleId(state.robloxMembership.roleId) : undefined;
  if (roblox) return { rank: roblox, source: "roblox" };
  const stored = state.storedRankId !== null ? ladder.byId(state.storedRankId) : undefined;
  if (stored) return { rank: stored, source: "database" };
  const discord = state.discordRoleIds ? ladder.rankHeld(state.discordRoleIds) : null;
  if (discord) return { rank: discord, source: "discord" };
  return { rank: null, source: null };
}

/**
 * The rank an intent leads to. Promoting an unranked member gives the lowest rank.
 * @throws AlreadyAtTopRankError, AlreadyAtBottomRankError, NotRankedError, EmptyLadderError, RankNotInLadderError
 */
export function targetRankFor(intent: RankChangeIntent, current: Rank | null, ladder: RankLadder): Rank {
  switch (intent.kind) {
    case "set":
      ladder.levelOf(intent.rank); // rejects a rank that is not on this ladder
      return intent.rank;
    case "promote": {
      if (current) return ladder.nextAbove(current);
      const lowest = ladder.lowest;
      if (!lowest) throw new EmptyLadderError();
      return lowest;
    }
    case "demote":
      if (!current) throw new NotRankedError();
      return ladder.nextBelow(current);
  }
}

export type RankDirection = "up" | "down" | "none";

export interface PointsShortfall {
  readonly points: number;
  readonly required: number;
  readonly missing: number;
}

/** How far a member is from the target's points requirement, for upward moves only; else null. */
export function pointsShortfall(points: number | null | undefined, target: Rank, direction: RankDirection): PointsShortfall | null {
  if (direction !== "up" || points == null || points >= target.pointsRequired) return null;
  return { points, required: target.pointsRequired, missing: target.pointsRequired - points };
}

/** An admin must confirm a promotion past what the member's points allow. */
export function needsPointsConfirmation(points: number | null | undefined, target: Rank, direction: RankDirection): boolean {
  return pointsShortfall(points, target, direction) !== null;
}

export type DatabaseStep =
  | { readonly action: "write"; readonly fromRankId: RankId | null; readonly toRankId: RankId }
  | { readonly action: "skip"; readonly reason: "already-stored" };

export type DiscordStep =
  | {
      readonly action: "update";
      readonly addRoleIds: readonly DiscordRoleId[];
      readonly removeRoleIds: readonly DiscordRoleId[];
      /** The member's whole role set afterwards, for a single PATCH. */
      readonly nextRoleIds: readonly DiscordRoleId[];
      /** The target rank has no Discord role: old rank roles go, nothing is added. */
      readonly targetRoleUnbound: boolean;
    }
  | { readonly action: "skip"; readonly reason: "already-matching" | "target-role-unbound" | "not-in-guild" };

export type RobloxStep =
  | { readonly action: "set-role"; readonly roleId: RobloxRoleId; readonly fromRoleId: RobloxRoleId | null }
  | {
      readonly action: "skip";
      readonly reason: "already-at-rank" | "already-pending" | "not-in-group" | "owner-role" | "member-is-owner";
    };

/** A rank-change DM the plan decided to send. */
export type RankChangeDm = Extract<DmStep, { action: "send" }>;

export type DmStep =
  | { readonly action: "send"; readonly direction: RankDirection; readonly from: Rank | null; readonly to: Rank; readonly reason: string | null }
  | { readonly action: "skip"; readonly reason: "rank-unchanged" | "not-in-guild" };

export interface RankChangePlan {
  readonly intent: RankChangeIntent["kind"];
  readonly from: CurrentRank;
  readonly to: Rank;
  readonly direction: RankDirection;
  readonly database: DatabaseStep;
  readonly discord: DiscordStep;
  readonly roblox: RobloxStep;
  readonly dm: DmStep;
  /** Non-null when the admin should confirm first (not enough points). */
  readonly pointsShortfall: PointsShortfall | null;
}

export interface RankChangeInput extends MemberRankState {
  readonly intent: RankChangeIntent;
  readonly points?: number | null;
  /** The admin's reason, passed on in the DM. */
  readonly reason?: string | null;
}

/**
 * Plans every step of a rank change.
 * @throws the errors of targetRankFor (top/bottom of ladder, unranked demote, empty ladder)
 */
export function planRankChange(input: RankChangeInput): RankChangePlan {
  const { ladder } = input;
  const from = currentRankOf(input);
  const to = targetRankFor(input.intent, from.rank, ladder);
  const direction = directionOf(ladder, from.rank, to);
  return {
    intent: input.intent.kind,
    from,
    to,
    direction,
    database: input.storedRankId === to.id ? { action: "skip", reason: "already-stored" } : { action: "write", fromRankId: input.storedRankId, toRankId: to.id },
    discord: planDiscordStep(ladder, input.discordRoleIds, to),
    roblox: planRobloxStep(input, to),
    dm:
      input.discordRoleIds === null
        ? { action: "skip", reason: "not-in-guild" }
        : direction === "none"
          ? { action: "skip", reason: "rank-unchanged" }
          : { action: "send", direction, from: from.rank, to, reason: input.reason?.trim() || null },
    pointsShortfall: pointsShortfall(input.points, to, direction),
  };
}

function directionOf(ladder: RankLadder, from: Rank | null, to: Rank): RankDirection {
  if (!from) return "up";
  const difference = ladder.compare(to, from);
  return difference > 0 ? "up" : difference < 0 ? "down" : "none";
}

/** Add the target's role; remove every other ladder role the member holds (not just the previous one). */
function planDiscordStep(ladder: RankLadder, memberRoleIds: readonly DiscordRoleId[] | null, to: Rank): DiscordStep {
  if (memberRoleIds === null) return { action: "skip", reason: "not-in-guild" };
  const held = new Set(memberRoleIds);
  const addRoleIds = to.discordRoleId !== null && !held.has(to.discordRoleId) ? [to.discordRoleId] : [];
  const removeRoleIds = [...held].filter((roleId) => roleId !== to.discordRoleId && ladder.isBoundDiscordRole(roleId));
  const targetRoleUnbound = to.discordRoleId === null;
  if (addRoleIds.length === 0 && removeRoleIds.length === 0) {
    return { action: "skip", reason: targetRoleUnbound ? "target-role-unbound" : "already-matching" };
  }
  const removed = new Set(removeRoleIds);
  const nextRoleIds = [...[...held].filter((roleId) => !removed.has(roleId)), ...addRoleIds];
  return { action: "update", addRoleIds, removeRoleIds, nextRoleIds, targetRoleUnbound };
}

function planRobloxStep(state: MemberRankState, to: Rank): RobloxStep {
  const membership = state.robloxMembership;
  const pending = state.pendingRobloxRoleId ?? null;
  if (pending === null && membership === null) return { action: "skip", reason: "not-in-group" };
  if (membership && membership.rank === ROBLOX_OWNER_RANK) return { action: "skip", reason: "member-is-owner" };
  if (to.robloxRank === ROBLOX_OWNER_RANK) return { action: "skip", reason: "owner-role" };
  if (pending === to.robloxRoleId) return { action: "skip", reason: "already-pending" };
  if (pending === null && membership?.roleId === to.robloxRoleId) return { action: "skip", reason: "already-at-rank" };
  return { action: "set-role", roleId: to.robloxRoleId, fromRoleId: pending ?? membership?.roleId ?? null };
}

export {
  outcomesOfSkippedSteps,
  overallOutcome,
  type OverallOutcome,
  STEP_ORDER,
  type StepName,
  type StepOutcome,
  type StepStatus,
} from "./step-outcomes.ts";
