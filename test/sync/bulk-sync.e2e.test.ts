/**
 * Acceptance: a guild of 3,000 members, a group of 5,000, 2,000 linked and 15% of them wrong,
 * fixed by `/sync` through the real bot stack and both emulators (rate limits scaled twenty times
 * faster). Every request either emulator saw is counted against what the plan needed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { planRankLookup } from "../../src/roblox/planner.ts";
import { tempDir } from "../db/helpers.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, disagreements, requestsBreakingSpecs, seedDatabase, type World } from "./support/world.ts";

const TIME_SCALE = 0.05;
let world: World;
let bot: SyncBot;
let cleanup: () => void;

beforeAll(async () => {
  world = await createWorld({ groupSize: 5_000, guildSize: 3_000, linked: 2_000, mismatchedShare: 0.15, timeScale: TIME_SCALE, robloxWindowMs: 60_000 * TIME_SCALE });
  const dir = tempDir("rankbridge-sync-e2e-");
  cleanup = dir.cleanup;
  bot = await startSyncBot({
    ...endpointsOf(world),
    databasePath: join(dir.dir, "rankbridge.sqlite"),
    timeScale: TIME_SCALE,
    tuning: { progressIntervalMs: 200 },
  });
  await seedDatabase(bot.repositories, world);
  await bot.guildReady(world.guildId);
}, 60_000);

afterAll(async () => {
  await bot?.close();
  await world?.close();
  cleanup?.();
});

const patchesOfMembers = () => world.discord.requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path));

describe("/sync over a whole guild", () => {
  test("dry-run:true shows the plan and changes nothing", async () => {
    world.discord.resetCounters();
    const interaction = world.discord.injectInteraction({
      guildId: world.guildId,
      userId: world.ownerId,
      commandName: "sync",
      options: [{ type: 5, name: "dry-run", value: true }],
    });
    await interaction.waitForCallback(5_000);
    const reply = await interaction.waitForMessage((m) => m.content.startsWith("**Dry run**"), 30_000);
    expect(reply.content).toContain("Would sync: 300 · Already in sync: 1,700 · Errors: 0");
    expect(reply.content).toContain("Would change:");
    expect(reply.content).toContain("... and ");
    expect(patchesOfMembers()).toHaveLength(0);
    expect(disagreements(world)).toHaveLength(300);
    const run = (await bot.repositories.syncRuns.listLatest(world.guildId, 1))[0]!;
    expect(run).toMatchObject({ dryRun: true, status: "done", updated: 300 });
    expect(requestsBreakingSpecs(world)).toEqual([]);
  }, 60_000);

  test("fixes every mismatched member with one PATCH each and as many Roblox requests as planned", async () => {
    expect(disagreements(world)).toHaveLength(300);
    world.discord.resetCounters();
    world.roblox.requests.length = 0;
    world.roblox.resetCounts();

    // The dry run just asked for every member: this run reuses that list (a member-roles snapshot)
    // instead of asking again within the gateway's 30 s (scaled) window.
    const interaction = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, commandName: "sync" });
    await interaction.waitForCallback(5_000);
    const reply = await interaction.waitForMessage((m) => m.content.startsWith("**Rank sync complete**"), 60_000);

    // Discord: exactly the members that disagreed were edited, once each, and nothing was refused.
    const patches = patchesOfMembers();
    const patchedIds = patches.map((r) => r.path.split("/").pop()!);
    expect(patches).toHaveLength(300);
    expect(new Set(patchedIds)).toEqual(world.mismatched);
    expect(world.discord.requests.filter((r) => r.status === 429)).toHaveLength(0);
    expect(world.discord.invalidRequests).toBe(0);
    expect(disagreements(world)).toHaveLength(0);

    // Roblox: the planner's count plus its one planning read (the group's member count), no 429.
    const plan = planRankLookup({ memberCount: world.roblox.memberCount(world.groupId), linkedCount: 2_000 });
    expect(plan.strategy).toBe("linked-users");
    const counts = world.roblox.counts();
    expect(counts.total).toBe(plan.requests + 1);
    expect(counts.rateLimited).toBe(0);

    // The reply's counts are the emulators' final state.
    expect(reply.content).toContain("Synced: 300 · Already in sync: 1,700 · Errors: 0");
    expect(reply.content).toMatch(/\.\.\. and 2\d\d more/);
    // It was edited while the run went (progress), not only at the end.
    const edits = world.discord.requests.filter((r) => r.method === "PATCH" && r.path.includes("/messages/@original"));
    expect(edits.length).toBeGreaterThanOrEqual(2);

    const run = (await bot.repositories.syncRuns.listLatest(world.guildId, 1))[0]!;
    expect(run).toMatchObject({ status: "done", trigger: "manual", dryRun: false, total: 2_000, updated: 300, inSync: 1_700, errors: 0 });
    expect(run.robloxRequests).toBe(counts.total);
    expect(run.discordRequests).toBeGreaterThanOrEqual(300);
    expect(await bot.repositories.syncRuns.countItems(world.guildId, run.id)).toMatchObject({ pending: 0, done: 300 });

    // Stored ranks now follow Roblox for everyone.
    const ranks = new Map((await bot.repositories.ranks.list(world.guildId)).map((rank) => [rank.id, rank.robloxRoleId]));
    for (const member of world.linked) {
      const stored = (await bot.repositories.members.get(world.guildId, member.discordId))!;
      expect(ranks.get(stored.rankId!)).toBe(member.robloxRoleId);
    }
    // Every request either emulator saw conforms to Discord's and Roblox's OpenAPI documents.
    expect(requestsBreakingSpecs(world)).toEqual([]);
  }, 90_000);

  test("a second run finds everyone in sync and sends no role request", async () => {
    // The reply lands just before the run has written its audit and left the guild free.
    while (bot.bulkSync.isRunning(world.guildId)) await Bun.sleep(10);
    world.discord.resetCounters();
    const result = await bot.bulkSync.runBackground(world.guildId);
    expect(result.kind).toBe("ran");
    if (result.kind !== "ran") return;
    expect(result.outcome).toMatchObject({ state: "done", updated: 0, inSync: 2_000, errors: 0, roleRequests: 0 });
    expect(patchesOfMembers()).toHaveLength(0);
  }, 60_000);
});
