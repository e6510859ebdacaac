/**
 * Leases for work that must run once in the cluster, over the real Redis: two processes (two
 * connections) never hold one lease at once, tokens only grow (also after Redis lost everything),
 * a lease that was not renewed goes to the next taker, and one that was taken over cannot be renewed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { LocalLeases, RedisLeases } from "../../src/cluster/leases.ts";
import type { SharedRedis } from "../../src/cluster/redis.ts";
import { connectShared, deletePrefix, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";

describe.skipIf(skipWithoutRedis)("leases over Redis", () => {
  const prefix = uniquePrefix("leases");
  let first: SharedRedis;
  let second: SharedRedis;

  beforeAll(async () => {
    first = await connectShared(prefix);
    second = await connectShared(prefix);
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    await Promise.all([first.close(), second.close()]);
  });

  test("one holder at a time across connections; release frees it; tokens grow", async () => {
    const a = new RedisLeases(first);
    const b = new RedisLeases(second);
    const held = await a.acquire("feed:group:7", 5_000);
    expect(held).toBeDefined();
    expect(await b.acquire("feed:group:7", 5_000)).toBeUndefined();
    // Another name is another lease.
    const other = await b.acquire("feed:group:8", 5_000);
    expect(other).toBeDefined();
    expect(other!.token).toBeGreaterThan(held!.token);

    await held!.release();
    const next = await b.acquire("feed:group:7", 5_000);
    expect(next).toBeDefined();
    expect(next!.token).toBeGreaterThan(other!.token);
    // The old holder's release does not free the new holder's lease.
    await held!.release();
    expect(await a.acquire("feed:group:7", 5_000)).toBeUndefined();
    await next!.release();
    await other!.release();
  });

  test("a lease not renewed expires and goes to the next taker; the old holder's renew then says it is lost", async () => {
    const a = new RedisLeases(first);
    const b = new RedisLeases(second);
    const held = await a.acquire("sync:guild:1", 300);
    expect(await held!.renew()).toBe(true);
    expect(await b.acquire("sync:guild:1", 300)).toBeUndefined();
    await Bun.sleep(400);
    const taken = await b.acquire("sync:guild:1", 5_000);
    expect(taken).toBeDefined();
    expect(await held!.renew()).toBe(false);
    await taken!.release();
  });

  test("Redis emptied (a restart without persistence): leases are free again and tokens still grow", async () => {
    const a = new RedisLeases(first);
    const before = await a.acquire("sync:guild:2", 60_000);
    await deletePrefix(prefix);
    expect(await before!.renew()).toBe(false);
    const after = await new RedisLeases(second).acquire("sync:guild:2", 60_000);
    expect(after).toBeDefined();
    expect(after!.token).toBeGreaterThan(before!.token);
    await after!.release();
  });
});

test("without Redis, leases are held in memory: one holder per name at a time in the process", async () => {
  const leases = new LocalLeases();
  const held = await leases.acquire("sync:guild:3", 60_000);
  expect(await leases.acquire("sync:guild:3", 60_000)).toBeUndefined();
  await held!.release();
  const again = await leases.acquire("sync:guild:3", 60_000);
  expect(again!.token).toBeGreaterThan(held!.token);
});
