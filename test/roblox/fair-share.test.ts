import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { FairQueue } from "../../src/roblox/fair-share.ts";
import { currentGuild, runForGuild, scopedToGuild, UNSCOPED } from "../../src/services/guild-scope.ts";
import { clientFor, expectRequestsMatchSpec, GROUP_ID, KEYS, OTHER_GROUP_ID, startWorld, USERS, type RobloxEmulator } from "./world.ts";

/** A limiter stand-in that starts jobs only when told to, recording the order it was handed them. */
function manualLimiter() {
  const handed: string[] = [];
  const pending: Array<() => void> = [];
  return {
    handed,
    admit: (label: string) => (started: () => void) =>
      new Promise<string>((resolve) => {
        handed.push(label);
        pending.push(() => {
          started();
          resolve(label);
        });
      }),
    /** Starts the oldest job handed over and not started. */
    startNext() {
      pending.shift()?.();
    },
  };
}

describe("FairQueue", () => {
  test("guilds take turns: a burst queued first does not go ahead of another guild's next request", async () => {
    const queue = new FairQueue();
    const limiter = manualLimiter();
    const done = [
      ...Array.from({ length: 10 }, (_, index) => queue.run("burst", limiter.admit(`burst-${index}`))),
      queue.run("promoter", limiter.admit("promoter-0")),
      queue.run(UNSCOPED, limiter.admit("background-0")),
      queue.run("promoter", limiter.admit("promoter-1")),
    ];
    for (let step = 0; step < 13; step++) limiter.startNext();
    await Promise.all(done);
    expect(limiter.handed).toEqual([
      "burst-0",
      "burst-1",
      "promoter-0",
      "background-0",
      "burst-2",
      "promoter-1",
      ...Array.from({ length: 7 }, (_, index) => `burst-${index + 3}`),
    ]);
  });

  test("only one job waits inside the limiter: the order is decided here, when the limiter has room", async () => {
    const queue = new FairQueue();
    const limiter = manualLimiter();
    for (let index = 0; index < 5; index++) void queue.run("a", limiter.admit(`a-${index}`));
    expect(limiter.handed).toEqual(["a-0"]);
    expect(queue.waiting()).toEqual(new Map([["a", 4]]));
    limiter.startNext();
    expect(limiter.handed).toEqual(["a-0", "a-1"]);
  });

  test("a key may hold only its share of the limiter's slots: the rest of its burst waits here, another key goes in", async () => {
    const queue = new FairQueue(2);
    const release: Array<() => void> = [];
    const handed: string[] = [];
    const job = (label: string) => (started: () => void) =>
      new Promise<void>((resolve) => {
        handed.push(label);
        started();
        release.push(resolve);
      });
    const burst = Array.from({ length: 5 }, (_, index) => queue.run("burst", job(`burst-${index}`)));
    expect(handed).toEqual(["burst-0", "burst-1"]);
    const other = queue.run("other", job("other-0"));
    expect(handed).toEqual(["burst-0", "burst-1", "other-0"]);
    release.shift()!();
    await Bun.sleep(0);
    expect(handed).toEqual(["burst-0", "burst-1", "other-0", "burst-2"]);
    while (release.length > 0) {
      release.shift()!();
      await Bun.sleep(0);
    }
    await Promise.all([...burst, other]);
    expect(handed).toHaveLength(6);
  });

  test("dropping rejects every job still waiting for its turn; the one handed over is the limiter's to settle", async () => {
    const queue = new FairQueue();
    const limiter = manualLimiter();
    const handed = queue.run("a", limiter.admit("a-0"));
    const waiting = [queue.run("a", limiter.admit("a-1")), queue.run("b", limiter.admit("b-0"))];
    queue.drop(new Error("stopping"));
    for (const job of waiting) await expect(job).rejects.toThrow("stopping");
    expect(queue.size).toBe(0);
    limiter.startNext();
    expect(await handed).toBe("a-0");
    expect(limiter.handed).toEqual(["a-0"]);
  });

  test("a job the limiter rejects frees its place and reaches its caller", async () => {
    const queue = new FairQueue();
    const failed = queue.run("a", () => Promise.reject(new Error("limiter stopped")));
    const next = queue.run("a", async (started) => {
      started();
      return "ran";
    });
    await expect(failed).rejects.toThrow("limiter stopped");
    expect(await next).toBe("ran");
  });
});

