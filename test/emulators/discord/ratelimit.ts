// REST rate limits as Discord reports them (docs: topics/rate-limits): fixed windows per
// (bucket, top-level resource) that start with the first request, a global per-token limit, and the
// X-RateLimit-* headers / 429 bodies clients such as @discordjs/rest read.
import type { BucketConfig } from "./types.ts";

interface WindowState {
  remaining: number;
  resetAt: number;
}

export interface BucketResult {
  ok: boolean;
  limit: number;
  remaining: number;
  resetAt: number;
  hash: string;
}

export interface GlobalResult {
  ok: boolean;
  retryAfterMs: number;
}

export class RateLimiter {
  private readonly buckets = new Map<string, WindowState>();
  private readonly globals = new Map<string, WindowState>();
  private readonly hashes = new Map<string, string>();
  private inserts = 0;

  constructor(
    private readonly globalPerSecond: number,
    private readonly timeScale: number,
  ) {}

  /** A stable 32-hex bucket id per bucket name (Discord's look like "80c17d2f203122d936070c88c8d10f33"). */
  hashFor(name: string): string {
    let h = this.hashes.get(name);
    if (!h) {
      h = new Bun.CryptoHasher("md5").update(`rankbridge-emulator:${name}`).digest("hex");
      this.hashes.set(name, h);
    }
    return h;
  }

  /** Counts one request against the token's global limit (fixed 1 s windows). */
  takeGlobal(token: string, now: number): GlobalResult {
    const windowMs = 1000 * this.timeScale;
    let w = this.globals.get(token);
    if (!w || now >= w.resetAt) {
      w = { remaining: this.globalPerSecond, resetAt: now + windowMs };
      this.globals.set(token, w);
    }
    if (w.remaining <= 0) return { ok: false, retryAfterMs: w.resetAt - now };
    w.remaining--;
    return { ok: true, retryAfterMs: 0 };
  }

  /** Gives back a global slot when the route bucket turned the request away. */
  refundGlobal(token: string): void {
    const w = this.globals.get(token);
    if (w) w.remaining = Math.min(this.globalPerSecond, w.remaining + 1);
  }

  takeBucket(name: string, major: string, cfg: BucketConfig, now: number): BucketResult {
    const hash = this.hashFor(name);
    const key = `${hash}:${major}`;
    let w = this.buckets.get(key);
    if (!w || now >= w.resetAt) {
      w = { remaining: cfg.limit, resetAt: now + cfg.windowMs * this.timeScale };
      this.buckets.set(key, w);
      if (++this.inserts % 10_000 === 0) this.sweep(now);
    }
    if (w.remaining <= 0) return { ok: false, limit: cfg.limit, remaining: 0, resetAt: w.resetAt, hash };
    w.remaining--;
    return { ok: true, limit: cfg.limit, remaining: w.remaining, resetAt: w.resetAt, hash };
  }

  /** Drops expired windows so per-interaction webhook buckets don't pile up. */
  private sweep(now: number): void {
    for (const [k, w] of this.buckets) if (now >= w.resetAt) this.buckets.delete(k);
  }

  reset(): void {
    this.buckets.clear();
    this.globals.clear();
  }
}

const secs = (ms: number) => (Math.max(0, ms) / 1000).toFixed(3);

export function bucketHeaders(r: BucketResult, now: number): Record<string, string> {
  return {
    "X-RateLimit-Limit": String(r.limit),
    "X-RateLimit-Remaining": String(r.remaining),
    "X-RateLimit-Reset": (r.resetAt / 1000).toFixed(3),
    "X-RateLimit-Reset-After": secs(r.resetAt - now),
    "X-RateLimit-Bucket": r.hash,
  };
}

/** 429 for an exhausted route bucket (scope "user"). */
export function bucket429(r: BucketResult, now: number): { headers: Record<string, string>; body: Record<string, unknown> } {
  const retryMs = r.resetAt - now;
  return {
    headers: {
      ...bucketHeaders(r, now),
      "Retry-After": String(Math.ceil(retryMs / 1000)),
      "X-RateLimit-Scope": "user",
    },
    body: { message: "You are being rate limited.", retry_after: Number(secs(retryMs)), global: false, code: 0 },
  };
}

export function global429(retryMs: number): { headers: Record<string, string>; body: Record<string, unknown> } {
  return {
    headers: {
      "Retry-After": String(Math.ceil(retryMs / 1000)),
      "X-RateLimit-Global": "true",
      "X-RateLimit-Scope": "global",
    },
    body: { message: "You are being rate limited.", retry_after: Number(secs(retryMs)), global: true, code: 0 },
  };
}
