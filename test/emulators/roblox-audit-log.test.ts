/**
 * The emulator's group audit log over real sockets: every change made through the emulator (the
 * bot's writes and website-style changes by a named actor) becomes an entry naming the actor;
 * cursor paging, filters, scope and permission checks, the per-owner rate limit and retention.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { specProblems } from "../support/spec-check.ts";
import { defaultRoles, membershipId, type RobloxEmulator, type RobloxEmulatorOptions, startRobloxEmulator } from "./roblox/index.ts";

const G = 7;
const ROLE = { bot: 7002, recruit: 7003, private: 7005, corporal: 7007, sergeant: 7008, captain: 7012, colonel: 7014 };
const USER = { owner: 1, bot: 2, colonel: 3, alice: 10, bob: 11, carol: 12, dave: 13 };
const AUDIT = `/legacy-groups/v1/groups/${G}/audit-log`;

let emulators: RobloxEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});

async function world(options: RobloxEmulatorOptions = {}): Promise<RobloxEmulator> {
  const rbx = await startRobloxEmulator(options);
  emulators.push(rbx);
  for (const [name, id] of Object.entries({ GroupOwner: 1, RankBot: 2, CaptainAmy: 3, Alice: 10, Bob: 11, Carol: 12, Dave: 13 })) {
    rbx.addUser({ id, name });
  }
  rbx.createGroup({ id: G, name: "Test Army", ownerId: USER.owner, roles: defaultRoles(G) });
  rbx.setMembership(G, USER.bot, ROLE.bot);
  rbx.setMembership(G, USER.colonel, ROLE.colonel);
  for (const id of [USER.alice, USER.bob, USER.carol]) rbx.setMembership(G, id, ROLE.private);
  rbx.addApiKey("audit-key", { ownerUserId: USER.bot, scopes: ["group:read", "group:write", "legacy-group:manage"] });
  rbx.addCookie("bot-cookie", USER.bot);
  rbx.addCookie("alice-cookie", USER.alice);
  return rbx;
}

async function read(rbx: RobloxEmulator, query: Record<string, string> = {}, apiKey: string | null = "audit-key", path = AUDIT) {
  const res = await fetch(`${rbx.url("apis", path)}?${new URLSearchParams(query)}`, {
    headers: apiKey === null ? {} : { "x-api-key": apiKey },
  });
  return { status: res.status, headers: res.headers, body: (await res.json()) as any };
}

describe("the audit log records every change made through the emulator", () => {
  test("website changes and the bot's writes each write one entry naming who made them", async () => {
    const rbx = await world();
    rbx.changeRankAsUser(USER.colonel, G, USER.alice, ROLE.sergeant);
    const cloud = (path: string, method: string, role: number) =>
      fetch(rbx.url("apis", `/cloud/v2/groups/${G}/memberships/${membershipId(USER.bob)}${path}`), {
        method,
        headers: { "x-api-key": "audit-key", "content-type": "application/json" },
        body: JSON.stringify({ role: `groups/${G}/roles/${role}` }),
      });
    expect((await cloud("", "PATCH", ROLE.corporal)).status).toBe(200);
    expect((await cloud(":assignRole", "POST", ROLE.captain)).status).toBe(200);
    expect((await cloud(":unassignRole", "POST", ROLE.captain)).status).toBe(200);
    const legacy = { cookie: ".ROBLOSECURITY=bot-cookie", "x-csrf-token": rbx.csrfToken("bot-cookie"), "content-type": "application/json" };
    const patch = await fetch(rbx.url("groups", `/v1/groups/${G}/users/${USER.carol}`), {
      method: "PATCH",
      headers: legacy,
      body: JSON.stringify({ roleId: ROLE.corporal }),
    });
    expect(patch.status).toBe(200);
    const exile = await fetch(rbx.url("groups", `/v1/groups/${G}/users/${USER.carol}`), { method: "DELETE", headers: legacy });
    expect(exile.status).toBe(200);
    rbx.joinGroupAsUser(USER.dave, G);
    rbx.leaveGroupAsUser(USER.dave, G);
    rbx.banMemberAsUser(USER.owner, G, USER.bob);
    const aliceLeaves = await fetch(rbx.url("groups", `/v1/groups/${G}/users/${USER.alice}`), {
      method: "DELETE",
      headers: { cookie: ".ROBLOSECURITY=alice-cookie", "x-csrf-token": rbx.csrfToken("alice-cookie") },
    });
    expect(aliceLeaves.status).toBe(200);

    const { status, body } = await read(rbx, { limit: "100", sortOrder: "Desc" });
    expect(status).toBe(200);
    const summary = body.data.map((e: any) => [e.actionType, e.actor.user.userId, e.description]);
    expect(summary).toEqual([
      ["LeaveGroup", USER.alice, {}],
      ["BanMember", USER.owner, { TargetId: USER.bob, TargetName: "Bob" }],
      ["LeaveGroup", USER.dave, {}],
      ["JoinGroup", USER.dave, {}],
      ["RemoveMember", USER.bot, { TargetId: USER.carol, TargetName: "Carol" }],
      [
        "ChangeRank",
        USER.bot,
        { TargetId: USER.carol, TargetName: "Carol", OldRoleSetId: ROLE.private, OldRoleSetName: "Private", NewRoleSetId: ROLE.corporal, NewRoleSetName: "Corporal" },
      ],
      ["UnassignRole", USER.bot, { TargetId: USER.bob, TargetName: "Bob", RoleSetId: ROLE.captain, RoleSetName: "Captain" }],
      ["AssignRole", USER.bot, { TargetId: USER.bob, TargetName: "Bob", RoleSetId: ROLE.captain, RoleSetName: "Captain" }],
      [
        "ChangeRank",
        USER.bot,
        { TargetId: USER.bob, TargetName: "Bob", OldRoleSetId: ROLE.private, OldRoleSetName: "Private", NewRoleSetId: ROLE.corporal, NewRoleSetName: "Corporal" },
      ],
      [
        "ChangeRank",
        USER.colonel,
        { TargetId: USER.alice, TargetName: "Alice", OldRoleSetId: ROLE.private, OldRoleSetName: "Private", NewRoleSetId: ROLE.sergeant, NewRoleSetName: "Sergeant" },
      ],
    ]);
    const website = body.data[body.data.length - 1];
    expect(website.actor).toEqual({
      user: { hasVerifiedBadge: false, userId: USER.colonel, username: "CaptainAmy", displayName: "CaptainAmy" },
      role: { id: ROLE.colonel, name: "Colonel", rank: 200 },
    });
    expect(Date.parse(website.created)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.previousPageCursor).toBeNull();
    expect(body.nextPageCursor).toBeNull();
    // Seeding (setMembership in world()) wrote nothing; a no-op write writes nothing either.
    expect(rbx.auditLog(G)).toHaveLength(10);
    expect(specProblems({ roblox: rbx })).toEqual([]);
  });

  test("a website change the actor may not make is refused and leaves no entry", async () => {
    const rbx = await world();
    expect(() => rbx.changeRankAsUser(USER.alice, G, USER.bob, ROLE.corporal)).toThrow(/may not change/);
    expect(() => rbx.changeRankAsUser(USER.colonel, G, USER.bot, ROLE.private)).toThrow(/may not change/);
    expect(() => rbx.removeMemberAsUser(USER.alice, G, USER.bob)).toThrow(/may not remove/);
    expect(rbx.auditLog(G)).toEqual([]);
  });
});

describe("reading the audit log", () => {
  async function withChanges(count: number, options: RobloxEmulatorOptions = {}) {
    const rbx = await world(options);
    const ladder = [ROLE.corporal, ROLE.sergeant];
    for (let i = 0; i < count; i++) rbx.changeRankAsUser(USER.colonel, G, USER.alice, ladder[i % 2] as number);
    return rbx;
  }

  test("pages with opaque cursors that chain exactly, both ways and in both orders", async () => {
    const rbx = await withChanges(25);
    expect(rbx.auditLog(G)).toHaveLength(25);
    const all = (await read(rbx, { limit: "100" })).body;
    const first = (await read(rbx, { limit: "10" })).body;
    expect(first.previousPageCursor).toBeNull();
    const second = (await read(rbx, { limit: "10", cursor: first.nextPageCursor })).body;
    const third = (await read(rbx, { limit: "10", cursor: second.nextPageCursor })).body;
    expect(third.data).toHaveLength(5);
    expect(third.nextPageCursor).toBeNull();
    expect([...first.data, ...second.data, ...third.data]).toEqual(all.data);
    expect((await read(rbx, { limit: "10", cursor: second.previousPageCursor })).body.data).toEqual(first.data);

    const desc = (await read(rbx, { limit: "25", sortOrder: "Desc" })).body;
    expect(desc.data).toEqual([...all.data].reverse());
    // A cursor is bound to its query: another sort order is code 36.
    const crossed = await read(rbx, { limit: "10", sortOrder: "Desc", cursor: first.nextPageCursor });
    expect([crossed.status, crossed.body.errors[0].code]).toEqual([400, 36]);
  });

  test("limit outside 10/25/50/100 and sortOrder outside Asc/Desc are 400s", async () => {
    const rbx = await withChanges(1);
    const invalid: Record<string, string>[] = [{ limit: "7" }, { limit: "101" }, { limit: "ten" }, { sortOrder: "Sideways" }];
    for (const query of invalid) {
      const r = await read(rbx, query);
      expect([query, r.status, r.body.errors[0].code]).toEqual([query, 400, 8]);
    }
    const badAction = await read(rbx, { actionType: "PromoteEveryone" });
    expect(badAction.status).toBe(400);
    expect((await read(rbx)).body.data).toHaveLength(1); // default limit 10, Asc
  });

  test("actionType and userId filter the entries, and a cursor keeps the filter", async () => {
    const rbx = await withChanges(12);
    rbx.joinGroupAsUser(USER.dave, G);
    rbx.changeRankAsUser(USER.owner, G, USER.bob, ROLE.corporal);
    const joins = (await read(rbx, { actionType: "JoinGroup" })).body.data;
    expect(joins.map((e: any) => e.actor.user.userId)).toEqual([USER.dave]);
    const byOwner = (await read(rbx, { userId: String(USER.owner) })).body.data;
    expect(byOwner.map((e: any) => [e.actionType, e.description.TargetId])).toEqual([["ChangeRank", USER.bob]]);
    const ranks = (await read(rbx, { actionType: "ChangeRank", userId: String(USER.colonel) })).body;
    expect(ranks.data).toHaveLength(10);
    const rest = (await read(rbx, { actionType: "ChangeRank", userId: String(USER.colonel), cursor: ranks.nextPageCursor })).body;
    expect(rest.data).toHaveLength(2);
    const unfiltered = await read(rbx, { cursor: ranks.nextPageCursor });
    expect([unfiltered.status, unfiltered.body.errors[0].code]).toEqual([400, 36]);
  });

  test("401 without a key; 403 code 23 without the scope, the permission, or access to the group; 400 code 1 for no group", async () => {
    const rbx = await withChanges(1);
    rbx.addApiKey("no-scope", { ownerUserId: USER.bot, scopes: ["group:read", "group:write"] });
    rbx.addApiKey("member-key", { ownerUserId: USER.alice, scopes: ["legacy-group:manage"] });
    rbx.addApiKey("elsewhere", { ownerUserId: USER.bot, scopes: ["legacy-group:manage"], groups: [99] });
    rbx.addApiKey("group-key", { ownerGroupId: G, scopes: ["legacy-group:manage"] });
    expect((await read(rbx, {}, null)).status).toBe(401);
    for (const k of ["no-scope", "member-key", "elsewhere"]) {
      const r = await read(rbx, {}, k);
      expect([k, r.status, r.body]).toEqual([
        k,
        403,
        { errors: [{ code: 23, message: "Insufficient permissions to complete the request.", userFacingMessage: "Something went wrong" }] },
      ]);
    }
    expect((await read(rbx, {}, "group-key")).status).toBe(200);
    rbx.setRolePermissions(G, ROLE.colonel, { viewAuditLog: false });
    rbx.addApiKey("colonel-key", { ownerUserId: USER.colonel, scopes: ["legacy-group:manage"] });
    expect((await read(rbx, {}, "colonel-key")).status).toBe(403);
    const noGroup = await read(rbx, {}, "audit-key", "/legacy-groups/v1/groups/404/audit-log");
    expect([noGroup.status, noGroup.body.errors[0].code]).toEqual([400, 1]);
  });

  test("100 requests a minute per key owner, shared by the owner's keys, with Roblox's headers and 429s", async () => {
    const rbx = await withChanges(1);
    rbx.addApiKey("second-key", { ownerUserId: USER.bot, scopes: ["legacy-group:manage"] });
    const first = await read(rbx);
    expect(first.headers.get("x-ratelimit-limit")).toBe("100, 100;w=60");
    expect(first.headers.get("x-ratelimit-remaining")).toBe("99");
    for (let i = 1; i < 100; i++) expect((await read(rbx, {}, i % 2 ? "second-key" : "audit-key")).status).toBe(200);
    const limited = await read(rbx, {}, "second-key");
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe("RESOURCE_EXHAUSTED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(rbx.counts().rateLimitedByClass["groups.auditLog"]).toBe(1);
    // Other classes keep their own budget.
    const roles = await fetch(rbx.url("apis", `/cloud/v2/groups/${G}/roles`), { headers: { "x-api-key": "audit-key" } });
    expect(roles.status).toBe(200);
  });

  test("entries older than the retention expire, so a reader that waited too long finds a gap", async () => {
    const rbx = await withChanges(3);
    const before = (await read(rbx)).body.data;
    expect(before).toHaveLength(3);
    rbx.setAuditLogRetention(40);
    await Bun.sleep(60);
    rbx.changeRankAsUser(USER.colonel, G, USER.bob, ROLE.corporal);
    const after = (await read(rbx, { limit: "100" })).body.data;
    expect(after.map((e: any) => e.description.TargetId)).toEqual([USER.bob]);
    expect(rbx.auditLog(G)).toHaveLength(1);
  });
});
