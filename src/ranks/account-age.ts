/**
 * The minimum Roblox account age for linking (design §3.1 `/config min-account-age`): a gate
 * against throwaway accounts. Pure: the linking service reads the account's creation date, this
 * decides, the views word it (with the date the account becomes old enough).
 */

export const DAY_MS = 86_400_000;
/** 0 turns the gate off. */
export const MIN_ACCOUNT_AGE_DAYS = 0;
/** Ten years: anything longer would shut out almost every account Roblox has. */
export const MAX_ACCOUNT_AGE_DAYS = 3_650;

export type AccountAgeVerdict =
  | { readonly allowed: true }
  /** Too young: `eligibleAtMs` is when the account reaches the required age. */
  | { readonly allowed: false; readonly reason: "too-young"; readonly minDays: number; readonly eligibleAtMs: number }
  /** The gate is on but Roblox did not say when the account was made: refused rather than guessed. */
  | { readonly allowed: false; readonly reason: "unknown-age"; readonly minDays: number };

export function isValidMinAccountAge(days: number): boolean {
  return Number.isSafeInteger(days) && days >= MIN_ACCOUNT_AGE_DAYS && days <= MAX_ACCOUNT_AGE_DAYS;
}

/**
 * Whether an account made at `createdMs` may link now under a minimum of `minDays` days (null or 0:
 * no gate). An account is old enough from the instant it is `minDays` × 24 h old.
 */
export function judgeAccountAge(createdMs: number | null, minDays: number | null | undefined, nowMs: number): AccountAgeVerdict {
  if (!minDays || minDays <= 0) return { allowed: true };
  if (createdMs === null || !Number.isFinite(createdMs)) return { allowed: false, reason: "unknown-age", minDays };
  const eligibleAtMs = createdMs + minDays * DAY_MS;
  return nowMs >= eligibleAtMs ? { allowed: true } : { allowed: false, reason: "too-young", minDays, eligibleAtMs };
}
