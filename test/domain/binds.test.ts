import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  type Bind,
  type BindCondition,
  bindMatches,
  BindSet,
  type HeldRobloxRole,
  type MemberStanding,
  rangeProblem,
  settingBinds,
} from "../../src/ranks/binds.ts";

const GROUP = 100;
const ALLY = 200;
const ROLE = {
  verified: "700000000000000001",
  unverified: "700000000000000002",
  soldier: "700000000000000003",
  officer: "700000000000000004",
  staff: "700000000000000005",
  ally: "700000000000000006",
  allyGuest: "700000000000000007",
  booster: "700000000000000099",
};
const RANK = { soldier: 1, officer: 2 };

let nextId = 1;
const stored = (bind: BindCondition & { roleIds: string[] }, rankRole = false): Bind => ({ ...bind, origin: { kind: "stored", id: nextId++, rankRole } });

/** A guild as a community moving from Bloxlink would set it up. */
const guildBinds = new BindSet([
  stored({ kind: "rank", rankId: RANK.soldier, roleIds: [ROLE.soldier] }, true),
  stored({ kind: "rank", rankId: RANK.officer, roleIds: [ROLE.officer] }, true),
  // Officers also hold Staff; so does anyone ranked 200+ in the group.
  stored({ kind: "rank", rankId: RANK.officer, roleIds: [ROLE.staff] }),
  stored({ kind: "range", groupId: GROUP, minRank: 200, maxRank: 255, roleIds: [ROLE.staff] }),
  stored({ kind: "range", groupId: ALLY, minRank: 1, maxRank: 255, roleIds: [ROLE.ally] }),
  stored({ kind: "range", groupId: ALLY, minRank: 0, maxRank: 0, roleIds: [ROLE.allyGuest] }),
  ...settingBinds({ verifiedRoleId: ROLE.verified, unverifiedRoleId: ROLE.unverified }),
]);

function standing(partial: Partial<Omit<MemberStanding, "groups">> & { groups?: Record<number, HeldRobloxRole[]> }): MemberStanding {
  return {
    linked: partial.linked ?? true,
    rankIds: partial.rankIds ?? [],
    groups: new Map(Object.entries(partial.groups ?? {}).map(([id, roles]) => [Number(id), roles])),
    ...(partial.unknownGroupIds && { unknownGroupIds: partial.unknownGroupIds }),
  };
}

describe("bind resolver", () => {
  test("overlapping binds: wanted is the union, each role once", () => {
    const officer = standing({ rankIds: [RANK.officer], groups: { [GROUP]: [{ roleId: 2, rank: 200 }], [ALLY]: [{ roleId: 9, rank: 5 }] } });
    expect([...guildBinds.wanted(officer)].sort()).toEqual([ROLE.officer, ROLE.staff, ROLE.ally, ROLE.verified].sort());
    const changes = guildBinds.changes(officer, [ROLE.soldier, ROLE.booster, ROLE.unverified]);
    expect(changes.add.toSorted()).toEqual([ROLE.officer, ROLE.staff, ROLE.ally, ROLE.verified].sort());
    expect(changes.remove.toSorted()).toEqual([ROLE.soldier, ROLE.unverified].sort());
  });

  test("a role given by one bind and managed by another stays while any matching bind gives it", () => {
    // Ranked 250 in the group without the Officer ladder rank: the range bind alone gives Staff.
    const rangeOnly = standing({ rankIds: [RANK.soldier], groups: { [GROUP]: [{ roleId: 1, rank: 250 }] } });
    expect(guildBinds.changes(rangeOnly, [ROLE.soldier, ROLE.staff, ROLE.verified]).remove).toEqual([]);
    // Rank 10: neither bind gives Staff, so it goes.
    const low = standing({ rankIds: [RANK.soldier], groups: { [GROUP]: [{ roleId: 1, rank: 10 }] } });
    expect(guildBinds.changes(low, [ROLE.soldier, ROLE.staff, ROLE.verified]).remove).toEqual([ROLE.staff]);
    expect(guildBinds.giversOf(ROLE.staff).map((bind) => bind.kind)).toEqual(["rank", "range"]);
  });

  test("guests: an absent or empty group is rank 0; an unlinked member matches no range, not even 0", () => {
    const notInAlly = standing({ rankIds: [RANK.soldier], groups: { [GROUP]: [{ roleId: 1, rank: 10 }] } });
    expect(guildBinds.wanted(notInAlly).has(ROLE.allyGuest)).toBe(true);
    expect(guildBinds.wanted(standing({ rankIds: [RANK.soldier], groups: { [ALLY]: [] } })).has(ROLE.allyGuest)).toBe(true);
    const unlinked = standing({ linked: false });
    expect([...guildBinds.wanted(unlinked)]).toEqual([ROLE.unverified]);
    expect(guildBinds.changes(unlinked, [ROLE.verified, ROLE.soldier, ROLE.allyGuest, ROLE.booster]).remove.toSorted()).toEqual(
      [ROLE.verified, ROLE.soldier, ROLE.allyGuest].sort(),
    );
  });

  test("several Roblox roles in one group: a range matches any role held", () => {
    const twoRoles = standing({ rankIds: [RANK.soldier], groups: { [GROUP]: [{ roleId: 1, rank: 10 }, { roleId: 7, rank: 220 }] } });
    expect(guildBinds.wanted(twoRoles).has(ROLE.staff)).toBe(true);
    const twoRanks = standing({ rankIds: [RANK.soldier, RANK.officer] });
    expect(guildBinds.wanted(twoRanks)).toEqual(new Set([ROLE.soldier, ROLE.officer, ROLE.staff, ROLE.verified, ROLE.allyGuest]));
  });

  test("a group that could not be read neither gives nor takes the roles only its binds give", () => {
    const unknownAlly = standing({ rankIds: [RANK.soldier], unknownGroupIds: new Set([ALLY]) });
    expect(bindMatches({ kind: "range", groupId: ALLY, minRank: 0, maxRank: 0 }, unknownAlly)).toBeUndefined();
    const changes = guildBinds.changes(unknownAlly, [ROLE.soldier, ROLE.verified, ROLE.ally]);
    expect(changes).toMatchObject({ add: [], remove: [] });
  });

  test("ranges: 0-255 only, integers, min not above max", () => {
    expect(rangeProblem(0, 0)).toBeNull();
    expect(rangeProblem(1, 255)).toBeNull();
    expect(rangeProblem(-1, 5)).toBe("out-of-range");
    expect(rangeProblem(5, 256)).toBe("out-of-range");
    expect(rangeProblem(9, 3)).toBe("min-above-max");
    expect(rangeProblem(1.5, 3)).toBe("not-integer");
  });
});

