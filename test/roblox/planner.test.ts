import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { RobloxClient } from "../../src/roblox/client.ts";
import { planGroupsLookup, planRankLookup, type RankLookupStrategy } from "../../src/roblox/planner.ts";
import { BOT_COOKIE, clientFor, expectRequestsMatchSpec, GROUP_ID, KEYS, ROLE, startWorld, type RobloxEmulator } from "./world.ts";

describe("planGroupsLookup (pure): several groups, one shared pass or each group's own read", () => {
  test("one pass over the linked users answers every group: paid once, chosen when cheaper than the groups' own reads", () => {
    const plan = planGroupsLookup({ groups: [{ groupId: 1, memberCount: 100_000 }, { groupId: 2, memberCount: 20_000 }], linkedCount: 120 });
    expect(plan.sharedRequests).toBe(3);
    expect(plan.requests).toBe(3);
    expect(plan.alternatives).toEqual({ perGroup: 1000 + 200, sharedPass: 3 });
    expect(plan.groups.map((group) => [group.groupId, group.strategy, group.requests])).toEqual([
      [1, "linked-users", 0],
      [2, "linked-users", 0],
    ]);
  });

  test("each group its cheapest own read (roster or bound roles) when their sum is below the pass", () => {
    const plan = planGroupsLookup({
      groups: [
        { groupId: 1, memberCount: 900 },
        { groupId: 2, memberCount: 80_000, boundRoles: [{ roleId: 21, memberCount: 120 }] },
      ],
      linkedCount: 1_000,
    });
    expect(plan.groups.map((group) => [group.groupId, group.strategy, group.requests, group.boundRoleIds])).toEqual([
      [1, "roster", 9, []],
      [2, "bound-roles", 2, [21]],
    ]);
    expect(plan).toMatchObject({ sharedRequests: 0, requests: 11, alternatives: { perGroup: 11, sharedPass: 20 } });
  });

  test("users in many groups make each batch take more pages: the pass is priced by that", () => {
    const input = { groups: [{ groupId: 1, memberCount: 500 }, { groupId: 2, memberCount: 400 }], linkedCount: 120 };
    expect(planGroupsLookup(input)).toMatchObject({ sharedRequests: 3, alternatives: { perGroup: 9, sharedPass: 3 } });
    // 50 users x 8 groups = 400 memberships = 4 pages a full batch; the last batch of 20: 160 = 2 pages.
    const crowded = planGroupsLookup({ ...input, membershipsPerUser: 8 });
    expect(crowded.alternatives.sharedPass).toBe(4 + 4 + 2);
    expect(crowded.groups.map((group) => group.strategy)).toEqual(["roster", "roster"]);
    expect(crowded.requests).toBe(9);
  });

  test("legacy hosts: one request per user, each listing all of that user's groups; nothing linked costs nothing", () => {
    expect(planGroupsLookup({ groups: [{ groupId: 1, memberCount: 50_000 }, { groupId: 2, memberCount: 50_000 }], linkedCount: 40, family: "legacy" })).toMatchObject({
      sharedRequests: 40,
      requests: 40,
    });
    expect(planGroupsLookup({ groups: [{ groupId: 1, memberCount: 50_000 }], linkedCount: 0 })).toMatchObject({ requests: 0, sharedRequests: 0 });
  });
});

describe("planRankLookup (pure)", () => {
  test("chooses the cheapest strategy and says how many requests and how long", () => {
    const cases: Array<{ input: Parameters<typeof planRankLookup>[0]; strategy: RankLookupStrategy; requests: number }> = [
      // Few linked members in a big group: batches of 50.
      { input: { memberCount: 100_000, linkedCount: 120 }, strategy: "linked-users", requests: 3 },
      // Most of a small group linked: the roster is cheaper.
      { input: { memberCount: 900, linkedCount: 800 }, strategy: "roster", requests: 9 },
      // Only two small roles bound: their member lists.
      {
        input: { memberCount: 50_000, linkedCount: 20_000, boundRoles: [{ roleId: 1, memberCount: 150 }, { roleId: 2, memberCount: 30 }] },
        strategy: "bound-roles",
        requests: 3,
      },
      // A bound role without a count cannot be costed: not chosen.
      {
        input: { memberCount: 30_000, linkedCount: 20_000, boundRoles: [{ roleId: 1, memberCount: null }] },
        strategy: "roster",
        requests: 300,
      },
      // Legacy hosts have no batch lookup: one request per linked user.
      { input: { memberCount: 1_000, linkedCount: 40, family: "legacy" }, strategy: "roster", requests: 10 },
      { input: { memberCount: 10_000, linkedCount: 40, family: "legacy" }, strategy: "linked-users", requests: 40 },
      // Nothing linked: nothing to read.
      { input: { memberCount: 10_000, linkedCount: 0 }, strategy: "linked-users", requests: 0 },
    ];
    for (const { input, strategy, requests } of cases) {
      expect(planRankLookup(input)).toMatchObject({ strategy, requests });
    }
  });

  test("the estimate is requests ÷ the rate, and every option is listed cheapest first", () => {
    const plan = planRankLookup({
      memberCount: 30_000,
      linkedCount: 5_000,
      boundRoles: [{ roleId: 5, memberCount: 1_234 }],
    });
    expect(plan).toMatchObject({ strategy: "bound-roles", requests: 13, estimatedSeconds: 2.6, boundRoleIds: [5] });
    expect(plan.options.map((option) => [option.strategy, option.requests, option.estimatedSeconds])).toEqual([
      ["bound-roles", 13, 2.6],
      ["linked-users", 100, 20],
      ["roster", 300, 60],
    ]);
    expect(planRankLookup({ memberCount: 30_000, linkedCount: 0, perMinute: 60 }).options[1]).toEqual({
      strategy: "roster",
      requests: 300,
      estimatedSeconds: 300,
    });
  });
});

