/**
 * The rate of a host that says nothing about its limit (the legacy `users`/`groups` hosts send no
 * rate-limit headers and document no limit), learned from its answers instead of guessed forever.
 *
 * Pure bookkeeping, no timers: the limiter (limits.ts) reports when a window's budget ran out with
 * every answer clean, and when a 429 came; this says what the budget per window is now.
 *
 * The scheme is additive increase, multiplicative decrease (AIMD, as TCP congestion control), with
 * two refinements that fit a fixed-window server limit better than plain AIMD:
 * - Before the first 429 ("slow start"), the budget grows by one step each time it is used up with
 *   every answer clean, even within one window: the server has just accepted that many, so the
 *   limit is at least that. Onboarding bursts hit the cautious guess within seconds and should not
 *   wait a whole window per step.
 * - On a 429 the server has told us more than "too much": it accepted `accepted` requests in the
 *   window and refused the next, so its limit is about `accepted`. The new budget is 90% of that
 *   (room for other callers on the same address and for our window not lining up with the
 *   server's), but never below half the old budget (a window that started before ours can make
 *   `accepted` look tiny; halving is AIMD's usual step) and never above the old one.
 *   After a 429, growth is at most one step per clean window ("congestion avoidance"), so probing
 *   above a known limit costs at most one 429 every few windows.
 */
export interface LearnedRateOptions {
  /** The cautious guess to start from, requests per window. */
  initial: number;
  /** Never learn a budget below this. */
  minimum?: number;
  /** Never learn a budget above this (a safety cap: a misbehaving host must not be hammered). */
  maximum?: number;
  /** Additive step; default a quarter of the initial guess. */
  step?: number;
}

/** What a header-less response said. */
export interface HeaderlessAnswer {
  status: number;
  /** `retry-after`, when the host sent one. */
  retryAfterMs?: number;
}

export class LearnedRate {
  readonly #minimum: number;
  readonly #maximum: number;
  readonly #step: number;
  #limit: number;
  #rateLimitedOnce = false;
  /** After a 429, the budget grows at most once per window: set when it grew, cleared at the window's end. */
  #grewThisWindow = false;
  #decreases = 0;
  /** Clean answers in the current window. */
  #accepted = 0;
  #rateLimitedInWindow = false;
  #consecutive429 = 0;
  #heldUntil = 0;

  constructor(options: LearnedRateOptions) {
    this.#limit = options.initial;
    this.#minimum = options.minimum ?? Math.max(1, Math.floor(options.initial / 8));
    this.#maximum = options.maximum ?? options.initial * 20;
    this.#step = options.step ?? Math.max(1, Math.round(options.initial / 4));
  }

  /** Requests per window believed safe now. */
  get limit(): number {
    return this.#limit;
  }

  /** How many times a 429 made the budget smaller. */
  get decreases(): number {
    return this.#decreases;
  }

  /** The window's whole budget was sent and every answer was clean: returns the new (maybe larger) budget. */
  budgetUsedCleanly(): number {
    if (this.#rateLimitedOnce && this.#grewThisWindow) return this.#limit;
    this.#limit = Math.min(this.#maximum, this.#limit + this.#step);
    this.#grewThisWindow = true;
    return this.#limit;
  }

  /** A 429 after the server accepted `accepted` requests in the current window: returns the new budget. */
  rateLimited(accepted: number): number {
    this.#rateLimitedOnce = true;
    this.#grewThisWindow = true;
    const fromServer = Math.floor(accepted * 0.9);
    const next = Math.max(this.#minimum, Math.min(this.#limit, Math.max(Math.floor(this.#limit / 2), fromServer)));
    if (next < this.#limit) this.#decreases++;
    this.#limit = next;
    return this.#limit;
  }

  /** Until when a 429 said to hold every request of the host (0: never). */
  get heldUntil(): number {
    return this.#heldUntil;
  }

  /**
   * Counts one answer. On a 429, shrinks the budget and returns until when to hold: the
   * Retry-After when sent; else the end of our window (first 429), or a whole window from now
   * (a second 429 in a row: the server's window does not line up with ours, and a whole window
   * clears any fixed one).
   */
  answered(answer: HeaderlessAnswer, at: number, window: { endsAt: number | undefined; lengthMs: number }): number | undefined {
    if (answer.status !== 429) {
      this.#consecutive429 = 0;
      if (answer.status < 500) this.#accepted++;
      return undefined;
    }
    this.#rateLimitedInWindow = true;
    this.#consecutive429++;
    this.rateLimited(this.#accepted);
    const until =
      answer.retryAfterMs !== undefined
        ? at + answer.retryAfterMs
        : this.#consecutive429 > 1
          ? at + window.lengthMs
          : (window.endsAt ?? at + window.lengthMs);
    this.#heldUntil = Math.max(this.#heldUntil, until);
    return this.#heldUntil;
  }

  /**
   * More requests want to go than the budget allows: when the whole budget was answered cleanly
   * in this window, the limit is higher, so the budget grows. Returns whether it grew.
   */
  demand(): boolean {
    if (this.#rateLimitedInWindow || this.#accepted < this.#limit) return false;
    const before = this.#limit;
    return this.budgetUsedCleanly() > before;
  }

  /** A new window began. */
  windowEnded(): void {
    this.#grewThisWindow = false;
    this.#accepted = 0;
    this.#rateLimitedInWindow = false;
  }
}
