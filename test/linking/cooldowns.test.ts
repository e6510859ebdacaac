import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { MessageFlags } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { createWorld, phraseOf, replyOf, robloxPlayer, seedRoblox, textOf, usernameOption, type World } from "./world.ts";

/** The bot's defaults (docs/security.md, "Budget"): 5 link attempts a member a minute, 60 a server. */
const LINK_ATTEMPTS_PER_MEMBER = 5;
const WINDOW_SECONDS = 60;
const lookups = { member: { points: 10, windowSeconds: 60 }, guild: { points: 60, windowSeconds: 60 } };

/** Finding 6 of the security review: one member must not spend the Roblox budget every guild shares. */
describe("link and lookup cooldowns", () => {
  let discord: DiscordEmulator;
  let roblox: RobloxEmulator;
  let world: World | undefined;

  beforeAll(async () => {
    [discord, roblox] = await Promise.all([startDiscordEmulator({ timeScale: 0.1 }), startRobloxEmulator()]);
    seedRoblox(roblox);
  });
  afterAll(async () => {
    await Promise.all([discord.close(), roblox.close()]);
  });
  afterEach(async () => {
    await world?.close();
    world = undefined;
  });

  test("60 rapid /link-roblox from one member: a few reach Roblox, the rest get a cooldown reply saying when to try again", async () => {
    world = await createWorld(discord, roblox);
    const player = robloxPlayer(roblox);
    const memberId = world.addMember();
    roblox.requests.length = 0;

    const attempts = await Promise.all(Array.from({ length: 60 }, () => world!.command(memberId, "link-roblox", usernameOption(player.name))));

    const allowed = LINK_ATTEMPTS_PER_MEMBER;
    const started = attempts.filter((attempt) => replyOf(attempt).embeds.length > 0);
    const cooledDown = attempts.filter((attempt) => replyOf(attempt).embeds.length === 0);
    expect(started).toHaveLength(allowed);
    for (const attempt of started) expect(phraseOf(replyOf(attempt))).toStartWith("rankbridge:");
    expect(cooledDown).toHaveLength(60 - allowed);
    for (const attempt of cooledDown) {
      const reply = replyOf(attempt);
      expect(reply.flags! & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
      expect(textOf(reply)).toMatch(/^You're doing that too often\. Try again <t:\d+:R>\.$/);
      const retryAt = Number(/<t:(\d+):R>/.exec(textOf(reply))![1]) * 1000;
      expect(retryAt).toBeGreaterThan(Date.now());
      expect(retryAt).toBeLessThanOrEqual(Date.now() + WINDOW_SECONDS * 1000 + 1000);
    }
    // Each started link reads the user and their profile: bounded by the member's budget, not by 60.
    expect(roblox.requests.length).toBeGreaterThan(0);
    expect(roblox.requests.length).toBeLessThanOrEqual(allowed * 3);
  });

  test("the confirm button spends the same budget; another member is not held back by the first", async () => {
    world = await createWorld(discord, roblox, { cooldowns: { lookup: lookups, link: { member: { points: 2, windowSeconds: 60 }, guild: { points: 60, windowSeconds: 60 } } } });
    const player = robloxPlayer(roblox);
    const memberId = world.addMember();
    const started = await world.command(memberId, "link-roblox", usernameOption(player.name));
    const message = replyOf(started);
    await world.pressConfirm(memberId, message);
    roblox.requests.length = 0;
    const third = await world.pressConfirm(memberId, message);
    expect(roblox.requests).toHaveLength(0);
    expect(third.callbacks[0]?.data?.content).toMatch(/^You're doing that too often\. Try again <t:\d+:R>\.$/);
    // The message with the phrase is left as it was: the cooldown answers on its own.
    expect(world.messageNow(message.id).embeds[0]?.description).toContain(phraseOf(message));

    const other = robloxPlayer(roblox);
    const otherMember = world.addMember();
    expect(replyOf(await world.command(otherMember, "link-roblox", usernameOption(other.name))).embeds).toHaveLength(1);
  });

  test("a guild's budget is shared by its members: past it, every member there gets the server's cooldown reply", async () => {
    world = await createWorld(discord, roblox, { cooldowns: { lookup: lookups, link: { member: { points: 5, windowSeconds: 60 }, guild: { points: 3, windowSeconds: 60 } } } });
    const replies: string[] = [];
    for (let index = 0; index < 4; index++) {
      const player = robloxPlayer(roblox);
      const attempt = await world.command(world.addMember(), "link-roblox", usernameOption(player.name));
      replies.push(textOf(replyOf(attempt)));
    }
    expect(replies.slice(0, 3).every((text) => text.includes("rankbridge:"))).toBe(true);
    expect(replies[3]).toMatch(/^This server is doing that too often right now\. Try again <t:\d+:R>\.$/);
  });
});
