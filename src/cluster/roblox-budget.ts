/**
 * One Roblox budget per credential for every process of the bot (design §8): Roblox counts requests
 * per API key owner (or per cookie's account), not per process. Each request first takes a point
 * from a counter in Redis (rate-limiter-flexible's RateLimiterRedis: one atomic Lua script per
 * request) for the server's current window; when that window is spent it waits for the next. The
 * process's own limiter (src/roblox/limits.ts: bottleneck, fair share between guilds, the server's
 * headers) still orders and paces requests locally; this only keeps the processes under one limit.
 * Why this and not bottleneck's Redis clustering: docs/cluster.md.
 *
 * The counter is keyed by the server's window, not one that starts at our first request
 * (RateLimiterQueue's): Roblox's windows are fixed, and a counter that resets in the middle of the
 * server's window would let a second budget through in it. The window's phase comes from the
 * server's `x-ratelimit-reset`; a host without headers is counted in windows aligned to the clock.
 * Before any process has heard the phase, a request may fall in the server window that holds the
 * clock's window or in the one before or after it: it takes its point in the clock's window and
 * is also counted in both neighbours, so no window of the server's is undercounted (the bench
 * showed one 429 in the first window with 2 and 4 processes before this). Only in the process's
 * first window of a class: a host that never sends the headers would otherwise pay three points a
 * request for ever.
 *
 * Redis down: each process falls back to a counter of its own (the insurance limiter), so requests
 * still go out at once, paced by the server's headers, instead of waiting for Redis.
 */
import { createHash } from "node:crypto";
import { setTimeout as sleep } from "node:timers/promises";
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes } from "rate-limiter-flexible";
import type { ApiClass, SharedBudget } from "../roblox/limits.ts";
import type { SharedRedis } from "./redis.ts";

/** Not the credential itself: a short digest names its budget in Redis. */
export function credentialId(credentials: { apiKey?: string; cookie?: string }): string {
  const secret = credentials.apiKey ? `key:${credentials.apiKey}` : credentials.cookie ? `cookie:${credentials.cookie}` : "anonymous";
  return createHash("sha256").update(secret).digest("hex").slice(0, 20);
}

/** The end of the window that holds `now`: windows of `windowMs` ending at `phaseMs` modulo `windowMs`. */
export function windowEndAfter(now: number, windowMs: number, phaseMs: number): number {
  const offset = (((phaseMs - now) % windowMs) + windowMs) % windowMs;
  return now + (offset === 0 ? windowMs : offset);
}

/**
 * No point is handed out this close to a window's end, nor this soon after it: a request granted
 * just before the end may reach Roblox just after it and count in the next window, whose points
 * Redis has handed out again. A twentieth of the window, at most 250 ms (0.4% of a 60 s window).
 */
export function guardMs(windowMs: number): number {
  return Math.min(250, Math.floor(windowMs / 20));
}

export class RedisRobloxBudget implements SharedBudget {
  readonly #limiters = new Map<string, RateLimiterRedis>();
  /** The last server window end this process shared, per class. */
  readonly #sharedPhase = new Map<ApiClass, number>();
  /** When this process first asked for a point of each class. */
  readonly #firstTakeAt = new Map<ApiClass, number>();

  constructor(
    private readonly redis: SharedRedis,
    private readonly credential: string,
  ) {}

  async take(api: ApiClass, limit: number, windowMs: number, serverWindowEnd: () => number | undefined): Promise<void> {
    const limiter = this.#limiter(api, limit, windowMs);
    const guard = guardMs(windowMs);
    const firstTakeAt = this.#firstTakeAt.get(api) ?? Date.now();
    this.#firstTakeAt.set(api, firstTakeAt);
    for (;;) {
      // Asked again on every turn: a request that waited may have heard the server's phase meanwhile.
      const known = await this.#phase(api, serverWindowEnd());
      const phase = known ?? 0;
      const now = Date.now();
      const endsAt = windowEndAfter(now, windowMs, phase);
      const startedAt = endsAt - windowMs;
      if (endsAt - now < guard || now - startedAt < guard) {
        await sleep(endsAt - now < guard ? endsAt - now + guard : startedAt + guard - now);
        continue;
      }
      // Named by its end, rounded to whole windows: processes a few ms apart name the same window.
      const window = Math.round(endsAt / windowMs);
      try {
        await limiter.consume(`${window}`);
        if (known === undefined && now - firstTakeAt < windowMs) await Promise.all([limiter.penalty(`${window - 1}`, 1), limiter.penalty(`${window + 1}`, 1)]);
        return;
      } catch (refusal) {
        if (!(refusal instanceof RateLimiterRes)) throw refusal;
        await sleep(endsAt - now + guard);
      }
    }
  }

  /**
   * The phase of the server's windows: what this process heard from the server, shared through
   * Redis for the processes that have not heard yet (their first requests then count in the same
   * window as everyone's). Undefined: unknown anywhere.
   */
  async #phase(api: ApiClass, serverWindowEndsAt: number | undefined): Promise<number | undefined> {
    const key = this.redis.key(`roblox:${this.credential}:${api}:phase`);
    if (!this.redis.ready()) return serverWindowEndsAt;
    try {
      if (serverWindowEndsAt === undefined) return Number(await this.redis.client.get(key)) || undefined;
      if (this.#sharedPhase.get(api) !== serverWindowEndsAt) {
        this.#sharedPhase.set(api, serverWindowEndsAt);
        await this.redis.client.set(key, String(serverWindowEndsAt), "PX", 24 * 3_600_000);
      }
    } catch {
      // Redis away: this process's own knowledge is all there is.
    }
    return serverWindowEndsAt;
  }

  /** One limiter per class and limit; the limit changes only when the server's headers change it. */
  #limiter(api: ApiClass, limit: number, windowMs: number): RateLimiterRedis {
    const points = Math.max(1, Math.floor(limit));
    // Expiry in whole seconds, at least a window: a key outlives its window, never the reverse.
    const duration = Math.max(1, Math.ceil(windowMs / 1000) + 1);
    const id = `${api}:${points}:${duration}`;
    const existing = this.#limiters.get(id);
    if (existing) return existing;
    // One counter per credential, class and window, whatever limit each process believes.
    const keyPrefix = this.redis.key(`roblox:${this.credential}:${api}`);
    const limiter = new RateLimiterRedis({
      storeClient: this.redis.client,
      keyPrefix,
      points,
      duration,
      // Not connected: use the insurance at once rather than wait for the offline queue.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration }),
    });
    this.#limiters.set(id, limiter);
    return limiter;
  }
}