// Generated guilds: a handful of roles, ranks and groups, so binds overlap often.
const roleId = fc.constantFrom(...Object.values(ROLE));
const rankNumber = fc.integer({ min: 0, max: 255 });
const bindArb: fc.Arbitrary<Bind> = fc.oneof(
  fc.record({ kind: fc.constant("rank" as const), rankId: fc.integer({ min: 1, max: 4 }) }),
  fc
    .record({ kind: fc.constant("range" as const), groupId: fc.constantFrom(GROUP, ALLY), a: rankNumber, b: rankNumber })
    .map(({ kind, groupId, a, b }) => ({ kind, groupId, minRank: Math.min(a, b), maxRank: Math.max(a, b) })),
  fc.constantFrom({ kind: "linked" as const }, { kind: "unlinked" as const }),
).chain((condition) =>
  fc.uniqueArray(roleId, { minLength: 1, maxLength: 3 }).map((roleIds) => ({ ...condition, roleIds, origin: { kind: "stored", id: 0, rankRole: false } }) as Bind),
);
const standingArb: fc.Arbitrary<MemberStanding> = fc
  .record({
    linked: fc.boolean(),
    rankIds: fc.uniqueArray(fc.integer({ min: 1, max: 4 }), { maxLength: 2 }),
    group: fc.array(fc.record({ roleId: fc.integer({ min: 1, max: 50 }), rank: rankNumber }), { maxLength: 3 }),
    ally: fc.option(fc.array(fc.record({ roleId: fc.integer({ min: 1, max: 50 }), rank: rankNumber }), { maxLength: 3 })),
  })
  .map(({ linked, rankIds, group, ally }) => ({
    linked,
    rankIds,
    groups: new Map<number, HeldRobloxRole[]>([[GROUP, group], ...(ally ? [[ALLY, ally] as [number, HeldRobloxRole[]]] : [])]),
  }));
const heldArb = fc.uniqueArray(roleId, { maxLength: 6 });

describe("bind resolver properties", () => {
  test("after applying the changes the member holds exactly: unmanaged roles as before, plus the wanted roles", () => {
    fc.assert(
      fc.property(fc.array(bindArb, { maxLength: 8 }), standingArb, heldArb, (binds, member, held) => {
        const set = new BindSet(binds);
        const { wanted, add, remove } = set.changes(member, held);
        const after = new Set([...held.filter((id) => !remove.includes(id)), ...add]);
        for (const id of held) if (!set.isManaged(id)) expect(after.has(id)).toBe(true);
        for (const id of after) expect(set.isManaged(id) ? wanted.has(id) : held.includes(id)).toBe(true);
        for (const id of wanted) expect(after.has(id)).toBe(true);
        // No role is both added and removed, and nothing unmanaged is ever listed.
        for (const id of add) expect(remove.includes(id) || !set.isManaged(id)).toBe(false);
        for (const id of remove) expect(set.isManaged(id) && held.includes(id)).toBe(true);
      }),
    );
  });

  test("wanted is the union of the matching binds' roles, whatever their order", () => {
    fc.assert(
      fc.property(fc.array(bindArb, { maxLength: 8 }), standingArb, (binds, member) => {
        const expected = new Set(binds.filter((bind) => bindMatches(bind, member)).flatMap((bind) => bind.roleIds));
        expect(new BindSet(binds).wanted(member)).toEqual(expected);
        expect(new BindSet([...binds].reverse()).wanted(member)).toEqual(expected);
      }),
    );
  });

  test("applying the changes twice changes nothing the second time", () => {
    fc.assert(
      fc.property(fc.array(bindArb, { maxLength: 8 }), standingArb, heldArb, (binds, member, held) => {
        const set = new BindSet(binds);
        const first = set.changes(member, held);
        const after = [...held.filter((id) => !first.remove.includes(id)), ...first.add];
        expect(set.changes(member, after)).toMatchObject({ add: [], remove: [] });
      }),
    );
  });

  test("every managed role names the binds that give it, and only those", () => {
    fc.assert(
      fc.property(fc.array(bindArb, { maxLength: 8 }), (binds) => {
        const set = new BindSet(binds);
        for (const [id, givers] of set.byRole()) {
          expect(givers.length).toBeGreaterThan(0);
          for (const bind of givers) expect(bind.roleIds).toContain(id);
          expect(givers.length).toBe(new Set(binds.filter((bind) => bind.roleIds.includes(id))).size);
        }
        expect(set.managedRoleIds).toEqual(new Set(binds.flatMap((bind) => bind.roleIds)));
      }),
    );
  });
});
