import { describe, expect, test } from "bun:test";
import { RankLadder, type Rank, type RobloxMembership } from "../../src/ranks/ladder.ts";
import { planSync, type LinkedAccount, type SyncInput, type SyncItem, type SyncOptions } from "../../src/sync/planner.ts";
import { RANKS, ROLE, militaryLadder } from "./fixtures.ts";

const ladder = militaryLadder();
const membershipOf = (r: Rank): RobloxMembership => ({ roleId: r.robloxRoleId, rank: r.robloxRank });

interface Member {
  discordId: string;
  robloxUserId: number;
  storedRankId?: number | null;
  /** undefined: not in the guild */
  roles?: string[];
  /** undefined: not fetched; null: not in the group */
  roblox?: RobloxMembership | null;
  pending?: number;
}

let nextId = 0;
function member(fields: Omit<Member, "discordId" | "robloxUserId"> & Partial<Pick<Member, "discordId" | "robloxUserId">>): Member {
  nextId++;
  return { discordId: `1300000000000${String(nextId).padStart(6, "0")}`, robloxUserId: 500_000 + nextId, ...fields };
}

function inputFor(members: Member[], options: Partial<SyncOptions> = {}, useLadder: RankLadder = ladder): SyncInput {
  const links: LinkedAccount[] = members.map((m) => ({
    discordId: m.discordId,
    robloxUserId: m.robloxUserId,
    robloxUsername: `Player${m.robloxUserId}`,
    storedRankId: m.storedRankId ?? null,
  }));
  const robloxMemberships = new Map<number, RobloxMembership | null>();
  const discordMemberRoles = new Map<string, string[] | undefined>();
  const pendingRobloxWrites = new Map<number, number>();
  for (const m of members) {
    if (m.roblox !== undefined) robloxMemberships.set(m.robloxUserId, m.roblox);
    if (m.roles !== undefined) discordMemberRoles.set(m.discordId, m.roles);
    if (m.pending !== undefined) pendingRobloxWrites.set(m.robloxUserId, m.pending);
  }
  return { robloxMemberships, links, ladder: useLadder, discordMemberRoles, pendingRobloxWrites, options: { leftGroupPolicy: "remove", ...options } };
}

function planOne(m: Member, options: Partial<SyncOptions> = {}): SyncItem {
  const plan = planSync(inputFor([m], options));
  expect(plan.items).toHaveLength(1);
  return plan.items[0]!;
}

describe("a member who already agrees", () => {
  test("is in sync and needs no request", () => {
    const item = planOne(member({ storedRankId: RANKS.soldier.id, roles: [ROLE.member, ROLE.soldier], roblox: membershipOf(RANKS.soldier) }));
    expect(item).toMatchObject({ kind: "in-sync", addRoleIds: [], removeRoleIds: [], nextRoleIds: null, storedRankChange: null });
    expect(item.fromRank?.id).toBe(RANKS.soldier.id);
    expect(item.toRank?.id).toBe(RANKS.soldier.id);
  });
});

