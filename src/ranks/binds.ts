/**
 * Binds (design §3.1): a condition on a member's standing and the Discord roles it gives. A
 * member's wanted roles are the union of every matching bind; a role some bind manages that no
 * matching bind gives is removed; a role no bind manages is never touched. Pure, no wording.
 *
 * The ladder is a set of rank binds too: each rank's own Discord role is a rank bind marked as the
 * rank's role (`rankRole`), so "which rank does this member show in Discord" still has one answer.
 */
import type { DiscordRoleId, RankId, RankLadder } from "./ladder.ts";

/** Database id of a stored bind. */
export type BindId = number;
/** Roblox group id. */
export type RobloxGroupId = number;

/** Roblox rank numbers run 0 (guest: not in the group) to 255 (owner). */
export const MIN_ROBLOX_RANK = 0;
export const MAX_ROBLOX_RANK = 255;

export const BIND_KINDS = ["rank", "range", "linked", "unlinked"] as const;
export type BindKind = (typeof BIND_KINDS)[number];

/** What a member must be for a bind to give its roles. */
export type BindCondition =
  /** Has this ladder rank (the member's rank in the guild's group, see MemberStanding.rankIds). */
  | { readonly kind: "rank"; readonly rankId: RankId }
  /** Holds a role whose rank number in `groupId` lies in min..max (0 = not in the group). Linked members only. */
  | { readonly kind: "range"; readonly groupId: RobloxGroupId; readonly minRank: number; readonly maxRank: number }
  /** Has a Roblox account linked. */
  | { readonly kind: "linked" }
  /** Has no Roblox account linked. */
  | { readonly kind: "unlinked" };

/**
 * Where a bind comes from: one stored in the binds table (with its id), or the guild's
 * verified/unverified role setting, which behaves exactly as a linked/unlinked bind.
 */
export type BindOrigin =
  | { readonly kind: "stored"; readonly id: BindId; readonly rankRole: boolean }
  | { readonly kind: "verified-role" }
  | { readonly kind: "unverified-role" };

export type Bind = BindCondition & {
  readonly origin: BindOrigin;
  /** The Discord roles it gives; never empty for a stored bind. */
  readonly roleIds: readonly DiscordRoleId[];
};

/** One Roblox group role a member holds. */
export interface HeldRobloxRole {
  readonly roleId: number;
  readonly rank: number;
}

/** What the resolver knows about a member. */
export interface MemberStanding {
  readonly linked: boolean;
  /**
   * The member's ladder rank (normally one: the highest ladder role held, or a pending write's
   * target). Not every role held: Roblox gives every member the group's base role, which would
   * otherwise give its rank's roles to everyone. Several roles are matched by range binds.
   */
  readonly rankIds: readonly RankId[];
  /**
   * Per Roblox group: every role held. A group with no entry, or an empty list, means guest
   * (rank 0), unless it is in `unknownGroupIds`.
   */
  readonly groups: ReadonlyMap<RobloxGroupId, readonly HeldRobloxRole[]>;
  /**
   * Groups whose membership could not be read for this member. Range binds on them neither give
   * nor take: a role only they give is kept if held and not added if not (fail safe: a lookup that
   * failed is never read as "not in the group").
   */
  readonly unknownGroupIds?: ReadonlySet<RobloxGroupId>;
}

export interface RoleChanges {
  /** Every role the matching binds give. */
  readonly wanted: ReadonlySet<DiscordRoleId>;
  readonly add: readonly DiscordRoleId[];
  readonly remove: readonly DiscordRoleId[];
}

/** The guild's verified/unverified role settings, as binds. */
export function settingBinds(settings: { readonly verifiedRoleId: DiscordRoleId | null; readonly unverifiedRoleId: DiscordRoleId | null }): Bind[] {
  const binds: Bind[] = [];
  if (settings.verifiedRoleId) binds.push({ kind: "linked", origin: { kind: "verified-role" }, roleIds: [settings.verifiedRoleId] });
  if (settings.unverifiedRoleId) binds.push({ kind: "unlinked", origin: { kind: "unverified-role" }, roleIds: [settings.unverifiedRoleId] });
  return binds;
}

