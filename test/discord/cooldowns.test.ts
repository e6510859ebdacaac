import { describe, expect, test } from "bun:test";
import { cooldownMessage, Cooldowns, DEFAULT_COOLDOWNS } from "../../src/discord/interactions/cooldowns.ts";

const limits = {
  link: { member: { points: 2, windowSeconds: 60 }, guild: { points: 3, windowSeconds: 60 } },
  lookup: { member: { points: 1, windowSeconds: 30 }, guild: { points: 10, windowSeconds: 60 } },
};

describe("Cooldowns", () => {
  test("a member's attempts are counted per guild and per kind", async () => {
    const cooldowns = new Cooldowns(limits);
    expect(await cooldowns.take("link", "g1", "u1")).toEqual({ allowed: true });
    expect(await cooldowns.take("link", "g1", "u1")).toEqual({ allowed: true });
    const refused = await cooldowns.take("link", "g1", "u1");
    expect(refused).toMatchObject({ allowed: false, scope: "member" });
    // Another guild, and another kind, have their own counters.
    expect(await cooldowns.take("link", "g2", "u1")).toEqual({ allowed: true });
    expect(await cooldowns.take("lookup", "g1", "u1")).toEqual({ allowed: true });
  });

  test("a guild past its limit refuses everyone there without spending their own attempts; other guilds go on", async () => {
    const cooldowns = new Cooldowns({ ...limits, link: { member: { points: 2, windowSeconds: 60 }, guild: { points: 2, windowSeconds: 1 } } });
    expect(await cooldowns.take("link", "g1", "a")).toEqual({ allowed: true });
    expect(await cooldowns.take("link", "g1", "b")).toEqual({ allowed: true });
    expect(await cooldowns.take("link", "g1", "a")).toMatchObject({ allowed: false, scope: "guild" });
    expect(await cooldowns.take("link", "g1", "c")).toMatchObject({ allowed: false, scope: "guild" });
    expect(await cooldowns.take("link", "g2", "c")).toEqual({ allowed: true });
    // Once the guild's window has passed, a still has the attempt the guild refused.
    await Bun.sleep(1_050);
    expect(await cooldowns.take("link", "g1", "a")).toEqual({ allowed: true });
    expect(await cooldowns.take("link", "g1", "a")).toMatchObject({ allowed: false, scope: "member" });
  });

  test("the refusal says when to try again, within the window", async () => {
    const cooldowns = new Cooldowns(limits);
    await cooldowns.take("lookup", "g1", "u1");
    const before = Date.now();
    const refused = await cooldowns.take("lookup", "g1", "u1");
    if (refused.allowed) throw new Error("expected a refusal");
    expect(refused.retryAt).toBeGreaterThan(before);
    expect(refused.retryAt).toBeLessThanOrEqual(before + 30_000 + 50);
    expect(cooldownMessage(refused)).toBe(`You're doing that too often. Try again <t:${Math.ceil(refused.retryAt / 1000)}:R>.`);
    expect(cooldownMessage({ ...refused, scope: "guild" })).toStartWith("This server is doing that too often right now.");
  });

  test("the defaults are the documented ones: a member retries a few times; a guild's onboarding day is not cut short", () => {
    expect(DEFAULT_COOLDOWNS.link.member).toEqual({ points: 5, windowSeconds: 60 });
    expect(DEFAULT_COOLDOWNS.lookup.member).toEqual({ points: 10, windowSeconds: 60 });
    expect(DEFAULT_COOLDOWNS.lookup.guild).toEqual({ points: 60, windowSeconds: 60 });
    // Discord's 10 member edits a second in a guild, one per link, two interactions per link.
    expect(DEFAULT_COOLDOWNS.link.guild.points).toBeGreaterThan(10 * 60 * 2);
  });
});
