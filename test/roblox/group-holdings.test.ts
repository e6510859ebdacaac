/**
 * Reading the roles linked users hold in several groups at once (the guild's own and an ally group
 * a range bind names), against the emulator: the requests sent are the fewer of one shared pass
 * over the linked users (50 a request, answering for every group) and each group's own cheapest
 * read (roster pages, or the members of its bound roles), and never one per member on Open Cloud.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { RobloxClient } from "../../src/roblox/client.ts";
import { GroupMembershipReader, groupsHeldBy } from "../../src/sync/group-memberships.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { BOT_COOKIE, clientFor, expectRequestsMatchSpec } from "./world.ts";

const KEY = "holdings-key";
const BOT = 2;
const role = (groupId: number, n: number) => groupId * 1000 + n;
const RECRUIT = 3; // rank 1, the base role of defaultRoles
const PRIVATE = 5; // rank 2
const CORPORAL = 7; // rank 10
const CAPTAIN = 12; // rank 120

let rbx: RobloxEmulator;
let nextGroupId = 100;
const clients: RobloxClient[] = [];

beforeAll(async () => {
  rbx = await startRobloxEmulator();
  rbx.addUser({ id: 1, name: "Founder" });
  rbx.addUser({ id: BOT, name: "RankBot" });
  rbx.addApiKey(KEY, { ownerUserId: BOT, scopes: ["group:read"] });
  rbx.addCookie(BOT_COOKIE, BOT);
});
afterAll(async () => {
  await rbx.close();
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

function group(members: number, roles: number[] = [PRIVATE, CORPORAL]): { id: number; members: number[] } {
  const id = nextGroupId++;
  rbx.createGroup({ id, name: `Group ${id}`, ownerId: 1, roles: defaultRoles(id) });
  return { id, members: rbx.bulkSeed(id, members, { roles: roles.map((n) => role(id, n)) }) };
}

function client(options: { cookie?: boolean } = {}): RobloxClient {
  const made = clientFor(rbx, options.cookie ? { cookie: BOT_COOKIE } : { apiKey: KEY });
  clients.push(made);
  return made;
}

/** Runs `read` and returns what it gave with the requests the emulator saw meanwhile. */
async function counted<T>(read: () => Promise<T>): Promise<{ result: T; all: number; memberships: number; perUser: number }> {
  const before = rbx.requests.length;
  const result = await read();
  const seen = rbx.requests.slice(before);
  return {
    result,
    all: seen.length,
    memberships: seen.filter((request) => request.path.endsWith("/memberships") || /\/v1\/groups\/\d+\/(users|roles\/\d+\/users)$/.test(request.path)).length,
    perUser: seen.filter((request) => /\/users\/\d+\/groups\/roles$/.test(request.path)).length,
  };
}

