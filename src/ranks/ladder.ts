/**
 * The rank ladder: the group's Roblox roles (all but Guest) in order, each optionally bound to a
 * Discord role. Everything that asks "which rank is this?" goes through here, so the ordering
 * rules live in one place.
 *
 * About 300 lines on purpose: one class whose every lookup (by id, Roblox role, rank number,
 * Discord role, typed name) reads the level maps its constructor builds and checks; the name
 * matching itself is already apart in rank-names.ts.
 */
import {
  AlreadyAtBottomRankError,
  AlreadyAtTopRankError,
  AmbiguousRankError,
  InvalidLadderError,
  type LadderDefect,
  RankNotInLadderError,
  UnknownRankError,
} from "./ladder-errors.ts";
import { closeness, compact, nameParts, normaliseName, stripRankSuffix } from "./rank-names.ts";

/** Database id of a rank row. */
export type RankId = number;
/** Roblox group role id (stable; survives renames and rank-number changes). */
export type RobloxRoleId = number;
/** Roblox user id. Fits a JS number: Roblox ids are far below 2^53. */
export type RobloxUserId = number;
/** Discord snowflake. Kept as a string: 17-19 digit snowflakes overflow a JS number. */
export type DiscordRoleId = string;
export type DiscordUserId = string;

/** One rung of the ladder, as stored. */
export interface Rank {
  readonly id: RankId;
  /** Our own ordering; normally follows `robloxRank`. */
  readonly position: number;
  readonly name: string;
  readonly robloxRoleId: RobloxRoleId;
  /** Roblox rank number, 1-255 (0 is Guest, which is never a rung). */
  readonly robloxRank: number;
  /** The Discord role that mirrors this rank, or null when the rank is not shown in Discord. */
  readonly discordRoleId: DiscordRoleId | null;
  readonly pointsRequired: number;
}

/** A user's standing in the Roblox group: the role Roblox reports for them. */
export interface RobloxMembership {
  readonly roleId: RobloxRoleId;
  readonly rank: number;
}

/** The Roblox rank number of the Guest role (non-members); never part of the ladder. */
export const GUEST_ROBLOX_RANK = 0;

export {
  AlreadyAtBottomRankError,
  AlreadyAtTopRankError,
  AmbiguousRankError,
  EmptyLadderError,
  InvalidLadderError,
  type LadderDefect,
  RankNotInLadderError,
  UnknownRankError,
} from "./ladder-errors.ts";

/** "E1 | Soldier (Rank 3)": the one way a rank is shown to people. */
export function formatRank(rank: Pick<Rank, "name" | "robloxRank">): string {
  return `${rank.name} (Rank ${rank.robloxRank})`;
}

export function formatRankOrNone(rank: Pick<Rank, "name" | "robloxRank"> | null): string {
  return rank ? formatRank(rank) : "no rank";
}

export class RankLadder {
  /** Bottom rung first. */
  readonly ranks: readonly Rank[];
  private readonly levelById = new Map<RankId, number>();
  private readonly levelByRobloxRoleId = new Map<RobloxRoleId, number>();
  private readonly levelByRobloxRank = new Map<number, number>();
  private readonly levelByDiscordRoleId = new Map<DiscordRoleId, number>();
  private readonly boundRoleIds: ReadonlySet<DiscordRoleId>;

  /**
   * Builds the ladder from stored rank rows in any order. Guest (Roblox rank 0) is dropped, so callers
   * may pass the group's full role list. Rejects rows that would make a lookup ambiguous.
   */
  constructor(entries: Iterable<Rank>) {
    const ranks = [...entries]
      .filter((entry) => entry.robloxRank !== GUEST_ROBLOX_RANK)
      .map((entry) => Object.freeze({ ...entry }))
      .sort((a, b) => a.position - b.position || a.robloxRank - b.robloxRank || a.id - b.id);

    ranks.forEach((rank, level) => {
      if (!Number.isInteger(rank.robloxRank) || rank.robloxRank < 1 || rank.robloxRank > 255) {
        throw new InvalidLadderError({ kind: "roblox-rank-out-of-range", rankName: rank.name, robloxRank: rank.robloxRank });
      }
      addUnique(this.levelById, rank.id, level, { kind: "duplicate-rank-id", rankId: rank.id });
      addUnique(this.levelByRobloxRoleId, rank.robloxRoleId, level, { kind: "duplicate-roblox-role", robloxRoleId: rank.robloxRoleId });
      if (rank.discordRoleId !== null) {
        // One Discord role for two ranks would make "which rank does this member hold?" unanswerable.
        addUnique(this.levelByDiscordRoleId, rank.discordRoleId, level, { kind: "duplicate-discord-role", discordRoleId: rank.discordRoleId });
      }
      // Roblox rank numbers are normally unique; if not, the lowest rung with that number wins.
      if (!this.levelByRobloxRank.has(rank.robloxRank)) this.levelByRobloxRank.set(rank.robloxRank, level);
    });

    // Rungs are frozen; the array is not: JavaScriptCore indexes frozen arrays on a slow path, which
    // doubled the sync planner's time at 100k members. `readonly Rank[]` guards it at compile time.
    this.ranks = ranks;
    this.boundRoleIds = new Set(this.levelByDiscordRoleId.keys());
  }

  get size(): number {
    return this.ranks.length;
  }

  get isEmpty(): boolean {
    return this.ranks.length === 0;
  }

  get lowest(): Rank | undefined {
    return this.ranks[0];
  }

  get highest(): Rank | undefined {
    return this.ranks[this.ranks.length - 1];
  }

  byId(id: RankId): Rank | undefined {
    return this.at(this.levelById.get(id));
  }

  byRobloxRoleId(roleId: RobloxRoleId): Rank | undefined {
    return this.at(this.levelByRobloxRoleId.get(roleId));
  }

