/**
 * When a failed Roblox rank write is tried again, and which failures no retry can fix: the policy of
 * the pending-write retry (pending-writes.ts) and of the rank-change steps.
 */
import { userMessageOf } from "../errors/user-message.ts";
import { isRobloxError, type RobloxErrorKind } from "./roblox-port.ts";

/**
 * Failures no retry can fix: someone has to change something on Roblox (membership, the bot's
 * role or key scope) or in the ladder first. Everything else (rate limits, outages, timeouts,
 * rejected credentials an operator may still fix) is retried.
 */
const PERMANENT_FAILURES: ReadonlySet<RobloxErrorKind> = new Set<RobloxErrorKind>([
  "not_in_group",
  "user_not_found",
  "group_not_found",
  "role_not_found",
  "role_not_assignable",
  "missing_permission",
  "cannot_change_own_rank",
  "cannot_change_owner_rank",
  "invalid_request",
  "no_credentials",
]);

export function isPermanentRobloxFailure(error: unknown): boolean {
  return isRobloxError(error) && PERMANENT_FAILURES.has(error.kind);
}

/** The Roblox client's own words for a failure, or null for an unexpected error (the view words that case). */
export function robloxErrorText(error: unknown): string | null {
  return userMessageOf(error) ?? null;
}

/** For the `last_error` column and logs: kind and technical message, never credentials. */
export function technicalDescription(error: unknown): string {
  if (isRobloxError(error)) return `${error.kind}: ${error.message}`.slice(0, 500);
  return (error instanceof Error ? error.message : String(error)).slice(0, 500);
}

export interface RetryBackoff {
  /** Delay after the first failure. */
  baseMs: number;
  /** No delay grows beyond this. */
  maxMs: number;
  /** ±fraction of randomness, so writes queued together do not retry in lock-step. */
  jitterRatio: number;
}

export const DEFAULT_RETRY_BACKOFF: RetryBackoff = { baseMs: 30_000, maxMs: 3_600_000, jitterRatio: 0.2 };

/** Delay before the next try after `failures` failed tries (1 = the first failure): base·2^(n-1), capped, jittered. */
export function retryDelayMs(failures: number, backoff: RetryBackoff, random: () => number = Math.random): number {
  const exponent = Math.max(0, failures - 1);
  const exponential = Math.min(backoff.maxMs, backoff.baseMs * 2 ** Math.min(exponent, 40));
  const jitter = 1 + (random() * 2 - 1) * backoff.jitterRatio;
  return Math.max(0, Math.min(backoff.maxMs, Math.round(exponential * jitter)));
}
