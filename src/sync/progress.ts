/**
 * How far a bulk sync run is: the share done, the time left, and the entries of the "who changed"
 * list. Numbers only; the Discord view (src/discord/views/sync-run.ts) words them.
 */
import type { DiscordRoleId, DiscordUserId, Rank } from "../ranks/ladder.ts";
import type { SyncItem } from "./planner.ts";

export interface SyncProgress {
  /** Members the run will go through. */
  readonly total: number;
  /** Members handled so far (updated, in sync or failed). */
  readonly processed: number;
  readonly updated: number;
  readonly inSync: number;
  readonly errors: number;
  readonly startedAtMs: number;
  readonly nowMs: number;
  /**
   * Members per second to expect from here on, when known better than the observed average (for
   * example from the rate limits that set the floor of the run).
   */
  readonly expectedRatePerSecond?: number;
}

/** Share done, 0..1; an empty run is complete. */
export function progressFraction(progress: Pick<SyncProgress, "total" | "processed">): number {
  if (progress.total <= 0) return 1;
  return Math.min(1, Math.max(0, progress.processed / progress.total));
}

/** Milliseconds left at the expected (or else observed) rate; null until there is a rate to go on. */
export function estimateRemainingMs(progress: SyncProgress): number | null {
  const remaining = Math.max(0, progress.total - progress.processed);
  if (remaining === 0) return 0;
  const elapsedMs = progress.nowMs - progress.startedAtMs;
  const rate =
    progress.expectedRatePerSecond !== undefined && progress.expectedRatePerSecond > 0
      ? progress.expectedRatePerSecond
      : elapsedMs > 0 && progress.processed > 0
        ? (progress.processed / elapsedMs) * 1000
        : null;
  return rate === null ? null : Math.round((remaining / rate) * 1000);
}


export interface UpdateListEntry {
  readonly robloxUsername: string;
  /** When present, the line also mentions the Discord member (design §3: name both accounts). */
  readonly discordId?: DiscordUserId;
  /** Rank labels; null shows as "no rank". */
  readonly from: string | null;
  readonly to: string | null;
  /** Removed from the server by the group lock (not in the Roblox group). */
  readonly kicked?: true;
  /** A member with no link (their verified/unverified roles brought in line); no Roblox name or rank. */
  readonly unlinked?: true;
  /** Discord roles given and taken (absent when none), so a dry run shows every role a bind changes. */
  readonly added?: readonly DiscordRoleId[];
  readonly removed?: readonly DiscordRoleId[];
  /** The nickname set (null: cleared); absent when it stays as it is. */
  readonly nick?: string | null;
}

/** The list entry for a planned sync item: its rank, and the roles and nickname its one request changes. */
export function updateListEntry(
  item: Pick<SyncItem, "robloxUsername" | "discordId" | "fromRank" | "toRank"> & Partial<Pick<SyncItem, "addRoleIds" | "removeRoleIds" | "nick">>,
): UpdateListEntry {
  return {
    robloxUsername: item.robloxUsername,
    discordId: item.discordId,
    from: rankLabel(item.fromRank),
    to: rankLabel(item.toRank),
    ...changesOf(item.addRoleIds ?? [], item.removeRoleIds ?? [], item.nick),
  };
}

/** The role and nickname part of a list entry, left out where nothing changes (entries are kept in the run's progress). */
export function changesOf(
  added: readonly DiscordRoleId[],
  removed: readonly DiscordRoleId[],
  nick: string | null | undefined,
): Pick<UpdateListEntry, "added" | "removed" | "nick"> {
  return {
    ...(added.length > 0 && { added: [...added] }),
    ...(removed.length > 0 && { removed: [...removed] }),
    ...(nick !== undefined && { nick }),
  };
}

function rankLabel(rank: Rank | null): string | null {
  return rank ? rank.name : null;
}