describe("two groups, N linked users", () => {
  test("big rosters: one shared pass of ceil(N/50) requests answers both groups, with every role held", async () => {
    const own = group(10_000);
    const ally = group(3_000);
    // 80 of the own group, 40 of the ally, 20 of them in both, one multi-role member, one in neither.
    const linked = [...own.members.slice(0, 80), ...ally.members.slice(0, 40)];
    for (const userId of own.members.slice(0, 20)) rbx.setMembership(ally.id, userId, role(ally.id, CORPORAL));
    rbx.addRoleToMember(own.id, own.members[0]!, role(own.id, CAPTAIN));
    rbx.addUser({ id: 9_900_001, name: "NotInEither" });
    linked.push(9_900_001);

    const { result, all, memberships } = await counted(() => client().readGroupRoleHoldings([own.id, ally.id], linked));

    const batches = Math.ceil(linked.length / 50); // 3
    expect(memberships).toBe(batches);
    expect(result.plan.sharedRequests).toBe(batches);
    // The owner is a member too; 20 own members joined the ally.
    expect(result.plan.alternatives.perGroup).toBe(Math.ceil(10_001 / 100) + Math.ceil(3_021 / 100));
    expect(result.plan.groups.map((choice) => choice.strategy)).toEqual(["linked-users", "linked-users"]);
    // Planning: one group read and one role page per group.
    expect(all).toBe(batches + 2 + 2);
    expect(result.requests).toBe(all);

    const ownHoldings = result.holdings.get(own.id)!;
    const allyHoldings = result.holdings.get(ally.id)!;
    expect(ownHoldings.size).toBe(80);
    expect(allyHoldings.size).toBe(60);
    expect(ownHoldings.get(own.members[0]!)).toEqual([
      { roleId: role(own.id, CAPTAIN), rank: 120 },
      { roleId: role(own.id, PRIVATE), rank: 2 },
      { roleId: role(own.id, RECRUIT), rank: 1 },
    ]);
    expect(allyHoldings.get(own.members[5]!)?.[0]).toEqual({ roleId: role(ally.id, CORPORAL), rank: 10 });
    // Not in a group: absent (Guest), in neither: in no map.
    expect(allyHoldings.has(own.members[50]!)).toBe(false);
    expect(ownHoldings.has(9_900_001) || allyHoldings.has(9_900_001)).toBe(false);
    // Per member, the shape a bind resolver takes: every group, [] where not a member.
    expect(groupsHeldBy(result.holdings, own.members[50]!)).toEqual(new Map([[own.id, ownHoldings.get(own.members[50]!)!], [ally.id, []]]));
    expect(groupsHeldBy(result.holdings, 9_900_001)).toEqual(new Map([[own.id, []], [ally.id, []]]));
    expectRequestsMatchSpec(rbx);
  });

  test("small rosters: each group's roster, fewer requests than the shared pass", async () => {
    const own = group(150);
    const ally = group(80);
    const linked = [...own.members, ...ally.members.slice(0, 50)]; // 200 linked: a pass would be 4

    const { result, memberships } = await counted(() => client().readGroupRoleHoldings([own.id, ally.id], linked));

    expect(result.plan.alternatives).toEqual({ perGroup: 2 + 1, sharedPass: 4 });
    expect(result.plan.groups.map((choice) => [choice.strategy, choice.requests])).toEqual([
      ["roster", 2],
      ["roster", 1],
    ]);
    expect(memberships).toBe(3);
    expect(result.holdings.get(own.id)!.size).toBe(150);
    expect(result.holdings.get(ally.id)!.size).toBe(50);
    expect(result.holdings.get(ally.id)!.get(ally.members[0]!)?.length).toBe(2); // base role + the seeded one
  });

  test("one choice per group: the own group's roster, the ally's bound role", async () => {
    const own = group(150);
    const ally = group(3_000, [PRIVATE]);
    const officers = ally.members.slice(0, 40);
    for (const userId of officers) rbx.addRoleToMember(ally.id, userId, role(ally.id, CAPTAIN));
    const linked = [...own.members, ...ally.members.slice(0, 250)]; // 400 linked: a pass would be 8

    const { result, memberships } = await counted(() =>
      client().readGroupRoleHoldings([own.id, ally.id], linked, { boundRoleIds: new Map([[ally.id, [role(ally.id, CAPTAIN)]]]) }),
    );

    expect(result.plan.groups.map((choice) => [choice.groupId, choice.strategy, choice.requests])).toEqual([
      [own.id, "roster", 2],
      [ally.id, "bound-roles", 1],
    ]);
    expect(memberships).toBe(3);
    // Bound roles show only their holders, with every role those hold.
    expect([...result.holdings.get(ally.id)!.keys()].sort()).toEqual([...officers].sort());
    expect(result.holdings.get(ally.id)!.get(officers[0]!)?.map((held) => held.rank)).toEqual([120, 2, 1]);
  });

  test("legacy hosts (cookie): one request per user lists all of that user's groups; highest role only", async () => {
    const own = group(1_000);
    const ally = group(1_000);
    const linked = [own.members[0]!, own.members[1]!, ally.members[0]!];
    rbx.addRoleToMember(own.id, own.members[0]!, role(own.id, CAPTAIN));

    const { result, perUser, memberships } = await counted(() => client({ cookie: true }).readGroupRoleHoldings([own.id, ally.id], linked));

    expect(result.plan.sharedRequests).toBe(3);
    expect(perUser).toBe(3);
    expect(memberships).toBe(0);
    expect(result.holdings.get(own.id)!.get(own.members[0]!)).toEqual([{ roleId: role(own.id, CAPTAIN), rank: 120 }]);
    expect(result.holdings.get(ally.id)!.size).toBe(1);
  });
});

