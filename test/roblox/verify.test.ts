import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createMetrics } from "../../src/observability/metrics.ts";
import type { RobloxClientOptions } from "../../src/roblox/client.ts";
import { RobloxAuditLogForbiddenError } from "../../src/roblox/audit-log.ts";
import { KEY_OWNERSHIP_ADVICE, verifyRobloxCredentials } from "../../src/roblox/verify.ts";
import {
  BOT_COOKIE,
  capturedLogger,
  clientFor,
  expectRequestsMatchSpec,
  GROUP_ID,
  KEYS,
  startWorld,
  USERS,
  type RobloxEmulator,
} from "./world.ts";

let rbx: RobloxEmulator;

beforeAll(async () => {
  rbx = await startWorld();
  // Alice's key can write, but her role ("Private") may not change ranks.
  rbx.addApiKey("key-of-a-private", { ownerUserId: USERS.alice.id, scopes: ["group:read", "group:write"] });
  rbx.addCookie("cookie-of-a-private", USERS.alice.id);
});

afterEach(() => {
  expectRequestsMatchSpec(rbx);
  rbx.requests.length = 0;
});

afterAll(async () => {
  await rbx.close();
});

async function verify(options: RobloxClientOptions, groupId: number | undefined) {
  const { logger, lines } = capturedLogger();
  const metrics = createMetrics();
  const client = clientFor(rbx, { retry: { maxRetries: 0 }, ...options });
  const report = await verifyRobloxCredentials(client, groupId, { logger, metrics });
  await client.close();
  const gauge = await metrics.robloxCredentials.get();
  const metric = Object.fromEntries(gauge.values.map((value) => [value.labels.check, value.value]));
  // pino levels: 30 info, 40 warn.
  const logged = lines.map((line) => ({ level: line.level, msg: line.msg }));
  return { report, lines, logged, metric };
}