describe("guild scope", () => {
  test("a scoped view runs calls and async generator steps as work for its guild, and shares the client", async () => {
    const target = {
      label: "shared",
      async read() {
        await Bun.sleep(1);
        return currentGuild();
      },
      async *pages() {
        yield currentGuild();
        await Bun.sleep(1);
        yield currentGuild();
      },
    };
    const scoped = scopedToGuild(target, "guild-1");
    expect(scoped.label).toBe("shared");
    expect(await scoped.read()).toBe("guild-1");
    const seen: string[] = [];
    for await (const guild of scoped.pages()) seen.push(guild);
    expect(seen).toEqual(["guild-1", "guild-1"]);
    expect(await target.read()).toBe(UNSCOPED);
    expect(await runForGuild("guild-2", () => target.read())).toBe("guild-2");
  });
});

describe("one credential shared by guilds, against the Roblox emulator", () => {
  let rbx: RobloxEmulator;
  beforeAll(async () => {
    rbx = await startWorld();
  });
  afterAll(async () => {
    expectRequestsMatchSpec(rbx);
    await rbx.close();
  });

  test("another guild's request is served before the tail of a 30-request burst sent just before it", async () => {
    // One request at a time, so the order the emulator sees is the order the limiter chose.
    const client = clientFor(rbx, { apiKey: KEYS.good, rateLimits: { maxConcurrent: 1 } });
    const burst = scopedToGuild(client, "burst-guild");
    const promoter = scopedToGuild(client, "promoting-guild");
    rbx.requests.length = 0;

    const burstDone = Promise.all(Array.from({ length: 30 }, () => burst.getGroup(GROUP_ID)));
    const promoterDone = promoter.getGroup(OTHER_GROUP_ID);
    const background = client.getUserProfile(USERS.alice.id);
    await Promise.all([burstDone, promoterDone, background]);

    const order = rbx.requests.map((request) => request.url);
    const promoterAt = order.findIndex((url) => url.includes(`/groups/${OTHER_GROUP_ID}`));
    const lastBurstAt = order.findLastIndex((url) => url.includes(`/groups/${GROUP_ID}`));
    expect(order.filter((url) => url.includes(`/groups/${GROUP_ID}`))).toHaveLength(30);
    // Served within the first turns, not after the 30 requests queued before it.
    expect(promoterAt).toBeGreaterThanOrEqual(0);
    expect(promoterAt).toBeLessThan(4);
    expect(lastBurstAt).toBeGreaterThan(promoterAt);
    // Unscoped (background) work takes turns too.
    expect(order.findIndex((url) => url.includes(`/users/${USERS.alice.id}`))).toBeLessThan(5);
    await client.close();
  });

  test("closing the client drops every request still waiting for its guild's turn, even while the ones running hang", async () => {
    const client = clientFor(rbx, { apiKey: KEYS.good, rateLimits: { maxConcurrent: 2 } });
    const guild = scopedToGuild(client, "burst-guild");
    // Calibrated first (the first request of a class goes alone), then the guild's one slot hangs.
    await guild.getGroup(GROUP_ID);
    rbx.failures.inject({ pathIncludes: `/groups/${GROUP_ID}`, delayMs: 3_000 });
    const running = guild.getGroup(GROUP_ID);
    const waiting = Array.from({ length: 5 }, () => guild.getGroup(GROUP_ID));
    const order: string[] = [];
    const settled = [running, ...waiting].map((request, index) =>
      request.then(
        () => order.push(index === 0 ? "running" : "waiting"),
        () => order.push(index === 0 ? "running" : "waiting"),
      ),
    );
    await Bun.sleep(50);
    await client.close();
    await Promise.all(settled);
    // The waiting ones were dropped at once, not after the hanging request finally answered.
    expect(order).toEqual(["waiting", "waiting", "waiting", "waiting", "waiting", "running"]);
    rbx.failures.clear();
  }, 10_000);

  test("without fair share (for comparison) the same request waits behind the whole burst", async () => {
    const client = clientFor(rbx, { apiKey: KEYS.good, rateLimits: { maxConcurrent: 1, fairShare: false } });
    rbx.requests.length = 0;
    const burstDone = Promise.all(Array.from({ length: 30 }, () => scopedToGuild(client, "burst-guild").getGroup(GROUP_ID)));
    await Promise.all([burstDone, scopedToGuild(client, "promoting-guild").getGroup(OTHER_GROUP_ID)]);
    expect(rbx.requests.map((request) => request.url).findIndex((url) => url.includes(`/groups/${OTHER_GROUP_ID}`))).toBe(30);
    await client.close();
  });
});
