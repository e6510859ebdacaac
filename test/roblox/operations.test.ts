import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import type { RobloxClient } from "../../src/roblox/client.ts";
import { membershipId } from "../../src/roblox/urls.ts";
import { defaultRoles } from "../emulators/roblox/index.ts";
import {
  BOT_COOKIE,
  clientFor,
  expectRequestsMatchSpec,
  GROUP_ID,
  KEYS,
  OTHER_GROUP_ID,
  requestsTo,
  ROLE,
  startWorld,
  USERS,
  type RobloxEmulator,
} from "./world.ts";

/** A group with more roles than one page of Open Cloud's role list (20). */
const WIDE_GROUP = 9;

let rbx: RobloxEmulator;
let openCloud: RobloxClient;
let cookie: RobloxClient;
let anonymous: RobloxClient;
let seeded: number[];

beforeAll(async () => {
  rbx = await startWorld();
  seeded = rbx.bulkSeed(GROUP_ID, 230, { roles: [ROLE.private, ROLE.corporal, ROLE.sergeant] });
  rbx.createGroup({
    id: WIDE_GROUP,
    name: "Wide",
    ownerId: USERS.owner.id,
    roles: [
      ...defaultRoles(WIDE_GROUP),
      ...Array.from({ length: 12 }, (_, index) => ({ id: WIDE_GROUP * 1000 + 100 + index, name: `Tier ${index}`, rank: 30 + index + 1 })),
    ],
  });
  openCloud = clientFor(rbx, { apiKey: KEYS.good });
  cookie = clientFor(rbx, { cookie: BOT_COOKIE });
  anonymous = clientFor(rbx);
});

beforeEach(() => {
  rbx.requests.length = 0;
});

afterEach(() => {
  expectRequestsMatchSpec(rbx);
});

afterAll(async () => {
  await Promise.all([openCloud.close(), cookie.close(), anonymous.close()]);
  await rbx.close();
});

const services = () => [...new Set(rbx.requests.map((request) => request.service))].sort();

describe("group info and roles", () => {
  test("the same group through Open Cloud, the cookie and anonymously", async () => {
    const expected = { id: GROUP_ID, name: "Army", ownerUserId: USERS.owner.id, memberCount: 234 };
    expect(await openCloud.getGroup(GROUP_ID)).toMatchObject(expected);
    expect(await cookie.getGroup(GROUP_ID)).toMatchObject(expected);
    expect(await anonymous.getGroup(GROUP_ID)).toMatchObject(expected);
    expect(requestsTo(rbx, `/cloud/v2/groups/${GROUP_ID}`)[0]?.headers["x-api-key"]).toBe(KEYS.good);
    expect(requestsTo(rbx, `/v1/groups/${GROUP_ID}`)[0]?.headers.cookie).toBe(`.ROBLOSECURITY=${BOT_COOKIE}`);
    expect(requestsTo(rbx, `/v1/groups/${GROUP_ID}`)[1]?.headers.cookie).toBeUndefined();
  });

  test("all roles, paged 20 at a time, lowest rank first, base role marked", async () => {
    const roles = await openCloud.listRoles(WIDE_GROUP);
    expect(roles).toHaveLength(27);
    expect(roles.map((role) => role.rank)).toEqual([...roles.map((role) => role.rank)].sort((a, b) => a - b));
    expect(roles.filter((role) => role.isBase).map((role) => role.name)).toEqual(["Recruit"]);
    const pages = requestsTo(rbx, `/groups/${WIDE_GROUP}/roles`);
    expect(pages.map((request) => request.query.maxPageSize)).toEqual(["20", "20"]);
    expect(pages[1]?.query.pageToken).toBeTruthy();

    const legacyRoles = await cookie.listRoles(WIDE_GROUP);
    expect(legacyRoles.map(({ id, rank, isBase }) => ({ id, rank, isBase }))).toEqual(
      roles.map(({ id, rank, isBase }) => ({ id, rank, isBase })),
    );
  });
});

