/**
 * When the next background sync run is due. Runs are jittered so that guilds sharing a period do not
 * all hit the Roblox and Discord rate limits in the same minute. Periods themselves ("6h", "1h30m")
 * are parsed in src/lib/duration.ts, re-exported here for the sync's callers.
 */
import { UNIT_MS } from "../lib/duration.ts";

/** A source of uniform numbers in [0, 1), injected so tests can pin the jitter. */
export type RandomSource = () => number;

export { DurationOutOfRangeError, formatDuration, InvalidDurationError, parseDuration } from "../lib/duration.ts";

/** The default background period (design §2, SYNC_INTERVAL). */
export const DEFAULT_SYNC_INTERVAL_MS = 6 * UNIT_MS.h;
/** At most ±10% of the period (design §2). */
export const MAX_JITTER_FRACTION = 0.1;

/** `intervalMs` scaled by a random factor in [1 - fraction, 1 + fraction). */
export function jitteredInterval(intervalMs: number, random: RandomSource, fraction = MAX_JITTER_FRACTION): number {
  if (!(intervalMs > 0)) throw new RangeError(`interval must be positive, got ${intervalMs}`);
  if (!(fraction >= 0 && fraction <= MAX_JITTER_FRACTION)) throw new RangeError(`jitter fraction must be within 0..${MAX_JITTER_FRACTION}`);
  return Math.round(intervalMs * (1 + (2 * unitRandom(random) - 1) * fraction));
}

/**
 * When the next background sync of a guild is due. A guild that never ran, or whose run is overdue
 * (the bot was down), starts within the first jitter window from now rather than at once, so a
 * restart does not fire every guild's sync in the same instant.
 */
export function nextRunAt(params: { readonly lastRunAt: Date | null; readonly now: Date; readonly intervalMs: number; readonly random: RandomSource }): Date {
  const { lastRunAt, now, intervalMs, random } = params;
  if (lastRunAt) {
    const due = lastRunAt.getTime() + jitteredInterval(intervalMs, random);
    if (due > now.getTime()) return new Date(due);
  }
  return new Date(now.getTime() + Math.round(unitRandom(random) * intervalMs * MAX_JITTER_FRACTION));
}

function unitRandom(random: RandomSource): number {
  const value = random();
  if (!(value >= 0 && value < 1)) throw new RangeError(`random source must return a number in [0, 1), got ${value}`);
  return value;
}