describe("readLinkedRanks runs the chosen strategy against Roblox", () => {
  let rbx: RobloxEmulator;
  let openCloud: RobloxClient;
  let cookie: RobloxClient;
  let seeded: number[];

  beforeAll(async () => {
    rbx = await startWorld();
    seeded = rbx.bulkSeed(GROUP_ID, 1_000, { roles: { [ROLE.private]: 8, [ROLE.corporal]: 2, [ROLE.sergeant]: 1 } });
    openCloud = clientFor(rbx, { apiKey: KEYS.good });
    cookie = clientFor(rbx, { cookie: BOT_COOKIE });
  });

  afterEach(() => {
    expectRequestsMatchSpec(rbx);
    rbx.requests.length = 0;
  });

  afterAll(async () => {
    await Promise.all([openCloud.close(), cookie.close()]);
    await rbx.close();
  });

  const truth = (ids: number[]) =>
    new Map(
      ids.flatMap((id) => {
        const membership = rbx.membership(GROUP_ID, id);
        return membership ? [[id, { roleId: membership.roleId, rank: membership.rank }] as const] : [];
      }),
    );

  test("few linked users: batches, counted with the planning reads", async () => {
    const linked = [...seeded.slice(0, 75), 424_242];
    const result = await openCloud.readLinkedRanks(GROUP_ID, linked);
    expect(result.plan).toMatchObject({ strategy: "linked-users", requests: 2 });
    expect(result.ranks).toEqual(truth(linked));
    // group (member count) + 2 batches + roles (to turn role ids into ranks).
    expect(result.requests).toBe(4);
    expect(rbx.requests).toHaveLength(4);
  });

  test("most members linked: the roster", async () => {
    const linked = seeded.slice(0, 900);
    const result = await openCloud.readLinkedRanks(GROUP_ID, linked);
    expect(result.plan).toMatchObject({ strategy: "roster", requests: 11 });
    expect(result.ranks).toEqual(truth(linked));
    expect(rbx.requests.filter((request) => request.path.endsWith("/memberships"))).toHaveLength(11);
    expect(result.requests).toBe(rbx.requests.length);
  });

  test("bound roles with few members: their member lists; a member of several keeps the highest", async () => {
    const linked = seeded.slice(0, 900);
    const sergeants = linked.filter((id) => rbx.membership(GROUP_ID, id)?.roleId === ROLE.sergeant);
    const bothRoles = sergeants[0]!;
    rbx.addRoleToMember(GROUP_ID, bothRoles, ROLE.captain);
    const result = await openCloud.readLinkedRanks(GROUP_ID, linked, { boundRoleIds: [ROLE.sergeant, ROLE.captain] });
    expect(result.plan.strategy).toBe("bound-roles");
    expect(result.plan.requests).toBe(result.plan.options[0]!.requests);
    expect(result.ranks.get(bothRoles)).toEqual({ roleId: ROLE.captain, rank: 120 });
    // Every role held, merged from both lists, highest first.
    expect(result.held.get(bothRoles)).toEqual([
      { roleId: ROLE.captain, rank: 120 },
      { roleId: ROLE.sergeant, rank: 20 },
      { roleId: ROLE.recruit, rank: 1 },
    ]);
    expect(result.ranks).toEqual(truth(sergeants));
    expect(rbx.requests.filter((request) => request.query.filter?.startsWith("role =="))).toHaveLength(result.plan.requests);
    rbx.setMembership(GROUP_ID, bothRoles, ROLE.sergeant);
  });

  test("a plan made earlier is used as given, and the legacy hosts work the same way", async () => {
    const linked = seeded.slice(0, 30);
    const plan = planRankLookup({ memberCount: 1_004, linkedCount: linked.length, family: "legacy" });
    expect(plan).toMatchObject({ strategy: "roster", requests: 11 });
    const result = await cookie.readLinkedRanks(GROUP_ID, linked, { plan });
    expect(result.ranks).toEqual(truth(linked));
    expect(rbx.requests.filter((request) => request.path.endsWith("/users"))).toHaveLength(11);
    expect(rbx.requests.every((request) => request.service === "groups")).toBe(true);
  });
});
