import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createMetrics } from "../../src/observability/metrics.ts";
import {
  RobloxInvalidCredentialsError,
  RobloxNetworkError,
  RobloxRateLimitedError,
  RobloxServiceUnavailableError,
  RobloxTimeoutError,
} from "../../src/roblox/errors.ts";
import {
  BOT_COOKIE,
  clientFor,
  expectRequestsMatchSpec,
  GROUP_ID,
  KEYS,
  requestsTo,
  ROLE,
  startWorld,
  USERS,
  type RobloxEmulator,
} from "./world.ts";

let rbx: RobloxEmulator;

beforeAll(async () => {
  rbx = await startWorld();
});

afterEach(() => {
  expectRequestsMatchSpec(rbx);
  rbx.failures.clear();
  rbx.requests.length = 0;
});

afterAll(async () => {
  await rbx.close();
});

describe("retries (bounded, then typed)", () => {
  test("a 429 with retry-after is waited out and the request succeeds", async () => {
    const client = clientFor(rbx, { apiKey: KEYS.good });
    rbx.failures.inject({
      pathIncludes: `/cloud/v2/groups/${GROUP_ID}`,
      status: 429,
      headers: { "retry-after": "0.3" },
      body: { code: "RESOURCE_EXHAUSTED", message: "Resource has been exhausted (e.g. check quota)." },
    });
    const started = performance.now();
    const group = await client.getGroup(GROUP_ID);
    expect(group.name).toBe("Army");
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(requestsTo(rbx, `/cloud/v2/groups/${GROUP_ID}`).map((request) => request.status)).toEqual([429, 200]);
    await client.close();
  });

  test("a burst of 503s is retried with back-off until the service answers", async () => {
    const client = clientFor(rbx, { apiKey: KEYS.good });
    rbx.failures.inject({ pathIncludes: "/roles", status: 503, times: 3 });
    const roles = await client.listRoles(GROUP_ID);
    expect(roles.length).toBe(15);
    expect(requestsTo(rbx, "/roles").map((request) => request.status)).toEqual([503, 503, 503, 200]);
    await client.close();
  });

  test("a dropped connection is retried", async () => {
    const client = clientFor(rbx);
    rbx.failures.inject({ pathIncludes: `/v1/groups/${GROUP_ID}`, dropConnection: true });
    const tally = { requests: 0 };
    expect((await client.getGroup(GROUP_ID, tally)).memberCount).toBe(4);
    // Counted on our side: Bun's fetch may itself re-send once on a reused keep-alive socket.
    expect(tally.requests).toBe(2);
    expect(requestsTo(rbx, `/v1/groups/${GROUP_ID}`).at(-1)?.status).toBe(200);
    await client.close();
  });

  test("a request that times out is retried", async () => {
    const client = clientFor(rbx, { apiKey: KEYS.good, timeoutMs: 150 });
    rbx.failures.inject({ pathIncludes: `/cloud/v2/users/${USERS.alice.id}`, delayMs: 600 });
    const profile = await client.getUserProfile(USERS.alice.id);
    expect(profile.about).toContain("amber-falcon-42");
    expect(requestsTo(rbx, `/cloud/v2/users/${USERS.alice.id}`).length).toBe(2);
    await client.close();
  });

  test("when the retries run out each failure is a typed error", async () => {
    const client = clientFor(rbx, { apiKey: KEYS.good, timeoutMs: 100, retry: { maxRetries: 2 } });

    rbx.failures.inject({ pathIncludes: "/roles", status: 503, times: Infinity });
    const unavailable = await client.listRoles(GROUP_ID).catch((error: unknown) => error);
    expect(unavailable).toBeInstanceOf(RobloxServiceUnavailableError);
    expect(unavailable).toMatchObject({ kind: "service_unavailable", status: 503, code: "UNAVAILABLE" });
    expect(requestsTo(rbx, "/roles").length).toBe(3);
    rbx.failures.clear();

    rbx.failures.inject({ pathIncludes: "/memberships", status: 429, headers: { "retry-after": "0.05" }, times: Infinity });
    const limited = await client.getMembership(GROUP_ID, USERS.alice.id).catch((error: unknown) => error);
    expect(limited).toBeInstanceOf(RobloxRateLimitedError);
    expect(limited).toMatchObject({ kind: "rate_limited", status: 429, retryAfterMs: 50 });
    rbx.failures.clear();

    rbx.failures.inject({ pathIncludes: `/cloud/v2/groups/${GROUP_ID}`, dropConnection: true, times: Infinity });
    const dropped = await client.getGroup(GROUP_ID).catch((error: unknown) => error);
    expect(dropped).toBeInstanceOf(RobloxNetworkError);
    rbx.failures.clear();

    rbx.failures.inject({ pathIncludes: `/cloud/v2/users/${USERS.bob.id}`, delayMs: 400, times: Infinity });
    const slow = await client.getUserProfile(USERS.bob.id).catch((error: unknown) => error);
    expect(slow).toBeInstanceOf(RobloxTimeoutError);
    expect((slow as RobloxTimeoutError).userMessage).toMatch(/took too long/);
    await client.close();
  });

  test("client errors are not retried", async () => {
    const client = clientFor(rbx, { apiKey: KEYS.unknown });
    const error = await client.getGroup(GROUP_ID).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RobloxInvalidCredentialsError);
    expect(error).toMatchObject({ status: 401, code: 0, apiMessage: "Invalid API Key" });
    expect(requestsTo(rbx, `/cloud/v2/groups/${GROUP_ID}`).length).toBe(1);
    await client.close();
  });
});

