import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { parseRateLimitHeaders, parseRetryAfter } from "../../src/roblox/rate-limit-headers.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { clientFor, expectRequestsMatchSpec } from "./world.ts";

const BIG_GROUP = 70;
const MEMBERS = 10_000;
const PER_WINDOW = 30;
const WINDOW_MS = 1000;
const KEY = "key-of-the-rank-bot";

let rbx: RobloxEmulator;
let memberIds: number[];

beforeAll(async () => {
  rbx = await startRobloxEmulator({
    rateLimits: { windowMs: WINDOW_MS, perMinute: { "groups.memberships": PER_WINDOW, "groups.get": PER_WINDOW } },
  });
  // An abandoned group (no owner) so the roster is exactly MEMBERS long.
  rbx.createGroup({ id: BIG_GROUP, name: "Big Army", ownerId: null, roles: defaultRoles(BIG_GROUP) });
  memberIds = rbx.bulkSeed(BIG_GROUP, MEMBERS);
  rbx.addUser({ id: 2, name: "RankBot" });
  rbx.addApiKey(KEY, { ownerUserId: 2, scopes: ["group:read"] });
});

afterEach(() => {
  expectRequestsMatchSpec(rbx);
  rbx.requests.length = 0;
  rbx.resetCounts();
  // Each test starts with a fresh window, as a new process would after a minute.
  rbx.resetRateLimits();
});

afterAll(async () => {
  await rbx.close();
});

describe("rate limits are honoured before the request, not discovered by a 429", () => {
  test(`a ${MEMBERS}-member roster takes exactly ceil(${MEMBERS}/100) requests and no 429 at ${PER_WINDOW} per ${WINDOW_MS} ms`, async () => {
    const client = clientFor(rbx, { apiKey: KEY });
    const seen = new Set<number>();
    const started = performance.now();
    for await (const page of client.roster(BIG_GROUP)) {
      for (const member of page.members) seen.add(member.userId);
    }
    const seconds = (performance.now() - started) / 1000;

    expect(seen.size).toBe(MEMBERS);
    const counts = rbx.counts();
    expect(counts.byClass["groups.memberships"]).toBe(Math.ceil(MEMBERS / 100));
    expect(counts.total).toBe(Math.ceil(MEMBERS / 100));
    expect(counts.rateLimited).toBe(0);
    // 100 requests at 30 a window need three full windows after the first burst, not much more.
    expect(seconds).toBeGreaterThan(2);
    expect(seconds).toBeLessThan(6);
    await client.close();
  }, 20_000);

  test("the roster resumes from a page token", async () => {
    const client = clientFor(rbx, { apiKey: KEY });
    const first = await client.roster(BIG_GROUP).next();
    const token = first.value?.nextPageToken;
    expect(token).toBeTruthy();
    const resumed = await client.roster(BIG_GROUP, { pageToken: token }).next();
    expect(resumed.value?.members[0]?.userId).toBe(memberIds[100]);
    expect(resumed.value?.members).toHaveLength(100);
    await client.close();
  });

  test("batches read side by side share the window without a 429", async () => {
    const client = clientFor(rbx, { apiKey: KEY, batchConcurrency: 4 });
    // 40 batches: more than one window's worth, so the in-flight batches must wait for the next one.
    const linked = memberIds.filter((_, index) => index % 5 === 0);
    const members = await client.membershipsOf(BIG_GROUP, linked);
    expect(members.size).toBe(linked.length);
    expect(rbx.counts().byClass["groups.memberships"]).toBe(linked.length / 50);
    expect(rbx.counts().rateLimited).toBe(0);
    await client.close();
  }, 20_000);

  test("a client starting in a window another one used up sends one request first, not a burst", async () => {
    const other = clientFor(rbx, { apiKey: KEY });
    let pages = 0;
    for await (const _ of other.roster(BIG_GROUP)) if (++pages === PER_WINDOW) break;
    await other.close();
    rbx.resetCounts();

    const client = clientFor(rbx, { apiKey: KEY, batchConcurrency: 4 });
    const members = await client.membershipsOf(BIG_GROUP, memberIds.slice(0, 400));
    expect(members.size).toBe(400);
    // The first request meets the used-up window; the rest wait for the window it announces.
    expect(rbx.counts().rateLimited).toBeLessThanOrEqual(1);
    expect(rbx.counts().byClass["groups.memberships"]).toBe(400 / 50 + rbx.counts().rateLimited);
    await client.close();
  }, 20_000);

  test("the limiter adopts the limit and window the server announces", async () => {
    const client = clientFor(rbx, { apiKey: KEY });
    expect(client.rateLimitState("groups.get").limit).toBe(150);
    await client.getGroup(BIG_GROUP);
    const state = client.rateLimitState("groups.get");
    expect(state).toMatchObject({ limit: PER_WINDOW, windowMs: WINDOW_MS });
    expect(state.available).toBeLessThan(PER_WINDOW);
    await client.close();
  });
});

describe("rate-limit headers", () => {
  test("parse Roblox's documented form", () => {
    const headers = new Headers({
      "x-ratelimit-limit": "1000, 1000;w=60, 1000;w=60",
      "x-ratelimit-remaining": "998",
      "x-ratelimit-reset": "20",
    });
    expect(parseRateLimitHeaders(headers)).toEqual({
      limit: 1000,
      windowMs: 60_000,
      remaining: 998,
      resetMs: 20_000,
      resetIsRounded: true,
    });
    expect(parseRateLimitHeaders(new Headers({ "x-ratelimit-reset": "0.35" }))).toMatchObject({
      resetMs: 350,
      resetIsRounded: false,
    });
    expect(parseRateLimitHeaders(new Headers())).toMatchObject({ limit: undefined, remaining: undefined });
  });

  test("retry-after in seconds or as an HTTP date", () => {
    const now = Date.parse("2026-05-01T12:00:00Z");
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter("Fri, 01 May 2026 12:00:05 GMT", now)).toBe(5000);
    expect(parseRetryAfter("soon", now)).toBeUndefined();
    expect(parseRetryAfter(null, now)).toBeUndefined();
  });
});
