import { describe, expect, test } from "bun:test";
import {
  AlreadyAtBottomRankError,
  AlreadyAtTopRankError,
  AmbiguousRankError,
  InvalidLadderError,
  RankLadder,
  RankNotInLadderError,
  UnknownRankError,
  formatRank,
} from "../../src/ranks/ladder.ts";
import { GUEST, RANKS, ROLE, militaryLadder, rank } from "./fixtures.ts";
import { describeLadderDefect, describeLadderError } from "../../src/discord/views/rank-rules.ts";

const ladder = militaryLadder();

describe("building a ladder", () => {
  test("orders rungs by position whatever the input order, and leaves Guest out", () => {
    expect(ladder.ranks.map((r) => r.name)).toEqual([
      "E0 | Enlist",
      "E1 | Soldier",
      "E2 | Corporal",
      "E5 | Sergeant",
      "O1 | Lieutenant",
      "Commander",
      "Owner",
    ]);
    expect(ladder.byRobloxRank(0)).toBeUndefined();
    expect(ladder.byId(GUEST.id)).toBeUndefined();
  });

  test("breaks position ties by Roblox rank", () => {
    const tied = new RankLadder([rank(1, "High", 11, 20, null, 0, 5), rank(2, "Low", 12, 10, null, 0, 5)]);
    expect(tied.ranks.map((r) => r.name)).toEqual(["Low", "High"]);
  });

  test("does not share state with the rows it was given", () => {
    const row = { ...RANKS.enlist };
    const built = new RankLadder([row]);
    row.name = "changed";
    expect(built.lowest?.name).toBe("E0 | Enlist");
    expect(Object.isFrozen(built.lowest)).toBe(true);
  });

  test("rejects a Discord role bound to two ranks", () => {
    const error = catchError(() => new RankLadder([RANKS.enlist, { ...RANKS.soldier, discordRoleId: ROLE.enlist }]));
    expect(error).toBeInstanceOf(InvalidLadderError);
    expect((error as InvalidLadderError).defect).toEqual({ kind: "duplicate-discord-role", discordRoleId: ROLE.enlist });
    expect(describeLadderDefect((error as InvalidLadderError).defect)).toBe(`Discord role ${ROLE.enlist} is bound to two ranks.`);
  });

  test("rejects a Roblox role used twice and a repeated rank id", () => {
    expect(() => new RankLadder([RANKS.enlist, { ...RANKS.soldier, robloxRoleId: RANKS.enlist.robloxRoleId }])).toThrow(InvalidLadderError);
    expect(() => new RankLadder([RANKS.enlist, { ...RANKS.soldier, id: RANKS.enlist.id }])).toThrow(InvalidLadderError);
  });

  test("rejects Roblox rank numbers outside 1-255", () => {
    const error = catchError(() => new RankLadder([{ ...RANKS.enlist, robloxRank: 256 }]));
    expect(error).toBeInstanceOf(InvalidLadderError);
    expect(describeLadderDefect((error as InvalidLadderError).defect)).toMatch(/1 to 255/);
    expect(() => new RankLadder([{ ...RANKS.enlist, robloxRank: -1 }])).toThrow(InvalidLadderError);
  });

  test("allows several unbound ranks", () => {
    const unbound = new RankLadder([{ ...RANKS.enlist, discordRoleId: null }, { ...RANKS.soldier, discordRoleId: null }]);
    expect(unbound.size).toBe(2);
    expect(unbound.boundDiscordRoleIds().size).toBe(0);
  });
});

describe("an empty ladder", () => {
  const empty = new RankLadder([GUEST]);

  test("has no rungs and no bound roles", () => {
    expect(empty.isEmpty).toBe(true);
    expect(empty.lowest).toBeUndefined();
    expect(empty.highest).toBeUndefined();
    expect(empty.boundDiscordRoleIds().size).toBe(0);
  });

  test("gives nobody a rank", () => {
    expect(empty.rankHeld([ROLE.soldier])).toBeNull();
    expect(empty.actorRank([ROLE.owner])).toBeNull();
  });

  test("resolves no name and suggests nothing", () => {
    const error = catchError(() => empty.resolveName("Soldier"));
    expect(error).toBeInstanceOf(UnknownRankError);
    expect((error as UnknownRankError).suggestions).toEqual([]);
  });
});

