/**
 * The text of the bulk-sync reply: a progress bar while it runs, a summary when it ends, and the
 * list of who changed. Discord caps a message at 2000 characters, so every list is bounded.
 */
import type { DiscordUserId, Rank } from "../ranks/ladder.ts";
import type { SyncItem } from "./planner.ts";
import { formatDuration } from "./schedule.ts";

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

const FILLED = "▰";
const EMPTY = "▱";

/** Share done, 0..1; an empty run is complete. */
export function progressFraction(progress: Pick<SyncProgress, "total" | "processed">): number {
  if (progress.total <= 0) return 1;
  return Math.min(1, Math.max(0, progress.processed / progress.total));
}

/**
 * "▰▰▰▰▱▱▱▱▱▱ 40%". Rounds down, so a run shows 100% only once it is really complete.
 */
export function renderProgressBar(fraction: number, width = 10): string {
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.floor(clamped * width);
  return `${FILLED.repeat(filled)}${EMPTY.repeat(width - filled)} ${Math.floor(clamped * 100)}%`;
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

const count = (value: number): string => value.toLocaleString("en-US");

/** "Synced: 12 · Already in sync: 980 · Errors: 3" */
export function renderSummary(counts: { readonly updated: number; readonly inSync: number; readonly errors: number }): string {
  return `Synced: ${count(counts.updated)} · Already in sync: ${count(counts.inSync)} · Errors: ${count(counts.errors)}`;
}

/**
 * The in-flight reply:
 *   ▰▰▰▰▱▱▱▱▱▱ 40%
 *   4,000 / 10,000 members · about 2m 30s left
 *   Synced: 12 · Already in sync: 3,980 · Errors: 8
 */
export function renderProgress(progress: SyncProgress): string {
  const remainingMs = estimateRemainingMs(progress);
  const eta = remainingMs === null ? "estimating time left…" : remainingMs === 0 ? "done" : `about ${formatDuration(remainingMs)} left`;
  return [
    renderProgressBar(progressFraction(progress)),
    `${count(progress.processed)} / ${count(progress.total)} members · ${eta}`,
    renderSummary(progress),
  ].join("\n");
}

export interface UpdateListEntry {
  readonly robloxUsername: string;
  /** When present, the line also mentions the Discord member (design §3: name both accounts). */
  readonly discordId?: DiscordUserId;
  /** Rank labels; null shows as "no rank". */
  readonly from: string | null;
  readonly to: string | null;
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

export interface UpdateListLimits {
  /** Most entry lines shown before "... and N more". */
  readonly maxLines?: number;
  /** Character budget for the whole list, "... and N more" included. */
  readonly maxChars?: number;
  /** Entries that exist but were not passed in (a long run keeps only its first few); added to "N more". */
  readonly notListed?: number;
}

/**
 * "Player1 (<@123>): E0 | Enlist → E1 | Soldier", one line per entry, then "... and N more" for
 * whatever did not fit in `maxLines` lines or `maxChars` characters.
 */
export function renderUpdateList(entries: readonly UpdateListEntry[], limits: UpdateListLimits = {}): string {
  const maxLines = Math.max(0, limits.maxLines ?? 20);
  const maxChars = limits.maxChars ?? 1500;
  const lines: string[] = [];
  let used = 0;
  const notListed = Math.max(0, limits.notListed ?? 0);
  for (const entry of entries) {
    if (lines.length >= maxLines) break;
    const line = renderUpdateLine(entry);
    const left = entries.length - lines.length - 1 + notListed;
    // Keep room for the "... and N more" line that would follow if this is not the last entry.
    const reserve = left > 0 ? moreLine(left).length + 1 : 0;
    const cost = (lines.length > 0 ? 1 : 0) + line.length;
    if (used + cost + reserve > maxChars) break;
    lines.push(line);
    used += cost;
  }
  const hidden = entries.length - lines.length + notListed;
  if (hidden > 0) lines.push(moreLine(hidden));
  return lines.join("\n");
}

function moreLine(hidden: number): string {
  return `... and ${count(hidden)} more`;
}

function renderUpdateLine(entry: UpdateListEntry): string {
  const who = escapeMarkdown(entry.robloxUsername) + (entry.discordId ? ` (<@${entry.discordId}>)` : "");
  return `${who}: ${escapeMarkdown(entry.from ?? "no rank")} → ${escapeMarkdown(entry.to ?? "no rank")}`;
}

/**
 * Roblox usernames often contain "_", which Discord would read as italics. Lines start with the
 * username (letters, digits, "_"), so line-start syntax (#, >, -) cannot trigger; a single "|" is
 * plain text and only "||" (spoiler) needs escaping.
 */
export function escapeMarkdown(text: string): string {
  return text.replace(/[\\*_~`]/g, "\\$&").replace(/\|\|/g, "\\|\\|");
}