/**
 * The ladder's own rank roles as rank binds, for callers that have a ladder but no stored binds
 * (a guild's stored binds already include these, as rank_role binds).
 */
export function ladderBinds(ladder: Pick<RankLadder, "ranks">): Bind[] {
  const binds: Bind[] = [];
  for (const rank of ladder.ranks) {
    if (rank.discordRoleId !== null) binds.push({ kind: "rank", rankId: rank.id, origin: { kind: "stored", id: -rank.id, rankRole: true }, roleIds: [rank.discordRoleId] });
  }
  return binds;
}

/** A bind's condition alone (for comparing two binds, or storing one). */
export function conditionOf(bind: BindCondition): BindCondition {
  switch (bind.kind) {
    case "rank":
      return { kind: "rank", rankId: bind.rankId };
    case "range":
      return { kind: "range", groupId: bind.groupId, minRank: bind.minRank, maxRank: bind.maxRank };
    case "linked":
    case "unlinked":
      return { kind: bind.kind };
  }
}

/** The same condition (two binds with equal conditions are one bind giving more roles). */
export function sameCondition(a: BindCondition, b: BindCondition): boolean {
  if (a.kind !== b.kind) return false;
  if (a.kind === "rank" && b.kind === "rank") return a.rankId === b.rankId;
  if (a.kind === "range" && b.kind === "range") return a.groupId === b.groupId && a.minRank === b.minRank && a.maxRank === b.maxRank;
  return true;
}

/** Why a range cannot be a bind; null when it can. */
export type RangeProblem = "not-integer" | "out-of-range" | "min-above-max";

export function rangeProblem(minRank: number, maxRank: number): RangeProblem | null {
  if (!Number.isInteger(minRank) || !Number.isInteger(maxRank)) return "not-integer";
  if (minRank < MIN_ROBLOX_RANK || maxRank > MAX_ROBLOX_RANK || maxRank < MIN_ROBLOX_RANK || minRank > MAX_ROBLOX_RANK) return "out-of-range";
  if (minRank > maxRank) return "min-above-max";
  return null;
}

/** A member with no Roblox account linked: only unlinked binds (the unverified role) match. */
export const UNLINKED_STANDING: MemberStanding = Object.freeze({ linked: false, rankIds: Object.freeze([]), groups: new Map() });

const GUEST: readonly HeldRobloxRole[] = Object.freeze([{ roleId: 0, rank: 0 }]);

/** Whether `bind` matches; undefined when it cannot be decided (its group could not be read). */
export function bindMatches(bind: BindCondition, standing: MemberStanding): boolean | undefined {
  switch (bind.kind) {
    case "linked":
      return standing.linked;
    case "unlinked":
      return !standing.linked;
    case "rank":
      return standing.linked && standing.rankIds.includes(bind.rankId);
    case "range": {
      // An account we do not know has no rank anywhere: ranges (guest included) are for linked members.
      if (!standing.linked) return false;
      if (standing.unknownGroupIds?.has(bind.groupId)) return undefined;
      const held = standing.groups.get(bind.groupId);
      const roles = held && held.length > 0 ? held : GUEST;
      return roles.some((role) => role.rank >= bind.minRank && role.rank <= bind.maxRank);
    }
  }
}

/**
 * A guild's binds, indexed once and asked per member. Built once per sync run (or per edit), so
 * per-member work is a scan of the binds with no allocation beyond the answer.
 */
export class BindSet {
  readonly binds: readonly Bind[];
  readonly #managed: ReadonlySet<DiscordRoleId>;
  readonly #byRole = new Map<DiscordRoleId, Bind[]>();
  #presence: BindSet | null | undefined;