describe("a user's membership and rank", () => {
  test("rank is the highest of the member's roles (Open Cloud multi-role)", async () => {
    rbx.addRoleToMember(GROUP_ID, USERS.bob.id, ROLE.captain);
    const membership = await openCloud.getMembership(GROUP_ID, USERS.bob.id);
    expect(membership).toMatchObject({ userId: USERS.bob.id, roleId: ROLE.captain, rank: 120, roleName: "Captain" });
    expect(membership?.roleIds.sort()).toEqual([ROLE.recruit, ROLE.corporal, ROLE.captain].sort());
    // Every role held, with its rank, highest first.
    expect(membership?.roles.map((role) => role.roleId)).toEqual([ROLE.captain, ROLE.corporal, ROLE.recruit]);
    expect(membership?.roles[0]).toEqual({ roleId: ROLE.captain, rank: 120 });
    // A lone lookup goes out as a one-user batch, so concurrent ones can share it.
    expect(requestsTo(rbx, "/memberships")[0]?.query.filter).toBe(`user in ['users/${USERS.bob.id}']`);

    // The legacy hosts show the highest role only (DevForum: "the highest-ranked role in most legacy interfaces").
    expect(await cookie.getMembership(GROUP_ID, USERS.bob.id)).toMatchObject({ roleId: ROLE.captain, rank: 120, roles: [{ roleId: ROLE.captain, rank: 120 }] });
    rbx.setMembership(GROUP_ID, USERS.bob.id, ROLE.corporal);
  });

  test("a non-member is null, not an error", async () => {
    expect(await openCloud.getMembership(GROUP_ID, USERS.carol.id)).toBeNull();
    expect(await anonymous.getMembership(GROUP_ID, USERS.carol.id)).toBeNull();
  });
});

describe("users", () => {
  test("usernames resolve in batches of at most 100, unknown names left out", async () => {
    rbx.renameUser(USERS.bob.id, "Robert");
    const names = [USERS.alice.name, "bob", "nobody_here", ...seeded.slice(0, 150).map((id) => `player${id}`)];
    const users = await openCloud.usersByUsernames(names);
    expect(users.get("alice")).toEqual({ id: USERS.alice.id, name: "Alice", displayName: "Alice" });
    // Previous usernames still resolve.
    expect(users.get("bob")).toMatchObject({ id: USERS.bob.id, name: "Robert" });
    expect(users.has("nobody_here")).toBe(false);
    expect(users.size).toBe(152);
    const posts = requestsTo(rbx, "/v1/usernames/users", "POST");
    expect(posts.map((request) => (request.body as { usernames: string[] }).usernames.length)).toEqual([100, 53]);
    expect(posts.every((request) => request.headers.cookie === undefined)).toBe(true);
    rbx.renameUser(USERS.bob.id, "Bob");
  });

  test("the profile's About text: Open Cloud `about` with a key, legacy `description` without", async () => {
    const fromCloud = await openCloud.getUserProfile(USERS.alice.id);
    const fromLegacy = await cookie.getUserProfile(USERS.alice.id);
    expect(fromCloud).toEqual({ id: USERS.alice.id, name: "Alice", displayName: "Alice", about: USERS.alice.description });
    expect(fromLegacy).toEqual(fromCloud);
    expect(services()).toEqual(["apis", "users"]);
  });
});

