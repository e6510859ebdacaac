/**
 * The Roblox emulator, exercised over real sockets with plain fetch: Open Cloud paging, filters,
 * membership ids, rank writes and their rules, scopes, rate limits; the legacy hosts' CSRF
 * exchange, error codes and cursors; thumbnails; OAuth with PKCE; failure injection.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { createHash, randomBytes } from "node:crypto";
import { defaultRoles, membershipId, type RobloxEmulator, type RobloxEmulatorOptions, startRobloxEmulator } from "./roblox/index.ts";
import { SeqIndex, take } from "./roblox/seq-index.ts";

const G = 7; // main group, defaultRoles(7): role ids 7001..7015
const ROLE = {
  owner: 7001,
  bot: 7002, // "Ranking Bot", 254, manager permissions
  recruit: 7003, // base member role, rank 1
  guest: 7004,
  private: 7005, // rank 2
  pfc: 7006, // rank 3
  corporal: 7007, // rank 10
  sergeant: 7008, // rank 20
  captain: 7012, // rank 120
  colonel: 7014, // rank 200, changeRank
  general: 7015, // rank 250
};
const USER = { owner: 1, bot: 2, colonel: 3, alice: 10, bob: 11, carol: 12, outsider: 20 };

let emulators: RobloxEmulator[] = [];
afterEach(async () => {
  await Promise.all(emulators.map((e) => e.close()));
  emulators = [];
});

/** A group with an owner, a ranking bot (API key + cookie), a colonel and a few members. */
async function world(options: RobloxEmulatorOptions = {}): Promise<RobloxEmulator> {
  const rbx = await startRobloxEmulator(options);
  emulators.push(rbx);
  rbx.addUser({ id: USER.owner, name: "GroupOwner" });
  rbx.addUser({ id: USER.bot, name: "RankBot" });
  rbx.addUser({ id: USER.colonel, name: "ColonelKurtz", displayName: "Kurtz" });
  rbx.addUser({ id: USER.alice, name: "Alice", description: "I like trains" });
  rbx.addUser({ id: USER.bob, name: "Bob_Builder" });
  rbx.addUser({ id: USER.carol, name: "carol" });
  rbx.addUser({ id: USER.outsider, name: "Outsider" });
  rbx.createGroup({ id: G, name: "Test Army", ownerId: USER.owner, roles: defaultRoles(G) });
  rbx.setMembership(G, USER.bot, ROLE.bot);
  rbx.setMembership(G, USER.colonel, ROLE.colonel);
  rbx.setMembership(G, USER.alice, ROLE.private);
  rbx.setMembership(G, USER.bob, ROLE.recruit);
  rbx.setMembership(G, USER.carol, ROLE.sergeant);
  rbx.addApiKey("write-key", { ownerUserId: USER.bot, scopes: ["group:read", "group:write"] });
  rbx.addApiKey("read-key", { ownerUserId: USER.bot, scopes: ["group:read"] });
  rbx.addApiKey("colonel-key", { ownerUserId: USER.colonel, scopes: ["group:read", "group:write"] });
  rbx.addApiKey("elsewhere-key", { ownerUserId: USER.bot, scopes: ["group:read", "group:write"], groups: [99] });
  rbx.addCookie("bot-cookie", USER.bot);
  rbx.addCookie("alice-cookie", USER.alice);
  return rbx;
}

interface Answer {
  status: number;
  headers: Headers;
  body: any;
}

async function call(
  rbx: RobloxEmulator,
  service: "apis" | "groups" | "users" | "thumbnails" | "auth",
  path: string,
  init: { method?: string; headers?: Record<string, string>; json?: unknown; body?: string } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...init.headers };
  let body = init.body;
  if (init.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(init.json);
  }
  const res = await fetch(rbx.url(service, path), { method: init.method ?? "GET", headers, body, redirect: "manual" });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {}
  return { status: res.status, headers: res.headers, body: parsed };
}

const key = (k: string) => ({ "x-api-key": k });
const membershipsUrl = (params: Record<string, string>, group: string | number = G) =>
  `/cloud/v2/groups/${group}/memberships?${new URLSearchParams(params)}`;

// ---------------------------------------------------------------------------------------------
test("the ordered member index pages like a sorted array under random inserts and deletes", () => {
  let seed = 42;
  const random = () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    return seed / 2 ** 31;
  };
  const index = new SeqIndex<{ seq: number }>();
  const reference = new Map<number, { seq: number }>();
  for (let step = 0; step < 20_000; step++) {
    const seq = Math.floor(random() * 5000) + 1;
    const item = reference.get(seq) ?? { seq };
    if (random() < 0.6) {
      index.add(item);
      reference.set(seq, item);
    } else {
      expect(index.delete(item)).toBe(reference.delete(seq));
    }
  }
  const sorted = [...reference.keys()].sort((a, b) => a - b);
  expect(index.size).toBe(sorted.length);
  for (const from of [0, 1, 777, 2500, 4999, 6000]) {
    expect(take(index.ascAfter(from), 50).page.map((i) => i.seq)).toEqual(sorted.filter((s) => s > from).slice(0, 50));
    expect(take(index.descBefore(from), 50).page.map((i) => i.seq)).toEqual(sorted.filter((s) => s < from).reverse().slice(0, 50));
  }
  expect([...index.ascAfter(0)].map((i) => i.seq)).toEqual(sorted);
});

