import { describe, expect, test } from "bun:test";
import {
  DEFAULT_SYNC_INTERVAL_MS,
  DurationOutOfRangeError,
  InvalidDurationError,
  formatDuration,
  jitteredInterval,
  nextRunAt,
  parseDuration,
} from "../../src/sync/schedule.ts";

const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

describe("parsing durations", () => {
  test.each([
    ["45s", 45 * SECOND],
    ["30m", 30 * MINUTE],
    ["6h", 6 * HOUR],
    ["1d", DAY],
    [" 6H ", 6 * HOUR],
    ["1h30m", 90 * MINUTE],
    ["1d 12h", 36 * HOUR],
    ["90m", 90 * MINUTE],
  ])("%p is %p ms", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  test.each([
    ["", "empty"],
    ["   ", "empty"],
    ["6", "unit is missing"],
    ["6x", '"x" is not a unit'],
    ["6 hours", '"hours" is not a unit'],
    ["1.5h", "unexpected characters"],
    ["-5m", "unexpected characters"],
    ["h", "unexpected characters"],
    ["0s", "longer than zero"],
    ["30m1h", "largest to smallest"],
    ["1h1h", "largest to smallest"],
    ["99999999999999999999d", "too long"],
  ])("%p is rejected (%s)", (input, reason) => {
    let error: unknown;
    try {
      parseDuration(input);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(InvalidDurationError);
    expect((error as InvalidDurationError).input).toBe(input);
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).toContain("like 45s, 30m, 6h or 1d");
  });

  test("a huge or odd input is quoted back short, so the refusal fits a Discord reply", () => {
    const input = `${"9".repeat(5_000)}\u0000x`;
    expect(() => parseDuration(input)).toThrow(InvalidDurationError);
    const message = (() => {
      try {
        parseDuration(input);
      } catch (error) {
        return (error as Error).message;
      }
    })()!;
    expect(message.length).toBeLessThan(250);
    expect(message).toStartWith(`"${"9".repeat(79)}…" is not a valid duration: it is too long`);
  });

  test("a long input is refused before the pattern runs (it backtracks quadratically on a run of digits)", () => {
    expect(() => parseDuration(`${"9".repeat(41)}`)).toThrow("it is too long");
    expect(parseDuration(` ${"0".repeat(30)}1d 2h `)).toBe(86_400_000 + 7_200_000);
  });

  test("bounds are enforced with their own error", () => {
    expect(() => parseDuration("10s", { min: 30 * SECOND })).toThrow(DurationOutOfRangeError);
    expect(() => parseDuration("2d", { max: DAY })).toThrow("at most 1d");
    expect(parseDuration("30s", { min: 30 * SECOND, max: DAY })).toBe(30 * SECOND);
  });

  test("the default interval is 6h", () => {
    expect(DEFAULT_SYNC_INTERVAL_MS).toBe(parseDuration("6h"));
  });
});

describe("formatting durations", () => {
  test.each([
    [0, "0s"],
    [400, "0s"],
    [45 * SECOND, "45s"],
    [65 * SECOND, "1m 5s"],
    [90 * MINUTE, "1h 30m"],
    [6 * HOUR, "6h"],
    [DAY + 6 * HOUR + 5 * MINUTE, "1d 6h"],
    [DAY + 5 * MINUTE, "1d"],
    [-5, "0s"],
  ])("%p ms is %p", (ms, expected) => {
    expect(formatDuration(ms)).toBe(expected);
  });

  test("round-trips through parseDuration for whole units", () => {
    for (const text of ["45s", "30m", "6h", "1d"]) expect(formatDuration(parseDuration(text))).toBe(text);
  });
});

describe("jitter", () => {
  test("stays within ±10% at the extremes of the random source", () => {
    expect(jitteredInterval(HOUR, () => 0)).toBe(0.9 * HOUR);
    expect(jitteredInterval(HOUR, () => 0.5)).toBe(HOUR);
    const top = jitteredInterval(HOUR, () => 0.999_999_9);
    expect(top).toBeLessThanOrEqual(1.1 * HOUR);
    expect(top).toBeGreaterThan(1.099 * HOUR);
  });

  test("a smaller jitter can be asked for, a larger one cannot", () => {
    expect(jitteredInterval(HOUR, () => 0, 0.05)).toBe(0.95 * HOUR);
    expect(() => jitteredInterval(HOUR, () => 0, 0.2)).toThrow(RangeError);
  });

  test("a broken random source is refused", () => {
    expect(() => jitteredInterval(HOUR, () => 1)).toThrow(RangeError);
    expect(() => jitteredInterval(HOUR, () => Number.NaN)).toThrow(RangeError);
  });

  test("the interval must be positive", () => {
    expect(() => jitteredInterval(0, () => 0.5)).toThrow(RangeError);
  });
});

describe("the next run", () => {
  const now = new Date("2026-11-28T12:00:00Z");

  test("is one jittered interval after the last run", () => {
    const lastRunAt = new Date("2026-11-28T10:00:00Z");
    expect(nextRunAt({ lastRunAt, now, intervalMs: 6 * HOUR, random: () => 0.5 })).toEqual(new Date("2026-11-28T16:00:00Z"));
    expect(nextRunAt({ lastRunAt, now, intervalMs: 6 * HOUR, random: () => 0 })).toEqual(new Date("2026-11-28T15:24:00Z"));
  });

  test("an overdue guild starts within the first tenth of an interval, not all at once", () => {
    const lastRunAt = new Date("2026-11-27T00:00:00Z");
    expect(nextRunAt({ lastRunAt, now, intervalMs: 6 * HOUR, random: () => 0 })).toEqual(now);
    const later = nextRunAt({ lastRunAt, now, intervalMs: 6 * HOUR, random: () => 0.5 });
    expect(later.getTime() - now.getTime()).toBe(18 * MINUTE);
  });

  test("a guild that never ran is treated as overdue", () => {
    const next = nextRunAt({ lastRunAt: null, now, intervalMs: HOUR, random: () => 0.999 });
    expect(next.getTime()).toBeGreaterThanOrEqual(now.getTime());
    expect(next.getTime()).toBeLessThan(now.getTime() + 0.1 * HOUR);
  });

  test("many guilds spread across the ±10% window", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648;
    };
    const lastRunAt = new Date(now.getTime() - MINUTE);
    const offsets = Array.from({ length: 1000 }, () => nextRunAt({ lastRunAt, now, intervalMs: HOUR, random }).getTime() - lastRunAt.getTime());
    expect(Math.min(...offsets)).toBeGreaterThanOrEqual(0.9 * HOUR);
    expect(Math.max(...offsets)).toBeLessThanOrEqual(1.1 * HOUR);
    expect(new Set(offsets).size).toBeGreaterThan(900);
  });
});
