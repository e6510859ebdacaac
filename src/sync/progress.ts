/**
 * How far a bulk sync run is: the share done, the time left, and the entries of the "who changed"
 * list. Numbers only; the Discord view (src/discord/views/sync-run.ts) words them.
 */
import type { DiscordUserId, Rank } from "../ranks/ladder.ts";
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
}

/** The list entry for a planned sync item. */
export function updateListEntry(item: Pick<SyncItem, "robloxUsername" | "discordId" | "fromRank" | "toRank">): UpdateListEntry {
  return {
    robloxUsername: item.robloxUsername,
    discordId: item.discordId,
    from: rankLabel(item.fromRank),
    to: rankLabel(item.toRank),
  };
}

function rankLabel(rank: Rank | null): string | null {
  return rank ? rank.name : null;
}