  byRobloxRank(robloxRank: number): Rank | undefined {
    return this.at(this.levelByRobloxRank.get(robloxRank));
  }

  byDiscordRoleId(roleId: DiscordRoleId): Rank | undefined {
    return this.at(this.levelByDiscordRoleId.get(roleId));
  }

  /**
   * 0 for the bottom rung, size-1 for the top. Higher level = higher rank.
   * @throws RankNotInLadderError
   */
  levelOf(rank: Rank): number {
    const level = this.levelById.get(rank.id);
    if (level === undefined) throw new RankNotInLadderError(rank.id);
    return level;
  }

  /** Negative when `a` is below `b`, 0 when the same rank, positive when above. */
  compare(a: Rank, b: Rank): number {
    return this.levelOf(a) - this.levelOf(b);
  }

  /** @throws AlreadyAtTopRankError, RankNotInLadderError */
  nextAbove(rank: Rank): Rank {
    const above = this.ranks[this.levelOf(rank) + 1];
    if (!above) throw new AlreadyAtTopRankError(rank);
    return above;
  }

  /** @throws AlreadyAtBottomRankError, RankNotInLadderError */
  nextBelow(rank: Rank): Rank {
    const level = this.levelOf(rank);
    const below = level > 0 ? this.ranks[level - 1] : undefined;
    if (!below) throw new AlreadyAtBottomRankError(rank);
    return below;
  }

  /**
   * Resolves what a person typed (or an autocomplete value) to a rank. Accepts, case-insensitively
   * and ignoring extra spaces: the full name ("E1 | Soldier", "e1|soldier"), one part of a
   * "code | title" name ("Soldier", "E1") when only one rank has it, and the formatRank() label
   * ("E1 | Soldier (Rank 3)").
   * @throws UnknownRankError (with suggestions), AmbiguousRankError
   */
  resolveName(input: string): Rank {
    const query = normaliseName(stripRankSuffix(input));
    if (query === "") throw new UnknownRankError(input, []);

    const exact = this.ranks.filter((rank) => normaliseName(rank.name) === query);
    if (exact.length === 1) return exact[0]!;
    if (exact.length > 1) throw new AmbiguousRankError(input, exact);

    // "e1 soldier" for "E1 | Soldier": compare with separators and spaces removed.
    const compactQuery = compact(query);
    const compactMatches = this.ranks.filter((rank) => compact(normaliseName(rank.name)) === compactQuery);
    if (compactMatches.length === 1) return compactMatches[0]!;
    if (compactMatches.length > 1) throw new AmbiguousRankError(input, compactMatches);

    const partMatches = this.ranks.filter((rank) => nameParts(rank.name).includes(query));
    if (partMatches.length === 1) return partMatches[0]!;
    if (partMatches.length > 1) throw new AmbiguousRankError(input, partMatches);

    throw new UnknownRankError(input, this.suggest(input));
  }

  /** Ranks whose name is close to `input`, best first; for "did you mean" hints and autocomplete. */
  suggest(input: string, limit = 3): Rank[] {
    const query = normaliseName(stripRankSuffix(input));
    if (query === "") return [];
    const scored: { rank: Rank; score: number }[] = [];
    for (const rank of this.ranks) {
      const score = closeness(query, rank.name);
      if (score !== null) scored.push({ rank, score });
    }
    return scored
      .sort((a, b) => a.score - b.score || this.levelOf(a.rank) - this.levelOf(b.rank))
      .slice(0, limit)
      .map((entry) => entry.rank);
  }

  /** Every ladder rank whose Discord role is among `roleIds`, bottom first. */
  ranksHeld(roleIds: Iterable<DiscordRoleId>): Rank[] {
    const levels: number[] = [];
    for (const roleId of roleIds) {
      const level = this.levelByDiscordRoleId.get(roleId);
      if (level !== undefined) levels.push(level);
    }
    return [...new Set(levels)].sort((a, b) => a - b).map((level) => this.ranks[level]!);
  }

  /**
   * The rank a member shows in Discord: the highest ladder rank whose role they hold, or null.
   * A member holding two rank roles counts as the higher one (the other is cleaned up by sync).
   */
  rankHeld(roleIds: Iterable<DiscordRoleId>): Rank | null {
    return this.at(this.highestLevelHeld(roleIds)) ?? null;
  }

  /**
   * Design §3: "An actor's own rank is the highest ladder rank whose Discord role they hold".
   * The same rule as rankHeld, named for the authority check that depends on it.
   */
  actorRank(actorRoleIds: Iterable<DiscordRoleId>): Rank | null {
    return this.rankHeld(actorRoleIds);
  }

  /**
   * Level of the highest rank held, or -1. Allocation-free: the sync planner calls it once per member.
   */
  highestLevelHeld(roleIds: Iterable<DiscordRoleId>): number {
    let highest = -1;
    for (const roleId of roleIds) {
      const level = this.levelByDiscordRoleId.get(roleId);
      if (level !== undefined && level > highest) highest = level;
    }
    return highest;
  }

  /** Every Discord role bound to a rank: the roles rankbridge manages and may add or remove. */
  boundDiscordRoleIds(): ReadonlySet<DiscordRoleId> {
    return this.boundRoleIds;
  }

  isBoundDiscordRole(roleId: DiscordRoleId): boolean {
    return this.levelByDiscordRoleId.has(roleId);
  }

  private at(level: number | undefined): Rank | undefined {
    return level === undefined ? undefined : this.ranks[level];
  }
}

function addUnique<K>(map: Map<K, number>, key: K, level: number, defect: LadderDefect): void {
  if (map.has(key)) throw new InvalidLadderError(defect);
  map.set(key, level);
}
