/** What a Roblox response says about its rate limit: the `x-ratelimit-*` headers and `Retry-After`. */

export interface RateLimitHeaders {
  /** Requests allowed per window (first value of `x-ratelimit-limit`). */
  limit?: number;
  /** Window length from the `w=` parameter of `x-ratelimit-limit`, in ms. */
  windowMs?: number;
  remaining?: number;
  /** `x-ratelimit-reset`: time until the window resets, in ms. */
  resetMs?: number;
  /** Whether the reset was given in whole seconds, i.e. is rounded. */
  resetIsRounded?: boolean;
}

function finiteNumber(value: string | null | undefined): number | undefined {
  if (value === null || value === undefined || value.trim() === "") return undefined;
  const number = Number(value);
  return Number.isFinite(number) && number >= 0 ? number : undefined;
}

/** Parses `x-ratelimit-limit: 1000, 1000;w=60`, `x-ratelimit-remaining: 998`, `x-ratelimit-reset: 20`. */
export function parseRateLimitHeaders(headers: Headers): RateLimitHeaders {
  const limitHeader = headers.get("x-ratelimit-limit");
  const first = limitHeader?.split(",")[0];
  const limit = finiteNumber(first?.split(";")[0]);
  const window = limitHeader?.match(/;\s*w=([\d.]+)/)?.[1];
  const windowSeconds = finiteNumber(window);
  const resetHeader = headers.get("x-ratelimit-reset");
  const resetSeconds = finiteNumber(resetHeader);
  return {
    limit: limit && limit > 0 ? limit : undefined,
    windowMs: windowSeconds ? windowSeconds * 1000 : undefined,
    remaining: finiteNumber(headers.get("x-ratelimit-remaining")),
    resetMs: resetSeconds === undefined ? undefined : resetSeconds * 1000,
    resetIsRounded: resetHeader ? !resetHeader.includes(".") : undefined,
  };
}

/** `retry-after` as seconds or an HTTP date, in ms from `now`. */
export function parseRetryAfter(value: string | null, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const seconds = finiteNumber(value);
  if (seconds !== undefined) return seconds * 1000;
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