describe("a member whose Roblox rank changed", () => {
  test("gets the new role, loses the old, keeps the rest, in one role set", () => {
    const m = member({ storedRankId: RANKS.enlist.id, roles: [ROLE.booster, ROLE.enlist, ROLE.member], roblox: membershipOf(RANKS.soldier) });
    const item = planOne(m);
    expect(item).toMatchObject({
      kind: "update",
      discordId: m.discordId,
      robloxUserId: m.robloxUserId,
      robloxUsername: `Player${m.robloxUserId}`,
      addRoleIds: [ROLE.soldier],
      removeRoleIds: [ROLE.enlist],
      nextRoleIds: [ROLE.booster, ROLE.member, ROLE.soldier],
      storedRankChange: { fromRankId: RANKS.enlist.id, toRankId: RANKS.soldier.id },
      fromPendingWrite: false,
    });
    expect(item.fromRank?.id).toBe(RANKS.enlist.id);
    expect(item.toRank?.id).toBe(RANKS.soldier.id);
  });

  test("holding two rank roles: the wrong one goes", () => {
    const item = planOne(member({ storedRankId: RANKS.sergeant.id, roles: [ROLE.soldier, ROLE.sergeant], roblox: membershipOf(RANKS.sergeant) }));
    expect(item).toMatchObject({ kind: "update", addRoleIds: [], removeRoleIds: [ROLE.soldier], nextRoleIds: [ROLE.sergeant], storedRankChange: null });
  });

  test("holding two rank roles, neither right: both go", () => {
    const item = planOne(member({ storedRankId: RANKS.corporal.id, roles: [ROLE.soldier, ROLE.sergeant], roblox: membershipOf(RANKS.corporal) }));
    expect(item.addRoleIds).toEqual([ROLE.corporal]);
    expect([...item.removeRoleIds].sort()).toEqual([ROLE.soldier, ROLE.sergeant].sort());
    expect(item.nextRoleIds).toEqual([ROLE.corporal]);
  });

  test("a duplicated role id in the member's list is not duplicated in the next set", () => {
    const item = planOne(member({ roles: [ROLE.member, ROLE.member, ROLE.enlist], roblox: membershipOf(RANKS.soldier), storedRankId: RANKS.soldier.id }));
    expect(item.nextRoleIds).toEqual([ROLE.member, ROLE.soldier]);
  });

  test("only the stored rank is behind: an update with no Discord request", () => {
    const item = planOne(member({ storedRankId: RANKS.enlist.id, roles: [ROLE.soldier], roblox: membershipOf(RANKS.soldier) }));
    expect(item).toMatchObject({ kind: "update", nextRoleIds: null, storedRankChange: { fromRankId: RANKS.enlist.id, toRankId: RANKS.soldier.id } });
  });

  test("a rank with no Discord role: other rank roles are removed, nothing added", () => {
    const item = planOne(member({ storedRankId: RANKS.lieutenant.id, roles: [ROLE.sergeant, ROLE.member], roblox: membershipOf(RANKS.lieutenant) }));
    expect(item).toMatchObject({ kind: "update", addRoleIds: [], removeRoleIds: [ROLE.sergeant], nextRoleIds: [ROLE.member] });
    const settled = planOne(member({ storedRankId: RANKS.lieutenant.id, roles: [ROLE.member], roblox: membershipOf(RANKS.lieutenant) }));
    expect(settled.kind).toBe("in-sync");
  });
});

describe("members the planner must not touch", () => {
  test("a Roblox role missing from the ladder", () => {
    const item = planOne(member({ storedRankId: RANKS.soldier.id, roles: [ROLE.soldier], roblox: { roleId: 9999, rank: 7 } }));
    expect(item).toMatchObject({ kind: "unranked-role", nextRoleIds: null, storedRankChange: null, toRank: null });
    expect(item.fromRank?.id).toBe(RANKS.soldier.id);
  });

  test("no Roblox answer for the user", () => {
    const item = planOne(member({ storedRankId: RANKS.soldier.id, roles: [ROLE.enlist] }));
    expect(item).toMatchObject({ kind: "roblox-unknown", nextRoleIds: null, storedRankChange: null });
  });

  test("an empty ladder ranks nobody and changes nothing", () => {
    const plan = planSync(inputFor([member({ roles: [ROLE.soldier], roblox: { roleId: 2002, rank: 3 } })], {}, new RankLadder([])));
    expect(plan.items[0]?.kind).toBe("unranked-role");
    expect(plan.changes).toEqual([]);
  });
});

describe("members not in the guild", () => {
  test("get no role changes, but the stored rank still follows Roblox", () => {
    const item = planOne(member({ storedRankId: RANKS.enlist.id, roblox: membershipOf(RANKS.corporal) }));
    expect(item).toMatchObject({ kind: "not-in-guild", nextRoleIds: null, addRoleIds: [], removeRoleIds: [] });
    expect(item.storedRankChange).toEqual({ fromRankId: RANKS.enlist.id, toRankId: RANKS.corporal.id });
    expect(item.fromRank?.id).toBe(RANKS.enlist.id);
  });

  test("an explicit undefined entry means the same", () => {
    const m = member({ storedRankId: RANKS.corporal.id, roblox: membershipOf(RANKS.corporal) });
    const input = inputFor([m]);
    (input.discordMemberRoles as Map<string, string[] | undefined>).set(m.discordId, undefined);
    const plan = planSync(input);
    expect(plan.items[0]).toMatchObject({ kind: "not-in-guild", storedRankChange: null });
    expect(plan.changes).toEqual([]);
  });
});

