import { describe, expect, test } from "bun:test";
import { AlreadyAtBottomRankError, AlreadyAtTopRankError, EmptyLadderError, RankLadder, RankNotInLadderError, type Rank } from "../../src/ranks/ladder.ts";
import {
  NotRankedError,
  currentRankOf,
  needsPointsConfirmation,
  outcomesOfSkippedSteps,
  overallOutcome,
  planRankChange,
  pointsShortfall,
  targetRankFor,
  type RankChangeInput,
  type StepOutcome,
} from "../../src/ranks/promotion.ts";
import { renderRankChangeDm } from "../../src/discord/views/rank-change-dm.ts";
import { renderOutcomeLines, summarizeOutcomes } from "../../src/discord/views/rank-change-steps.ts";
import { RANKS, ROLE, militaryLadder, rank } from "./fixtures.ts";

const ladder = militaryLadder();

/** A Soldier everywhere: database, Roblox and Discord agree. */
function soldierInput(overrides: Partial<RankChangeInput> = {}): RankChangeInput {
  return {
    intent: { kind: "promote" },
    ladder,
    storedRankId: RANKS.soldier.id,
    robloxMembership: { roleId: RANKS.soldier.robloxRoleId, rank: RANKS.soldier.robloxRank },
    discordRoleIds: [ROLE.member, ROLE.soldier, ROLE.booster],
    ...overrides,
  };
}

const membershipOf = (r: Rank) => ({ roleId: r.robloxRoleId, rank: r.robloxRank });

describe("planning a promotion", () => {
  test("plans every step from Soldier to Corporal", () => {
    const plan = planRankChange(soldierInput({ reason: "  good work  " }));
    expect(plan.from).toEqual({ rank: RANKS.soldier, source: "roblox" });
    expect(plan.to.id).toBe(RANKS.corporal.id);
    expect(plan.direction).toBe("up");
    expect(plan.database).toEqual({ action: "write", fromRankId: RANKS.soldier.id, toRankId: RANKS.corporal.id });
    expect(plan.discord).toEqual({
      action: "update",
      addRoleIds: [ROLE.corporal],
      removeRoleIds: [ROLE.soldier],
      nextRoleIds: [ROLE.member, ROLE.booster, ROLE.corporal],
      targetRoleUnbound: false,
    });
    expect(plan.roblox).toEqual({ action: "set-role", roleId: RANKS.corporal.robloxRoleId, fromRoleId: RANKS.soldier.robloxRoleId });
    expect(plan.dm).toEqual({ action: "send", direction: "up", from: RANKS.soldier, to: RANKS.corporal, reason: "good work" });
  });

  test("removes every other rank role the member holds, not just the previous one", () => {
    const plan = planRankChange(soldierInput({ discordRoleIds: [ROLE.enlist, ROLE.soldier, ROLE.commander, ROLE.member] }));
    expect(plan.discord).toMatchObject({ action: "update", addRoleIds: [ROLE.corporal] });
    if (plan.discord.action !== "update") throw new Error("expected a Discord update");
    expect([...plan.discord.removeRoleIds].sort()).toEqual([ROLE.enlist, ROLE.soldier, ROLE.commander].sort());
    expect(plan.discord.nextRoleIds).toEqual([ROLE.member, ROLE.corporal]);
  });

  test("an unranked member is promoted to the lowest rank", () => {
    const plan = planRankChange(soldierInput({ storedRankId: null, robloxMembership: undefined, discordRoleIds: [ROLE.member] }));
    expect(plan.from).toEqual({ rank: null, source: null });
    expect(plan.to.id).toBe(RANKS.enlist.id);
    expect(plan.direction).toBe("up");
    expect(plan.database).toEqual({ action: "write", fromRankId: null, toRankId: RANKS.enlist.id });
    expect(plan.roblox).toEqual({ action: "set-role", roleId: RANKS.enlist.robloxRoleId, fromRoleId: null });
  });

  test("promoting past the top rank fails with a typed error", () => {
    const atTop = soldierInput({ robloxMembership: membershipOf(RANKS.owner), storedRankId: RANKS.owner.id });
    expect(() => planRankChange(atTop)).toThrow(AlreadyAtTopRankError);
    const short = new RankLadder([RANKS.enlist, RANKS.soldier]);
    expect(() => planRankChange(soldierInput({ ladder: short }))).toThrow(AlreadyAtTopRankError);
  });

  test("promoting on an empty ladder says no ranks are set up", () => {
    expect(() => planRankChange(soldierInput({ ladder: new RankLadder([]), storedRankId: null, robloxMembership: undefined }))).toThrow(EmptyLadderError);
  });
});

