/**
 * The sync planner (design §6): a pure diff of the Roblox roster against Discord roles and our
 * stored ranks. It decides; the applier acts. One item per linked member, carrying the member's
 * complete next role set so the applier can send a single PATCH per member.
 *
 * It runs once per member of a possibly huge guild, so the per-member path allocates little for
 * members who are already in sync. (A little over 300 lines: the plan's types and its one pass are
 * read together; the member's standing for the binds is in planner-standing.ts.)
 */
import type {
  DiscordRoleId,
  DiscordUserId,
  Rank,
  RankId,
  RankLadder,
  RobloxMembership,
  RobloxRoleId,
  RobloxUserId,
} from "../ranks/ladder.ts";
import { BindSet, ladderBinds, type HeldRobloxRole, type RobloxGroupId } from "../ranks/binds.ts";
import { StandingReader } from "./planner-standing.ts";

export interface LinkedAccount {
  readonly discordId: DiscordUserId;
  readonly robloxUserId: RobloxUserId;
  readonly robloxUsername: string;
  /** Roblox display name as stored at link (`{display-name}`); null or absent when not known. */
  readonly robloxDisplayName?: string | null;
  readonly storedRankId: RankId | null;
}

export type LeftGroupPolicy =
  /** Strip rank roles and clear the stored rank of members who left the Roblox group. */
  | "remove"
  /** Leave them alone and report them, for admins who review departures by hand. */
  | "flag";

export interface SyncOptions {
  readonly leftGroupPolicy: LeftGroupPolicy;
  /** Only members whose Roblox, Discord or stored rank is one of these take part. */
  readonly rankFilter?: ReadonlySet<RankId>;
}

export interface SyncInput {
  /** Roblox standing per linked user: a membership, or null when not in the group. Absent = not fetched. */
  readonly robloxMemberships: ReadonlyMap<RobloxUserId, RobloxMembership | null>;
  readonly links: readonly LinkedAccount[];
  readonly ladder: RankLadder;
  /** Discord roles per member; absent or undefined when the member is not in the guild. */
  readonly discordMemberRoles: ReadonlyMap<DiscordUserId, readonly DiscordRoleId[] | undefined>;
  /** Roblox writes we queued that have not gone through: their target is the truth, not Roblox's stale answer. */
  readonly pendingRobloxWrites: ReadonlyMap<RobloxUserId, RobloxRoleId>;
  readonly options: SyncOptions;
  /** The guild's binds (rank binds, ranges, verified role...); absent: the ladder's own rank roles only. */
  readonly binds?: BindSet;
  /** The guild's own Roblox group (range binds on it read the member's roles there). */
  readonly robloxGroupId?: RobloxGroupId;
  /**
   * Other groups' memberships, per group then per linked user: every role held (absent user = guest).
   * A range bind on a group missing here cannot be decided, so its roles are neither given nor taken.
   */
  readonly otherGroups?: ReadonlyMap<RobloxGroupId, ReadonlyMap<RobloxUserId, readonly HeldRobloxRole[]>>;
  /** Nickname template and each member's current nickname and Discord name; absent: nicknames are left alone. */
  readonly nicknames?: {
    readonly template: string;
    readonly members: ReadonlyMap<DiscordUserId, { readonly nick: string | null; readonly discordName: string }>;
  };
}

export type SyncItemKind =
  /** Discord roles and/or the stored rank change. */
  | "update"
  | "in-sync"
  /** Not in the Roblox group; see LeftGroupPolicy for what changes. */
  | "left-group"
  /** Not in the Discord guild: no role changes, though the stored rank may still follow Roblox. */
  | "not-in-guild"
  /** Their Roblox role is not on the ladder (new role, not imported yet): nothing is touched. */
  | "unranked-role"
  /** No Roblox answer for this user (lookup failed or was not made): nothing is touched. */
  | "roblox-unknown"
  /** A second link for a Discord account already planned; two plans for one member would race. */
  | "duplicate-link";

export interface StoredRankChange {
  readonly fromRankId: RankId | null;
  readonly toRankId: RankId | null;
}