describe("members who left the Roblox group", () => {
  const leaver = () => member({ storedRankId: RANKS.corporal.id, roles: [ROLE.member, ROLE.corporal], roblox: null });

  test("policy remove: rank roles stripped and stored rank cleared", () => {
    const item = planOne(leaver(), { leftGroupPolicy: "remove" });
    expect(item).toMatchObject({
      kind: "left-group",
      toRank: null,
      addRoleIds: [],
      removeRoleIds: [ROLE.corporal],
      nextRoleIds: [ROLE.member],
      storedRankChange: { fromRankId: RANKS.corporal.id, toRankId: null },
    });
  });

  test("policy flag: reported, nothing changed", () => {
    const item = planOne(leaver(), { leftGroupPolicy: "flag" });
    expect(item).toMatchObject({ kind: "left-group", nextRoleIds: null, removeRoleIds: [], storedRankChange: null });
  });

  test("policy remove, already stripped: still reported, nothing to apply", () => {
    const plan = planSync(inputFor([member({ roles: [ROLE.member], roblox: null })]));
    expect(plan.items[0]?.kind).toBe("left-group");
    expect(plan.changes).toEqual([]);
  });
});

describe("pending Roblox writes", () => {
  test("a pending promotion is not reverted by Roblox's stale answer", () => {
    const item = planOne(
      member({ storedRankId: RANKS.corporal.id, roles: [ROLE.corporal], roblox: membershipOf(RANKS.soldier), pending: RANKS.corporal.robloxRoleId }),
    );
    expect(item).toMatchObject({ kind: "in-sync", nextRoleIds: null, storedRankChange: null, fromPendingWrite: true });
    expect(item.toRank?.id).toBe(RANKS.corporal.id);
  });

  test("the pending target is applied where Discord lags behind it", () => {
    const item = planOne(member({ storedRankId: RANKS.corporal.id, roles: [ROLE.soldier], roblox: membershipOf(RANKS.soldier), pending: RANKS.corporal.robloxRoleId }));
    expect(item).toMatchObject({ kind: "update", addRoleIds: [ROLE.corporal], removeRoleIds: [ROLE.soldier], fromPendingWrite: true });
  });

  test("applies even when Roblox says the member left or could not be read", () => {
    expect(planOne(member({ roles: [ROLE.corporal], storedRankId: RANKS.corporal.id, roblox: null, pending: RANKS.corporal.robloxRoleId })).kind).toBe("in-sync");
    expect(planOne(member({ roles: [ROLE.corporal], storedRankId: RANKS.corporal.id, pending: RANKS.corporal.robloxRoleId })).kind).toBe("in-sync");
  });

  test("a pending write to a role off the ladder touches nothing", () => {
    expect(planOne(member({ roles: [ROLE.corporal], roblox: membershipOf(RANKS.corporal), pending: 9999 })).kind).toBe("unranked-role");
  });
});

describe("the rank filter", () => {
  const members = () => [
    member({ storedRankId: RANKS.enlist.id, roles: [ROLE.enlist], roblox: membershipOf(RANKS.soldier) }), // target in filter
    member({ storedRankId: RANKS.enlist.id, roles: [ROLE.soldier], roblox: membershipOf(RANKS.enlist) }), // Discord role in filter
    member({ storedRankId: RANKS.soldier.id, roles: [], roblox: null }), // stored rank in filter
    member({ storedRankId: RANKS.sergeant.id, roles: [ROLE.sergeant], roblox: membershipOf(RANKS.commander) }), // none
  ];

  test("keeps members whose target, shown or stored rank is filtered in", () => {
    const list = members();
    const plan = planSync(inputFor(list, { rankFilter: new Set([RANKS.soldier.id]) }));
    expect(plan.items.map((i) => i.discordId)).toEqual(list.slice(0, 3).map((m) => m.discordId));
    expect(plan.counts.filteredOut).toBe(1);
    expect(plan.counts.total).toBe(3);
  });

  test("an empty filter keeps nobody; no filter keeps everybody", () => {
    expect(planSync(inputFor(members(), { rankFilter: new Set() })).items).toHaveLength(0);
    expect(planSync(inputFor(members())).items).toHaveLength(4);
  });
});

describe("duplicate links", () => {
  test("a second link for the same Discord account is reported, not planned", () => {
    const first = member({ storedRankId: RANKS.soldier.id, roles: [ROLE.soldier], roblox: membershipOf(RANKS.corporal) });
    const second = member({ discordId: first.discordId, roblox: membershipOf(RANKS.enlist), roles: [ROLE.soldier] });
    const plan = planSync(inputFor([first, second]));
    expect(plan.items.map((i) => i.kind)).toEqual(["update", "duplicate-link"]);
    expect(plan.changes).toHaveLength(1);
    expect(plan.changes[0]?.robloxUserId).toBe(first.robloxUserId);
  });
});

