/**
 * Fixed-window rate limiting, as Roblox applies it to Open Cloud: per API key owner (a user or a
 * group, across all of its keys) or per OAuth authorization, per API class ([RATELIMITS]).
 *
 * Windows are aligned to the emulator's start. Times in headers are seconds; with the default
 * 60 s window they are whole seconds (`x-ratelimit-reset: 20`), with a shrunk window that is not a
 * whole number of seconds they keep millisecond decimals (`0.35`), so scaled-down tests and
 * benchmarks are not rounded up to a full second.
 */
export interface LimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** Time until the current window ends. */
  resetMs: number;
  windowMs: number;
}

export class FixedWindowLimiter {
  private readonly counters = new Map<string, { window: number; count: number }>();
  private epoch: number;

  constructor(
    readonly windowMs: number,
    epoch = Date.now(),
  ) {
    if (!(windowMs > 0)) throw new Error(`windowMs must be positive, got ${windowMs}`);
    this.epoch = epoch;
  }

  /** Counts one request for `key` if the window has room. */
  hit(key: string, limit: number, now = Date.now()): LimitDecision {
    const window = Math.floor((now - this.epoch) / this.windowMs);
    const resetMs = this.epoch + (window + 1) * this.windowMs - now;
    let counter = this.counters.get(key);
    if (!counter || counter.window !== window) {
      counter = { window, count: 0 };
      this.counters.set(key, counter);
    }
    if (counter.count >= limit) return { allowed: false, limit, remaining: 0, resetMs, windowMs: this.windowMs };
    counter.count++;
    return { allowed: true, limit, remaining: limit - counter.count, resetMs, windowMs: this.windowMs };
  }

  reset(now = Date.now()): void {
    this.counters.clear();
    this.epoch = now;
  }
}

/** Seconds for a header: whole seconds (rounded up) for whole-second windows, else ms precision. */
export function headerSeconds(ms: number, windowMs: number): string {
  if (windowMs % 1000 === 0) return String(Math.max(1, Math.ceil(ms / 1000)));
  return String(Math.max(0.001, Math.ceil(ms) / 1000));
}

/** `x-ratelimit-limit: 300, 300;w=60`, `x-ratelimit-remaining`, `x-ratelimit-reset` (+ `retry-after` on 429). */
export function rateLimitHeaders(d: LimitDecision): Record<string, string> {
  const w = String(d.windowMs / 1000);
  const headers: Record<string, string> = {
    "x-ratelimit-limit": `${d.limit}, ${d.limit};w=${w}`,
    "x-ratelimit-remaining": String(d.remaining),
    "x-ratelimit-reset": headerSeconds(d.resetMs, d.windowMs),
  };
  if (!d.allowed) headers["retry-after"] = headers["x-ratelimit-reset"] as string;
  return headers;
}