describe("X-CSRF-TOKEN exchange (cookie writes)", () => {
  test("the first write gets a 403 with a token and the retry with it succeeds", async () => {
    const client = clientFor(rbx, { cookie: BOT_COOKIE });
    const result = await client.setRank(GROUP_ID, USERS.alice.id, ROLE.privateFirstClass);
    expect(result).toEqual({ changed: true, previousRoleId: ROLE.private, roleId: ROLE.privateFirstClass, unassignedRoleIds: [] });
    expect(rbx.membership(GROUP_ID, USERS.alice.id)?.roleId).toBe(ROLE.privateFirstClass);

    const writes = requestsTo(rbx, `/v1/groups/${GROUP_ID}/users/${USERS.alice.id}`, "PATCH");
    expect(writes.map((request) => request.status)).toEqual([403, 200]);
    expect(writes[0]?.headers["x-csrf-token"]).toBeUndefined();
    expect(writes[1]?.headers["x-csrf-token"]).toBe(rbx.csrfToken(BOT_COOKIE));
    expect(writes[1]?.headers.cookie).toBe(`.ROBLOSECURITY=${BOT_COOKIE}`);
    expect(writes[1]?.body).toEqual({ roleId: ROLE.privateFirstClass });

    // The token is cached: the next write goes through at once.
    rbx.requests.length = 0;
    await client.setRank(GROUP_ID, USERS.alice.id, ROLE.private);
    expect(requestsTo(rbx, "/users/", "PATCH").map((request) => request.status)).toEqual([200]);
    await client.close();
  });

  test("a stale token is refreshed from the 403 and the write retried once", async () => {
    const client = clientFor(rbx, { cookie: BOT_COOKIE });
    await client.setRank(GROUP_ID, USERS.bob.id, ROLE.sergeant);
    const before = rbx.csrfToken(BOT_COOKIE);
    rbx.rotateCsrfToken(BOT_COOKIE);
    rbx.requests.length = 0;

    await client.setRank(GROUP_ID, USERS.bob.id, ROLE.corporal);
    const writes = requestsTo(rbx, "/users/", "PATCH");
    expect(writes.map((request) => request.status)).toEqual([403, 200]);
    expect(writes[0]?.headers["x-csrf-token"]).toBe(before);
    expect(writes[1]?.headers["x-csrf-token"]).toBe(rbx.csrfToken(BOT_COOKIE));
    expect(rbx.membership(GROUP_ID, USERS.bob.id)?.roleId).toBe(ROLE.corporal);
    await client.close();
  });

  test("the bare {code,message} CSRF answer is understood too", async () => {
    const client = clientFor(rbx, { cookie: BOT_COOKIE });
    rbx.failures.inject({
      method: "PATCH",
      status: 403,
      body: { code: 0, message: "Token Validation Failed" },
      headers: { "x-csrf-token": rbx.csrfToken(BOT_COOKIE) },
    });
    await client.setRank(GROUP_ID, USERS.bob.id, ROLE.sergeant);
    expect(requestsTo(rbx, "/users/", "PATCH").map((request) => request.status)).toEqual([403, 200]);
    await client.close();
  });

  test("a token that keeps failing ends as invalid credentials, after one retry", async () => {
    const client = clientFor(rbx, { cookie: BOT_COOKIE });
    rbx.failures.inject({
      method: "PATCH",
      status: 403,
      body: { errors: [{ code: 0, message: "Token Validation Failed" }] },
      headers: { "x-csrf-token": "still-wrong" },
      times: Infinity,
    });
    const error = await client.setRank(GROUP_ID, USERS.bob.id, ROLE.captain).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(RobloxInvalidCredentialsError);
    expect(requestsTo(rbx, "/users/", "PATCH").length).toBe(2);
    await client.close();
  });
});

describe("per-request metrics", () => {
  test("count every attempt by API class and outcome, with its latency", async () => {
    const metrics = createMetrics();
    const client = clientFor(rbx, { apiKey: KEYS.good, metrics });
    rbx.failures.inject({ pathIncludes: "/roles", status: 503 });
    await client.listRoles(GROUP_ID);
    await client.getGroup(GROUP_ID);
    await client.usersByUsernames([USERS.alice.name]);

    const text = await metrics.registry.metrics();
    expect(text).toContain('rankbridge_roblox_requests_total{api="groups.roles",outcome="server_error"} 1');
    expect(text).toContain('rankbridge_roblox_requests_total{api="groups.roles",outcome="success"} 1');
    expect(text).toContain('rankbridge_roblox_requests_total{api="groups.get",outcome="success"} 1');
    expect(text).toContain('rankbridge_roblox_requests_total{api="legacy",outcome="success"} 1');
    expect(text).toContain('rankbridge_roblox_request_duration_seconds_count{api="groups.roles"} 2');
    await client.close();
  });
});
