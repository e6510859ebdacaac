/**
 * The change feed's follower in a cluster (relay.ts): every `pollMs` it takes the batches handed on
 * for the groups its guilds are bound to, whoever read them (this process included), and applies
 * them in order to the guilds of its shards; only then is its position moved, so a process stopped
 * half-way applies them again (which changes nothing twice).
 */
import type { Logger } from "../../observability/logger.ts";
import type { FeedDelivery } from "./deliver.ts";
import type { FeedRelay } from "./relay.ts";
import type { GroupTopology } from "./topology.ts";

export interface FeedFollowerOptions {
  relay: FeedRelay;
  delivery: Pick<FeedDelivery, "deliver" | "gap">;
  /** The groups this process follows, as the feed last worked them out. */
  groups: () => readonly GroupTopology[];
  /** How often the relay is asked for new batches. */
  pollMs: number;
  logger: Logger;
  now: () => number;
}

export class FeedFollower {
  #running = false;
  #loop: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** The last error said, so a relay that stays away is logged once. */
  #lastError: string | undefined;

  constructor(private readonly options: FeedFollowerOptions) {}

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  async stop(): Promise<void> {
    this.#running = false;
    this.#wake?.();
    await this.#loop;
  }

  /** Takes and applies what is new once; for the loop and for tests. */
  async follow(): Promise<void> {
    const groups = this.options.groups();
    if (groups.length === 0) return;
    const received = await this.options.relay.receive(groups.map((group) => group.groupId));
    for (const topology of groups) {
      const news = received.get(topology.groupId);
      if (!news) continue;
      if (news.gap) this.options.delivery.gap(topology, "relay", this.options.now());
      for (const batch of news.batches) await this.options.delivery.deliver(topology, batch);
      await this.options.relay.acknowledge(topology.groupId, news.position);
    }
  }

  async #run(): Promise<void> {
    while (this.#running) {
      try {
        await this.follow();
        if (this.#lastError !== undefined) this.options.logger.info("change feed: following the other processes' reads again");
        this.#lastError = undefined;
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        if (message !== this.#lastError) this.options.logger.warn({ err: error }, "change feed: could not take the entries read by the cluster; trying again");
        this.#lastError = message;
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, this.options.pollMs);
        timer.unref?.();
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.#wake = done;
      });
    }
  }
}
