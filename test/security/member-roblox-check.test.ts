// "Check on Roblox now" (the member lookup) spends the guild's Roblox budget, so it is cooled down
// per member and per guild (design §10): a refused check says when to try again and reads nothing.
import { describe, expect, test } from "bun:test";
import { createLogger } from "../../src/observability/logger.ts";
import { GroupNotConfiguredError } from "../../src/services/guild-context.ts";
import { MemberNotLinkedError, type MemberRankInspection } from "../../src/services/member-sync.ts";
import { RobloxRankCheck } from "../../src/services/member-roblox-check.ts";

const G1 = "100000000000000001";
const G2 = "100000000000000002";

function setUp(answer: (guildId: string, discordId: string) => Promise<Pick<MemberRankInspection, "roblox">>) {
  const clock = { now: 1_000_000 };
  const reads: string[] = [];
  const check = new RobloxRankCheck({
    memberSync: {
      inspect: async (guildId, discordId) => {
        reads.push(`${guildId}:${discordId}`);
        return (await answer(guildId, discordId)) as MemberRankInspection;
      },
    },
    logger: createLogger({ level: "silent" }),
    now: () => clock.now,
    perMemberMs: 30_000,
    perGuildMs: 5_000,
  });
  return { check, clock, reads };
}

const member = async () => ({ roblox: { status: "member" as const, roleId: 71_002, robloxRank: 10, roleName: "Sergeant", rank: null } });

describe("Check on Roblox now", () => {
  test("one read per member per 30 s and per guild per 5 s; another guild has its own", async () => {
    const { check, clock, reads } = setUp(member);
    expect(await check.check(G1, "a")).toEqual({ kind: "read", now: { membership: { roleId: 71_002, rank: 10 }, readAt: 1_000_000 } });
    expect(await check.check(G1, "a")).toEqual({ kind: "cooldown", retryAt: 1_030_000 });
    expect(await check.check(G1, "b")).toEqual({ kind: "cooldown", retryAt: 1_005_000 });
    expect((await check.check(G2, "a")).kind).toBe("read");
    clock.now += 5_000;
    expect((await check.check(G1, "b")).kind).toBe("read");
    expect(await check.check(G1, "a")).toEqual({ kind: "cooldown", retryAt: 1_030_000 });
    clock.now += 25_000;
    expect((await check.check(G1, "a")).kind).toBe("read");
    expect(reads).toEqual([`${G1}:a`, `${G2}:a`, `${G1}:b`, `${G1}:a`]);
  });

  test("not in the group, not linked, no group, and a failed read are answers, not throws", async () => {
    expect(await setUp(async () => ({ roblox: { status: "not-in-group" } })).check.check(G1, "a")).toMatchObject({ kind: "read", now: { membership: null } });
    expect(await setUp(async () => Promise.reject(new MemberNotLinkedError("a"))).check.check(G1, "a")).toEqual({ kind: "not-linked" });
    expect(await setUp(async () => Promise.reject(new GroupNotConfiguredError(G1, false))).check.check(G1, "a")).toEqual({ kind: "no-group" });
    const unavailable = Object.assign(new Error("503"), { userMessage: "Roblox is not answering right now." });
    expect(await setUp(async () => Promise.reject(unavailable)).check.check(G1, "a")).toEqual({ kind: "failed", error: unavailable });
  });
});
