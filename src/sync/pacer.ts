/**
 * Paces the Discord requests of every sync in the process below the bot's global limit (50/s),
 * leaving the rest for interactive commands. @discordjs/rest would honour the global limit anyway,
 * but only by making everyone wait, commands included; this keeps sync traffic out of their way.
 */
export class RequestPacer {
  readonly #intervalMs: number;
  readonly #burst: number;
  readonly #now: () => number;
  readonly #sleep: (ms: number) => Promise<void>;
  /** GCRA "theoretical arrival time": when the pacer is next idle. */
  #idleAt = 0;

  /**
   * @param perSecond sustained rate shared by every caller
   * @param burst requests allowed back to back after an idle spell
   */
  constructor(
    readonly perSecond: number,
    options: { burst?: number; now?: () => number; sleep?: (ms: number) => Promise<void> } = {},
  ) {
    if (!(perSecond > 0)) throw new RangeError(`perSecond must be positive, got ${perSecond}`);
    this.#intervalMs = 1000 / perSecond;
    this.#burst = Math.max(1, Math.floor(options.burst ?? Math.max(1, perSecond / 10)));
    this.#now = options.now ?? Date.now;
    this.#sleep = options.sleep ?? ((ms) => Bun.sleep(ms));
  }

  /** Resolves when the caller may send one request. Callers are served in call order. */
  async acquire(): Promise<void> {
    const now = this.#now();
    const idleAt = Math.max(this.#idleAt, now);
    const waitMs = idleAt - (this.#burst - 1) * this.#intervalMs - now;
    this.#idleAt = idleAt + this.#intervalMs;
    if (waitMs > 0) await this.#sleep(waitMs);
  }
}

/** Discord's global limit is 50 requests a second per bot; sync takes at most this share of it. */
export const DEFAULT_SYNC_DISCORD_REQUESTS_PER_SECOND = 40;
