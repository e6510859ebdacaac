/**
 * The Roblox rate limits: one limiter per API class and credential, paced before each request from
 * the documented limits, the answers' headers and, across processes, the shared budget.
 *
 * Over 300 lines on purpose: the limiter classes share one window state per credential that every
 * request reads and every answer updates; header parsing and the learned rate live in their own files.
 */
import Bottleneck from "bottleneck";
import { currentGuild } from "../services/guild-scope.ts";
import { FairQueue } from "./fair-share.ts";
import { LearnedRate, type HeaderlessAnswer } from "./learned-rate.ts";
import type { RateLimitHeaders } from "./rate-limit-headers.ts";

/** Roblox counts requests per API class; each gets its own limiter. Legacy hosts share one. */
export const API_CLASSES = ["groups.get", "groups.roles", "groups.memberships", "groups.write", "users.get", "groups.auditLog", "legacy"] as const;
export type ApiClass = (typeof API_CLASSES)[number];

/**
 * Documented `perApiKeyOwner` limits (x-roblox-rate-limits in Roblox's OpenAPI document). The legacy
 * hosts document none; the default is a cautious guess that the response headers or a 429 correct.
 */
export const DOCUMENTED_PER_MINUTE: Record<ApiClass, number> = {
  "groups.get": 150,
  "groups.roles": 300,
  "groups.memberships": 300,
  "groups.write": 300,
  "users.get": 1000,
  /** The group audit log (legacy-groups on apis.roblox.com), the change feed's source. */
  "groups.auditLog": 100,
  legacy: 120,
};

export interface ApiRateLimiterOptions {
  perMinute: number;
  /** Window assumed until the server's headers say otherwise. */
  windowMs?: number;
  maxConcurrent?: number;
  /** Guilds take turns for this class's budget (default); off only to measure what it changes. */
  fairShare?: boolean;
  /**
   * The host sends no rate-limit headers: start from `perMinute` as a guess and learn the real
   * budget from clean answers and 429s (learned-rate.ts).
   */
  learn?: boolean;
  /** The budget shared with the other processes of the bot (REDIS_URL); none: this process alone. */
  shared?: SharedBudget;
}

/**
 * A budget other processes spend too (src/cluster/roblox-budget.ts): `take` resolves when one
 * request of the class may go within the limit of every process together.
 */
export interface SharedBudget {
  /** `serverWindowEnd`: when a window of the server ended or ends (its phase), as known at each ask; unknown: clock-aligned windows. */
  take(api: ApiClass, limit: number, windowMs: number, serverWindowEnd: () => number | undefined): Promise<void>;
}

/**
 * One bottleneck limiter for one API class, driven by what the server says rather than by a local
 * timer: the reservoir is set from `x-ratelimit-remaining` and refilled when `x-ratelimit-reset`
 * says the window ends, so the client stops before a 429 instead of after one.
 *
 * Bottleneck's own reservoir refresh is not used: it runs on a 250 ms heartbeat (late refills) and
 * `updateSettings()` stops that heartbeat (SGrondin/bottleneck#185). The reservoir is moved with
 * `incrementReservoir()` instead, which drains the queue at once.
 */
export class ApiRateLimiter {
  private readonly bottleneck: Bottleneck;
  private limit: number;
  private windowMs: number;
  /** Our estimate of the end of the server's current window; never earlier than the real end. */
  private windowEndsAt: number | undefined;
  private previousWindowEnd: number | undefined;
  private lastRemaining: number | undefined;
  /** Mirror of the bottleneck reservoir (may dip below 0 with it), to combine estimates synchronously. */
  private available: number;
  private inFlight = 0;
  /**
   * Until the first answer we do not know how much of the window is left (another process with
   * the same key owner may have used it): one request goes first, the rest wait for its answer.
   */
  private calibrated = false;
  private refillTimer: ReturnType<typeof setTimeout> | undefined;
  /** Orders requests between guilds before they reach the bottleneck (see fair-share.ts). */
  private readonly fair: FairQueue | undefined;
  /** Learns the budget of a host without headers; undefined where headers tell it. */
  private readonly learned: LearnedRate | undefined;
  private stopping: Promise<void> | undefined;
  private readonly shared: SharedBudget | undefined;
  /** The end of a window the server reported (`x-ratelimit-reset`): the phase of its fixed windows. */
  private serverWindowEnd: number | undefined;
  /** Rejects at stop(): a job waiting for the shared budget is dropped like one waiting here. */
  private readonly stopped = Promise.withResolvers<never>();

  constructor(
    readonly api: ApiClass,
    options: ApiRateLimiterOptions,
  ) {
    // Half the slots per guild: a burst never holds every slot another guild's request needs.
    const perGuildInFlight = Math.max(1, Math.floor((options.maxConcurrent ?? 8) / 2));
    this.fair = options.fairShare === false ? undefined : new FairQueue(perGuildInFlight);
    this.windowMs = options.windowMs ?? 60_000;
    this.learned = options.learn ? new LearnedRate({ initial: (options.perMinute * this.windowMs) / 60_000 }) : undefined;
    this.limit = this.learned?.limit ?? (options.perMinute * this.windowMs) / 60_000;
    this.available = 1;
    this.shared = options.shared;
    this.bottleneck = new Bottleneck({ maxConcurrent: options.maxConcurrent ?? 8, reservoir: this.available });
  }