describe("rosters, batches and role members", () => {
  test("the roster is an async iterator of 100-member pages that resumes from a token (legacy cursor too)", async () => {
    for (const client of [openCloud, cookie]) {
      const pages = [];
      for await (const page of client.roster(GROUP_ID)) pages.push(page);
      expect(pages.map((page) => page.members.length)).toEqual([100, 100, 34]);
      expect(pages.at(-1)?.nextPageToken).toBeNull();
      const resumed = [];
      for await (const page of client.roster(GROUP_ID, { pageToken: pages[0]?.nextPageToken })) resumed.push(page);
      expect(resumed.flatMap((page) => page.members)).toEqual(pages.slice(1).flatMap((page) => page.members));
    }
    expect(requestsTo(rbx, "/cloud/v2/groups/7/memberships").every((request) => request.query.maxPageSize === "100")).toBe(true);
    expect(requestsTo(rbx, "/v1/groups/7/users").every((request) => request.query.limit === "100")).toBe(true);
  });

  test("linked users' memberships in batches of 50, only those of our group", async () => {
    // Carol is in the other group only; the owner is in both.
    const linked = [...seeded.slice(0, 120), USERS.carol.id, USERS.owner.id];
    const batches = [];
    for await (const batch of openCloud.membershipBatches(GROUP_ID, linked)) batches.push(batch);
    expect(batches.map((batch) => batch.length)).toEqual([50, 50, 21]);
    const members = batches.flat();
    expect(members.some((member) => member.userId === USERS.carol.id)).toBe(false);
    expect(members.find((member) => member.userId === USERS.owner.id)?.roleId).toBe(ROLE.owner);

    const requests = requestsTo(rbx, "/cloud/v2/groups/-/memberships");
    expect(requests).toHaveLength(3);
    expect(requests[2]?.query.filter).toBe(`user in ['users/${seeded[100]}', ${seeded.slice(101, 120).map((id) => `'users/${id}'`).join(", ")}, 'users/${USERS.carol.id}', 'users/${USERS.owner.id}']`);

    const all = await openCloud.membershipsOf(GROUP_ID, linked);
    expect([...all.keys()].sort()).toEqual(members.map((member) => member.userId).sort());
    expect(await cookie.membershipsOf(OTHER_GROUP_ID, [USERS.carol.id, USERS.alice.id])).toEqual(
      new Map([[USERS.carol.id, { userId: USERS.carol.id, roleId: OTHER_GROUP_ID * 1000 + 5, roleIds: [OTHER_GROUP_ID * 1000 + 5] }]]),
    );
  });

  test("the members of one role", async () => {
    const expected = seeded.filter((id) => rbx.membership(GROUP_ID, id)?.roleId === ROLE.sergeant).sort();
    const found: number[] = [];
    for await (const page of openCloud.roleMembers(GROUP_ID, ROLE.sergeant)) found.push(...page.members.map((m) => m.userId));
    expect(found.sort()).toEqual(expected);
    expect(requestsTo(rbx, "/memberships")[0]?.query.filter).toBe(`role == 'groups/${GROUP_ID}/roles/${ROLE.sergeant}'`);

    const legacyFound: number[] = [];
    for await (const page of cookie.roleMembers(GROUP_ID, ROLE.sergeant)) legacyFound.push(...page.members.map((m) => m.userId));
    expect(legacyFound.sort()).toEqual(expected);
  });
});

