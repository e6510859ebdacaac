import { describe, expect, test } from "bun:test";
import { DEFAULT_MASS_CHANGE_THRESHOLD, isStrippingChange, judgeMassChange, massChangeThresholdOf } from "../../src/sync/mass-change-guard.ts";

describe("judgeMassChange", () => {
  test("held only when MORE than 10% AND MORE than 10 members by default", () => {
    expect(judgeMassChange(11, 100).held).toBe(true);
    expect(judgeMassChange(10, 100).held).toBe(false); // exactly 10%: not more
    expect(judgeMassChange(11, 110).held).toBe(false); // exactly 10% again
    expect(judgeMassChange(10, 20).held).toBe(false); // 50%, but only 10 members
    expect(judgeMassChange(11, 20).held).toBe(true);
    expect(judgeMassChange(500, 20_000).held).toBe(false); // 2.5% of a large guild
    expect(judgeMassChange(2_001, 20_000).held).toBe(true);
  });

  test("an empty answer during an incident (everyone gone) is held", () => {
    const verdict = judgeMassChange(5_000, 5_000);
    expect(verdict).toEqual({ held: true, affected: 5_000, linked: 5_000, threshold: DEFAULT_MASS_CHANGE_THRESHOLD });
  });

  test("the guild's own threshold, with the defaults where it has none", () => {
    expect(massChangeThresholdOf({ massChangePercent: 50, massChangeMembers: null })).toEqual({ percent: 50, members: 10 });
    expect(massChangeThresholdOf(undefined)).toEqual(DEFAULT_MASS_CHANGE_THRESHOLD);
    expect(judgeMassChange(40, 100, { percent: 50, members: 10 }).held).toBe(false);
    expect(judgeMassChange(3, 10, { percent: 0, members: 0 }).held).toBe(true);
  });
});

describe("isStrippingChange", () => {
  const bound = new Set(["rank-a", "rank-b"]);
  const isBound = (id: string) => bound.has(id);

  const rank = { id: 1 } as never;
  const none = { fromRank: null, storedRankChange: null };

  test("newly gone from the group counts, whatever the policy does; long gone with nothing left does not", () => {
    // policy "flag": still shows a rank, nothing is sent
    expect(isStrippingChange({ kind: "left-group", removeRoleIds: [], nextRoleIds: null, fromRank: rank, storedRankChange: null }, isBound)).toBe(true);
    // policy "remove": roles and the stored rank go
    expect(isStrippingChange({ kind: "left-group", removeRoleIds: ["rank-a"], nextRoleIds: ["verified"], fromRank: rank, storedRankChange: { fromRankId: 1, toRankId: null } }, isBound)).toBe(true);
    // not in the server, stored rank still set
    expect(isStrippingChange({ kind: "left-group", removeRoleIds: [], nextRoleIds: null, fromRank: null, storedRankChange: { fromRankId: 1, toRankId: null } }, isBound)).toBe(true);
    // left long ago: no rank shown or stored
    expect(isStrippingChange({ kind: "left-group", removeRoleIds: [], nextRoleIds: null, ...none }, isBound)).toBe(false);
  });

  test("losing the only rank role counts; a swap or a stray second rank role does not", () => {
    expect(isStrippingChange({ kind: "update", removeRoleIds: ["rank-a"], nextRoleIds: ["verified"], ...none }, isBound)).toBe(true);
    expect(isStrippingChange({ kind: "update", removeRoleIds: ["rank-a"], nextRoleIds: ["verified", "rank-b"], ...none }, isBound)).toBe(false);
    expect(isStrippingChange({ kind: "update", removeRoleIds: [], nextRoleIds: ["rank-a"], ...none }, isBound)).toBe(false);
    expect(isStrippingChange({ kind: "in-sync", removeRoleIds: [], nextRoleIds: null, ...none }, isBound)).toBe(false);
  });
});