describe("the port the bulk sync calls", () => {
  test("learns how many groups a guild's linked users are in, so the next plan prices the pass by Roblox's real answer", async () => {
    const own = group(5_000);
    const ally = group(5_000);
    const extraA = group(0);
    const extraB = group(0);
    const linked = own.members.slice(0, 50);
    // Every linked user is in four groups: a batch answer takes two pages, not one.
    for (const userId of linked) {
      rbx.setMembership(ally.id, userId, role(ally.id, PRIVATE));
      rbx.setMembership(extraA.id, userId, role(extraA.id, PRIVATE));
      rbx.setMembership(extraB.id, userId, role(extraB.id, PRIVATE));
    }
    const roblox = client();
    const reader = new GroupMembershipReader(async () => roblox);

    const first = await counted(() => reader.read("guild-1", { groupIds: [own.id, ally.id], robloxUserIds: linked }));
    expect(first.result.plan.sharedRequests).toBe(1); // planned with no knowledge: one page
    expect(first.memberships).toBe(2); // Roblox answered with two

    const second = await counted(() => reader.read("guild-1", { groupIds: [own.id, ally.id], robloxUserIds: linked }));
    expect(second.result.plan.sharedRequests).toBe(2);
    expect(second.memberships).toBe(2);
    expect(second.result.holdings.get(ally.id)!.size).toBe(50);
    // What one guild learned is not another's estimate.
    const other = await reader.read("guild-2", { groupIds: [own.id, ally.id], robloxUserIds: linked });
    expect(other.plan.sharedRequests).toBe(1);
  });

  test("a pass that proves dearer after its first batch (users in many groups) gives way to the groups' own reads", async () => {
    const own = group(500);
    const ally = group(500);
    const linked = own.members.slice(0, 250);
    // Every linked user is in eight groups: a batch of 50 answers with 400 memberships, four pages.
    const extras = Array.from({ length: 6 }, () => group(0));
    for (const userId of linked) {
      rbx.setMembership(ally.id, userId, role(ally.id, PRIVATE));
      for (const extra of extras) rbx.setMembership(extra.id, userId, role(extra.id, PRIVATE));
    }

    const { result, memberships } = await counted(() => client().readGroupRoleHoldings([own.id, ally.id], linked));

    expect(result.plan.sharedRequests).toBe(5); // planned with one group a user
    const perGroup = Math.ceil(501 / 100) + Math.ceil(751 / 100);
    expect(result.plan.alternatives.perGroup).toBe(perGroup);
    expect(result.fellBack).toBe(true);
    expect(result.observedMembershipsPerUser).toBe(8);
    // The first batch's four pages, then the two rosters: fewer than the 20 pages the whole pass takes.
    expect(memberships).toBe(4 + perGroup);
    expect(result.holdings.get(own.id)!.size).toBe(250);
    expect(result.holdings.get(ally.id)!.size).toBe(250);
  });

  test("no linked users: nothing but the planning reads, and an empty map per group", async () => {
    const own = group(10);
    const { result, memberships } = await counted(() => client().readGroupRoleHoldings([own.id], []));
    expect(memberships).toBe(0);
    expect(result.holdings.get(own.id)!.size).toBe(0);
  });
});
