import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import {
  MAX_NICKNAME_LENGTH,
  nicknameSkipReason,
  nicknameTemplateActive,
  renderNickname,
  unknownPlaceholders,
  type NicknameFacts,
} from "../../src/ranks/nickname.ts";

const facts: NicknameFacts = {
  robloxUsername: "builderman",
  displayName: "Builder",
  robloxUserId: 156,
  rank: { name: "E1 | Soldier", robloxRank: 3 },
  discordName: "bm#discord",
};

describe("nickname templates", () => {
  test("every placeholder, case and spaces inside braces tolerated", () => {
    expect(renderNickname("[{rank}] {roblox-username}", facts)).toBe("[E1 | Soldier] builderman");
    expect(renderNickname("{display-name} {roblox-id} {rank-number} {discord-name}", facts)).toBe("Builder 156 3 bm#discord");
    expect(renderNickname("{ Roblox-Username }", facts)).toBe("builderman");
  });

  test("no display name known: the username stands in; no rank: Roblox's Guest, rank number 0", () => {
    expect(renderNickname("{display-name}", { ...facts, displayName: null })).toBe("builderman");
    expect(renderNickname("[{rank}|{rank-number}] {roblox-username}", { ...facts, rank: null })).toBe("[Guest|0] builderman");
  });

  test("off, empty or unset templates give no nickname; unknown placeholders stay as written and are listed", () => {
    for (const template of [null, undefined, "", "  ", "off", "OFF"]) {
      expect(nicknameTemplateActive(template)).toBe(false);
      expect(renderNickname(template, facts)).toBeNull();
    }
    expect(renderNickname("{rnak} {roblox-username}", facts)).toBe("{rnak} builderman");
    expect(unknownPlaceholders("{rnak} {rank} {x}{rnak}")).toEqual(["{rnak}", "{x}"]);
  });

  test("cut to 32 characters, never splitting an emoji, never rejected", () => {
    expect(renderNickname("{roblox-username}", { ...facts, robloxUsername: "x".repeat(40) })).toBe("x".repeat(32));
    // 16 two-unit emoji fill 32 units; the 17th does not fit and is not split.
    expect(renderNickname("😀".repeat(17), facts)).toBe("😀".repeat(16));
    const long = renderNickname("🎖️{roblox-username}{roblox-username}{roblox-username}{roblox-username}", facts)!;
    expect(long.length).toBeLessThanOrEqual(MAX_NICKNAME_LENGTH);
    expect(long.startsWith("🎖️builderman")).toBe(true);
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 80 }), fc.string({ maxLength: 40 }), (template, username) => {
        const nick = renderNickname(template, { ...facts, robloxUsername: username });
        if (nick === null) return;
        expect(nick.length).toBeLessThanOrEqual(MAX_NICKNAME_LENGTH);
        expect(nick).toBe(nick.trim());
        expect(nick.length).toBeGreaterThan(0);
        // Never a lone surrogate half.
        expect(nick.isWellFormed()).toBe(true);
      }),
    );
  });

  test("skipped for the owner, members at or above the bot, and without Manage Nicknames (that first)", () => {
    const base = { isOwner: false, memberTopPosition: 3, botTopPosition: 5, botCanManageNicknames: true };
    expect(nicknameSkipReason(base)).toBeNull();
    expect(nicknameSkipReason({ ...base, isOwner: true })).toBe("guild-owner");
    expect(nicknameSkipReason({ ...base, memberTopPosition: 5 })).toBe("above-bot");
    expect(nicknameSkipReason({ ...base, memberTopPosition: 9 })).toBe("above-bot");
    expect(nicknameSkipReason({ ...base, isOwner: true, botCanManageNicknames: false })).toBe("missing-permission");
  });
});
