/**
 * One process per interaction in the cluster (design §8: nothing is done twice). A process that
 * RESUMEs a session another process began is replayed every event after the last sequence stored
 * in Redis, which is written behind (at most a second late), so a command the dead process already
 * ran can arrive again. The first process to claim an interaction's id runs it.
 *
 * Redis away: the claim is granted. A replay needs a resume and a Redis outage at once, while
 * refusing would drop every command for as long as Redis is down.
 */
import type { Logger } from "../observability/logger.ts";
import type { SharedRedis } from "./redis.ts";

/** Longer than any replay window: Discord keeps a session resumable for minutes, not hours. */
export const INTERACTION_CLAIM_TTL_MS = 15 * 60_000;
/**
 * The claim is asked before the command is acknowledged, inside Discord's 3 s: a Redis slower than
 * this (a half-open socket waits out the client's 1 s timeout) is treated as away.
 */
export const INTERACTION_CLAIM_WAIT_MS = 300;

export class RedisInteractionClaims {
  constructor(
    private readonly redis: SharedRedis,
    private readonly logger: Logger,
    private readonly ttlMs = INTERACTION_CLAIM_TTL_MS,
    private readonly waitMs = INTERACTION_CLAIM_WAIT_MS,
  ) {}

  /** True when this process is the first to claim `interactionId`. */
  async claim(interactionId: string): Promise<boolean> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const claimed = this.redis.client.set(this.redis.key(`interaction:${interactionId}`), "1", "PX", this.ttlMs, "NX").then((answer) => answer === "OK");
      // Answered after the wait, or failed: nobody listens any more.
      void claimed.catch(() => undefined);
      const late = new Promise<boolean>((resolve) => {
        timer = setTimeout(() => {
          this.logger.debug({ interactionId }, "interaction claim: Redis too slow, handling it here");
          resolve(true);
        }, this.waitMs);
      });
      return await Promise.race([claimed, late]);
    } catch (error) {
      this.logger.debug({ err: error, interactionId }, "interaction claim: Redis unavailable, handling it here");
      return true;
    } finally {
      clearTimeout(timer);
    }
  }
}