describe("setting a member's rank", () => {
  const member = () => seeded[0]!;

  test("Open Cloud: assign the target, then unassign the old rank role; a lower role stays", async () => {
    rbx.setMembership(GROUP_ID, member(), ROLE.private);
    rbx.addRoleToMember(GROUP_ID, member(), ROLE.corporal);
    const result = await openCloud.setRank(GROUP_ID, member(), ROLE.sergeant);
    expect(result).toEqual({ changed: true, previousRoleId: ROLE.corporal, roleId: ROLE.sergeant, unassignedRoleIds: [ROLE.corporal] });
    expect(rbx.membership(GROUP_ID, member())?.roleIds.sort()).toEqual([ROLE.recruit, ROLE.private, ROLE.sergeant].sort());

    const writes = rbx.requests.filter((request) => request.method === "POST");
    expect(writes.map((request) => [request.path.split(":")[1], (request.body as { role: string }).role])).toEqual([
      ["assignRole", `groups/${GROUP_ID}/roles/${ROLE.sergeant}`],
      ["unassignRole", `groups/${GROUP_ID}/roles/${ROLE.corporal}`],
    ]);
    expect(writes[0]?.path).toContain(`/memberships/${membershipId(member())}:`);
  });

  test("Open Cloud with the ladder: a role off the ladder is kept, even above the new rank", async () => {
    const ladder = [ROLE.private, ROLE.corporal, ROLE.sergeant];
    rbx.setMembership(GROUP_ID, member(), ROLE.private);
    rbx.addRoleToMember(GROUP_ID, member(), ROLE.captain); // not on this ladder: say, an event-host role
    const up = await openCloud.setRank(GROUP_ID, member(), ROLE.corporal, { ladderRoleIds: ladder });
    expect(up).toEqual({ changed: true, previousRoleId: ROLE.private, roleId: ROLE.corporal, unassignedRoleIds: [ROLE.private] });
    expect(rbx.membership(GROUP_ID, member())?.roleIds.sort()).toEqual([ROLE.recruit, ROLE.corporal, ROLE.captain].sort());
    expect(await openCloud.setRank(GROUP_ID, member(), ROLE.corporal, { ladderRoleIds: ladder })).toMatchObject({ changed: false });
  });

  test("Open Cloud demotion: ladder roles above the new rank go (they would still be the rank), lower ones stay", async () => {
    rbx.setMembership(GROUP_ID, member(), ROLE.private);
    rbx.addRoleToMember(GROUP_ID, member(), ROLE.sergeant);
    rbx.addRoleToMember(GROUP_ID, member(), ROLE.captain);
    const down = await openCloud.setRank(GROUP_ID, member(), ROLE.corporal);
    expect(down.unassignedRoleIds.sort()).toEqual([ROLE.sergeant, ROLE.captain].sort());
    expect(rbx.membership(GROUP_ID, member())?.roleIds.sort()).toEqual([ROLE.recruit, ROLE.private, ROLE.corporal].sort());
    expect(rbx.membership(GROUP_ID, member())?.roleId).toBe(ROLE.corporal);
  });

  test("Open Cloud: down to the base role only unassigns", async () => {
    rbx.setMembership(GROUP_ID, member(), ROLE.sergeant);
    expect(await openCloud.setRank(GROUP_ID, member(), ROLE.recruit)).toMatchObject({ changed: true });
    expect(rbx.membership(GROUP_ID, member())?.roleIds).toEqual([ROLE.recruit]);
    expect(rbx.requests.filter((request) => request.method === "POST").map((request) => request.path.split(":")[1])).toEqual([
      "unassignRole",
    ]);
  });

  test("no write when the member already holds exactly that rank", async () => {
    rbx.setMembership(GROUP_ID, member(), ROLE.corporal);
    expect(await openCloud.setRank(GROUP_ID, member(), ROLE.corporal)).toEqual({
      changed: false,
      previousRoleId: ROLE.corporal,
      roleId: ROLE.corporal,
      unassignedRoleIds: [],
    });
    expect(await cookie.setRank(GROUP_ID, member(), ROLE.corporal)).toMatchObject({ changed: false });
    expect(rbx.requests.filter((request) => request.method !== "GET")).toEqual([]);
  });

  test("the deprecated PATCH when configured", async () => {
    const patching = clientFor(rbx, { apiKey: KEYS.good, openCloudRankWrite: "patch" });
    rbx.setMembership(GROUP_ID, member(), ROLE.private);
    expect(await patching.setRank(GROUP_ID, member(), ROLE.captain)).toMatchObject({ changed: true });
    expect(rbx.membership(GROUP_ID, member())?.roleId).toBe(ROLE.captain);
    const patch = rbx.requests.find((request) => request.method === "PATCH");
    expect(patch?.body).toEqual({ role: `groups/${GROUP_ID}/roles/${ROLE.captain}` });
    await patching.close();
  });

  test("the deprecated PATCH is not used where it would take a role the member keeps", async () => {
    const patching = clientFor(rbx, { apiKey: KEYS.good, openCloudRankWrite: "patch" });
    rbx.setMembership(GROUP_ID, member(), ROLE.private);
    rbx.addRoleToMember(GROUP_ID, member(), ROLE.captain);
    await patching.setRank(GROUP_ID, member(), ROLE.corporal, { ladderRoleIds: [ROLE.private, ROLE.corporal] });
    expect(rbx.requests.filter((request) => request.method === "PATCH")).toEqual([]);
    expect(rbx.membership(GROUP_ID, member())?.roleIds.sort()).toEqual([ROLE.recruit, ROLE.corporal, ROLE.captain].sort());
    await patching.close();
  });

  test("legacy: PATCH {roleId} with the cookie; reads stay on the legacy hosts", async () => {
    rbx.setMembership(GROUP_ID, member(), ROLE.private);
    expect(await cookie.setRank(GROUP_ID, member(), ROLE.sergeant)).toEqual({
      changed: true,
      previousRoleId: ROLE.private,
      roleId: ROLE.sergeant,
      unassignedRoleIds: [],
    });
    expect(rbx.membership(GROUP_ID, member())?.roleId).toBe(ROLE.sergeant);
    expect(services()).toEqual(["groups"]);
    expect(rbx.requests.find((request) => request.method === "PATCH" && request.status === 200)?.body).toEqual({
      roleId: ROLE.sergeant,
    });
  });

  test("anonymous: reads work on the public legacy GETs, writes fail typed", async () => {
    expect(await anonymous.getMembership(GROUP_ID, member())).toMatchObject({ userId: member() });
    await expect(anonymous.setRank(GROUP_ID, member(), ROLE.private)).rejects.toMatchObject({ kind: "no_credentials" });
    expect(rbx.requests.every((request) => request.method === "GET" && request.headers.cookie === undefined)).toBe(true);
    expect(services()).toEqual(["groups"]);
  });
});