  /** Runs one HTTP attempt when the window has room for it. */
  schedule<T>(attempt: () => Promise<T>): Promise<T> {
    // A queued job waits on the refill timer: keep the process alive until it fires.
    this.refillTimer?.ref();
    // Demand past a budget the host accepted without a word: that budget is too small.
    if (this.available <= 0) this.grow();
    if (!this.fair) return this.run(attempt);
    return this.fair.run(currentGuild(), (started) => this.run(attempt, started));
  }

  private run<T>(attempt: () => Promise<T>, started?: () => void): Promise<T> {
    return this.bottleneck.schedule(async () => {
      started?.();
      // The cluster's budget first: the local window below counts only what this process knows.
      if (this.shared) await Promise.race([this.shared.take(this.api, this.limit, this.windowMs, () => this.serverWindowEnd), this.stopped.promise]);
      const now = Date.now();
      // No word from the server yet: count a window from our first request in it.
      if (this.windowEndsAt === undefined) this.armRefill(now + this.windowMs);
      this.available--;
      this.inFlight++;
      try {
        return await attempt();
      } finally {
        this.inFlight--;
        // No rate-limit headers came back (legacy hosts, network errors): count locally from here.
        if (!this.calibrated) this.calibrate(this.limit - 1 - this.inFlight);
        if (this.queued() === 0) this.refillTimer?.unref();
      }
    });
  }

  /** Requests waiting: in the guilds' queues (fair-share.ts) and inside the bottleneck. */
  private queued(): number {
    return this.bottleneck.queued() + (this.fair?.size ?? 0);
  }

  /** Feeds the headers of a response to a request scheduled on this limiter (call it inside the attempt). */
  observe(headers: RateLimitHeaders, receivedAt = Date.now(), outcome?: HeaderlessAnswer): void {
    if (this.learned && outcome && headers.limit === undefined && headers.remaining === undefined) {
      const holdUntil = this.learned.answered(outcome, receivedAt, { endsAt: this.windowEndsAt, lengthMs: this.windowMs });
      this.limit = this.learned.limit;
      if (holdUntil !== undefined) this.holdUntil(holdUntil);
      else if (this.queued() > 0) this.grow();
      return;
    }
    if (headers.limit !== undefined) this.limit = headers.limit;
    if (headers.windowMs !== undefined) this.windowMs = headers.windowMs;
    if (headers.remaining === undefined) return;

    const newWindow = this.lastRemaining === undefined || headers.remaining > this.lastRemaining;
    this.lastRemaining = headers.remaining;
    // Requests still in flight may not have been counted by the server yet.
    const othersInFlight = Math.max(0, this.inFlight - 1);
    const fromServer = headers.remaining - othersInFlight;
    if (!this.calibrated) this.calibrate(fromServer);
    else this.setAvailable(newWindow ? fromServer : Math.min(this.available, fromServer));

    if (headers.resetMs === undefined) return;
    let endsAt = receivedAt + headers.resetMs;
    if (!newWindow && this.windowEndsAt !== undefined) endsAt = Math.min(endsAt, this.windowEndsAt);
    if (headers.resetIsRounded && this.previousWindowEnd !== undefined) {
      // Whole-second resets can be up to a second late; fixed windows repeat every windowMs, so the
      // window we already saw end predicts this one more precisely (kept only within the rounding).
      const periods = Math.max(1, Math.ceil((receivedAt - this.previousWindowEnd) / this.windowMs));
      const predicted = this.previousWindowEnd + periods * this.windowMs;
      if (predicted < endsAt && predicted > endsAt - 1000) endsAt = predicted;
    }
    this.serverWindowEnd = endsAt;
    this.armRefill(endsAt);
  }

  /** Stops all requests of this class until `until`: the server said when (a 429's retry-after) or we back off. */
  holdUntil(until: number): void {
    this.setAvailable(0);
    this.lastRemaining = 0;
    // A hold the host asked for (learned-rate.ts) is not cut short by a shorter back-off.
    this.armRefill(Math.max(until, this.learned?.heldUntil ?? 0));
  }

  /**
   * How long a request scheduled now would wait for this limit, in ms (0 when the window has room).
   * From the requests queued ahead, the room left, the end of the window and the budget per window.
   */
  estimateWaitMs(now = Date.now(), ahead = this.queued() + 1): number {
    const room = Math.max(0, this.available);
    if (room >= ahead) return 0;
    const untilWindowEnds = Math.max(0, (this.windowEndsAt ?? now + this.windowMs) - now);
    const fullWindows = Math.floor((ahead - room - 1) / Math.max(1, this.limit));
    return untilWindowEnds + fullWindows * this.windowMs;
  }

  /** How long until every request already waiting has been sent, in ms (0 when none waits). */
  queueWaitMs(now = Date.now()): number {
    const queued = this.queued();
    return queued === 0 ? 0 : this.estimateWaitMs(now, queued);
  }

