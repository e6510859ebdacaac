/**
 * RobloxClient.readAuditLog against the emulator over real sockets: entries decoded with their
 * actor, target and roles; paging by cursor; filters; its own rate-limit class; the 403 as a typed
 * error naming what to grant; a malformed answer as a typed error naming the field. Every request
 * is checked against Roblox's OpenAPI document.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { RobloxAuditLogForbiddenError } from "../../src/roblox/audit-log.ts";
import { type AuditLogEntry, decodeAuditLogEntry } from "../../src/roblox/audit-log-schema.ts";
import { RobloxNoCredentialsError } from "../../src/roblox/errors.ts";
import { RobloxMalformedAnswerError } from "../../src/roblox/schemas.ts";
import { clientFor, expectRequestsMatchSpec, GROUP_ID, ROLE, type RobloxEmulator, requestsTo, startWorld, USERS } from "./world.ts";

const AUDIT_KEY = "key-audit";
const CAPTAIN = { id: 30, name: "CaptainAmy" };
let rbx: RobloxEmulator;

beforeEach(async () => {
  rbx = await startWorld();
  rbx.addUser(CAPTAIN);
  rbx.setMembership(GROUP_ID, CAPTAIN.id, ROLE.colonel); // Colonel: changeRank + viewAuditLog
  rbx.addApiKey(AUDIT_KEY, { ownerUserId: USERS.bot.id, scopes: ["group:read", "group:write", "legacy-group:manage"] });
});

afterEach(async () => {
  expectRequestsMatchSpec(rbx);
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

describe("RobloxClient.readAuditLog", () => {
  test("decodes a website rank change and the bot's own write, newest first, with actor, target and roles", async () => {
    rbx.changeRankAsUser(CAPTAIN.id, GROUP_ID, USERS.alice.id, ROLE.sergeant);
    const client = clientFor(rbx, { apiKey: AUDIT_KEY });
    await client.setRank(GROUP_ID, USERS.bob.id, ROLE.captain);
    rbx.joinGroupAsUser(USERS.carol.id, GROUP_ID);

    const page = await client.readAuditLog(GROUP_ID);
    expect(page.nextPageCursor).toBeNull();
    const [join, ...rest] = page.entries;
    expect(join).toMatchObject({ actionType: "JoinGroup", actor: { userId: USERS.carol.id }, target: { userId: USERS.carol.id } });
    // assign-role writes: :assignRole the new role, then :unassignRole the old one, as the key owner.
    expect(rest.map((e) => [e.actionType, e.actor?.userId, e.target?.userId, e.role?.id])).toEqual([
      ["UnassignRole", USERS.bot.id, USERS.bob.id, ROLE.corporal],
      ["AssignRole", USERS.bot.id, USERS.bob.id, ROLE.captain],
      ["ChangeRank", CAPTAIN.id, USERS.alice.id, undefined],
    ]);
    const website = rest[2] as AuditLogEntry;
    expect(website).toEqual({
      actionType: "ChangeRank",
      robloxActionType: "ChangeRank",
      created: expect.any(Date),
      actor: { userId: CAPTAIN.id, username: CAPTAIN.name, roleId: ROLE.colonel, roleName: "Colonel" },
      target: { userId: USERS.alice.id, username: USERS.alice.name },
      oldRole: { id: ROLE.private, name: "Private" },
      newRole: { id: ROLE.sergeant, name: "Sergeant" },
    });
    expect(Math.abs(website.created.getTime() - Date.now())).toBeLessThan(60_000);
    const sent = requestsTo(rbx, "/audit-log", "GET");
    expect(sent.map((r) => r.query)).toEqual([{ limit: "100", sortOrder: "Desc" }]);
    expect(sent[0]?.apiClass).toBe("groups.auditLog");
  });

  test("pages by cursor to the end, and filters by action type and actor", async () => {
    const ladder = [ROLE.sergeant, ROLE.corporal];
    for (let i = 0; i < 23; i++) rbx.changeRankAsUser(CAPTAIN.id, GROUP_ID, USERS.alice.id, ladder[i % 2] as number);
    rbx.changeRankAsUser(USERS.owner.id, GROUP_ID, USERS.bob.id, ROLE.captain);
    const client = clientFor(rbx, { apiKey: AUDIT_KEY });

    const seen: AuditLogEntry[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await client.readAuditLog(GROUP_ID, { limit: 10, cursor, sortOrder: "Asc", userId: CAPTAIN.id });
      seen.push(...page.entries);
      cursor = page.nextPageCursor;
      pages++;
    } while (cursor);
    expect(pages).toBe(3);
    expect(seen).toHaveLength(23);
    expect(seen.every((e) => e.actor?.userId === CAPTAIN.id && e.target?.userId === USERS.alice.id)).toBe(true);
    expect(seen.map((e) => e.newRole?.id)).toEqual(Array.from({ length: 23 }, (_, i) => ladder[i % 2]));

    const byOwner = await client.readAuditLog(GROUP_ID, { actionType: "ChangeRank", userId: USERS.owner.id });
    expect(byOwner.entries.map((e) => [e.target?.userId, e.oldRole?.id, e.newRole?.id])).toEqual([[USERS.bob.id, ROLE.corporal, ROLE.captain]]);
    expect((await client.readAuditLog(GROUP_ID, { actionType: "BanMember" })).entries).toEqual([]);
  });

  test("a key without the scope gets a typed 403 naming the scope and the group permission to grant", async () => {
    const client = clientFor(rbx, { apiKey: "key-read-write" });
    const error = await rejection(client.readAuditLog(GROUP_ID, { limit: 10 }));
    expect(error).toBeInstanceOf(RobloxAuditLogForbiddenError);
    const forbidden = error as RobloxAuditLogForbiddenError;
    expect([forbidden.kind, forbidden.status, forbidden.code, forbidden.retryable]).toEqual(["missing_permission", 403, 23, false]);
    expect(forbidden.userMessage).toContain("legacy-group:manage");
    expect(forbidden.userMessage).toContain("View audit log");
    expect(requestsTo(rbx, "/audit-log")).toHaveLength(1); // not retried

    // The scope alone is not enough: the key's owner must hold "View audit log" in the group.
    rbx.addApiKey("key-of-alice", { ownerUserId: USERS.alice.id, scopes: ["legacy-group:manage"] });
    const member = await rejection(clientFor(rbx, { apiKey: "key-of-alice" }).readAuditLog(GROUP_ID));
    expect(member).toBeInstanceOf(RobloxAuditLogForbiddenError);
  });

  test("without an API key the read is refused locally: the audit log needs Open Cloud", async () => {
    const client = clientFor(rbx, { cookie: "any" });
    expect(await rejection(client.readAuditLog(GROUP_ID))).toBeInstanceOf(RobloxNoCredentialsError);
    expect(requestsTo(rbx, "/audit-log")).toHaveLength(0);
  });

  test("an answer without data, or with an entry whose created is not a date, is a typed error naming the field", async () => {
    rbx.changeRankAsUser(CAPTAIN.id, GROUP_ID, USERS.alice.id, ROLE.sergeant);
    const client = clientFor(rbx, { apiKey: AUDIT_KEY, retry: { maxRetries: 1 } });
    rbx.failures.inject({ pathIncludes: "/audit-log", mangle: { dropField: "data" }, times: 2 });
    const dropped = await rejection(client.readAuditLog(GROUP_ID));
    expect(dropped).toBeInstanceOf(RobloxMalformedAnswerError);
    expect((dropped as RobloxMalformedAnswerError).endpoint).toBe(`GET apis/legacy-groups/v1/groups/${GROUP_ID}/audit-log`);
    expect((dropped as RobloxMalformedAnswerError).field).toBe("data");

    const entry = { actor: { user: { userId: 1, username: "A" } }, actionType: "ChangeRank", description: {}, created: "yesterday" };
    rbx.failures.inject({ pathIncludes: "/audit-log", status: 200, body: { previousPageCursor: null, nextPageCursor: null, data: [entry] }, times: 2 });
    const badDate = await rejection(client.readAuditLog(GROUP_ID));
    expect((badDate as RobloxMalformedAnswerError).field).toBe("data.0.created");
  });

  test("the audit log has its own limiter class at the documented 100 a minute", async () => {
    const client = clientFor(rbx, { apiKey: AUDIT_KEY });
    expect(client.rateLimitState("groups.auditLog")).toMatchObject({ limit: 100, windowMs: 60_000 });
    await client.readAuditLog(GROUP_ID, { limit: 10 });
    expect(client.rateLimitState("groups.auditLog").available).toBe(99);
  });
});

describe("decoding entries where the document is silent", () => {
  const base = { actor: { user: { userId: 5, username: "Mod" }, role: { id: 9, name: "Mod" } }, created: "2026-12-06T10:00:00Z" };

  test("unknown action types are kept as other, with Roblox's name", () => {
    const entry = decodeAuditLogEntry({ ...base, actionType: "PostStatus", description: { Text: "hello" } });
    expect(entry).toMatchObject({ actionType: "other", robloxActionType: "PostStatus", actor: { userId: 5 } });
    expect(entry.target).toBeUndefined();
  });

  test("ids sent as digit strings or a description sent as JSON text are read; missing parts stay undefined", () => {
    const asText = decodeAuditLogEntry({
      ...base,
      actionType: "ChangeRank",
      description: JSON.stringify({ TargetId: "42", OldRoleSetId: 7, NewRoleSetId: "8", NewRoleSetName: "Sergeant" }),
    });
    expect([asText.target, asText.oldRole, asText.newRole]).toEqual([{ userId: 42 }, { id: 7 }, { id: 8, name: "Sergeant" }]);
    const bare = decodeAuditLogEntry({ ...base, actionType: "RemoveMember", description: null });
    expect([bare.actionType, bare.target]).toEqual(["RemoveMember", undefined]);
    const nobody = decodeAuditLogEntry({ actor: null, actionType: "LeaveGroup", description: {}, created: base.created });
    expect([nobody.actor, nobody.target]).toEqual([null, undefined]);
  });
});