describe("moving along the ladder", () => {
  test("next rank up and down", () => {
    expect(ladder.nextAbove(RANKS.soldier)).toEqual(RANKS.corporal);
    expect(ladder.nextBelow(RANKS.soldier)).toEqual(RANKS.enlist);
    expect(ladder.nextAbove(RANKS.sergeant)).toEqual(RANKS.lieutenant);
  });

  test("the top rank has nothing above it", () => {
    const error = catchError(() => ladder.nextAbove(RANKS.owner));
    expect(error).toBeInstanceOf(AlreadyAtTopRankError);
    expect((error as AlreadyAtTopRankError).rank.id).toBe(RANKS.owner.id);
    expect(describeLadderError(error)).toBe("Owner (Rank 255) is already the highest rank.");
  });

  test("the bottom rank has nothing below it", () => {
    const error = catchError(() => ladder.nextBelow(RANKS.enlist));
    expect(error).toBeInstanceOf(AlreadyAtBottomRankError);
    expect(describeLadderError(error)).toContain("E0 | Enlist (Rank 1)");
  });

  test("a rank from elsewhere is refused rather than guessed", () => {
    expect(() => ladder.nextAbove(rank(42, "Ghost", 9999, 7, null, 0))).toThrow(RankNotInLadderError);
    expect(() => ladder.nextAbove(GUEST)).toThrow(RankNotInLadderError);
  });

  test("compare orders by ladder level", () => {
    expect(ladder.compare(RANKS.enlist, RANKS.owner)).toBeLessThan(0);
    expect(ladder.compare(RANKS.owner, RANKS.enlist)).toBeGreaterThan(0);
    expect(ladder.compare(RANKS.corporal, RANKS.corporal)).toBe(0);
    expect(ladder.levelOf(RANKS.enlist)).toBe(0);
    expect(ladder.levelOf(RANKS.owner)).toBe(6);
  });
});

describe("finding a rank by name", () => {
  test.each([
    ["E1 | Soldier"],
    ["  e1 | soldier  "],
    ["E1|SOLDIER"],
    ["e1   |   soldier"],
    ["E1 Soldier"],
    ["Soldier"],
    ["e1"],
    ["E1 | Soldier (Rank 3)"],
  ])("%p is E1 | Soldier", (input) => {
    expect(ladder.resolveName(input).id).toBe(RANKS.soldier.id);
  });

  test("every formatted label resolves back to its rank", () => {
    for (const r of ladder.ranks) expect(ladder.resolveName(formatRank(r)).id).toBe(r.id);
  });

  test("names without a separator match whole", () => {
    expect(ladder.resolveName("commander").id).toBe(RANKS.commander.id);
  });

  test("an unknown name suggests close ranks", () => {
    const error = catchError(() => ladder.resolveName("Sargeant"));
    expect(error).toBeInstanceOf(UnknownRankError);
    const unknown = error as UnknownRankError;
    expect(unknown.suggestions.map((r) => r.id)).toContain(RANKS.sergeant.id);
    expect(describeLadderError(unknown)).toContain('Did you mean "E5 | Sergeant"');
    expect(unknown.query).toBe("Sargeant");
  });

  test("what was typed is quoted short and without control characters, so the refusal fits a Discord reply", () => {
    const typed = `@everyone\u0000\n${"x".repeat(6_000)}`;
    const error = catchError(() => ladder.resolveName(typed)) as UnknownRankError;
    expect(error).toBeInstanceOf(UnknownRankError);
    expect(error.query).toBe(typed);
    const refusal = describeLadderError(error)!;
    expect(refusal.length).toBeLessThan(300);
    expect(refusal).toStartWith('No rank is called "@everyone xxxx');
    expect(refusal).toContain("…");
    expect(refusal).not.toContain("\u0000");
    // The developer's message (for logs) is bounded the same way.
    expect(error.message.length).toBeLessThan(300);
  });

  test("a fragment is suggested, not silently accepted", () => {
    expect(() => ladder.resolveName("corp")).toThrow(UnknownRankError);
    expect(ladder.suggest("corp").map((r) => r.id)).toEqual([RANKS.corporal.id]);
  });

  test("nonsense gets no suggestions", () => {
    const error = catchError(() => ladder.resolveName("zzzzzzzz")) as UnknownRankError;
    expect(error.suggestions).toEqual([]);
    expect(describeLadderError(error)).toBe('No rank is called "zzzzzzzz".');
  });

  test("blank input is unknown", () => {
    expect(() => ladder.resolveName("   ")).toThrow(UnknownRankError);
  });

  test("a part shared by two ranks is ambiguous", () => {
    const scouts = new RankLadder([rank(1, "A | Scout", 1, 1, null, 0), rank(2, "B | Scout", 2, 2, null, 0)]);
    const error = catchError(() => scouts.resolveName("scout"));
    expect(error).toBeInstanceOf(AmbiguousRankError);
    expect((error as AmbiguousRankError).candidates.map((r) => r.id)).toEqual([1, 2]);
    expect(scouts.resolveName("b | scout").id).toBe(2);
  });

  test("two ranks with the same full name are ambiguous", () => {
    const twins = new RankLadder([rank(1, "Member", 1, 1, null, 0), rank(2, "member", 2, 2, null, 0)]);
    expect(() => twins.resolveName("Member")).toThrow(AmbiguousRankError);
  });
});