describe("counts", () => {
  test("add up and match the items", () => {
    const plan = planSync(
      inputFor(
        [
          member({ storedRankId: RANKS.soldier.id, roles: [ROLE.soldier], roblox: membershipOf(RANKS.soldier) }),
          member({ storedRankId: RANKS.soldier.id, roles: [ROLE.soldier], roblox: membershipOf(RANKS.corporal) }),
          member({ storedRankId: RANKS.soldier.id, roblox: membershipOf(RANKS.corporal) }),
          member({ storedRankId: RANKS.soldier.id, roles: [ROLE.soldier], roblox: null }),
          member({ roles: [ROLE.soldier] }),
        ],
        { leftGroupPolicy: "remove" },
      ),
    );
    expect(plan.counts).toEqual({
      update: 1,
      "in-sync": 1,
      "left-group": 1,
      "not-in-guild": 1,
      "unranked-role": 0,
      "roblox-unknown": 1,
      "duplicate-link": 0,
      total: 5,
      filteredOut: 0,
      discordUpdates: 2,
      storedRankUpdates: 3,
    });
    expect(plan.changes.map((i) => i.kind)).toEqual(["update", "not-in-guild", "left-group"]);
  });
});

describe("a guild with 100,000 linked members", () => {
  test("every member is planned correctly", () => {
    const N = 100_000;
    const ranks = ladder.ranks;
    const links: LinkedAccount[] = [];
    const robloxMemberships = new Map<number, RobloxMembership | null>();
    const discordMemberRoles = new Map<string, string[] | undefined>();
    const pendingRobloxWrites = new Map<number, number>();
    const expectedKind: string[] = [];

    for (let i = 0; i < N; i++) {
      const discordId = String(1_200_000_000_000_000_000n + BigInt(i));
      const robloxUserId = 1_000_000 + i;
      const target = ranks[i % ranks.length]!;
      const shown = ranks[(i * 7) % ranks.length]!;
      const scenario = i % 10;
      links.push({ discordId, robloxUserId, robloxUsername: `u${i}`, storedRankId: target.id });
      const roles = [ROLE.member, ...(shown.discordRoleId ? [shown.discordRoleId] : [])];
      if (scenario === 8) {
        robloxMemberships.set(robloxUserId, null);
        discordMemberRoles.set(discordId, roles);
        expectedKind.push("left-group");
        continue;
      }
      if (scenario === 9) {
        robloxMemberships.set(robloxUserId, membershipOf(target));
        expectedKind.push("not-in-guild");
        continue;
      }
      if (scenario === 7) {
        // Roblox still shows the old rank; our write to `target` is pending.
        robloxMemberships.set(robloxUserId, membershipOf(ranks[0]!));
        pendingRobloxWrites.set(robloxUserId, target.robloxRoleId);
      } else {
        robloxMemberships.set(robloxUserId, membershipOf(target));
      }
      discordMemberRoles.set(discordId, scenario < 3 ? [ROLE.member, ...(target.discordRoleId ? [target.discordRoleId] : [])] : roles);
      expectedKind.push("ranked");
    }

    const plan = planSync({ robloxMemberships, links, ladder, discordMemberRoles, pendingRobloxWrites, options: { leftGroupPolicy: "remove" } });
    expect(plan.items).toHaveLength(N);
    expect(plan.counts.total).toBe(N);
    expect(plan.counts["left-group"]).toBe(N / 10);
    expect(plan.counts["not-in-guild"]).toBe(N / 10);
    expect(plan.counts.update + plan.counts["in-sync"]).toBe((N * 8) / 10);

    const bound = ladder.boundDiscordRoleIds();
    for (let i = 0; i < N; i++) {
      const item = plan.items[i]!;
      const link = links[i]!;
      expect(item.discordId).toBe(link.discordId);
      const finalRoles = item.nextRoleIds ?? discordMemberRoles.get(link.discordId) ?? [];
      const rankRoles = finalRoles.filter((roleId) => bound.has(roleId));
      if (expectedKind[i] === "ranked") {
        const target = ranks[i % ranks.length]!;
        // Exactly the target's role among rank roles, never the stale Roblox rank of a pending write.
        expect(rankRoles).toEqual(target.discordRoleId ? [target.discordRoleId] : []);
        expect(finalRoles).toContain(ROLE.member);
        expect(item.toRank).toBe(target);
        expect(item.kind).toBe(item.nextRoleIds ? "update" : "in-sync");
        expect(item.fromPendingWrite).toBe(i % 10 === 7);
      } else if (expectedKind[i] === "left-group") {
        expect(item.kind).toBe("left-group");
        expect(rankRoles).toEqual([]);
        expect(item.storedRankChange?.toRankId).toBeNull();
      } else {
        expect(item.kind).toBe("not-in-guild");
        expect(item.nextRoleIds).toBeNull();
      }
    }
  });
});