describe("planning a demotion", () => {
  test("moves one rank down", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "demote" } }));
    expect(plan.to.id).toBe(RANKS.enlist.id);
    expect(plan.direction).toBe("down");
    expect(plan.discord).toMatchObject({ addRoleIds: [ROLE.enlist], removeRoleIds: [ROLE.soldier] });
  });

  test("the bottom rank cannot be demoted", () => {
    expect(() =>
      planRankChange(soldierInput({ intent: { kind: "demote" }, robloxMembership: membershipOf(RANKS.enlist), storedRankId: RANKS.enlist.id })),
    ).toThrow(AlreadyAtBottomRankError);
  });

  test("an unranked member cannot be demoted", () => {
    expect(() => planRankChange(soldierInput({ intent: { kind: "demote" }, storedRankId: null, robloxMembership: null, discordRoleIds: [] }))).toThrow(
      NotRankedError,
    );
  });
});

describe("planning a set-rank", () => {
  test("to the current rank repairs drift without a DM", () => {
    const plan = planRankChange(
      soldierInput({ intent: { kind: "set", rank: RANKS.soldier }, storedRankId: RANKS.enlist.id, discordRoleIds: [ROLE.enlist] }),
    );
    expect(plan.direction).toBe("none");
    expect(plan.database).toEqual({ action: "write", fromRankId: RANKS.enlist.id, toRankId: RANKS.soldier.id });
    expect(plan.discord).toMatchObject({ action: "update", addRoleIds: [ROLE.soldier], removeRoleIds: [ROLE.enlist] });
    expect(plan.roblox).toEqual({ action: "skip", reason: "already-at-rank" });
    expect(plan.dm).toEqual({ action: "skip", reason: "rank-unchanged" });
  });

  test("when everything already agrees, every step is skipped", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "set", rank: RANKS.soldier } }));
    expect(plan.database).toEqual({ action: "skip", reason: "already-stored" });
    expect(plan.discord).toEqual({ action: "skip", reason: "already-matching" });
    expect(plan.roblox).toEqual({ action: "skip", reason: "already-at-rank" });
  });

  test("a rank from another ladder is refused", () => {
    expect(() => planRankChange(soldierInput({ intent: { kind: "set", rank: rank(77, "Elsewhere", 1, 1, null, 0) } }))).toThrow(RankNotInLadderError);
  });

  test("to an unbound rank removes the old rank role and adds nothing", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "set", rank: RANKS.lieutenant } }));
    expect(plan.discord).toEqual({
      action: "update",
      addRoleIds: [],
      removeRoleIds: [ROLE.soldier],
      nextRoleIds: [ROLE.member, ROLE.booster],
      targetRoleUnbound: true,
    });
  });

  test("to an unbound rank with no rank role held is a skip that says why", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "set", rank: RANKS.lieutenant }, discordRoleIds: [ROLE.member] }));
    expect(plan.discord).toEqual({ action: "skip", reason: "target-role-unbound" });
  });

  test("to the Roblox Owner role skips the Roblox write", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "set", rank: RANKS.owner } }));
    expect(plan.roblox).toEqual({ action: "skip", reason: "owner-role" });
    expect(plan.discord).toMatchObject({ action: "update", addRoleIds: [ROLE.owner] });
  });

  test("the group owner's Roblox rank is never written", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "set", rank: RANKS.enlist }, robloxMembership: membershipOf(RANKS.owner) }));
    expect(plan.roblox).toEqual({ action: "skip", reason: "member-is-owner" });
  });
});

