import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createMetrics } from "../../src/observability/metrics.ts";
import { LearnedRate } from "../../src/roblox/learned-rate.ts";
import { checkExposition, promtoolCheck } from "../support/exposition.ts";
import { clientFor, GROUP_ID, startWorld, type RobloxEmulator } from "./world.ts";

/**
 * The legacy hosts send no rate-limit headers; their hidden limit answers 429 with no Retry-After
 * (the emulator's `legacyRateLimit`). Time is scaled: one-second windows on both sides.
 */
const WINDOW_MS = 1_000;
const HIDDEN_LIMIT = 40;
const GUESS = 16;

describe("learning the budget of a host without rate-limit headers", () => {
  let rbx: RobloxEmulator;
  beforeAll(async () => {
    rbx = await startWorld({ legacyRateLimit: { limit: HIDDEN_LIMIT, windowMs: WINDOW_MS } });
  });
  afterAll(async () => {
    await rbx.close();
  });

  test("starts from the guess, rises while answers are clean, settles under the hidden limit after 429s; no call fails", async () => {
    // Anonymous: every read goes to the legacy hosts.
    const client = clientFor(rbx, {
      rateLimits: { perMinute: { legacy: (GUESS * 60_000) / WINDOW_MS }, windowMs: { legacy: WINDOW_MS } },
    });
    expect(client.learnedRates()).toEqual([{ api: "legacy", perMinute: GUESS * 60 }]);
    const seen: number[] = [];
    const calls = Array.from({ length: 200 }, async () => {
      const group = await client.getGroup(GROUP_ID);
      seen.push(client.rateLimitState("legacy").limit);
      return group.id;
    });

    const ids = await Promise.all(calls);

    expect(ids.every((id) => id === GROUP_ID)).toBe(true);
    expect(Math.max(...seen)).toBeGreaterThan(GUESS);
    const { limit } = client.rateLimitState("legacy");
    expect(limit).toBeLessThanOrEqual(HIDDEN_LIMIT);
    expect(limit).toBeGreaterThanOrEqual(HIDDEN_LIMIT / 2);
    // A 429 costs a window, so the client does not keep probing: a handful, not one a request.
    expect(rbx.counts().legacyRateLimited).toBeGreaterThan(0);
    expect(rbx.counts().legacyRateLimited).toBeLessThanOrEqual(10);

    // The learned rate is on /metrics, as promtool accepts it.
    const metrics = createMetrics();
    metrics.learnedRateSources.push(() => client.learnedRates());
    const text = await metrics.registry.metrics();
    const { problems, samples } = checkExposition(text);
    expect(problems).toEqual([]);
    const sample = samples.find((s) => s.name === "rankbridge_roblox_learned_rate_per_minute" && s.labels.api === "legacy");
    expect(sample?.value).toBe((limit * 60_000) / WINDOW_MS);
    const promtool = await promtoolCheck(text);
    if (promtool) expect(promtool).toEqual({ exitCode: 0, output: "" });
    await client.close();
  }, 30_000);
});

describe("LearnedRate", () => {
  test("slow start: one step each time the budget is used cleanly, until the first 429", () => {
    const rate = new LearnedRate({ initial: 120 });
    expect(rate.budgetUsedCleanly()).toBe(150);
    expect(rate.budgetUsedCleanly()).toBe(180);
  });

  test("a 429 sets the budget just under what the server accepted, never below half, and then grows once a window", () => {
    const rate = new LearnedRate({ initial: 120 });
    rate.budgetUsedCleanly();
    rate.budgetUsedCleanly(); // 180
    expect(rate.rateLimited(160)).toBe(144);
    expect(rate.rateLimited(10)).toBe(72);
    expect(rate.decreases).toBe(2);
    expect(rate.budgetUsedCleanly()).toBe(72);
    rate.windowEnded();
    expect(rate.budgetUsedCleanly()).toBe(102);
    expect(rate.budgetUsedCleanly()).toBe(102);
  });

  test("never below the minimum nor above the maximum", () => {
    const rate = new LearnedRate({ initial: 8, minimum: 4, maximum: 12 });
    expect(rate.rateLimited(0)).toBe(4);
    expect(rate.rateLimited(0)).toBe(4);
    const rising = new LearnedRate({ initial: 8, maximum: 12 });
    rising.budgetUsedCleanly();
    expect(rising.budgetUsedCleanly()).toBe(12);
  });

  test("a 429 holds until Retry-After when sent, else the end of our window, else (twice in a row) a whole window", () => {
    const window = { endsAt: 10_000, lengthMs: 60_000 };
    const rate = new LearnedRate({ initial: 120 });
    expect(rate.answered({ status: 200 }, 1_000, window)).toBeUndefined();
    expect(rate.answered({ status: 429, retryAfterMs: 5_000 }, 2_000, window)).toBe(7_000);
    rate.answered({ status: 200 }, 8_000, window);
    expect(new LearnedRate({ initial: 120 }).answered({ status: 429 }, 2_000, window)).toBe(10_000);
    const twice = new LearnedRate({ initial: 120 });
    twice.answered({ status: 429 }, 2_000, window);
    expect(twice.answered({ status: 429 }, 10_500, window)).toBe(70_500);
  });

  test("the budget grows on demand only when all of it was answered cleanly in this window", () => {
    const rate = new LearnedRate({ initial: 4, step: 2 });
    for (let index = 0; index < 3; index++) rate.answered({ status: 200 }, 0, { endsAt: 1, lengthMs: 1 });
    expect(rate.demand()).toBe(false);
    rate.answered({ status: 503 }, 0, { endsAt: 1, lengthMs: 1 });
    expect(rate.demand()).toBe(false);
    rate.answered({ status: 200 }, 0, { endsAt: 1, lengthMs: 1 });
    expect(rate.demand()).toBe(true);
    expect(rate.limit).toBe(6);
    rate.windowEnded();
    expect(rate.demand()).toBe(false);
  });
});
