import { describe, expect, test } from "bun:test";
import { GatewayRateLimitError } from "@discordjs/core";
import { GatewayOpcodes } from "discord-api-types/v10";
import { RankLadder } from "../../src/ranks/ladder.ts";
import { nextRoleSet } from "../../src/services/member-role-editor.ts";
import { robloxStandingOf } from "../../src/sync/bulk-sync.ts";
import { ChangeQueue } from "../../src/sync/change-queue.ts";
import { collectMemberRoles, MemberListUnavailableError, type MemberRolesPort } from "../../src/sync/member-roles.ts";
import { RequestPacer } from "../../src/sync/pacer.ts";
import { emptyBreakdown, type RunView } from "../../src/sync/run-report.ts";
import { renderRunSummary, renderUpdateList } from "../../src/discord/views/sync-run.ts";
import { RANKS, ROLE, militaryLadder } from "../domain/fixtures.ts";

describe("nextRoleSet", () => {
  test("removes and adds only rank roles, keeping the member's other roles in order", () => {
    expect(nextRoleSet([ROLE.member, ROLE.enlist, ROLE.booster], { addRoleIds: [ROLE.soldier], removeRoleIds: [ROLE.enlist] })).toEqual([
      ROLE.member,
      ROLE.booster,
      ROLE.soldier,
    ]);
  });

  test("is null when the member already holds what the plan wants (e.g. applied before a restart)", () => {
    expect(nextRoleSet([ROLE.member, ROLE.soldier], { addRoleIds: [ROLE.soldier], removeRoleIds: [ROLE.enlist] })).toBeNull();
  });
});

describe("robloxStandingOf", () => {
  const ladder = militaryLadder();

  test("the highest ladder role a multi-role member holds is their rank", () => {
    const member = { userId: 1, roleId: RANKS.enlist.robloxRoleId, roleIds: [RANKS.enlist.robloxRoleId, RANKS.sergeant.robloxRoleId, RANKS.soldier.robloxRoleId] };
    expect(robloxStandingOf(member, ladder)).toEqual({
      roleId: RANKS.sergeant.robloxRoleId,
      rank: RANKS.sergeant.robloxRank,
      // Every role held comes along with its rank number, for range binds.
      roles: [
        { roleId: RANKS.enlist.robloxRoleId, rank: RANKS.enlist.robloxRank },
        { roleId: RANKS.sergeant.robloxRoleId, rank: RANKS.sergeant.robloxRank },
        { roleId: RANKS.soldier.robloxRoleId, rank: RANKS.soldier.robloxRank },
      ],
    });
  });

  test("a role the ladder does not know leaves Roblox's own pick, which the planner then leaves alone", () => {
    const member = { userId: 1, roleId: 999_999, roleIds: [RANKS.enlist.robloxRoleId, 999_999] };
    expect(robloxStandingOf(member, ladder).roleId).toBe(999_999);
    expect(robloxStandingOf(member, new RankLadder([])).roleId).toBe(999_999);
  });
});

describe("RequestPacer", () => {
  test("spaces callers at the rate after a short burst, in call order", async () => {
    let now = 0;
    const waits: number[] = [];
    const pacer = new RequestPacer(10, { burst: 2, now: () => now, sleep: async (ms) => void waits.push(ms) });
    for (let i = 0; i < 5; i++) await pacer.acquire();
    expect(waits).toEqual([100, 200, 300]);
    now = 10_000;
    waits.length = 0;
    await pacer.acquire();
    expect(waits).toEqual([]);
  });
});

describe("ChangeQueue", () => {
  test("hands items over in order and ends once closed and drained", async () => {
    const queue = new ChangeQueue<number>();
    const taken: number[] = [];
    const consumer = (async () => {
      for (let item = await queue.next(); item !== undefined; item = await queue.next()) taken.push(item);
    })();
    queue.push(1);
    await Bun.sleep(1);
    queue.push(2);
    queue.push(3);
    queue.close();
    await consumer;
    expect(taken).toEqual([1, 2, 3]);
  });
});

describe("collectMemberRoles", () => {
  const rateLimited = (retryAfter: number) =>
    new GatewayRateLimitError({ opcode: GatewayOpcodes.RequestGuildMembers, retry_after: retryAfter, meta: { guild_id: "1", nonce: "n" } }, {});

  test("waits out RATE_LIMITED answers and asks again", async () => {
    let calls = 0;
    const slept: number[] = [];
    const port: MemberRolesPort = async function* () {
      calls++;
      if (calls === 1) throw rateLimited(12.5);
      yield [{ userId: "10", roleIds: ["1"] }];
      yield [{ userId: "11", roleIds: [] }];
    };
    const roles = await collectMemberRoles(port, "1", { retryMarginMs: 0, sleep: async (ms) => void slept.push(ms) });
    expect(slept).toEqual([12_500]);
    expect([...roles.keys()]).toEqual(["10", "11"]);
  });

  test("gives up with a typed error after the allowed attempts", async () => {
    // biome-ignore lint/correctness/useYield: a member-roles port whose first page is already a 429 never yields
    const port: MemberRolesPort = async function* () {
      throw rateLimited(1);
    };
    await expect(collectMemberRoles(port, "1", { maxAttempts: 2, sleep: async () => {} })).rejects.toBeInstanceOf(MemberListUnavailableError);
  });
});

describe("the end-of-run summary", () => {
  const view = (updated: number): RunView => ({
    runId: 7,
    hold: null,
    waitingReason: null,
    dryRun: false,
    state: "done",
    planning: false,
    total: 50_000,
    updated,
    inSync: 50_000 - updated,
    errors: 0,
    skipped: 0,
    changesLeft: 0,
    changeRatePerSecond: undefined,
    startedAtMs: 0,
    nowMs: 65_000,
    breakdown: emptyBreakdown(),
    problems: [],
    flaggedNames: [],
    updates: Array.from({ length: 25 }, (_, i) => ({ robloxUsername: `Player_${i}`, discordId: `11111111111111111${i}`, from: "E0 | Enlist", to: "E1 | Soldier" })),
    error: null,
  });

  test("fits Discord's 2000 characters and counts the members it could not list", () => {
    const text = renderRunSummary(view(4_321));
    expect(text.length).toBeLessThanOrEqual(2000);
    expect(text).toStartWith("**Rank sync complete** (run #7, 50,000 members, 1m 5s).");
    expect(text).toContain("Synced: 4,321 · Already in sync: 45,679 · Errors: 0");
    expect(text).toContain("Player\\_0 (<@111111111111111110>): E0 | Enlist → E1 | Soldier");
    const shown = text.split("\n").filter((line) => line.includes("→")).length;
    expect(text).toContain(`... and ${(4_321 - shown).toLocaleString("en-US")} more`);
  });

  test("renderUpdateList counts entries it was not given", () => {
    expect(renderUpdateList([{ robloxUsername: "A", from: null, to: "B" }], { notListed: 4 })).toBe("A: no rank → B\n... and 4 more");
  });
});
