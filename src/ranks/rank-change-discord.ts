/**
 * The Discord step of a rank change, from the guild's binds: the roles every bind gives a member
 * at the target rank (the rank's own role, its extra roles, the verified role, ranges on the
 * guild's group) and none that a bind manages and no longer gives, plus the template's nickname
 * for the new rank, all for one member edit. Pure, no wording.
 */
import { BindSet, ladderBinds, type HeldRobloxRole, type MemberStanding, type RobloxGroupId } from "./binds.ts";
import type { DiscordRoleId, Rank, RankLadder, RobloxMembership } from "./ladder.ts";
import { renderNickname, type NicknameFacts } from "./nickname.ts";

/** What the Discord step needs beyond the ladder; absent: the ladder's own rank roles only, no nickname. */
export interface RankChangeBinds {
  readonly binds: BindSet;
  /** The guild's group. */
  readonly robloxGroupId: RobloxGroupId;
  /** The member's roles in other groups range binds name; a group not here (or unknown) neither gives nor takes. */
  readonly otherGroups?: {
    readonly groups: ReadonlyMap<RobloxGroupId, readonly HeldRobloxRole[]>;
    readonly unknownGroupIds: ReadonlySet<RobloxGroupId>;
  };
  readonly nickname?: {
    readonly template: string;
    readonly facts: Omit<NicknameFacts, "rank">;
    /** The member's nickname now. */
    readonly current: string | null;
  };
}

export type DiscordStep =
  | {
      readonly action: "update";
      readonly addRoleIds: readonly DiscordRoleId[];
      readonly removeRoleIds: readonly DiscordRoleId[];
      /** The member's whole role set afterwards, for a single PATCH. */
      readonly nextRoleIds: readonly DiscordRoleId[];
      /** The target rank has no Discord role: old rank roles go, nothing is added for the rank itself. */
      readonly targetRoleUnbound: boolean;
      /** The nickname to set in the same request; undefined when it stays. */
      readonly nick?: string;
    }
  | { readonly action: "skip"; readonly reason: "already-matching" | "target-role-unbound" | "not-in-guild" };

/** The member's standing at `to`: their other Roblox roles stay, the ladder rank becomes `to`. */
function standingAt(ladder: RankLadder, to: Rank, membership: RobloxMembership | null | undefined, context: RankChangeBinds | undefined): MemberStanding {
  const groups = new Map<RobloxGroupId, readonly HeldRobloxRole[]>();
  const rankIds = [to.id];
  const held: HeldRobloxRole[] = [{ roleId: to.robloxRoleId, rank: to.robloxRank }];
  // Roles outside the ladder (Roblox's several roles per member) are untouched by a rank change.
  for (const role of membership?.roles ?? []) if (!ladder.byRobloxRoleId(role.roleId)) held.push(role);
  if (context) groups.set(context.robloxGroupId, held);
  const unknownGroupIds = new Set<RobloxGroupId>();
  for (const groupId of context ? context.binds.rangeGroupIds() : []) {
    if (groupId === context?.robloxGroupId) continue;
    const roles = context?.otherGroups?.groups.get(groupId);
    if (roles) groups.set(groupId, roles);
    else unknownGroupIds.add(groupId);
  }
  return { linked: true, rankIds, groups, unknownGroupIds };
}

export function planDiscordStep(
  ladder: RankLadder,
  memberRoleIds: readonly DiscordRoleId[] | null,
  to: Rank,
  membership: RobloxMembership | null | undefined,
  context?: RankChangeBinds,
): DiscordStep {
  if (memberRoleIds === null) return { action: "skip", reason: "not-in-guild" };
  const binds = context?.binds ?? new BindSet(ladderBinds(ladder));
  const { add, remove } = binds.changes(standingAt(ladder, to, membership, context), memberRoleIds);
  const targetRoleUnbound = to.discordRoleId === null;
  const rendered = context?.nickname ? renderNickname(context.nickname.template, { ...context.nickname.facts, rank: to }) : null;
  const nick = rendered !== null && rendered !== context?.nickname?.current ? rendered : undefined;
  if (add.length === 0 && remove.length === 0 && nick === undefined) {
    return { action: "skip", reason: targetRoleUnbound ? "target-role-unbound" : "already-matching" };
  }
  const nextRoleIds = [...memberRoleIds.filter((roleId) => !remove.includes(roleId)), ...add];
  return { action: "update", addRoleIds: add, removeRoleIds: remove, nextRoleIds, targetRoleUnbound, ...(nick !== undefined && { nick }) };
}
