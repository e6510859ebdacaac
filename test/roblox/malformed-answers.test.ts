/**
 * Broken answers through the real client and the emulator: a truncated body or a page without its
 * list is asked again, per request, and a fault that persists is a typed error naming the endpoint
 * and the field, never an empty page.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { RobloxMalformedAnswerError } from "../../src/roblox/schemas.ts";
import { clientFor, expectRequestsMatchSpec, GROUP_ID, KEYS, requestsTo, startWorld, USERS, type RobloxEmulator } from "./world.ts";

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

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected the call to fail");
}

describe("malformed answers", () => {
  test("a truncated JSON body is asked again and the read succeeds", async () => {
    rbx.failures.inject({ pathIncludes: "/memberships", mangle: "truncate" });
    const client = clientFor(rbx, { apiKey: KEYS.good });
    const membership = await client.getMembership(GROUP_ID, USERS.alice.id);
    expect(membership?.userId).toBe(USERS.alice.id);
    expect(requestsTo(rbx, "/memberships", "GET")).toHaveLength(2);
  });

  test("a 200 without groupMemberships is asked again, not read as 'not a member'", async () => {
    rbx.failures.inject({ pathIncludes: "/memberships", mangle: { dropField: "groupMemberships" } });
    const client = clientFor(rbx, { apiKey: KEYS.good });
    const membership = await client.getMembership(GROUP_ID, USERS.alice.id);
    expect(membership).not.toBeNull();
    expect(requestsTo(rbx, "/memberships", "GET")).toHaveLength(2);
  });

  test("when the fault persists the error names the endpoint and the field", async () => {
    rbx.failures.inject({ pathIncludes: "/memberships", mangle: { dropField: "groupMemberships" }, times: Infinity });
    const client = clientFor(rbx, { apiKey: KEYS.good, retry: { maxRetries: 2 } });
    const error = await rejection(client.getMembership(GROUP_ID, USERS.alice.id));
    expect(error).toBeInstanceOf(RobloxMalformedAnswerError);
    const malformed = error as RobloxMalformedAnswerError;
    // Single lookups may be batched into the wildcard group (groups/-/memberships).
    expect(malformed.endpoint).toMatch(new RegExp(`^GET apis/cloud/v2/groups/(${GROUP_ID}|-)/memberships$`));
    expect(malformed.field).toBe("groupMemberships");
    expect(malformed.retryable).toBe(true);
    expect(requestsTo(rbx, "/memberships", "GET")).toHaveLength(3);
  });

  test("an empty role list is a broken answer, not a group with only Guest", async () => {
    rbx.failures.inject({ pathIncludes: "/roles", mangle: "empty-lists", times: Infinity });
    const client = clientFor(rbx, { apiKey: KEYS.good });
    const error = (await rejection(client.listRoles(GROUP_ID))) as RobloxMalformedAnswerError;
    expect(error).toBeInstanceOf(RobloxMalformedAnswerError);
    expect(error.field).toBe("groupRoles");
  });

  test("the legacy hosts too: a roster page without data is retried", async () => {
    rbx.failures.inject({ pathIncludes: `/groups/v1/groups/${GROUP_ID}/users`, mangle: { dropField: "data" } });
    const client = clientFor(rbx);
    const pages = [];
    for await (const page of client.roster(GROUP_ID)) pages.push(page);
    expect(pages.flatMap((page) => page.members).map((member) => member.userId)).toContain(USERS.alice.id);
  });

  test("the retry budget bounds the time spent on one request", async () => {
    rbx.failures.inject({ pathIncludes: "/memberships", mangle: "truncate", times: Infinity });
    const client = clientFor(rbx, { apiKey: KEYS.good, retry: { maxRetries: 50, baseDelayMs: 40, maxDelayMs: 40, budgetMs: 150 } });
    await rejection(client.getMembership(GROUP_ID, USERS.alice.id));
    const attempts = requestsTo(rbx, "/memberships", "GET").length;
    expect(attempts).toBeGreaterThan(1);
    expect(attempts).toBeLessThan(10);
  });
});
