import { describe, expect, test } from "bun:test";
import { RankLadder } from "../../src/ranks/ladder.ts";
import { planSync } from "../../src/sync/planner.ts";
import { estimateRemainingMs, progressFraction, updateListEntry, type SyncProgress, type UpdateListEntry } from "../../src/sync/progress.ts";
import { emptyBreakdown } from "../../src/sync/run-report.ts";
import { escapeMarkdown } from "../../src/discord/views/markdown.ts";
import { renderProgress, renderProgressBar, renderRunProgress, renderSummary, renderUpdateList } from "../../src/discord/views/sync-run.ts";
import { RANKS, ROLE } from "./fixtures.ts";

describe("the progress bar", () => {
  test.each([
    [0, "▱▱▱▱▱▱▱▱▱▱ 0%"],
    [0.4, "▰▰▰▰▱▱▱▱▱▱ 40%"],
    [0.999, "▰▰▰▰▰▰▰▰▰▱ 99%"],
    [1, "▰▰▰▰▰▰▰▰▰▰ 100%"],
  ])("%p → %p", (fraction, expected) => {
    expect(renderProgressBar(fraction)).toBe(expected);
  });

  test("clamps nonsense instead of drawing it", () => {
    expect(renderProgressBar(1.7)).toBe("▰▰▰▰▰▰▰▰▰▰ 100%");
    expect(renderProgressBar(-1)).toBe("▱▱▱▱▱▱▱▱▱▱ 0%");
    expect(renderProgressBar(Number.NaN)).toBe("▱▱▱▱▱▱▱▱▱▱ 0%");
  });

  test("can be wider", () => {
    expect(renderProgressBar(0.5, 20)).toBe(`${"▰".repeat(10)}${"▱".repeat(10)} 50%`);
  });

  test("an empty run is complete", () => {
    expect(progressFraction({ total: 0, processed: 0 })).toBe(1);
    expect(progressFraction({ total: 10, processed: 4 })).toBe(0.4);
  });
});

const started = 1_700_000_000_000;
function progress(overrides: Partial<SyncProgress> = {}): SyncProgress {
  return { total: 10_000, processed: 4_000, updated: 12, inSync: 3_980, errors: 8, startedAtMs: started, nowMs: started + 40_000, ...overrides };
}

describe("time left", () => {
  test("follows the observed rate", () => {
    // 4,000 in 40 s is 100/s; 6,000 left → 60 s.
    expect(estimateRemainingMs(progress())).toBe(60_000);
  });

  test("prefers an expected rate when one is given", () => {
    expect(estimateRemainingMs(progress({ expectedRatePerSecond: 50 }))).toBe(120_000);
  });

  test("is unknown before anything was processed, and zero when done", () => {
    expect(estimateRemainingMs(progress({ processed: 0 }))).toBeNull();
    expect(estimateRemainingMs(progress({ nowMs: started }))).toBeNull();
    expect(estimateRemainingMs(progress({ processed: 10_000 }))).toBe(0);
  });
});

describe("the progress reply", () => {
  test("shows bar, counts, time left and summary", () => {
    expect(renderProgress(progress())).toBe(
      ["▰▰▰▰▱▱▱▱▱▱ 40%", "4,000 / 10,000 members · about 1m left", "Synced: 12 · Already in sync: 3,980 · Errors: 8"].join("\n"),
    );
  });

  test("before a rate is known it says it is estimating", () => {
    expect(renderProgress(progress({ processed: 0 }))).toContain("estimating time left");
  });

  test("the summary line", () => {
    expect(renderSummary({ updated: 1234, inSync: 0, errors: 2 })).toBe("Synced: 1,234 · Already in sync: 0 · Errors: 2");
  });
});