export interface SyncItem {
  readonly kind: SyncItemKind;
  readonly discordId: DiscordUserId;
  readonly robloxUserId: RobloxUserId;
  readonly robloxUsername: string;
  /** The rank the member shows in Discord now (highest rank role held), or the stored one when not in the guild. */
  readonly fromRank: Rank | null;
  /** The rank they should have; null when they should have none, or when it is unknown. */
  readonly toRank: Rank | null;
  readonly addRoleIds: readonly DiscordRoleId[];
  readonly removeRoleIds: readonly DiscordRoleId[];
  /** Complete role set for one PATCH; null when the roles need no change. */
  readonly nextRoleIds: readonly DiscordRoleId[] | null;
  /** The nickname to set in the same PATCH; undefined when it stays as it is. */
  readonly nick?: string | null;
  readonly storedRankChange: StoredRankChange | null;
  /** The target came from a pending Roblox write rather than from Roblox. */
  readonly fromPendingWrite: boolean;
}

export type SyncCounts = Record<SyncItemKind, number> & {
  /** Items planned (links minus those outside the rank filter). */
  readonly total: number;
  /** Links left out by the rank filter. */
  readonly filteredOut: number;
  /** Members needing a Discord request (roles and/or nickname, one request each). */
  readonly discordUpdates: number;
  /** Members whose stored rank changes. */
  readonly storedRankUpdates: number;
};

export interface SyncPlan {
  readonly items: readonly SyncItem[];
  /** Items with something to apply (Discord or stored rank), in link order. */
  readonly changes: readonly SyncItem[];
  readonly counts: SyncCounts;
}

const NONE: readonly DiscordRoleId[] = Object.freeze([]);

/** Desired state for one member, before Discord is looked at. */
type Target =
  | { readonly kind: "ranked"; readonly rank: Rank; readonly fromPendingWrite: boolean }
  | { readonly kind: "left-group" }
  | { readonly kind: "unranked-role" }
  | { readonly kind: "roblox-unknown" };

export function planSync(input: SyncInput): SyncPlan {
  const { ladder, options } = input;
  const binds = input.binds ?? new BindSet(ladderBinds(ladder));
  const standings = new StandingReader(input, binds);
  const filter = options.rankFilter;
  const items: SyncItem[] = [];
  const changes: SyncItem[] = [];
  const counts = {
    update: 0,
    "in-sync": 0,
    "left-group": 0,
    "not-in-guild": 0,
    "unranked-role": 0,
    "roblox-unknown": 0,
    "duplicate-link": 0,
    total: 0,
    filteredOut: 0,
    discordUpdates: 0,
    storedRankUpdates: 0,
  };
  const planned = new Set<DiscordUserId>();

  for (const link of input.links) {
    const target = targetFor(input, link);
    const roleIds = input.discordMemberRoles.get(link.discordId);
    const heldLevel = roleIds ? ladder.highestLevelHeld(roleIds) : -1;

    if (filter && !passesFilter(filter, target, heldLevel, ladder, link.storedRankId)) {
      counts.filteredOut++;
      continue;
    }

    const item = planned.has(link.discordId)
      ? unchanged("duplicate-link", link, null, null)
      : planMember(ladder, options, link, target, roleIds, heldLevel, binds, standings);
    planned.add(link.discordId);

    items.push(item);
    counts[item.kind]++;
    const discordChange = item.nextRoleIds !== null || item.nick !== undefined;
    if (discordChange) counts.discordUpdates++;
    if (item.storedRankChange) counts.storedRankUpdates++;
    if (discordChange || item.storedRankChange) changes.push(item);
  }
  counts.total = items.length;
  return { items, changes, counts };
}

function targetFor(input: SyncInput, link: LinkedAccount): Target {
  const pending = input.pendingRobloxWrites.get(link.robloxUserId);
  if (pending !== undefined) {
    const rank = input.ladder.byRobloxRoleId(pending);
    return rank ? { kind: "ranked", rank, fromPendingWrite: true } : { kind: "unranked-role" };
  }
  const membership = input.robloxMemberships.get(link.robloxUserId);
  if (membership === undefined) return { kind: "roblox-unknown" };
  if (membership === null) return { kind: "left-group" };
  const rank = input.ladder.byRobloxRoleId(membership.roleId);
  return rank ? { kind: "ranked", rank, fromPendingWrite: false } : { kind: "unranked-role" };
}

/** A member takes part when any of their ranks (target, shown in Discord, stored) is filtered in. */
function passesFilter(filter: ReadonlySet<RankId>, target: Target, heldLevel: number, ladder: RankLadder, storedRankId: RankId | null): boolean {
  if (target.kind === "ranked" && filter.has(target.rank.id)) return true;
  const held = heldLevel >= 0 ? ladder.ranks[heldLevel] : undefined;
  if (held && filter.has(held.id)) return true;
  return storedRankId !== null && filter.has(storedRankId);
}

