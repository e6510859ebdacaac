/**
 * One Roblox budget per credential for every process of the bot (design §8): Roblox counts requests
 * per API key owner (or per cookie's account), not per process. Each request first takes a point
 * from a fixed window in Redis (rate-limiter-flexible's RateLimiterRedis, one atomic Lua script per
 * request); when the window is spent it waits for the next (RateLimiterQueue). The process's own
 * limiter (src/roblox/limits.ts: bottleneck, fair share between guilds, the server's headers) still
 * orders and paces the requests locally; this only keeps the processes together under one limit.
 * Why this and not bottleneck's own Redis clustering: docs/cluster.md.
 *
 * Redis down: each process falls back to a window of its own (the insurance limiter), so requests
 * still go out at once, paced by the server's headers, instead of waiting for Redis.
 */
import { createHash } from "node:crypto";
import { RateLimiterMemory, RateLimiterQueue, RateLimiterRedis } from "rate-limiter-flexible";
import type { ApiClass, SharedBudget } from "../roblox/limits.ts";
import type { SharedRedis } from "./redis.ts";

/** Not the credential itself: a short digest names its budget in Redis. */
export function credentialId(credentials: { apiKey?: string; cookie?: string }): string {
  const secret = credentials.apiKey ? `key:${credentials.apiKey}` : credentials.cookie ? `cookie:${credentials.cookie}` : "anonymous";
  return createHash("sha256").update(secret).digest("hex").slice(0, 20);
}

interface Window {
  limit: number;
  windowSeconds: number;
  queue: RateLimiterQueue;
}

export class RedisRobloxBudget implements SharedBudget {
  readonly #windows = new Map<ApiClass, Window>();

  constructor(
    private readonly redis: SharedRedis,
    private readonly credential: string,
  ) {}

  async take(api: ApiClass, limit: number, windowMs: number): Promise<void> {
    await this.#window(api, limit, windowMs).queue.removeTokens(1);
  }

  /** The window of a class, made again when the server's headers changed its limit or length. */
  #window(api: ApiClass, limit: number, windowMs: number): Window {
    const points = Math.max(1, Math.floor(limit));
    // Redis expires keys in whole seconds here: a window rounded up never lets more through.
    const windowSeconds = Math.max(1, Math.ceil(windowMs / 1000));
    const current = this.#windows.get(api);
    if (current && current.limit === points && current.windowSeconds === windowSeconds) return current;
    // One key per credential and class, whatever limit each process believes: one budget, not several.
    const keyPrefix = this.redis.key(`roblox:${this.credential}:${api}`);
    const limiter = new RateLimiterRedis({
      storeClient: this.redis.client,
      keyPrefix,
      points,
      duration: windowSeconds,
      // Not connected: use the insurance at once rather than wait for the offline queue.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory({ keyPrefix, points, duration: windowSeconds }),
    });
    const window = { limit: points, windowSeconds, queue: new RateLimiterQueue(limiter) };
    this.#windows.set(api, window);
    return window;
  }
}