describe("looking ranks up by id", () => {
  test("by Roblox role id, Roblox rank and Discord role", () => {
    expect(ladder.byRobloxRoleId(2003)?.id).toBe(RANKS.corporal.id);
    expect(ladder.byRobloxRank(10)?.id).toBe(RANKS.sergeant.id);
    expect(ladder.byDiscordRoleId(ROLE.commander)?.id).toBe(RANKS.commander.id);
    expect(ladder.byRobloxRoleId(9999)).toBeUndefined();
    expect(ladder.byRobloxRank(4)).toBeUndefined();
    expect(ladder.byDiscordRoleId(ROLE.booster)).toBeUndefined();
  });
});

describe("the rank a member holds in Discord", () => {
  test("ignores roles that are not bound to a rank", () => {
    expect(ladder.rankHeld([ROLE.booster, ROLE.member])).toBeNull();
    expect(ladder.rankHeld([ROLE.booster, ROLE.corporal])?.id).toBe(RANKS.corporal.id);
  });

  test("a member holding two rank roles counts as the higher one", () => {
    expect(ladder.rankHeld([ROLE.sergeant, ROLE.soldier])?.id).toBe(RANKS.sergeant.id);
    expect(ladder.rankHeld([ROLE.soldier, ROLE.sergeant])?.id).toBe(RANKS.sergeant.id);
    expect(ladder.ranksHeld([ROLE.sergeant, ROLE.soldier, ROLE.sergeant]).map((r) => r.id)).toEqual([RANKS.soldier.id, RANKS.sergeant.id]);
  });

  test("an actor's own rank is their highest ladder role; none without one", () => {
    expect(ladder.actorRank([ROLE.enlist, ROLE.commander, ROLE.booster])?.id).toBe(RANKS.commander.id);
    expect(ladder.actorRank([ROLE.booster])).toBeNull();
    expect(ladder.actorRank([])).toBeNull();
  });

  test("highestLevelHeld is -1 for no rank", () => {
    expect(ladder.highestLevelHeld([ROLE.member])).toBe(-1);
    expect(ladder.highestLevelHeld([ROLE.corporal])).toBe(2);
  });
});

describe("bound Discord roles", () => {
  test("are every rank's role, without the unbound rank", () => {
    expect([...ladder.boundDiscordRoleIds()].sort()).toEqual(
      [ROLE.enlist, ROLE.soldier, ROLE.corporal, ROLE.sergeant, ROLE.commander, ROLE.owner].sort(),
    );
    expect(ladder.isBoundDiscordRole(ROLE.booster)).toBe(false);
    expect(ladder.isBoundDiscordRole(ROLE.owner)).toBe(true);
  });
});

test("formatRank shows name and Roblox rank number", () => {
  expect(formatRank(RANKS.soldier)).toBe("E1 | Soldier (Rank 3)");
});

function catchError(run: () => unknown): Error | undefined {
  try {
    run();
  } catch (error) {
    return error as Error;
  }
  return undefined;
}
