import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { createWorld, expectRequestsMatchSpecs, phraseOf, replyOf, robloxPlayer, seedRoblox, textOf, usernameOption, type World } from "./world.ts";

/**
 * Onboarding day: many members run /link-roblox within seconds. The Roblox emulator runs at the
 * documented limits (Open Cloud per key owner, 60 s windows) and its legacy hosts keep a hidden
 * limit: 429 with no rate-limit headers and no Retry-After, as users.roblox.com does.
 */
const LEGACY_HIDDEN_LIMIT = { limit: 400, windowMs: 60_000 };
/** Emulated network latency, so requests in flight at the same time overlap measurably. */
const LATENCY_MS = 25;

describe("50 members run /link-roblox at once", () => {
  let discord: DiscordEmulator;
  let roblox: RobloxEmulator;
  let world: World;

  beforeAll(async () => {
    [discord, roblox] = await Promise.all([
      startDiscordEmulator(),
      startRobloxEmulator({ legacyRateLimit: LEGACY_HIDDEN_LIMIT, latencyMs: LATENCY_MS }),
    ]);
    seedRoblox(roblox);
  });
  afterAll(async () => {
    await Promise.all([discord.close(), roblox.close()]);
  });
  afterEach(async () => {
    await world?.close();
  });

  test("after 120 links earlier in the minute: every start reply within 3 s, username lookups batched, no 429 reaches anyone", async () => {
    world = await createWorld(discord, roblox);
    // The morning so far: 120 members linked in waves of 20 within the minute. One request a
    // member would have spent the cautious guess of 120 username lookups a minute.
    for (let wave = 0; wave < 6; wave++) {
      const replies = await Promise.all(
        Array.from({ length: 20 }, () => world.command(world.addMember(), "link-roblox", usernameOption(robloxPlayer(roblox).name))),
      );
      for (const reply of replies) phraseOf(replyOf(reply));
    }
    const primed = roblox.requests.filter((request) => request.path === "/v1/usernames/users").length;
    expect(primed).toBeLessThanOrEqual(12);
    roblox.requests.length = 0;

    const members = Array.from({ length: 50 }, () => ({ player: robloxPlayer(roblox), memberId: world.addMember() }));
    const results = await Promise.all(
      members.map(async ({ player, memberId }) => {
        const started = performance.now();
        const interaction = await world.command(memberId, "link-roblox", usernameOption(player.name));
        return { player, interaction, ms: performance.now() - started };
      }),
    );

    for (const { player, interaction, ms } of results) {
      expect(ms).toBeLessThan(3_000);
      const reply = replyOf(interaction);
      expect(textOf(reply)).toContain(`To prove **${player.name}** is yours`);
      phraseOf(reply);
    }
    const lookups = roblox.requests.filter((request) => request.path === "/v1/usernames/users");
    const names = lookups.reduce((sum, request) => sum + (request.body as { usernames: string[] }).usernames.length, 0);
    expect(names).toBe(50);
    // At most one request per 100 names in flight: with 50 names, never two at once.
    const byArrival = lookups.map((request) => request.at).sort((a, b) => a - b);
    for (let index = 1; index < byArrival.length; index++) {
      expect(byArrival[index]! - byArrival[index - 1]!).toBeGreaterThanOrEqual(LATENCY_MS - 2);
    }
    expect(lookups.length).toBeLessThanOrEqual(3);
    // Memberships too: batches of `user in [...]` on the wildcard group, not one request per member.
    const memberships = roblox.requests.filter((request) => request.path === "/cloud/v2/groups/-/memberships");
    expect(memberships.length).toBeLessThanOrEqual(5);
    expect(roblox.counts().legacyRateLimited + roblox.counts().rateLimited).toBe(0);
    expectRequestsMatchSpecs(world);
  }, 30_000);
});

describe("a link held up by Roblox's rate limit", () => {
  let discord: DiscordEmulator;
  let roblox: RobloxEmulator;
  let world: World;

  beforeAll(async () => {
    [discord, roblox] = await Promise.all([startDiscordEmulator(), startRobloxEmulator()]);
    seedRoblox(roblox);
  });
  afterAll(async () => {
    await Promise.all([discord.close(), roblox.close()]);
  });
  afterEach(async () => {
    await world?.close();
  });

  test("says so with an estimate, then finishes: the note is replaced by the phrase", async () => {
    // Time scaled: the bot counts the legacy host in 4 s windows instead of a minute.
    world = await createWorld(discord, roblox, { robloxRateLimits: { windowMs: { legacy: 4_000 } } });
    const player = robloxPlayer(roblox);
    // The legacy host's hidden limit: a 429 with no rate-limit headers and no Retry-After.
    roblox.failures.inject({ pathIncludes: "/v1/usernames/users", status: 429 });

    const { interaction, done } = world.startCommand(world.addMember(), "link-roblox", usernameOption(player.name));
    const note = await interaction.waitForMessage((message) => message.content.startsWith("Roblox is limiting lookups right now"), 5_000);
    expect(note.content).toMatch(/^Roblox is limiting lookups right now; your link continues in about \d+ s\.$/);
    await done;

    const reply = replyOf(interaction);
    expect(reply.content).toBe("");
    expect(textOf(reply)).toContain(`To prove **${player.name}** is yours`);
    phraseOf(reply);
    expect(roblox.requests.filter((request) => request.path === "/v1/usernames/users").map((request) => request.status)).toEqual([429, 200]);
  }, 20_000);
});
