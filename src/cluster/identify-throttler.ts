/**
 * IDENTIFY pacing across every process of the bot: Discord allows `max_concurrency` IDENTIFYs per
 * 5 s, one per bucket `shard_id % max_concurrency`, counted for the whole bot. A bucket is a Redis
 * key set with NX and a 5 s expiry: whoever sets it may IDENTIFY; the others wait for it to expire.
 *
 * Redis down: the bucket is kept in this process only (as @discordjs/ws's own throttler does) and a
 * warning says so; Discord answers an IDENTIFY that came too early with a non-resumable op 9 and the
 * shard tries again, so the worst case is a retry, not a ban.
 */
import { setTimeout as sleep } from "node:timers/promises";
import type { IIdentifyThrottler } from "@discordjs/ws";
import type { Logger } from "../observability/logger.ts";
import type { SharedRedis } from "./redis.ts";

/**
 * Discord's window plus a margin: the bucket is taken just before the IDENTIFY is sent, and the
 * second process's IDENTIFY must not reach Discord sooner than 5 s after the first's.
 */
export const IDENTIFY_WINDOW_MS = 5_250;
/** How long a first IDENTIFY waits for the Redis connection being made at start before pacing alone. */
const READY_WAIT_MS = 2_000;

export class RedisIdentifyThrottler implements IIdentifyThrottler {
  readonly #localUntil = new Map<number, number>();
  readonly #owner = crypto.randomUUID();

  constructor(
    private readonly redis: SharedRedis,
    private readonly maxConcurrency: number,
    private readonly logger: Logger,
    private readonly windowMs = IDENTIFY_WINDOW_MS,
  ) {}

  async waitForIdentify(shardId: number, signal: AbortSignal): Promise<void> {
    const bucket = shardId % Math.max(1, this.maxConcurrency);
    const key = this.redis.key(`gateway:identify:${bucket}`);
    for (;;) {
      signal.throwIfAborted();
      const waitMs = await this.#tryTake(key, bucket);
      if (waitMs === 0) return;
      await sleep(waitMs, undefined, { signal });
    }
  }

  /** 0 when the bucket was taken, else how long to wait before trying again. */
  async #tryTake(key: string, bucket: number): Promise<number> {
    if (await this.redis.readyWithin(READY_WAIT_MS)) {
      try {
        const taken = await this.redis.client.set(key, this.#owner, "PX", this.windowMs, "NX");
        if (taken === "OK") {
          this.#localUntil.set(bucket, Date.now() + this.windowMs);
          return 0;
        }
        const left = await this.redis.client.pttl(key);
        // -2: expired meanwhile, -1: no expiry (never set by us): try again shortly.
        return left > 0 ? left + Math.floor(Math.random() * 50) : 50;
      } catch (error) {
        this.logger.warn({ err: error, bucket }, "redis did not answer for the identify bucket; pacing this process alone");
      }
    } else {
      this.logger.warn({ bucket }, "redis unavailable; pacing IDENTIFY in this process alone");
    }
    const until = this.#localUntil.get(bucket) ?? 0;
    const now = Date.now();
    if (until > now) return until - now;
    this.#localUntil.set(bucket, now + this.windowMs);
    return 0;
  }
}