describe("the update list", () => {
  const entries = (n: number): UpdateListEntry[] =>
    Array.from({ length: n }, (_, i) => ({ robloxUsername: `Player${i + 1}`, from: "E0 | Enlist", to: "E1 | Soldier" }));

  test("one line per change", () => {
    expect(renderUpdateList(entries(2))).toBe("Player1: E0 | Enlist → E1 | Soldier\nPlayer2: E0 | Enlist → E1 | Soldier");
  });

  test("capped at N lines, then how many more", () => {
    const text = renderUpdateList(entries(25), { maxLines: 3 });
    expect(text.split("\n")).toEqual([
      "Player1: E0 | Enlist → E1 | Soldier",
      "Player2: E0 | Enlist → E1 | Soldier",
      "Player3: E0 | Enlist → E1 | Soldier",
      "... and 22 more",
    ]);
  });

  test("stays within a character budget, the tail line included", () => {
    const text = renderUpdateList(entries(100), { maxLines: 100, maxChars: 120 });
    expect(text.length).toBeLessThanOrEqual(120);
    const lines = text.split("\n");
    expect(lines.at(-1)).toBe(`... and ${100 - (lines.length - 1)} more`);
    expect(lines.length).toBeGreaterThan(1);
  });

  test("the default fits a Discord message even with long rank names", () => {
    const long = Array.from({ length: 50 }, (_, i) => ({ robloxUsername: `P${i}`, from: "x".repeat(100), to: "y".repeat(100) }));
    expect(renderUpdateList(long).length).toBeLessThanOrEqual(2000);
  });

  test("no changes, no text", () => {
    expect(renderUpdateList([])).toBe("");
  });

  test("names the Discord member too, and shows missing ranks as no rank", () => {
    expect(renderUpdateList([{ robloxUsername: "Cool_Player_1", discordId: "190000000000000042", from: null, to: "E1 | Soldier" }])).toBe(
      "Cool\\_Player\\_1 (<@190000000000000042>): no rank → E1 | Soldier",
    );
  });

  test("entries from planned sync items use rank names", () => {
    const ladder = new RankLadder([RANKS.enlist, RANKS.soldier]);
    const plan = planSync({
      ladder,
      links: [{ discordId: "190000000000000007", robloxUserId: 7, robloxUsername: "Player7", storedRankId: null }],
      robloxMemberships: new Map([[7, { roleId: RANKS.soldier.robloxRoleId, rank: 3 }]]),
      discordMemberRoles: new Map([["190000000000000007", [ROLE.enlist]]]),
      pendingRobloxWrites: new Map(),
      options: { leftGroupPolicy: "remove" },
    });
    expect(renderUpdateList(plan.changes.map(updateListEntry))).toBe(
      `Player7 (<@190000000000000007>): E0 | Enlist → E1 | Soldier · +<@&${ROLE.soldier}> −<@&${ROLE.enlist}>`,
    );
  });

  test("role changes that keep the rank (a verified role, an ally range) and the nickname are shown too", () => {
    expect(
      renderUpdateList([
        { robloxUsername: "Ally_1", from: "E1 | Soldier", to: "E1 | Soldier", added: ["1187654321098765499"], nick: "[E1 | Soldier] Ally_1" },
        { robloxUsername: "Quiet", from: "E1 | Soldier", to: "E1 | Soldier", nick: null },
        { robloxUsername: "Leaver", from: "E1 | Soldier", to: null, kicked: true },
      ]),
    ).toBe(
      [
        "Ally\\_1: E1 | Soldier · +<@&1187654321098765499> · nickname “[E1 | Soldier] Ally\\_1”",
        "Quiet: E1 | Soldier · nickname cleared",
        "Leaver: E1 | Soldier → removed from the server (not in the Roblox group)",
      ].join("\n"),
    );
  });
});

test("markdown in names is escaped, single pipes are left alone", () => {
  expect(escapeMarkdown("a_b*c~d`e")).toBe("a\\_b\\*c\\~d\\`e");
  expect(escapeMarkdown("E1 | Soldier")).toBe("E1 | Soldier");
  expect(escapeMarkdown("x||y")).toBe("x\\|\\|y");
});

describe("a run held up by a Roblox rate limit", () => {
  const view = (robloxWaitMs?: number) =>
    renderRunProgress({
      runId: 7,
      hold: null,
      waitingReason: null,
      dryRun: false,
      state: "running",
      planning: true,
      total: 1000,
      updated: 0,
      inSync: 0,
      errors: 0,
      skipped: 0,
      changesLeft: 0,
      changeRatePerSecond: undefined,
      startedAtMs: 0,
      nowMs: 5_000,
      breakdown: emptyBreakdown(),
      problems: [],
      flaggedNames: [],
      updates: [],
      error: null,
      ...(robloxWaitMs !== undefined ? { robloxWaitMs } : {}),
    });

  test("says so in its progress, with the wait, when it is longer than about 2 s", () => {
    expect(view(40_000)).toEndWith("\nRoblox is limiting requests right now; the sync continues in about 40s.");
  });

  test("a short wait or none is not mentioned", () => {
    expect(view(1_500)).not.toContain("limiting");
    expect(view()).not.toContain("limiting");
  });
});