function planMember(
  ladder: RankLadder,
  options: SyncOptions,
  link: LinkedAccount,
  target: Target,
  roleIds: readonly DiscordRoleId[] | undefined,
  heldLevel: number,
  binds: BindSet,
  standings: StandingReader,
): SyncItem {
  // What the member shows now: their Discord rank, or our stored rank when they are not in the guild.
  const fromRank = roleIds
    ? heldLevel >= 0
      ? ladder.ranks[heldLevel]!
      : null
    : link.storedRankId !== null
      ? (ladder.byId(link.storedRankId) ?? null)
      : null;

  switch (target.kind) {
    case "roblox-unknown":
    case "unranked-role":
      return unchanged(target.kind, link, fromRank, null);
    case "left-group": {
      if (options.leftGroupPolicy === "flag") return unchanged("left-group", link, fromRank, null);
      // "remove": the member should hold no rank at all.
      return withChanges("left-group", link, fromRank, null, false, roleIds, storedRankChangeTo(link, null), binds, standings);
    }
    case "ranked": {
      const storedChange = storedRankChangeTo(link, target.rank.id);
      if (!roleIds) {
        return { ...unchanged("not-in-guild", link, fromRank, target.rank), storedRankChange: storedChange, fromPendingWrite: target.fromPendingWrite };
      }
      return withChanges("update", link, fromRank, target.rank, target.fromPendingWrite, roleIds, storedChange, binds, standings);
    }
  }
}

function storedRankChangeTo(link: LinkedAccount, toRankId: RankId | null): StoredRankChange | null {
  return link.storedRankId === toRankId ? null : { fromRankId: link.storedRankId, toRankId };
}

/**
 * Roles to add and remove so the member holds exactly what the matching binds give among managed
 * roles (the rank's roles, ranges, the verified role...), and the nickname the template gives.
 * Reports "in-sync" when neither Discord nor the stored rank changes.
 */
function withChanges(
  kind: "update" | "left-group",
  link: LinkedAccount,
  fromRank: Rank | null,
  toRank: Rank | null,
  fromPendingWrite: boolean,
  roleIds: readonly DiscordRoleId[] | undefined,
  storedRankChange: StoredRankChange | null,
  binds: BindSet,
  standings: StandingReader,
): SyncItem {
  let addRoleIds: readonly DiscordRoleId[] = NONE;
  let remove: readonly DiscordRoleId[] = NONE;
  if (roleIds) {
    const changes = binds.changes(standings.of(link, toRank, fromPendingWrite), roleIds);
    if (changes.add.length > 0) addRoleIds = changes.add;
    if (changes.remove.length > 0) remove = changes.remove;
  }
  const discordChanges = addRoleIds.length > 0 || remove.length > 0;
  const nextRoleIds = roleIds && discordChanges ? nextRoleSet(roleIds, remove, addRoleIds) : null;
  const nick = roleIds ? standings.nickChange(link, toRank) : undefined;
  const resolvedKind: SyncItemKind = kind === "update" && !discordChanges && nick === undefined && !storedRankChange ? "in-sync" : kind;
  return {
    kind: resolvedKind,
    discordId: link.discordId,
    robloxUserId: link.robloxUserId,
    robloxUsername: link.robloxUsername,
    fromRank,
    toRank,
    addRoleIds,
    removeRoleIds: remove,
    nextRoleIds,
    ...(nick !== undefined && { nick }),
    storedRankChange,
    fromPendingWrite,
  };
}


/** Member's roles minus removed plus added, order kept, no duplicates. Role lists are short, so no Set. */
function nextRoleSet(current: readonly DiscordRoleId[], remove: readonly DiscordRoleId[], add: readonly DiscordRoleId[]): DiscordRoleId[] {
  const next: DiscordRoleId[] = [];
  for (const roleId of current) {
    if (!remove.includes(roleId) && !next.includes(roleId)) next.push(roleId);
  }
  for (const roleId of add) if (!next.includes(roleId)) next.push(roleId);
  return next;
}

function unchanged(kind: SyncItemKind, link: LinkedAccount, fromRank: Rank | null, toRank: Rank | null): SyncItem {
  return {
    kind,
    discordId: link.discordId,
    robloxUserId: link.robloxUserId,
    robloxUsername: link.robloxUsername,
    fromRank,
    toRank,
    addRoleIds: NONE,
    removeRoleIds: NONE,
    nextRoleIds: null,
    storedRankChange: null,
    fromPendingWrite: false,
  };
}