describe("start-up verification of the Roblox credentials", () => {
  test("a good key: group, roles, write access, without changing anything", async () => {
    const before = rbx.membership(GROUP_ID, USERS.alice.id);
    const { report, lines, logged, metric } = await verify({ apiKey: KEYS.good }, GROUP_ID);
    // This key lacks legacy-group:manage: the audit log is reported unreadable, which is no problem for start-up.
    expect(report).toEqual({
      ok: true,
      auth: "api-key",
      groupName: "Army",
      roleCount: 15,
      canWrite: true,
      problems: [],
      auditLog: { readable: false, detail: new RobloxAuditLogForbiddenError("").userMessage },
    });
    expect(logged).toEqual([
      { level: 40, msg: `Roblox group audit log not readable: ${report.auditLog.detail}` },
      { level: 30, msg: "Roblox credentials verified" },
    ]);
    expect(report.auditLog.detail).toContain("legacy-group:manage");
    expect(lines[1]).toMatchObject({ auth: "api-key", groupId: GROUP_ID, groupName: "Army", roleCount: 15, canWrite: true, auditLogReadable: false });
    expect(metric).toEqual({ read: 1, write: 1 });

    // The write probe: one :unassignRole on a user a read just showed is not a member.
    const writes = rbx.requests.filter((request) => request.method !== "GET");
    expect(writes).toHaveLength(1);
    expect(writes[0]?.path).toEndWith(":unassignRole");
    expect(writes[0]?.status).toBe(404);
    expect(rbx.membership(GROUP_ID, USERS.alice.id)).toEqual(before);
    expect(JSON.stringify(lines)).not.toContain(KEYS.good);
  });

  test("a key with legacy-group:manage whose owner may view the audit log: readable, with one read of 10 entries", async () => {
    rbx.addApiKey("key-with-audit-log", { ownerUserId: USERS.bot.id, scopes: ["group:read", "group:write", "legacy-group:manage"] });
    const { report, logged } = await verify({ apiKey: "key-with-audit-log" }, GROUP_ID);
    expect(report).toMatchObject({ ok: true, canWrite: true, auditLog: { readable: true, detail: null } });
    expect(logged).toEqual([{ level: 30, msg: "Roblox credentials verified" }]);
    const reads = rbx.requests.filter((request) => request.path.endsWith("/audit-log"));
    expect(reads.map((request) => [request.query.limit, request.status])).toEqual([["10", 200]]);
  });

  test("a wrong key names ROBLOX_API_KEY", async () => {
    const { report, logged, metric } = await verify({ apiKey: KEYS.unknown }, GROUP_ID);
    expect(report).toMatchObject({ ok: false, auth: "api-key", groupName: null, roleCount: null, canWrite: false });
    expect(report.problems).toEqual([
      { variable: "ROBLOX_API_KEY", message: `Roblox rejected the credentials (Invalid API Key). ${KEY_OWNERSHIP_ADVICE}` },
    ]);
    expect(KEY_OWNERSHIP_ADVICE).toContain("owned by a user now (group-owned keys stopped working on 2026-01-30)");
    expect(KEY_OWNERSHIP_ADVICE).toContain("group:read and group:write");
    expect(logged).toEqual([
      { level: 40, msg: `Roblox check failed: ROBLOX_API_KEY: Roblox rejected the credentials (Invalid API Key). ${KEY_OWNERSHIP_ADVICE}` },
      { level: 40, msg: "Roblox credentials have problems" },
    ]);
    expect(metric).toEqual({ read: 0, write: 0 });
  });

  test("a key without group:write reads but cannot write", async () => {
    const { report, logged, metric } = await verify({ apiKey: KEYS.readOnly }, GROUP_ID);
    expect(report).toMatchObject({ ok: false, groupName: "Army", roleCount: 15, canWrite: false });
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]?.variable).toBe("ROBLOX_API_KEY");
    expect(report.problems[0]?.message).toContain("give it the group:write scope");
    expect(report.problems[0]?.message).toContain("Insufficient scope");
    expect(logged[0]?.level).toBe(40);
    expect(logged[0]?.msg).toStartWith("Roblox check failed: ROBLOX_API_KEY: the API key cannot write ranks in group 7");
    expect(metric).toEqual({ read: 1, write: 0 });
  });

  test("a key whose owner's role may not change ranks", async () => {
    const { report } = await verify({ apiKey: "key-of-a-private" }, GROUP_ID);
    expect(report).toMatchObject({ ok: false, groupName: "Army", canWrite: false });
    expect(report.problems).toEqual([
      {
        variable: "ROBLOX_API_KEY",
        message:
          `the API key's owner has no role with the "Change rank" permission in group ${GROUP_ID}, so it cannot write ranks. ` +
          "Give that account such a role, or create the key on a dedicated account that has one",
      },
    ]);
    expect(rbx.requests.some((request) => request.method !== "GET")).toBe(false);
  });

  test("a wrong group id names ROBLOX_GROUP_ID", async () => {
    const { report, logged } = await verify({ apiKey: KEYS.good }, 424_242);
    expect(report).toMatchObject({ ok: false, groupName: null, canWrite: false });
    expect(report.problems).toEqual([
      { variable: "ROBLOX_GROUP_ID", message: "no Roblox group with this id (Group 424242 not found.)" },
    ]);
    expect(logged[0]).toEqual({
      level: 40,
      msg: "Roblox check failed: ROBLOX_GROUP_ID: no Roblox group with this id (Group 424242 not found.)",
    });
  });

  test("no group id configured names ROBLOX_GROUP_ID", async () => {
    const { report } = await verify({ apiKey: KEYS.good }, undefined);
    expect(report.problems.map((problem) => problem.variable)).toEqual(["ROBLOX_GROUP_ID"]);
  });

  test("a cookie whose account may change ranks", async () => {
    const { report, logged } = await verify({ cookie: BOT_COOKIE }, GROUP_ID);
    expect(report).toEqual({ ok: true, auth: "cookie", groupName: "Army", roleCount: 15, canWrite: true, problems: [], auditLog: { readable: null, detail: null } });
    expect(logged).toEqual([{ level: 30, msg: "Roblox credentials verified" }]);
    expect(rbx.requests.map((request) => `${request.method} ${request.service}${request.path}`)).toContain(
      "GET users/v1/users/authenticated",
    );
    expect(rbx.requests.some((request) => request.method !== "GET")).toBe(false);
  });

  test("a cookie whose account may not change ranks, and a stale cookie, name ROBLOX_COOKIE", async () => {
    const weak = await verify({ cookie: "cookie-of-a-private" }, GROUP_ID);
    expect(weak.report).toMatchObject({ ok: false, groupName: "Army", canWrite: false });
    expect(weak.report.problems).toEqual([
      { variable: "ROBLOX_COOKIE", message: `the cookie's account Alice (10) has no "Change rank" permission in group ${GROUP_ID}` },
    ]);

    const stale = await verify({ cookie: "expired-cookie" }, GROUP_ID);
    expect(stale.report.problems).toEqual([
      { variable: "ROBLOX_COOKIE", message: "Roblox rejected the credentials (Authorization has been denied for this request.)" },
    ]);
  });

  test("no credentials: reads only, with a warning, not a failure", async () => {
    const { report, logged, metric } = await verify({}, GROUP_ID);
    expect(report).toEqual({ ok: true, auth: "none", groupName: "Army", roleCount: 15, canWrite: false, problems: [], auditLog: { readable: null, detail: null } });
    expect(logged).toEqual([
      {
        level: 40,
        msg: "No Roblox credentials: ranks are read but never written; set ROBLOX_API_KEY (or ROBLOX_COOKIE) to write them",
      },
      { level: 30, msg: "Roblox credentials verified" },
    ]);
    expect(metric).toEqual({ read: 1, write: 0 });
  });

  test("Roblox unreachable names ROBLOX_API_URL, and nothing throws", async () => {
    const { report } = await verify({ apiKey: KEYS.good, urlTemplate: "http://127.0.0.1:9/{service}" }, GROUP_ID);
    expect(report.ok).toBe(false);
    expect(report.problems).toHaveLength(1);
    expect(report.problems[0]?.variable).toBe("ROBLOX_API_URL");
    expect(report.problems[0]?.message).toStartWith("could not reach Roblox");
  });
});
