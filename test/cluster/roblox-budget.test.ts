/**
 * One Roblox budget for every process: two clients with the same API key, each on its own Redis
 * connection (as two processes are), read memberships side by side against the Roblox emulator,
 * which counts per key owner in fixed windows and answers 429 past the limit. Together they stay
 * within the limit (no 429, no request sent twice); without the shared budget the same load
 * gets 429s, which shows the check can fail.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { SharedRedis } from "../../src/cluster/redis.ts";
import { credentialId, RedisRobloxBudget, windowEndAfter } from "../../src/cluster/roblox-budget.ts";
import type { RobloxClient } from "../../src/roblox/client.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { clientFor } from "../roblox/world.ts";
import { connectShared, deletePrefix, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";

const GROUP = 70;
const PER_WINDOW = 10;
const WINDOW_MS = 1_000;
const KEY = "key-of-the-rank-bot";
/** 30 batches of 50 a client: 60 requests for two, six windows' worth. */
const LINKED_PER_CLIENT = 1_500;

test("windows of the server's phase: the end of the window holding a time", () => {
  expect(windowEndAfter(1_000, 1_000, 0)).toBe(2_000);
  expect(windowEndAfter(1_250, 1_000, 300)).toBe(1_300);
  expect(windowEndAfter(1_300, 1_000, 300)).toBe(2_300);
  expect(windowEndAfter(5_000, 60_000, 125_000)).toBe(5_000 + 60_000);
  expect(credentialId({ apiKey: "a" })).not.toBe(credentialId({ cookie: "a" }));
  expect(credentialId({ apiKey: "secret-key" })).not.toContain("secret");
});

describe.skipIf(skipWithoutRedis)("the Roblox budget shared over Redis", () => {
  let rbx: RobloxEmulator;
  let members: number[];
  const clients: RobloxClient[] = [];
  const connections: SharedRedis[] = [];
  const prefixes: string[] = [];

  beforeAll(async () => {
    rbx = await startRobloxEmulator({ rateLimits: { windowMs: WINDOW_MS, perMinute: { "groups.memberships": PER_WINDOW } } });
    rbx.createGroup({ id: GROUP, name: "Big Army", ownerId: null, roles: defaultRoles(GROUP) });
    members = rbx.bulkSeed(GROUP, LINKED_PER_CLIENT * 2);
    rbx.addUser({ id: 2, name: "RankBot" });
    rbx.addApiKey(KEY, { ownerUserId: 2, scopes: ["group:read"] });
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
    await Promise.all(connections.splice(0).map((redis) => redis.close()));
    for (const prefix of prefixes.splice(0)) await deletePrefix(prefix);
    rbx.requests.length = 0;
    rbx.resetCounts();
  });
  afterAll(() => rbx.close());

  async function twoProcesses(shared: boolean): Promise<[RobloxClient, RobloxClient]> {
    const prefix = uniquePrefix("roblox-budget");
    prefixes.push(prefix);
    const make = async () => {
      const redis = await connectShared(prefix);
      connections.push(redis);
      const budget = shared ? new RedisRobloxBudget(redis, credentialId({ apiKey: KEY })) : undefined;
      const client = clientFor(rbx, {
        apiKey: KEY,
        batchConcurrency: 4,
        rateLimits: { windowMs: { "groups.memberships": WINDOW_MS }, perMinute: { "groups.memberships": PER_WINDOW }, shared: budget },
        // A 429 is counted, not retried for long: the point is whether one is sent.
        retry: { maxRetries: 8 },
      });
      clients.push(client);
      return client;
    };
    return [await make(), await make()];
  }

  async function readSideBySide([a, b]: [RobloxClient, RobloxClient]): Promise<void> {
    rbx.resetRateLimits();
    const [first, second] = await Promise.all([
      a.membershipsOf(GROUP, members.slice(0, LINKED_PER_CLIENT)),
      b.membershipsOf(GROUP, members.slice(LINKED_PER_CLIENT)),
    ]);
    expect(first.size + second.size).toBe(LINKED_PER_CLIENT * 2);
  }

  test(`two processes, one key: ${PER_WINDOW} a window together, no 429, each batch sent once`, async () => {
    const started = Date.now();
    await readSideBySide(await twoProcesses(true));
    const counts = rbx.counts();
    expect(counts.rateLimited).toBe(0);
    expect(counts.byClass["groups.memberships"]).toBe((LINKED_PER_CLIENT * 2) / 50);
    // 60 requests at 10 a window: the first window's burst, then five more windows.
    expect(Date.now() - started).toBeGreaterThan(4_500);
  }, 30_000);

  test("a point taken before the phase is known also counts in the server's window it may have fallen in", async () => {
    // Two processes of one credential: the first sends before anyone has heard Roblox's phase, just
    // after the clock's window began; Roblox's windows are 40% out of phase, so that request fell in
    // the server window still open, which the second process (that has heard the phase) fills.
    const prefix = uniquePrefix("roblox-phase");
    prefixes.push(prefix);
    const [first, second] = [await connectShared(prefix), await connectShared(prefix)];
    connections.push(first, second);
    const [early, informed] = [first, second].map((redis) => new RedisRobloxBudget(redis, credentialId({ apiKey: KEY })));
    const window = 1_000;
    await Bun.sleep(window - (Date.now() % window) + 60);
    const serverEnd = Math.floor(Date.now() / window) * window + 400;
    await early!.take("groups.memberships", 3, window, () => undefined);
    await informed!.take("groups.memberships", 3, window, () => serverEnd);
    await informed!.take("groups.memberships", 3, window, () => serverEnd);
    // The server window holds three already (the early one, then two): the next waits for the next window.
    const third = informed!.take("groups.memberships", 3, window, () => serverEnd).then(() => "granted");
    expect(await Promise.race([third, Bun.sleep(150).then(() => "waited")])).toBe("waited");
    expect(await third).toBe("granted");
    expect(Date.now()).toBeGreaterThanOrEqual(serverEnd);
  });

  test("the control: the same two processes each with a budget of their own get 429s", async () => {
    await readSideBySide(await twoProcesses(false));
    expect(rbx.counts().rateLimited).toBeGreaterThan(0);
  }, 30_000);
});