describe("Open Cloud memberships: paging and filters", () => {
  test("pages 250 members at 100 a page, in join order, with tokens that chain exactly", async () => {
    const rbx = await world();
    rbx.addUser({ id: 500, name: "PagingOwner" });
    rbx.createGroup({ id: 8, name: "Paging", ownerId: 500, roles: defaultRoles(8) });
    const seeded = rbx.bulkSeed(8, 249, { startUserId: 100_000 });
    expect(rbx.memberCount(8)).toBe(250);

    const seen: number[] = [];
    const tokens: string[] = [];
    let token = "";
    for (let page = 0; page < 5; page++) {
      const params: Record<string, string> = { maxPageSize: "100" };
      if (token) params.pageToken = token;
      const r = await call(rbx, "apis", membershipsUrl(params, 8), { headers: key("read-key") });
      expect(r.status).toBe(200);
      seen.push(...r.body.groupMemberships.map((m: { user: string }) => Number(m.user.slice(6))));
      tokens.push(r.body.nextPageToken);
      token = r.body.nextPageToken;
      if (!token) break;
    }
    expect(tokens.map((t) => t.length > 0)).toEqual([true, true, false]);
    expect(tokens[2]).toBe(""); // last page: empty string (patterns doc)
    expect(seen).toEqual([500, ...seeded]);

    // Replaying a token gives exactly the same page (tokens are positions, not cursors that move).
    const again = await call(rbx, "apis", membershipsUrl({ maxPageSize: "100", pageToken: tokens[0] as string }, 8), {
      headers: key("read-key"),
    });
    expect(again.body.groupMemberships[0].user).toBe(`users/${seeded[99]}`);
    expect(again.body.groupMemberships).toHaveLength(100);
  });

  test("maxPageSize: default 10, clamped to 100; roles default 10, clamped to 20", async () => {
    const rbx = await world();
    rbx.bulkSeed(G, 150);
    const def = await call(rbx, "apis", membershipsUrl({}), { headers: key("read-key") });
    expect(def.body.groupMemberships).toHaveLength(10);
    const big = await call(rbx, "apis", membershipsUrl({ maxPageSize: "1000" }), { headers: key("read-key") });
    expect(big.body.groupMemberships).toHaveLength(100);
    const bad = await call(rbx, "apis", membershipsUrl({ maxPageSize: "-1" }), { headers: key("read-key") });
    expect(bad.status).toBe(400);

    const roles = await call(rbx, "apis", `/cloud/v2/groups/${G}/roles`, { headers: key("read-key") });
    expect(roles.body.groupRoles).toHaveLength(10);
    expect(roles.body.nextPageToken).toBe(roles.body.groupRoles[9].id); // as recorded: the last role id
    const rest = await call(rbx, "apis", `/cloud/v2/groups/${G}/roles?maxPageSize=50&pageToken=${roles.body.nextPageToken}`, {
      headers: key("read-key"),
    });
    expect(rest.body.groupRoles).toHaveLength(5);
    expect(rest.body.nextPageToken).toBe("");
    const ids = [...roles.body.groupRoles, ...rest.body.groupRoles].map((r: { id: string }) => Number(r.id));
    expect(ids).toEqual([...ids].sort((a, b) => a - b));
  });

  test("nextPageTokenAtEnd: omit drops the field on the last page", async () => {
    const rbx = await world({ nextPageTokenAtEnd: "omit" });
    const r = await call(rbx, "apis", membershipsUrl({ maxPageSize: "100" }), { headers: key("read-key") });
    expect(r.status).toBe(200);
    expect("nextPageToken" in r.body).toBe(false);
  });

  test("a page token used with a changed filter, or a forged one, is 400 INVALID_ARGUMENT", async () => {
    const rbx = await world();
    rbx.bulkSeed(G, 30, { roles: [ROLE.private] });
    const first = await call(rbx, "apis", membershipsUrl({ maxPageSize: "5" }), { headers: key("read-key") });
    const token = first.body.nextPageToken as string;
    expect(token).not.toBe("");

    const changed = await call(rbx, "apis", membershipsUrl({ maxPageSize: "5", pageToken: token, filter: `role == 'groups/${G}/roles/${ROLE.private}'` }), {
      headers: key("read-key"),
    });
    expect(changed.status).toBe(400);
    expect(changed.body.code).toBe("INVALID_ARGUMENT");

    // maxPageSize may change between pages.
    const resized = await call(rbx, "apis", membershipsUrl({ maxPageSize: "7", pageToken: token }), { headers: key("read-key") });
    expect(resized.status).toBe(200);
    expect(resized.body.groupMemberships).toHaveLength(7);

    const forged = await call(rbx, "apis", membershipsUrl({ pageToken: "bm9wZQ" }), { headers: key("read-key") });
    expect(forged.status).toBe(400);
    expect(forged.body.code).toBe("INVALID_ARGUMENT");
  });

  test("role and user filters; a non-member gives 200 with an empty list", async () => {
    const rbx = await world();
    const seeded = rbx.bulkSeed(G, 40, { roles: { [ROLE.private]: 1, [ROLE.corporal]: 1 } });
    const privates = seeded.filter((id) => rbx.membership(G, id)?.roleId === ROLE.private);

    const all: string[] = [];
    let token = "";
    do {
      const params: Record<string, string> = { maxPageSize: "7", filter: `role == 'groups/${G}/roles/${ROLE.private}'` };
      if (token) params.pageToken = token;
      const r = await call(rbx, "apis", membershipsUrl(params), { headers: key("read-key") });
      expect(r.status).toBe(200);
      all.push(...r.body.groupMemberships.map((m: { user: string }) => m.user));
      token = r.body.nextPageToken;
    } while (token);
    expect(all).toEqual([`users/${USER.alice}`, ...privates.map((id) => `users/${id}`)]);

    const one = await call(rbx, "apis", membershipsUrl({ filter: `user == 'users/${USER.carol}'` }), { headers: key("read-key") });
    expect(one.body.groupMemberships).toHaveLength(1);
    expect(one.body.groupMemberships[0].role).toBe(`groups/${G}/roles/${ROLE.sergeant}`);

    // URL-encoded with '+' for spaces, as clients send it.
    const encoded = await fetch(rbx.url("apis", `/cloud/v2/groups/${G}/memberships?filter=user+%3D%3D+%27users%2F${USER.carol}%27`), {
      headers: key("read-key"),
    });
    expect(((await encoded.json()) as { groupMemberships: unknown[] }).groupMemberships).toHaveLength(1);

    const none = await call(rbx, "apis", membershipsUrl({ filter: `user == 'users/${USER.outsider}'` }), { headers: key("read-key") });
    expect(none.status).toBe(200);
    expect(none.body.groupMemberships).toEqual([]);
  });

  test("malformed filters and misplaced operators are 400", async () => {
    const rbx = await world();
    for (const filter of [
      "user = 'users/1'",
      "user == users/1",
      "user == 'users/abc'",
      "name == 'x'",
      `role == 'groups/999/roles/${ROLE.private}'`,
      `role == 'groups/${G}/roles/123'`,
      "user == 'users/1' && role == 'groups/7/roles/7005'",
      `user in ['users/${USER.alice}']`, // `in` only on groups/-
    ]) {
      const r = await call(rbx, "apis", membershipsUrl({ filter }), { headers: key("read-key") });
      expect([filter, r.status, r.body.code]).toEqual([filter, 400, "INVALID_ARGUMENT"]);
    }
  });

  test("groups/- with `user in [...]`: up to 50 users across groups; more is 400; no filter is 400", async () => {
    const rbx = await world();
    rbx.createGroup({ id: 9, name: "Second", ownerId: USER.alice, roles: defaultRoles(9) });
    rbx.setMembership(9, USER.bob, 9005);
    const list = (ids: number[]) => `user in [${ids.map((id) => `'users/${id}'`).join(", ")}]`;

    const r = await call(rbx, "apis", membershipsUrl({ filter: list([USER.alice, USER.bob, USER.outsider]) }, "-"), {
      headers: key("read-key"),
    });
    expect(r.status).toBe(200);
    expect(r.body.groupMemberships.map((m: { path: string }) => m.path)).toEqual([
      `groups/${G}/memberships/${membershipId(USER.alice)}`,
      `groups/9/memberships/${membershipId(USER.alice)}`,
      `groups/${G}/memberships/${membershipId(USER.bob)}`,
      `groups/9/memberships/${membershipId(USER.bob)}`,
    ]);

    const fifty = Array.from({ length: 50 }, (_, i) => 1000 + i);
    expect((await call(rbx, "apis", membershipsUrl({ filter: list(fifty) }, "-"), { headers: key("read-key") })).status).toBe(200);
    const fiftyOne = await call(rbx, "apis", membershipsUrl({ filter: list([...fifty, 2000]) }, "-"), { headers: key("read-key") });
    expect(fiftyOne.status).toBe(400);
    expect(fiftyOne.body.code).toBe("INVALID_ARGUMENT");
    const bare = await call(rbx, "apis", membershipsUrl({}, "-"), { headers: key("read-key") });
    expect(bare.status).toBe(400);
  });

  test("membership resources: unpadded base64 ids, roles[] and role = the highest", async () => {
    const rbx = await world();
    rbx.addUser({ id: 45348281, name: "MightyPart" });
    rbx.setMembership(G, 45348281, ROLE.corporal);
    rbx.addRoleToMember(G, 45348281, ROLE.pfc);
    const r = await call(rbx, "apis", membershipsUrl({ filter: "user == 'users/45348281'" }), { headers: key("read-key") });
    const m = r.body.groupMemberships[0];
    expect(m.path).toBe(`groups/${G}/memberships/NDUzNDgyODE`); // as recorded for this user id
    expect(m.user).toBe("users/45348281");
    expect(m.role).toBe(`groups/${G}/roles/${ROLE.corporal}`);
    expect(m.roles).toEqual([ROLE.recruit, ROLE.pfc, ROLE.corporal].map((id) => `groups/${G}/roles/${id}`));
    expect(m.createTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(m.updateTime).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$/);
    expect(membershipId(1599940985)).toBe("MTU5OTk0MDk4NQ");
  });
});

