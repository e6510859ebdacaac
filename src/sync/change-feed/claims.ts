/**
 * The feed leases this process holds (relay.ts): one per group it reads for the cluster, renewed
 * every third of its TTL while held, handed back at stop. And what the holder does with a poll:
 * hand the batch on to every follower, then move the bot's cursor under the lease's fencing token.
 */
import type { Logger } from "../../observability/logger.ts";
import type { FeedBatch, FeedClaim, FeedRelay } from "./relay.ts";
import type { FeedStatus } from "./status.ts";

export interface FeedClaimsOptions {
  relay: FeedRelay;
  ttlMs: number;
  status: FeedStatus;
  logger: Logger;
  now: () => number;
}

export class FeedClaims {
  readonly #held = new Map<number, { claim: FeedClaim; renewal: ReturnType<typeof setInterval> }>();
  /** The last error said, so a Redis that stays away is logged once. */
  #lastError: string | undefined;

  constructor(private readonly options: FeedClaimsOptions) {}

  /**
   * The group's lease: kept while held, else taken when free. "elsewhere" when another process
   * holds it (this one follows); "unavailable" when Redis cannot be asked (the poll waits for it:
   * reading without the lease would read twice and move the cursor twice).
   */
  async take(groupId: number): Promise<FeedClaim | "elsewhere" | "unavailable"> {
    const { status, logger } = this.options;
    try {
      const held = this.#held.get(groupId);
      if (held && (await held.claim.renew())) return held.claim;
      if (held) await this.drop(groupId, false);
      const claim = await this.options.relay.claim(groupId, this.options.ttlMs);
      this.#lastError = undefined;
      if (!claim) {
        status.readHere(groupId, false);
        return "elsewhere";
      }
      const renewal = setInterval(() => {
        claim.renew().then(
          (kept) => {
            if (!kept) void this.drop(groupId, false);
          },
          () => undefined,
        );
      }, this.options.ttlMs / 3);
      renewal.unref?.();
      this.#held.set(groupId, { claim, renewal });
      status.readHere(groupId, true);
      logger.info({ groupId, token: claim.token }, "change feed: this process reads the group's audit log for the cluster");
      return claim;
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (message !== this.#lastError) logger.warn({ err: error, groupId }, "change feed: could not take the group's feed lease; not reading until Redis answers");
      this.#lastError = message;
      status.failed(groupId, "the cluster's shared store (Redis) is unavailable", this.options.now());
      return "unavailable";
    }
  }

  /** Stops renewing; `release` hands the lease back at once (a stop, a group no longer followed) instead of letting it expire. */
  async drop(groupId: number, release: boolean): Promise<void> {
    const held = this.#held.get(groupId);
    if (!held) return;
    clearInterval(held.renewal);
    this.#held.delete(groupId);
    if (release) await held.claim.release().catch(() => undefined);
  }

  held(): number[] {
    return [...this.#held.keys()];
  }

  async releaseAll(): Promise<void> {
    await Promise.allSettled(this.held().map((groupId) => this.drop(groupId, true)));
  }

  /**
   * The holder's poll: the batch goes to every follower, then the cursor moves (`saveCursor`, fenced
   * by the token; false when a later holder moved it). Published first, so a holder that dies in
   * between only makes the next holder read and hand on the same entries again (applying twice
   * changes nothing twice). Throws when Redis or the store cannot be reached.
   */
  async handOn(groupId: number, claim: FeedClaim, batch: FeedBatch, saveCursor: ((token: number) => Promise<boolean>) | null): Promise<void> {
    const log = this.options.logger.child({ groupId });
    // Lost while reading (a stall past the TTL): the new holder reads the same entries.
    if (!(await claim.renew())) {
      await this.drop(groupId, false);
      log.info("change feed: the group's feed lease was lost while reading; the new holder goes on");
      return;
    }
    await this.options.relay.publish(groupId, batch);
    if (saveCursor && !(await saveCursor(claim.token))) {
      await this.drop(groupId, false);
      log.info("change feed: a later holder of the group's feed lease has moved the cursor; leaving the group to it");
    }
  }
}
