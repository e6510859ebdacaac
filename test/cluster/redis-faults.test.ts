/**
 * Redis going away under the shared state, on a private redis-server this test stops and starts:
 * a Roblox request is still answered at once (the insurance limiter), gateway sessions are still
 * served from the local copy, a lease cannot be had (the caller decides), and everything works
 * again by itself once Redis is back, empty.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisGatewaySessions } from "../../src/cluster/gateway-sessions.ts";
import { RedisLeases } from "../../src/cluster/leases.ts";
import type { SharedRedis } from "../../src/cluster/redis.ts";
import { credentialId, RedisRobloxBudget } from "../../src/cluster/roblox-budget.ts";
import { startWorld, clientFor, GROUP_ID, KEYS, type RobloxEmulator } from "../roblox/world.ts";
import { connectShared, PrivateRedis, quietLogger, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";

describe.skipIf(skipWithoutRedis)("shared state while Redis is away", () => {
  let redis: PrivateRedis;
  let shared: SharedRedis;
  let rbx: RobloxEmulator;

  beforeAll(async () => {
    redis = await PrivateRedis.start();
    shared = await connectShared(uniquePrefix("faults"), redis.url);
    rbx = await startWorld();
  });
  afterAll(async () => {
    await shared?.close();
    await redis?.stop();
    await rbx?.close();
  });

  test("Redis stopped: Roblox requests answered within 3 s, sessions served locally, leases refused; back empty: all work again", async () => {
    const client = clientFor(rbx, { apiKey: KEYS.good, rolesCacheTtlMs: 0, rateLimits: { shared: new RedisRobloxBudget(shared, credentialId({ apiKey: KEYS.good })) } });
    const sessions = new RedisGatewaySessions(shared, quietLogger(), 50);
    const leases = new RedisLeases(shared);
    const session = { sessionId: "abc", sequence: 1, shardId: 0, shardCount: 1, resumeURL: "wss://gateway.example" };
    await sessions.updateSessionInfo(0, session);
    expect((await client.listRoles(GROUP_ID)).length).toBeGreaterThan(0);

    await redis.stop();
    for (let i = 0; i < 50 && shared.ready(); i++) await Bun.sleep(20);
    expect(shared.ready()).toBe(false);

    const started = Date.now();
    const sent = rbx.requests.length;
    expect((await client.listRoles(GROUP_ID)).length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(rbx.requests.length).toBe(sent + 1);
    await sessions.updateSessionInfo(0, { ...session, sequence: 7 });
    expect(await sessions.retrieveSessionInfo(0)).toEqual({ ...session, sequence: 7 });
    await expect(leases.acquire("sync:guild:1", 10_000)).rejects.toThrow();

    await redis.start();
    expect(await shared.readyWithin(10_000)).toBe(true);
    expect(await leases.acquire("sync:guild:1", 10_000)).toBeDefined();
    expect((await client.listRoles(GROUP_ID)).length).toBeGreaterThan(0);
    // The sequence written behind while Redis was away reaches it once it is back.
    await Bun.sleep(200);
    const replacement = new RedisGatewaySessions(shared, quietLogger());
    expect(await replacement.retrieveSessionInfo(0)).toEqual({ ...session, sequence: 7 });
    await sessions.close();
    await client.close();
  }, 30_000);
});