describe("members outside the guild or group", () => {
  test("not in the guild: no Discord step and no DM", () => {
    const plan = planRankChange(soldierInput({ discordRoleIds: null }));
    expect(plan.discord).toEqual({ action: "skip", reason: "not-in-guild" });
    expect(plan.dm).toEqual({ action: "skip", reason: "not-in-guild" });
    expect(plan.database.action).toBe("write");
  });

  test("not in the Roblox group: the rank write is skipped, the rest goes on", () => {
    const plan = planRankChange(soldierInput({ robloxMembership: null }));
    expect(plan.from.source).toBe("database");
    expect(plan.roblox).toEqual({ action: "skip", reason: "not-in-group" });
    expect(plan.discord.action).toBe("update");
  });
});

describe("pending Roblox writes", () => {
  test("a pending write is the current rank, ahead of what Roblox still reports", () => {
    const plan = planRankChange(soldierInput({ pendingRobloxRoleId: RANKS.corporal.robloxRoleId }));
    expect(plan.from).toEqual({ rank: RANKS.corporal, source: "pending-roblox-write" });
    expect(plan.to.id).toBe(RANKS.sergeant.id);
    expect(plan.roblox).toEqual({ action: "set-role", roleId: RANKS.sergeant.robloxRoleId, fromRoleId: RANKS.corporal.robloxRoleId });
  });

  test("a write already queued for the target is not queued again", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "set", rank: RANKS.corporal }, pendingRobloxRoleId: RANKS.corporal.robloxRoleId }));
    expect(plan.roblox).toEqual({ action: "skip", reason: "already-pending" });
  });

  test("a new target supersedes a pending write even when Roblox already shows it", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "set", rank: RANKS.soldier }, pendingRobloxRoleId: RANKS.corporal.robloxRoleId }));
    expect(plan.roblox).toEqual({ action: "set-role", roleId: RANKS.soldier.robloxRoleId, fromRoleId: RANKS.corporal.robloxRoleId });
  });
});

describe("the current rank", () => {
  const base = { ladder, storedRankId: RANKS.enlist.id, robloxMembership: membershipOf(RANKS.corporal), discordRoleIds: [ROLE.sergeant] };

  test("Roblox wins over the database and Discord", () => {
    expect(currentRankOf(base)).toEqual({ rank: RANKS.corporal, source: "roblox" });
  });

  test("the database is next, then Discord", () => {
    expect(currentRankOf({ ...base, robloxMembership: undefined })).toEqual({ rank: RANKS.enlist, source: "database" });
    expect(currentRankOf({ ...base, robloxMembership: null, storedRankId: null })).toEqual({ rank: RANKS.sergeant, source: "discord" });
  });

  test("a Roblox role missing from the ladder falls back", () => {
    expect(currentRankOf({ ...base, robloxMembership: { roleId: 9999, rank: 9 } }).source).toBe("database");
  });

  test("targetRankFor follows the intent", () => {
    expect(targetRankFor({ kind: "promote" }, RANKS.sergeant, ladder).id).toBe(RANKS.lieutenant.id);
    expect(targetRankFor({ kind: "demote" }, RANKS.lieutenant, ladder).id).toBe(RANKS.sergeant.id);
    expect(targetRankFor({ kind: "set", rank: RANKS.enlist }, null, ladder).id).toBe(RANKS.enlist.id);
  });
});

describe("points", () => {
  test("a promotion past the member's points needs confirming", () => {
    expect(pointsShortfall(20, RANKS.corporal, "up")).toEqual({ points: 20, required: 25, missing: 5 });
    expect(needsPointsConfirmation(20, RANKS.corporal, "up")).toBe(true);
    expect(needsPointsConfirmation(25, RANKS.corporal, "up")).toBe(false);
  });

  test("demotions and unknown points never need confirming", () => {
    expect(needsPointsConfirmation(0, RANKS.corporal, "down")).toBe(false);
    expect(needsPointsConfirmation(0, RANKS.corporal, "none")).toBe(false);
    expect(needsPointsConfirmation(null, RANKS.corporal, "up")).toBe(false);
    expect(needsPointsConfirmation(undefined, RANKS.corporal, "up")).toBe(false);
  });

  test("the plan carries the shortfall", () => {
    expect(planRankChange(soldierInput({ points: 3 })).pointsShortfall).toEqual({ points: 3, required: 25, missing: 22 });
    expect(planRankChange(soldierInput({ points: 300 })).pointsShortfall).toBeNull();
  });
});