  constructor(binds: Iterable<Bind>) {
    this.binds = [...binds];
    for (const bind of this.binds) {
      for (const roleId of bind.roleIds) {
        const givers = this.#byRole.get(roleId);
        if (givers) {
          if (!givers.includes(bind)) givers.push(bind);
        } else this.#byRole.set(roleId, [bind]);
      }
    }
    this.#managed = new Set(this.#byRole.keys());
  }

  get isEmpty(): boolean {
    return this.binds.length === 0;
  }

  /** Every role some bind gives: the only roles rankbridge adds or removes. */
  get managedRoleIds(): ReadonlySet<DiscordRoleId> {
    return this.#managed;
  }

  isManaged(roleId: DiscordRoleId): boolean {
    return this.#managed.has(roleId);
  }

  /** The binds that give `roleId` (for `/binds list` and "why does this member hold this role"). */
  giversOf(roleId: DiscordRoleId): readonly Bind[] {
    return this.#byRole.get(roleId) ?? [];
  }

  /** Every managed role with the binds giving it, in first-bound order. */
  byRole(): ReadonlyMap<DiscordRoleId, readonly Bind[]> {
    return this.#byRole;
  }

  /**
   * The binds on being linked at all (the verified and unverified roles, stored linked/unlinked
   * binds) as a set of their own; null when there are none. A whole-guild sync brings members with
   * no link in line with these alone: the rank roles an unlinked member holds are left to join and
   * unlink, never stripped in bulk (they are no rank strip the mass-change guard would count).
   */
  presence(): BindSet | null {
    if (this.#presence === undefined) {
      const binds = this.binds.filter((bind) => bind.kind === "linked" || bind.kind === "unlinked");
      this.#presence = binds.length > 0 ? new BindSet(binds) : null;
    }
    return this.#presence;
  }

  /** Roblox groups the range binds read (the guild's own group included when a range names it). */
  rangeGroupIds(): RobloxGroupId[] {
    const groups = new Set<RobloxGroupId>();
    for (const bind of this.binds) if (bind.kind === "range") groups.add(bind.groupId);
    return [...groups];
  }

  /** The matching binds. */
  matching(standing: MemberStanding): Bind[] {
    return this.binds.filter((bind) => bindMatches(bind, standing) === true);
  }

  /** Union of the roles the matching binds give. */
  wanted(standing: MemberStanding): Set<DiscordRoleId> {
    return this.#resolve(standing).wanted;
  }

  /**
   * What to add and remove for a member who holds `heldRoleIds` now: add = wanted and not held;
   * remove = managed, held, not wanted (and not kept by a bind that cannot be decided). Roles no
   * bind manages never appear in either list.
   */
  changes(standing: MemberStanding, heldRoleIds: readonly DiscordRoleId[]): RoleChanges {
    const { wanted, undecided } = this.#resolve(standing);
    const add: DiscordRoleId[] = [];
    for (const roleId of wanted) if (!heldRoleIds.includes(roleId)) add.push(roleId);
    const remove: DiscordRoleId[] = [];
    for (const roleId of heldRoleIds) {
      if (this.#managed.has(roleId) && !wanted.has(roleId) && !undecided.has(roleId) && !remove.includes(roleId)) remove.push(roleId);
    }
    return { wanted, add, remove };
  }

  #resolve(standing: MemberStanding): { wanted: Set<DiscordRoleId>; undecided: Set<DiscordRoleId> } {
    const wanted = new Set<DiscordRoleId>();
    const undecided = new Set<DiscordRoleId>();
    for (const bind of this.binds) {
      const matches = bindMatches(bind, standing);
      if (matches === true) for (const roleId of bind.roleIds) wanted.add(roleId);
      else if (matches === undefined) for (const roleId of bind.roleIds) undecided.add(roleId);
    }
    return { wanted, undecided };
  }
}
