/**
 * IDENTIFY pacing across processes over the real Redis: two throttlers on separate connections (two
 * processes) share a bucket per `shard_id % max_concurrency`, 5 s apart; different buckets do not wait.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { IDENTIFY_WINDOW_MS, RedisIdentifyThrottler } from "../../src/cluster/identify-throttler.ts";
import type { SharedRedis } from "../../src/cluster/redis.ts";
import { connectShared, deletePrefix, quietLogger, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";

const opened: { prefix: string; connections: SharedRedis[] }[] = [];

/** Two processes' throttlers under a prefix of this test's own. */
async function twoProcesses(maxConcurrency: number, windowMs?: number): Promise<[RedisIdentifyThrottler, RedisIdentifyThrottler]> {
  const prefix = uniquePrefix("identify");
  const connections = [await connectShared(prefix), await connectShared(prefix)];
  opened.push({ prefix, connections });
  const [a, b] = connections.map((redis) => new RedisIdentifyThrottler(redis, maxConcurrency, quietLogger(), windowMs));
  return [a!, b!];
}

afterEach(async () => {
  for (const { prefix, connections } of opened.splice(0)) {
    await deletePrefix(prefix);
    await Promise.all(connections.map((c) => c.close()));
  }
});

describe.skipIf(skipWithoutRedis)("identify throttler over Redis", () => {
  test("max_concurrency 1: shards 0 and 1 of two processes identify at least 5 s apart", async () => {
    const [a, b] = await twoProcesses(1);
    const signal = new AbortController().signal;
    const started = Date.now();
    const times = await Promise.all([
      a.waitForIdentify(0, signal).then(() => Date.now()),
      b.waitForIdentify(1, signal).then(() => Date.now()),
    ]);
    const [earlier, later] = times.sort((x, y) => x - y) as [number, number];
    expect(earlier - started).toBeLessThan(1_000);
    expect(later - earlier).toBeGreaterThanOrEqual(5_000);
    expect(later - earlier).toBeLessThan(IDENTIFY_WINDOW_MS + 1_000);
  }, 15_000);

  test("max_concurrency 2: shards 2 and 3 are in different buckets and go together", async () => {
    const [a, b] = await twoProcesses(2);
    const signal = new AbortController().signal;
    const started = Date.now();
    await Promise.all([a.waitForIdentify(2, signal), b.waitForIdentify(3, signal)]);
    expect(Date.now() - started).toBeLessThan(1_000);
  });

  test("a wait is given up when its shard is destroyed (abort)", async () => {
    const [a, b] = await twoProcesses(1, 10_000);
    await a.waitForIdentify(4, new AbortController().signal);
    const controller = new AbortController();
    const waiting = b.waitForIdentify(5, controller.signal);
    setTimeout(() => controller.abort(), 100);
    await expect(waiting).rejects.toThrow();
  });
});