describe("reporting outcomes", () => {
  const to = RANKS.corporal;
  const done = {
    database: { step: "database", status: "ok", code: "recorded", to },
    discord: { step: "discord", status: "ok", code: "roles-given", roleId: ROLE.corporal, removedRoleIds: [] },
    roblox: { step: "roblox", status: "ok", code: "set", to },
    dm: { step: "dm", status: "ok", code: "sent" },
  } as const satisfies Record<StepOutcome["step"], StepOutcome>;
  const ok = (step: StepOutcome["step"]): StepOutcome => done[step];
  const robloxFailed: StepOutcome = { step: "roblox", status: "failed", code: "write-failed", robloxError: "Roblox refused the change (403).", queued: false };

  test("all done is ok; skips count as done", () => {
    expect(overallOutcome([ok("database"), ok("discord"), { step: "roblox", status: "skipped", code: "already-at-rank", to }])).toBe("ok");
    expect(overallOutcome([])).toBe("ok");
  });

  test("one failed step among done ones is partial", () => {
    expect(overallOutcome([ok("database"), ok("discord"), robloxFailed])).toBe("partial");
  });

  test("a warning alone makes it partial", () => {
    expect(overallOutcome([ok("database"), { step: "dm", status: "warning", code: "dms-closed" }])).toBe("partial");
  });

  test("failures with nothing done is failed", () => {
    expect(overallOutcome([{ step: "database", status: "failed", code: "save-failed" }, { step: "discord", status: "skipped", code: "already-matching", to }])).toBe("failed");
  });

  test("the view renders one line per step in step order with its icon", () => {
    const lines = renderOutcomeLines([
      { step: "dm", status: "warning", code: "dms-closed" },
      robloxFailed,
      ok("database"),
      { step: "discord", status: "skipped", code: "already-matching", to },
    ]);
    expect(lines).toEqual([
      "✅ Database: recorded E2 | Corporal (Rank 5)",
      "➖ Discord roles: already has the role for E2 | Corporal (Rank 5)",
      "❌ Roblox rank: not set: Roblox refused the change (403).",
      "⚠️ Direct message: not delivered: the member does not accept direct messages from this server",
    ]);
  });

  test("summarizeOutcomes joins the view's lines and gives the overall outcome", () => {
    const summary = summarizeOutcomes([ok("database"), { step: "roblox", status: "failed", code: "write-failed", robloxError: null, queued: true }]);
    expect(summary).toEqual({
      overall: "partial",
      text: "✅ Database: recorded E2 | Corporal (Rank 5)\n❌ Roblox rank: not set yet: Roblox could not be reached or answered unexpectedly. It is queued and retried automatically.",
    });
  });

  test("skipped plan steps become outcomes, warnings where things stay out of agreement", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "set", rank: RANKS.soldier }, robloxMembership: null, discordRoleIds: null }));
    const outcomes = outcomesOfSkippedSteps(plan);
    expect(outcomes.map((o) => [o.step, o.status])).toEqual([
      ["database", "skipped"],
      ["discord", "warning"],
      ["roblox", "warning"],
      ["dm", "skipped"],
    ]);
    expect(overallOutcome(outcomes)).toBe("partial");
  });

  test("steps that will run produce no skipped outcome", () => {
    expect(outcomesOfSkippedSteps(planRankChange(soldierInput()))).toEqual([]);
  });
});

describe("the DM", () => {
  test("names the new and previous rank and the reason", () => {
    const plan = planRankChange(soldierInput({ reason: "great work" }));
    if (plan.dm.action !== "send") throw new Error("expected a DM");
    expect(renderRankChangeDm(plan.dm, { guildName: "Fort Example" })).toBe(
      "You were promoted to **E2 | Corporal (Rank 5)** in Fort Example (was E1 | Soldier (Rank 3)).\nReason: great work",
    );
  });

  test("a demotion without a reason", () => {
    const plan = planRankChange(soldierInput({ intent: { kind: "demote" }, reason: "   " }));
    if (plan.dm.action !== "send") throw new Error("expected a DM");
    expect(renderRankChangeDm(plan.dm, { guildName: "G" })).toBe("You were demoted to **E0 | Enlist (Rank 1)** in G (was E1 | Soldier (Rank 3)).");
  });
});