  /** What the limiter believes now; for logs and tests. */
  state(): { api: ApiClass; limit: number; windowMs: number; available: number; windowEndsAt: number | undefined; learned: boolean } {
    return {
      api: this.api,
      limit: this.limit,
      windowMs: this.windowMs,
      available: Math.max(0, this.available),
      windowEndsAt: this.windowEndsAt,
      learned: this.learned !== undefined,
    };
  }

  /** Drops the requests waiting here (they reject); idempotent, since shutdown and harnesses both close. */
  async stop(): Promise<void> {
    clearTimeout(this.refillTimer);
    this.refillTimer = undefined;
    // Requests still in the guilds' queues are dropped with those in the bottleneck, with its error.
    const dropped = new Bottleneck.BottleneckError("This job has been dropped by Bottleneck");
    this.fair?.drop(dropped);
    this.stopped.promise.catch(() => undefined);
    this.stopped.reject(dropped);
    this.stopping ??= this.bottleneck.stop({ dropWaitingJobs: true });
    await this.stopping;
  }

  /** A learned budget that grew (learned-rate.ts) takes effect at once, within the window. */
  private grow(): void {
    const before = this.limit;
    if (!this.learned?.demand()) return;
    this.limit = this.learned.limit;
    this.setAvailable(this.available + this.limit - before);
  }

  private calibrate(available: number): void {
    this.calibrated = true;
    this.setAvailable(available);
  }

  /**
   * Changes the reservoir by a difference, never to an absolute value: bottleneck applies both
   * asynchronously, and jobs that start in between must stay counted.
   */
  private setAvailable(count: number): void {
    const delta = Math.max(0, count) - this.available;
    this.available += delta;
    if (delta !== 0) void this.bottleneck.incrementReservoir(delta);
  }

  private armRefill(at: number): void {
    clearTimeout(this.refillTimer);
    this.windowEndsAt = at;
    this.refillTimer = setTimeout(() => this.refill(at), Math.max(0, at - Date.now()));
    if (this.queued() === 0 && this.inFlight === 0) this.refillTimer.unref();
  }

  private refill(endedAt: number): void {
    this.refillTimer = undefined;
    this.learned?.windowEnded();
    this.previousWindowEnd = endedAt;
    this.windowEndsAt = undefined;
    this.lastRemaining = undefined;
    this.setAvailable(this.limit - this.inFlight);
  }
}

export interface RateLimitOptions {
  /** Per-minute limits to assume per class before the server's headers arrive. */
  perMinute?: Partial<Record<ApiClass, number>>;
  /**
   * Window assumed per class until headers say otherwise (default 60 s). Tests scale time by
   * shrinking it together with the emulator's windows; hosts without headers never correct it.
   */
  windowMs?: Partial<Record<ApiClass, number>>;
  maxConcurrent?: number;
  fairShare?: boolean;
  /** The budget shared across processes (REDIS_URL), per credential. */
  shared?: SharedBudget;
}

/** Classes whose hosts send no rate-limit headers, so their budget is learned (the legacy web APIs). */
const LEARNED_CLASSES: ReadonlySet<ApiClass> = new Set(["legacy"]);

/** The limiters of one set of credentials (limits are counted per API key owner). */
export class RobloxRateLimits {
  private readonly limiters: Record<ApiClass, ApiRateLimiter>;

  constructor(options: RateLimitOptions = {}) {
    const entries = API_CLASSES.map((api) => [
      api,
      new ApiRateLimiter(api, {
        perMinute: options.perMinute?.[api] ?? DOCUMENTED_PER_MINUTE[api],
        windowMs: options.windowMs?.[api],
        maxConcurrent: options.maxConcurrent,
        fairShare: options.fairShare,
        learn: LEARNED_CLASSES.has(api),
        shared: options.shared,
      }),
    ]);
    this.limiters = Object.fromEntries(entries) as Record<ApiClass, ApiRateLimiter>;
  }

  for(api: ApiClass): ApiRateLimiter {
    return this.limiters[api];
  }

  /** Per minute, the budget of each class whose host sends no rate-limit headers, as learned so far. */
  learnedRates(): Array<{ api: ApiClass; perMinute: number }> {
    return API_CLASSES.map((api) => this.for(api).state())
      .filter((state) => state.learned)
      .map((state) => ({ api: state.api, perMinute: (state.limit * 60_000) / state.windowMs }));
  }

  /** The longest any request already waiting for a rate limit still has to wait, in ms. */
  queuedWaitMs(): number {
    return Math.max(...API_CLASSES.map((api) => this.for(api).queueWaitMs()));
  }

  /** The rate one class may use, per minute, as the limiter currently knows it (headers win over the documented limit). */
  perMinute(api: ApiClass): number {
    const { limit, windowMs } = this.for(api).state();
    return (limit * 60_000) / windowMs;
  }

  async stop(): Promise<void> {
    await Promise.all(Object.values(this.limiters).map((limiter) => limiter.stop()));
  }
}