// ---------------------------------------------------------------------------------------------
describe("Open Cloud rank writes", () => {
  const assign = (rbx: RobloxEmulator, user: string | number, role: number, k = "write-key", verb = ":assignRole") =>
    call(rbx, "apis", `/cloud/v2/groups/${G}/memberships/${user}${verb}`, {
      method: "POST",
      headers: key(k),
      json: { role: `groups/${G}/roles/${role}` },
    });
  const patch = (rbx: RobloxEmulator, user: string | number, body: unknown, k = "write-key") =>
    call(rbx, "apis", `/cloud/v2/groups/${G}/memberships/${user}`, { method: "PATCH", headers: key(k), json: body });

  test("assignRole and unassignRole are idempotent; role follows the highest held role", async () => {
    const rbx = await world();
    const mid = membershipId(USER.alice);
    const first = await assign(rbx, mid, ROLE.captain);
    expect(first.status).toBe(200);
    expect(first.body.role).toBe(`groups/${G}/roles/${ROLE.captain}`);
    expect(first.body.roles).toEqual([ROLE.recruit, ROLE.private, ROLE.captain].map((r) => `groups/${G}/roles/${r}`));

    const second = await assign(rbx, mid, ROLE.captain);
    expect(second.status).toBe(200);
    expect(second.body).toEqual(first.body); // no action taken: same roles, same updateTime

    const lower = await assign(rbx, mid, ROLE.corporal);
    expect(lower.body.role).toBe(`groups/${G}/roles/${ROLE.captain}`); // still the highest

    const un = await assign(rbx, mid, ROLE.captain, "write-key", ":unassignRole");
    expect(un.status).toBe(200);
    expect(un.body.role).toBe(`groups/${G}/roles/${ROLE.corporal}`);
    const unAgain = await assign(rbx, mid, ROLE.captain, "write-key", ":unassignRole");
    expect(unAgain.status).toBe(200);
    expect(unAgain.body.roles).toEqual(un.body.roles);
    expect(rbx.membership(G, USER.alice)).toEqual({ roleId: ROLE.corporal, rank: 10, roleIds: [ROLE.recruit, ROLE.private, ROLE.corporal] });

    const base = await assign(rbx, mid, ROLE.recruit, "write-key", ":unassignRole");
    expect(base.status).toBe(400);
  });

  test("the deprecated PATCH replaces every non-base role; raw user ids work as membership ids", async () => {
    const rbx = await world();
    rbx.addRoleToMember(G, USER.alice, ROLE.corporal);
    const r = await patch(rbx, USER.alice, { role: `groups/${G}/roles/${ROLE.sergeant}` });
    expect(r.status).toBe(200);
    expect(r.body.path).toBe(`groups/${G}/memberships/${membershipId(USER.alice)}`);
    expect(r.body.roles).toEqual([`groups/${G}/roles/${ROLE.recruit}`, `groups/${G}/roles/${ROLE.sergeant}`]);
    expect(rbx.membership(G, USER.alice)?.roleIds).toEqual([ROLE.recruit, ROLE.sergeant]);

    // The full-resource body some clients send is accepted when it matches.
    const full = await patch(rbx, membershipId(USER.alice), {
      path: `groups/${G}/memberships/${membershipId(USER.alice)}`,
      user: `users/${USER.alice}`,
      role: `groups/${G}/roles/${ROLE.private}`,
    });
    expect(full.status).toBe(200);
    expect(rbx.membership(G, USER.alice)?.roleId).toBe(ROLE.private);

    expect((await patch(rbx, "not*base64", { role: `groups/${G}/roles/${ROLE.private}` })).status).toBe(400);
    expect((await patch(rbx, USER.alice, {})).status).toBe(400);
  });

  test("rank rules: Guest/Owner, own rank, the owner, higher members and roles, non-members", async () => {
    const rbx = await world();
    const expectError = async (p: Promise<Answer>, status: number, code: string, message?: RegExp) => {
      const r = await p;
      expect([r.status, r.body.code]).toEqual([status, code]);
      if (message) expect(r.body.message).toMatch(message);
    };
    await expectError(patch(rbx, USER.alice, { role: `groups/${G}/roles/${ROLE.guest}` }), 400, "INVALID_ARGUMENT", /Guest/);
    await expectError(patch(rbx, USER.alice, { role: `groups/${G}/roles/${ROLE.owner}` }), 400, "INVALID_ARGUMENT", /Owner/);
    await expectError(assign(rbx, USER.alice, ROLE.owner), 400, "INVALID_ARGUMENT");
    await expectError(patch(rbx, USER.bot, { role: `groups/${G}/roles/${ROLE.private}` }), 403, "PERMISSION_DENIED", /own rank/);
    await expectError(patch(rbx, USER.owner, { role: `groups/${G}/roles/${ROLE.private}` }), 403, "PERMISSION_DENIED", /owner/);
    await expectError(patch(rbx, USER.outsider, { role: `groups/${G}/roles/${ROLE.private}` }), 404, "NOT_FOUND", /not a member/);
    await expectError(patch(rbx, 987654, { role: `groups/${G}/roles/${ROLE.private}` }), 404, "NOT_FOUND");
    await expectError(patch(rbx, USER.alice, { role: "groups/9/roles/9005" }), 400, "INVALID_ARGUMENT");
    await expectError(patch(rbx, USER.alice, { role: "roles/7005" }), 400, "INVALID_ARGUMENT");

    // The colonel (rank 200, changeRank) manages below 200 only.
    await expectError(patch(rbx, USER.alice, { role: `groups/${G}/roles/${ROLE.general}` }, "colonel-key"), 403, "PERMISSION_DENIED");
    await expectError(patch(rbx, USER.bot, { role: `groups/${G}/roles/${ROLE.private}` }, "colonel-key"), 403, "PERMISSION_DENIED");
    expect((await patch(rbx, USER.alice, { role: `groups/${G}/roles/${ROLE.captain}` }, "colonel-key")).status).toBe(200);

    // Without changeRank, nothing.
    rbx.setRolePermissions(G, ROLE.colonel, { changeRank: false });
    await expectError(patch(rbx, USER.alice, { role: `groups/${G}/roles/${ROLE.private}` }, "colonel-key"), 403, "PERMISSION_DENIED");
    expect(rbx.membership(G, USER.alice)?.roleId).toBe(ROLE.captain);
  });

  test("group-owned keys act with the group's permissions on their own group only", async () => {
    const rbx = await world();
    rbx.addApiKey("group-key", { ownerGroupId: G, scopes: ["group:read", "group:write"] });
    expect((await assign(rbx, USER.colonel, ROLE.general, "group-key")).status).toBe(200);
    const roles = await call(rbx, "apis", `/cloud/v2/groups/${G}/roles?maxPageSize=20`, { headers: key("group-key") });
    // The owner's view: descriptions, times and every role's permissions.
    expect(roles.body.groupRoles.every((r: object) => "permissions" in r && "description" in r && "createTime" in r)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------
describe("Open Cloud auth, scopes and reads", () => {
  test("unknown or missing key: 401 gateway shape; scope and group limits: 403 PERMISSION_DENIED", async () => {
    const rbx = await world();
    for (const headers of [key("nope"), {}]) {
      const r = await call(rbx, "apis", `/cloud/v2/groups/${G}`, { headers });
      expect(r.status).toBe(401);
      expect(r.body).toEqual({ errors: [{ code: 0, message: "Invalid API Key" }] });
      expect(r.headers.get("x-ratelimit-limit")).toBeNull();
    }
    const noScope = await call(rbx, "apis", `/cloud/v2/groups/${G}/memberships/${USER.alice}:assignRole`, {
      method: "POST",
      headers: key("read-key"),
      json: { role: `groups/${G}/roles/${ROLE.corporal}` },
    });
    expect(noScope.status).toBe(403);
    expect(noScope.body.code).toBe("PERMISSION_DENIED");
    expect(rbx.membership(G, USER.alice)?.roleId).toBe(ROLE.private);

    const elsewhere = await call(rbx, "apis", `/cloud/v2/groups/${G}/memberships`, { headers: key("elsewhere-key") });
    expect(elsewhere.status).toBe(403);
    expect(elsewhere.body.code).toBe("PERMISSION_DENIED");

    rbx.removeApiKey("read-key");
    expect((await call(rbx, "apis", `/cloud/v2/groups/${G}`, { headers: key("read-key") })).status).toBe(401);
  });

  test("GET group, role visibility, user about text, 404s", async () => {
    const rbx = await world();
    const group = await call(rbx, "apis", `/cloud/v2/groups/${G}`, { headers: key("read-key") });
    expect(group.body).toMatchObject({ path: `groups/${G}`, id: String(G), displayName: "Test Army", owner: `users/${USER.owner}`, memberCount: 6 });
    expect((await call(rbx, "apis", "/cloud/v2/groups/404404", { headers: key("read-key") })).body.code).toBe("NOT_FOUND");

    const role = async (id: number, k: string) => (await call(rbx, "apis", `/cloud/v2/groups/${G}/roles/${id}`, { headers: key(k) })).body;
    const guest = await role(ROLE.guest, "read-key");
    expect(guest.rank).toBe(0);
    expect("memberCount" in guest).toBe(false); // not returned for guest roles
    expect("permissions" in guest).toBe(true); // anyone can view guest permissions
    expect((await role(ROLE.bot, "read-key")).permissions.changeRank).toBe(true); // the key owner's own role
    expect("permissions" in (await role(ROLE.general, "read-key"))).toBe(false); // someone else's role
    expect("description" in (await role(ROLE.general, "read-key"))).toBe(false); // owners only
    rbx.addApiKey("no-scope", { ownerUserId: USER.bot, scopes: [] });
    expect("permissions" in (await role(ROLE.bot, "no-scope"))).toBe(false); // group:read needed

    rbx.setUserDescription(USER.alice, "verify: `apple banana cherry`");
    const user = await call(rbx, "apis", `/cloud/v2/users/${USER.alice}`, { headers: key("read-key") });
    expect(user.body).toMatchObject({ path: `users/${USER.alice}`, id: String(USER.alice), name: "Alice", about: "verify: `apple banana cherry`" });
    expect((await call(rbx, "apis", "/cloud/v2/users/999999", { headers: key("read-key") })).body.code).toBe("NOT_FOUND");
    expect((await call(rbx, "apis", "/cloud/v2/nothing", { headers: key("read-key") })).status).toBe(404);
  });
});

// ---------------------------------------------------------------------------------------------
describe("Open Cloud rate limits", () => {
  test("headers on every response; 429 RESOURCE_EXHAUSTED after the limit; per key owner; new window", async () => {
    const rbx = await world({ rateLimits: { perMinute: { "groups.get": 3 }, windowMs: 500 } });
    rbx.resetRateLimits(); // start a fresh window right now
    const get = (k: string) => call(rbx, "apis", `/cloud/v2/groups/${G}`, { headers: key(k) });
    const remaining: string[] = [];
    for (let i = 0; i < 3; i++) {
      const r = await get(i === 1 ? "read-key" : "write-key"); // two keys, one owner: one bucket
      expect(r.status).toBe(200);
      expect(r.headers.get("x-ratelimit-limit")).toBe("3, 3;w=0.5");
      remaining.push(r.headers.get("x-ratelimit-remaining") as string);
      const reset = Number(r.headers.get("x-ratelimit-reset"));
      expect(reset).toBeGreaterThan(0);
      expect(reset).toBeLessThanOrEqual(0.5);
    }
    expect(remaining).toEqual(["2", "1", "0"]);

    const limited = await get("write-key");
    expect(limited.status).toBe(429);
    expect(limited.body.code).toBe("RESOURCE_EXHAUSTED");
    expect(Number(limited.headers.get("retry-after"))).toBeGreaterThan(0);
    expect(limited.headers.get("x-ratelimit-remaining")).toBe("0");

    // Another owner has its own bucket; another class is counted apart.
    expect((await get("colonel-key")).status).toBe(200);
    expect((await call(rbx, "apis", `/cloud/v2/groups/${G}/roles`, { headers: key("write-key") })).status).toBe(200);

    await Bun.sleep(Number(limited.headers.get("retry-after")) * 1000 + 10);
    const after = await get("write-key");
    expect(after.status).toBe(200);
    expect(after.headers.get("x-ratelimit-remaining")).toBe("2");

    const counts = rbx.counts();
    expect(counts.byClass["groups.get"]).toBe(6);
    expect(counts.rateLimited).toBe(1);
    expect(counts.rateLimitedByClass["groups.get"]).toBe(1);
  });

  test("default limits are the documented per-minute ones, reset in whole seconds", async () => {
    const rbx = await world();
    const r = await call(rbx, "apis", `/cloud/v2/groups/${G}/memberships`, { headers: key("read-key") });
    expect(r.headers.get("x-ratelimit-limit")).toBe("300, 300;w=60");
    expect(r.headers.get("x-ratelimit-reset")).toMatch(/^\d+$/);
    const u = await call(rbx, "apis", `/cloud/v2/users/${USER.alice}`, { headers: key("read-key") });
    expect(u.headers.get("x-ratelimit-limit")).toBe("1000, 1000;w=60");
  });
});

// ---------------------------------------------------------------------------------------------
describe("legacy groups: CSRF exchange and rank change", () => {
  const setRank = (rbx: RobloxEmulator, user: number, roleId: unknown, headers: Record<string, string>) =>
    call(rbx, "groups", `/v1/groups/${G}/users/${user}`, { method: "PATCH", headers, json: { roleId } });

  test("403 + x-csrf-token, retry succeeds, rotation makes the cached token stale", async () => {
    const rbx = await world();
    const cookie = { cookie: ".ROBLOSECURITY=bot-cookie" };
    const first = await setRank(rbx, USER.alice, ROLE.corporal, cookie);
    expect(first.status).toBe(403);
    expect(first.body).toEqual({ errors: [{ code: 0, message: "Token Validation Failed" }] });
    const token = first.headers.get("x-csrf-token") as string;
    expect(token).toMatch(/^\S{8,}$/);
    expect(rbx.membership(G, USER.alice)?.roleId).toBe(ROLE.private);

    const retry = await setRank(rbx, USER.alice, ROLE.corporal, { ...cookie, "x-csrf-token": token });
    expect(retry.status).toBe(200);
    expect(retry.body).toEqual({});
    expect(rbx.membership(G, USER.alice)).toEqual({ roleId: ROLE.corporal, rank: 10, roleIds: [ROLE.recruit, ROLE.corporal] });

    rbx.rotateCsrfToken();
    const stale = await setRank(rbx, USER.alice, ROLE.sergeant, { ...cookie, "x-csrf-token": token });
    expect(stale.status).toBe(403);
    const fresh = stale.headers.get("x-csrf-token") as string;
    expect(fresh).not.toBe(token);
    expect((await setRank(rbx, USER.alice, ROLE.sergeant, { ...cookie, "x-csrf-token": fresh })).status).toBe(200);
  });

  test("the logout prefetch returns the token without logging out; with the token it logs out", async () => {
    const rbx = await world();
    const cookie = { cookie: "other=1; .ROBLOSECURITY=bot-cookie" };
    const prefetch = await call(rbx, "auth", "/v2/logout", { method: "POST", headers: cookie });
    expect(prefetch.status).toBe(403);
    const token = prefetch.headers.get("x-csrf-token") as string;
    expect(token).toBe(rbx.csrfToken("bot-cookie"));
    expect((await setRank(rbx, USER.alice, ROLE.corporal, { ...cookie, "x-csrf-token": token })).status).toBe(200);

    expect((await call(rbx, "users", "/v1/users/authenticated", { headers: cookie })).body).toEqual({ id: USER.bot, name: "RankBot", displayName: "RankBot" });
    const logout = await call(rbx, "auth", "/v2/logout", { method: "POST", headers: { ...cookie, "x-csrf-token": token } });
    expect(logout.status).toBe(200);
    expect((await call(rbx, "users", "/v1/users/authenticated", { headers: cookie })).status).toBe(401);
  });

  test("error codes 1, 2, 3, 23, 26 (400), 4 (403), 0 (401), 18 (503, injected)", async () => {
    const rbx = await world();
    const cookie = { cookie: ".ROBLOSECURITY=bot-cookie", "x-csrf-token": rbx.csrfToken("bot-cookie") };
    const expectCode = async (p: Promise<Answer>, status: number, code: number) => {
      const r = await p;
      expect([r.status, r.body.errors?.[0]?.code]).toEqual([status, code]);
      return r;
    };
    const noGroup = await expectCode(call(rbx, "groups", `/v1/groups/404/users/${USER.alice}`, { method: "PATCH", headers: cookie, json: { roleId: ROLE.corporal } }), 400, 1);
    expect(noGroup.body.errors[0].message).toBe("The group is invalid or does not exist.");
    await expectCode(setRank(rbx, USER.alice, 123, cookie), 400, 2);
    await expectCode(setRank(rbx, USER.alice, ROLE.guest, cookie), 400, 2);
    await expectCode(setRank(rbx, USER.outsider, ROLE.corporal, cookie), 400, 3);
    await expectCode(setRank(rbx, USER.bot, ROLE.corporal, cookie), 400, 23);
    await expectCode(setRank(rbx, USER.alice, ROLE.private, cookie), 400, 26);
    await expectCode(setRank(rbx, USER.owner, ROLE.corporal, cookie), 403, 4);
    const aliceCookie = { cookie: ".ROBLOSECURITY=alice-cookie", "x-csrf-token": rbx.csrfToken("alice-cookie") };
    await expectCode(setRank(rbx, USER.bob, ROLE.private, aliceCookie), 403, 4); // no changeRank
    // Without a (valid) cookie: the anonymous session is CSRF-challenged first, then denied.
    const challenge = await expectCode(setRank(rbx, USER.alice, ROLE.corporal, {}), 403, 0);
    const anonToken = challenge.headers.get("x-csrf-token") as string;
    const anonymous = await expectCode(setRank(rbx, USER.alice, ROLE.corporal, { "x-csrf-token": anonToken }), 401, 0);
    expect(anonymous.body.errors[0].message).toBe("Authorization has been denied for this request.");
    await expectCode(setRank(rbx, USER.alice, ROLE.corporal, { cookie: ".ROBLOSECURITY=unknown", "x-csrf-token": anonToken }), 401, 0);

    rbx.failures.inject({ method: "PATCH", pathIncludes: `/groups/v1/groups/${G}/users/`, status: 503 });
    const unavailable = await expectCode(setRank(rbx, USER.alice, ROLE.corporal, cookie), 503, 18);
    expect(unavailable.body.errors[0].message).toBe("The operation is temporarily unavailable. Please try again later.");
    expect((await setRank(rbx, USER.alice, ROLE.corporal, cookie)).status).toBe(200);
  });

  test("legacy reads: group, roles (Guest, isBase), error codes, a user's groups without query params", async () => {
    const rbx = await world();
    const group = await call(rbx, "groups", `/v1/groups/${G}`);
    expect(group.body).toMatchObject({ id: G, name: "Test Army", memberCount: 6, shout: null, owner: { userId: USER.owner, username: "GroupOwner" } });
    const missing = await call(rbx, "groups", "/v1/groups/404");
    expect([missing.status, missing.body.errors[0].code, missing.body.errors[0].message]).toEqual([400, 1, "Group is invalid or does not exist."]);

    const roles = await call(rbx, "groups", `/v1/groups/${G}/roles`);
    expect(roles.body.groupId).toBe(G);
    expect(roles.body.roles[0]).toMatchObject({ id: ROLE.guest, name: "Guest", rank: 0, memberCount: 0, isBase: false });
    expect(roles.body.roles[1]).toMatchObject({ id: ROLE.recruit, rank: 1, isBase: true, memberCount: 6 });
    expect(roles.body.roles.map((r: { rank: number }) => r.rank)).toEqual([...roles.body.roles.map((r: { rank: number }) => r.rank)].sort((a, b) => a - b));
    expect((await call(rbx, "groups", "/v1/groups/404/roles")).body.errors[0].code).toBe(1);

    const mine = await call(rbx, "groups", `/v2/users/${USER.carol}/groups/roles`);
    expect(mine.status).toBe(200);
    expect(mine.body.data).toEqual([{ group: { id: G, name: "Test Army", memberCount: 6, hasVerifiedBadge: false }, role: { id: ROLE.sergeant, name: "Sergeant", rank: 20 } }]);
    expect((await call(rbx, "groups", "/v2/users/999999/groups/roles")).body.errors[0].code).toBe(3);

    const membership = await call(rbx, "groups", `/v1/groups/${G}/membership`, { headers: { cookie: ".ROBLOSECURITY=bot-cookie" } });
    expect(membership.body.userRole.role.id).toBe(ROLE.bot);
    expect(membership.body.permissions.groupMembershipPermissions.changeRank).toBe(true);
    expect((await call(rbx, "groups", "/v1/groups/abc")).status).toBe(404);
  });

  test("a member with several roles: legacy interfaces show the highest only, role lists and Open Cloud show them all", async () => {
    const rbx = await world();
    rbx.createGroup({ id: 9, name: "Allies", ownerId: USER.owner, roles: defaultRoles(9) });
    rbx.setMembership(9, USER.alice, 9005);
    rbx.addRoleToMember(G, USER.alice, ROLE.captain); // Alice: recruit (base) + private + captain
    const cookie = { headers: { cookie: ".ROBLOSECURITY=bot-cookie" } };

    // DevForum (multi-role): "we'll continue to expose the highest-ranked role in most legacy interfaces".
    const v2 = await call(rbx, "groups", `/v2/users/${USER.alice}/groups/roles`);
    expect(v2.body.data.map((entry: { group: { id: number }; role: { id: number } }) => [entry.group.id, entry.role.id])).toEqual([
      [G, ROLE.captain],
      [9, 9005],
    ]);
    const v1 = await call(rbx, "groups", `/v1/users/${USER.alice}/groups/roles`);
    expect(v1.body.data.find((entry: { group: { id: number } }) => entry.group.id === G).role).toMatchObject({ id: ROLE.captain, rank: 120 });
    const roster = await call(rbx, "groups", `/v1/groups/${G}/users?limit=100`, cookie);
    expect(roster.body.data.filter((entry: { user: { userId: number } }) => entry.user.userId === USER.alice).map((entry: { role: { id: number } }) => entry.role.id)).toEqual([
      ROLE.captain,
    ]);
    // A role's member list holds everyone holding that role, the highest or not.
    const privates = await call(rbx, "groups", `/v1/groups/${G}/roles/${ROLE.private}/users?limit=100`);
    expect(privates.body.data.map((user: { userId: number }) => user.userId)).toContain(USER.alice);

    // Open Cloud: groups/- answers every group of the users asked, each membership with all its roles.
    const across = await call(rbx, "apis", `/cloud/v2/groups/-/memberships?maxPageSize=100&filter=${encodeURIComponent(`user in ['users/${USER.alice}', 'users/${USER.bob}']`)}`, {
      headers: { "x-api-key": "read-key" },
    });
    const alice = across.body.groupMemberships.filter((m: { user: string }) => m.user === `users/${USER.alice}`);
    expect(alice.map((m: { path: string; role: string; roles: string[] }) => [m.path.split("/")[1], m.role, m.roles.length])).toEqual([
      [String(G), `groups/${G}/roles/${ROLE.captain}`, 3],
      ["9", "groups/9/roles/9005", 2],
    ]);
  });

  test("legacy cursor paging: limit enum, Asc/Desc, previous cursors, invalid cursor code 36", async () => {
    const rbx = await world();
    rbx.addUser({ id: 600, name: "CursorOwner" });
    rbx.createGroup({ id: 8, name: "Cursor", ownerId: 600, roles: defaultRoles(8) });
    const seeded = rbx.bulkSeed(8, 249, { startUserId: 200_000 });
    const everyone = [600, ...seeded];
    const page = (query: string) => call(rbx, "groups", `/v1/groups/8/users?${query}`);

    const pages: number[][] = [];
    const cursors: { previous: string | null; next: string | null }[] = [];
    let cursor: string | null = null;
    do {
      const r = await page(`limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`);
      expect(r.status).toBe(200);
      pages.push(r.body.data.map((d: { user: { userId: number } }) => d.user.userId));
      cursors.push({ previous: r.body.previousPageCursor, next: r.body.nextPageCursor });
      cursor = r.body.nextPageCursor;
    } while (cursor);
    expect(pages.map((p) => p.length)).toEqual([100, 100, 50]);
    expect(pages.flat()).toEqual(everyone);
    expect(cursors[0]?.previous).toBeNull();
    expect(cursors[2]?.next).toBeNull();
    expect(cursors[0]?.next).toMatch(/^\d+_1_[0-9a-f]{32}$/);

    const back = await page(`limit=100&cursor=${cursors[1]?.previous}`);
    expect(back.body.data.map((d: { user: { userId: number } }) => d.user.userId)).toEqual(pages[0] as number[]);
    expect(back.body.previousPageCursor).toBeNull();

    const desc = await page("limit=10&sortOrder=Desc");
    expect(desc.body.data.map((d: { user: { userId: number } }) => d.user.userId)).toEqual(everyone.slice(-10).reverse());
    const defaultLimit = await page("");
    expect(defaultLimit.body.data).toHaveLength(10);
    expect(defaultLimit.body.data[0].role).toEqual({ id: 8001, name: "Owner", rank: 255 });

    const valid = cursors[0]?.next as string;
    const tampered = `${valid.slice(0, -1)}${valid.endsWith("0") ? "1" : "0"}`;
    for (const bad of ["garbage", tampered]) {
      const r = await page(`limit=100&cursor=${bad}`);
      expect([r.status, r.body.errors[0].code]).toEqual([400, 36]);
      expect(r.body.errors[0].message).toBe("The pagination cursor is invalid.");
    }
    const switched = await page(`limit=100&sortOrder=Desc&cursor=${cursors[0]?.next}`);
    expect(switched.body.errors[0].code).toBe(36);
    expect((await page("limit=20")).status).toBe(400);

    const roleUsers = await call(rbx, "groups", "/v1/groups/8/roles/8001/users");
    expect(roleUsers.body).toEqual({
      previousPageCursor: null,
      nextPageCursor: null,
      data: [{ hasVerifiedBadge: false, userId: 600, username: "CursorOwner", displayName: "CursorOwner" }],
    });
    const badRole = await call(rbx, "groups", "/v1/groups/8/roles/7001/users");
    expect([badRole.status, badRole.body.errors[0].code]).toEqual([403, 2]);
  });
});

// ---------------------------------------------------------------------------------------------
describe("legacy users and thumbnails", () => {
  test("usernames lookup: case-insensitive, unknown names absent, >100 is code 2, previous names", async () => {
    const rbx = await world();
    rbx.renameUser(USER.carol, "CarolNew");
    const lookup = (usernames: string[], excludeBannedUsers = false) =>
      call(rbx, "users", "/v1/usernames/users", { method: "POST", json: { usernames, excludeBannedUsers } });
    const r = await lookup(["alice", "BOB_BUILDER", "nobody_here", "carol"]);
    expect(r.status).toBe(200);
    expect(r.body.data).toEqual([
      { requestedUsername: "alice", hasVerifiedBadge: false, id: USER.alice, name: "Alice", displayName: "Alice" },
      { requestedUsername: "BOB_BUILDER", hasVerifiedBadge: false, id: USER.bob, name: "Bob_Builder", displayName: "Bob_Builder" },
      { requestedUsername: "carol", hasVerifiedBadge: false, id: USER.carol, name: "CarolNew", displayName: "carol" },
    ]);
    const tooMany = await lookup(Array.from({ length: 101 }, (_, i) => `user${i}`));
    expect([tooMany.status, tooMany.body.errors[0].code, tooMany.body.errors[0].message]).toEqual([400, 2, "Too many usernames."]);
    rbx.setUserBanned(USER.alice, true);
    expect((await lookup(["Alice"], true)).body.data).toEqual([]);

    const byIds = await call(rbx, "users", "/v1/users", { method: "POST", json: { userIds: [USER.bob, 999999], excludeBannedUsers: false } });
    expect(byIds.body.data).toEqual([{ hasVerifiedBadge: false, id: USER.bob, name: "Bob_Builder", displayName: "Bob_Builder" }]);
  });

  test("GET user: description, 404 code 3; authenticated needs the cookie", async () => {
    const rbx = await world();
    const alice = await call(rbx, "users", `/v1/users/${USER.alice}`);
    expect(alice.body).toMatchObject({ id: USER.alice, name: "Alice", description: "I like trains", isBanned: false, externalAppDisplayName: null, hasVerifiedBadge: false });
    const missing = await call(rbx, "users", "/v1/users/999999");
    expect([missing.status, missing.body.errors[0].code, missing.body.errors[0].message]).toEqual([404, 3, "The user id is invalid."]);
    const anon = await call(rbx, "users", "/v1/users/authenticated");
    expect([anon.status, anon.body]).toEqual([401, { errors: [{ code: 0, message: "Authorization has been denied for this request." }] }]);
  });

  test("avatar headshots: CSV ids, size and format enums, error codes", async () => {
    const rbx = await world();
    const r = await call(rbx, "thumbnails", `/v1/users/avatar-headshot?userIds=${USER.alice},${USER.bob},999999&size=150x150&format=Png&isCircular=true`);
    expect(r.status).toBe(200);
    expect(r.body.data[0]).toMatchObject({ targetId: USER.alice, state: "Completed", version: "TN3" });
    expect(r.body.data[0].imageUrl).toMatch(/^https:\/\/tr\.rbxcdn\.com\/[0-9a-f]{32}\/150\/150\/AvatarHeadshot\/Png\/isCircular$/);
    expect(r.body.data[2]).toMatchObject({ targetId: 999999, state: "Error", imageUrl: null });
    const defaults = await call(rbx, "thumbnails", `/v1/users/avatar-headshot?userIds=${USER.alice}`);
    expect(defaults.body.data[0].imageUrl).toContain("/48/48/AvatarHeadshot/Png");
    for (const [query, code] of [
      ["userIds=notAUser", 4],
      ["", 4],
      [`userIds=${USER.alice}&size=49x49`, 3],
      [`userIds=${USER.alice}&format=Gif`, 2],
      [`userIds=${Array.from({ length: 101 }, (_, i) => i + 1).join(",")}`, 1],
    ] as const) {
      const bad = await call(rbx, "thumbnails", `/v1/users/avatar-headshot?${query}`);
      expect([query, bad.status, bad.body.errors[0].code]).toEqual([query, 400, code]);
    }
  });
});

// ---------------------------------------------------------------------------------------------
describe("failure injection and recording", () => {
  test("status for N requests, default bodies per service, headers, delays, dropped connections", async () => {
    const rbx = await world();
    rbx.failures.inject({ pathIncludes: "/cloud/v2/groups/7/memberships", status: 500, times: 2, headers: { "x-test": "1" } });
    const a = await call(rbx, "apis", membershipsUrl({}), { headers: key("read-key") });
    const b = await call(rbx, "apis", membershipsUrl({}), { headers: key("read-key") });
    const c = await call(rbx, "apis", membershipsUrl({}), { headers: key("read-key") });
    expect([a.status, b.status, c.status]).toEqual([500, 500, 200]);
    expect(a.body.code).toBe("INTERNAL");
    expect(a.headers.get("x-test")).toBe("1");

    rbx.failures.inject({ method: "GET", pathIncludes: "/v1/users/", status: 429, body: { errors: [{ code: 0, message: "Too many requests" }] } });
    const limited = await call(rbx, "users", `/v1/users/${USER.alice}`);
    expect([limited.status, limited.body.errors[0].message]).toEqual([429, "Too many requests"]);

    rbx.failures.inject({ pathIncludes: `/v1/groups/${G}/roles`, dropConnection: true });
    await expect(fetch(rbx.url("groups", `/v1/groups/${G}/roles`))).rejects.toThrow();
    expect((await call(rbx, "groups", `/v1/groups/${G}/roles`)).status).toBe(200);

    // A client's own immediate retry after a drop gets through (POST: no transparent retry).
    rbx.failures.inject({ method: "POST", dropConnection: true });
    const lookup = () =>
      fetch(rbx.url("users", "/v1/usernames/users"), { method: "POST", headers: { "content-type": "application/json" }, body: '{"usernames":["Alice"]}' });
    await expect(lookup()).rejects.toThrow();
    expect((await lookup()).status).toBe(200);

    rbx.failures.inject({ pathIncludes: "/v1/groups/7", delayMs: 120 });
    const started = performance.now();
    expect((await call(rbx, "groups", `/v1/groups/${G}`)).status).toBe(200);
    expect(performance.now() - started).toBeGreaterThanOrEqual(110);

    rbx.failures.inject({ status: 503, times: Number.POSITIVE_INFINITY });
    expect((await call(rbx, "groups", `/v1/groups/${G}`)).status).toBe(503);
    expect(rbx.failures.pending).toBe(1);
    rbx.failures.clear();
    expect((await call(rbx, "groups", `/v1/groups/${G}`)).status).toBe(200);
    // 2 × 500, 429, GET drop (+ the fetch's transparent retry when the connection was reused), POST drop, 503.
    const injected = rbx.counts().injected;
    expect(injected).toBeGreaterThanOrEqual(6);
    expect(rbx.requests.filter((r) => r.injected)).toHaveLength(injected);
  });

  test("every request is recorded with service, path, query, headers, body and status", async () => {
    const rbx = await world();
    await call(rbx, "apis", membershipsUrl({ maxPageSize: "5", filter: "user == 'users/10'" }), { headers: key("read-key") });
    await call(rbx, "users", "/v1/usernames/users", { method: "POST", json: { usernames: ["Alice"] } });
    const [cloud, users] = rbx.requests;
    expect(cloud).toMatchObject({
      method: "GET",
      service: "apis",
      path: `/cloud/v2/groups/${G}/memberships`,
      query: { maxPageSize: "5", filter: "user == 'users/10'" },
      status: 200,
      apiClass: "groups.memberships",
    });
    expect(cloud?.url.startsWith(`/apis/cloud/v2/groups/${G}/memberships?`)).toBe(true);
    expect(cloud?.headers["x-api-key"]).toBe("read-key");
    expect(users).toMatchObject({ method: "POST", service: "users", path: "/v1/usernames/users", body: { usernames: ["Alice"] }, status: 200 });
    expect(users?.contentType).toBe("application/json");
  });

  test("recorded requests are what test/support/openapi.ts validates", async () => {
    const rbx = await world();
    await call(rbx, "apis", membershipsUrl({ maxPageSize: "100", filter: `user == 'users/${USER.alice}'` }), { headers: key("read-key") });
    await call(rbx, "apis", `/cloud/v2/groups/${G}/memberships/${membershipId(USER.alice)}:assignRole`, {
      method: "POST",
      headers: key("write-key"),
      json: { role: `groups/${G}/roles/${ROLE.corporal}` },
    });
    await call(rbx, "groups", `/v1/groups/${G}/users?limit=100&sortOrder=Desc`);
    await call(rbx, "groups", `/v1/groups/${G}/users/${USER.alice}`, {
      method: "PATCH",
      headers: { cookie: ".ROBLOSECURITY=bot-cookie", "x-csrf-token": rbx.csrfToken("bot-cookie") },
      json: { roleId: ROLE.sergeant },
    });
    await call(rbx, "users", "/v1/usernames/users", { method: "POST", json: { usernames: ["Alice"], excludeBannedUsers: false } });
    await call(rbx, "thumbnails", `/v1/users/avatar-headshot?userIds=${USER.alice}&size=48x48&format=Png`);
    expect(rbx.requests.map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 200]);
    const { robloxValidator } = await import("../support/openapi.ts");
    const validator = robloxValidator();
    for (const request of rbx.requests) expect([request.url, validator.validate(request).errors]).toEqual([request.url, []]);
  });

  test("the optional legacy rate limit answers 429 with the scraped body", async () => {
    const rbx = await world({ legacyRateLimit: { limit: 2, windowMs: 60_000 } });
    expect((await call(rbx, "groups", `/v1/groups/${G}`)).status).toBe(200);
    expect((await call(rbx, "users", `/v1/users/${USER.alice}`)).status).toBe(200);
    const r = await call(rbx, "groups", `/v1/groups/${G}`);
    expect([r.status, r.body]).toEqual([429, { errors: [{ code: 0, message: "Too many requests" }] }]);
    expect(rbx.counts().legacyRateLimited).toBe(1);
  });
});

// ---------------------------------------------------------------------------------------------
describe("OAuth 2.0 with PKCE", () => {
  const redirectUri = "http://localhost:8080/oauth/callback";

  async function authorize(rbx: RobloxEmulator, params: Record<string, string>) {
    const url = new URL(rbx.url("apis", "/oauth/v1/authorize"));
    for (const [k, v] of Object.entries({ client_id: "client-1", redirect_uri: redirectUri, response_type: "code", scope: "openid profile", ...params })) {
      url.searchParams.set(k, v);
    }
    const res = await fetch(url, { redirect: "manual" });
    return { status: res.status, location: res.headers.get("location") ? new URL(res.headers.get("location") as string) : undefined };
  }
  const tokenRequest = (rbx: RobloxEmulator, form: Record<string, string>, headers: Record<string, string> = {}) =>
    call(rbx, "apis", "/oauth/v1/token", {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
      body: new URLSearchParams(form).toString(),
    });

  test("authorize → code → token (S256), single-use code, verifiable id_token, userinfo, refresh", async () => {
    const rbx = await world();
    rbx.addOAuthClient("client-1", "secret-1", [redirectUri]);
    const verifier = randomBytes(32).toString("base64url");
    const challenge = createHash("sha256").update(verifier).digest("base64url");

    const denied = await authorize(rbx, { state: "s0", code_challenge: challenge, code_challenge_method: "S256" });
    expect(denied.location?.searchParams.get("error")).toBe("access_denied");
    expect(denied.location?.searchParams.get("state")).toBe("s0");

    rbx.oauthApprove(USER.alice);
    const ok = await authorize(rbx, { state: "xyz", nonce: "n-1", code_challenge: challenge, code_challenge_method: "S256" });
    expect(ok.status).toBe(302);
    expect(`${ok.location?.origin}${ok.location?.pathname}`).toBe(redirectUri);
    expect(ok.location?.searchParams.get("state")).toBe("xyz");
    const code = ok.location?.searchParams.get("code") as string;

    const wrongVerifier = await tokenRequest(rbx, { grant_type: "authorization_code", code, code_verifier: "x".repeat(43), client_id: "client-1", client_secret: "secret-1" });
    expect([wrongVerifier.status, wrongVerifier.body.error]).toEqual([401, "invalid_grant"]);
    const badClient = await tokenRequest(rbx, { grant_type: "authorization_code", code, code_verifier: verifier, client_id: "client-1", client_secret: "nope" });
    expect([badClient.status, badClient.body.error]).toEqual([400, "invalid_client"]);

    const basic = `Basic ${Buffer.from("client-1:secret-1").toString("base64")}`;
    const tokens = await tokenRequest(rbx, { grant_type: "authorization_code", code, code_verifier: verifier }, { authorization: basic });
    expect(tokens.status).toBe(200);
    expect(tokens.body).toMatchObject({ token_type: "Bearer", scope: "openid profile", expires_in: 899 });
    const reused = await tokenRequest(rbx, { grant_type: "authorization_code", code, code_verifier: verifier }, { authorization: basic });
    expect([reused.status, reused.body.error]).toEqual([401, "invalid_grant"]);

    // The ID token is an ES256 JWT signed by a key from /oauth/v1/certs.
    const [h, p, s] = (tokens.body.id_token as string).split(".") as [string, string, string];
    const header = JSON.parse(Buffer.from(h, "base64url").toString());
    const claims = JSON.parse(Buffer.from(p, "base64url").toString());
    expect(header).toMatchObject({ alg: "ES256", typ: "JWT" });
    expect(claims).toMatchObject({ sub: String(USER.alice), preferred_username: "Alice", nonce: "n-1", aud: "client-1" });
    const certs = await call(rbx, "apis", "/oauth/v1/certs");
    const jwk = certs.body.keys.find((k: { kid: string }) => k.kid === header.kid);
    const publicKey = await crypto.subtle.importKey("jwk", jwk, { name: "ECDSA", namedCurve: "P-256" }, false, ["verify"]);
    const valid = await crypto.subtle.verify({ name: "ECDSA", hash: "SHA-256" }, publicKey, Buffer.from(s, "base64url"), new TextEncoder().encode(`${h}.${p}`));
    expect(valid).toBe(true);

    const info = await call(rbx, "apis", "/oauth/v1/userinfo", { headers: { authorization: `Bearer ${tokens.body.access_token}` } });
    expect(info.body).toMatchObject({ sub: String(USER.alice), preferred_username: "Alice", name: "Alice", nickname: "Alice", profile: `https://www.roblox.com/users/${USER.alice}/profile` });
    expect((await call(rbx, "apis", "/oauth/v1/userinfo", { headers: { authorization: "Bearer nope" } })).status).toBe(401);

    const refreshed = await tokenRequest(rbx, { grant_type: "refresh_token", refresh_token: tokens.body.refresh_token, client_id: "client-1", client_secret: "secret-1" });
    expect(refreshed.status).toBe(200);
    expect(refreshed.body.refresh_token).not.toBe(tokens.body.refresh_token);
    const refreshReuse = await tokenRequest(rbx, { grant_type: "refresh_token", refresh_token: tokens.body.refresh_token, client_id: "client-1", client_secret: "secret-1" });
    expect([refreshReuse.status, refreshReuse.body.error]).toEqual([400, "invalid_grant"]);

    // Access tokens also work on Open Cloud, limited per authorization (perOauth2Authorization).
    const cloud = await call(rbx, "apis", `/cloud/v2/groups/${G}`, { headers: { authorization: `Bearer ${refreshed.body.access_token}` } });
    expect(cloud.status).toBe(200);
    expect(cloud.headers.get("x-ratelimit-limit")).toBe("30, 30;w=60");

    const discovery = await call(rbx, "apis", "/oauth/.well-known/openid-configuration");
    expect(discovery.body.token_endpoint).toBe(rbx.url("apis", "/oauth/v1/token"));
    expect(discovery.body.token_endpoint_auth_methods_supported).toEqual(["client_secret_post", "client_secret_basic"]);
  });

  test("authorize rejects unknown clients and redirect URIs without redirecting; codes expire", async () => {
    const rbx = await world({ oauthCodeTtlMs: 50 });
    rbx.addOAuthClient("client-1", "secret-1", [redirectUri]);
    rbx.oauthApprove(USER.bob);
    expect((await authorize(rbx, { client_id: "unknown" })).status).toBe(400);
    expect((await authorize(rbx, { redirect_uri: "http://evil.example/cb" })).status).toBe(400);
    expect((await authorize(rbx, { scope: "profile" })).location?.searchParams.get("error")).toBe("invalid_scope");
    expect((await authorize(rbx, { code_challenge: "abc", code_challenge_method: "plain" })).location?.searchParams.get("error")).toBe("invalid_request");

    const code = (await authorize(rbx, {})).location?.searchParams.get("code") as string;
    await Bun.sleep(80);
    const expired = await tokenRequest(rbx, { grant_type: "authorization_code", code, client_id: "client-1", client_secret: "secret-1" });
    expect([expired.status, expired.body.error]).toEqual([401, "invalid_grant"]);
  });
});
