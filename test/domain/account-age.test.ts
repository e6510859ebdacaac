import { describe, expect, test } from "bun:test";
import { DAY_MS, isValidMinAccountAge, judgeAccountAge, MAX_ACCOUNT_AGE_DAYS } from "../../src/ranks/account-age.ts";
import { formatUtcDateTime } from "../../src/lib/dates.ts";

const CREATED = Date.parse("2026-11-26T09:30:00.000Z");

describe("minimum account age", () => {
  test("off (0 or unset) lets every account through, even one whose date is unknown", () => {
    for (const minDays of [0, null, undefined]) {
      expect(judgeAccountAge(CREATED, minDays, CREATED)).toEqual({ allowed: true });
      expect(judgeAccountAge(null, minDays, CREATED)).toEqual({ allowed: true });
    }
  });

  test("an account is old enough from the instant it is minDays × 24 h old, and not a millisecond before", () => {
    const eligibleAtMs = CREATED + 30 * DAY_MS;
    expect(judgeAccountAge(CREATED, 30, eligibleAtMs - 1)).toEqual({ allowed: false, reason: "too-young", minDays: 30, eligibleAtMs });
    expect(judgeAccountAge(CREATED, 30, eligibleAtMs)).toEqual({ allowed: true });
    expect(formatUtcDateTime(eligibleAtMs)).toBe("26 December 2026, 09:30 UTC");
  });

  test("with the gate on, an unknown creation date is refused, never guessed", () => {
    expect(judgeAccountAge(null, 1, CREATED)).toEqual({ allowed: false, reason: "unknown-age", minDays: 1 });
    expect(judgeAccountAge(Number.NaN, 1, CREATED)).toEqual({ allowed: false, reason: "unknown-age", minDays: 1 });
  });

  test("the setting is a whole number of days from 0 to ten years", () => {
    expect([0, 1, 30, MAX_ACCOUNT_AGE_DAYS].every(isValidMinAccountAge)).toBe(true);
    expect([-1, 1.5, MAX_ACCOUNT_AGE_DAYS + 1, Number.NaN, Number.POSITIVE_INFINITY].some(isValidMinAccountAge)).toBe(false);
  });
});
