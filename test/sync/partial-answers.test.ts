/**
 * Answers that parse but are incomplete (issue 18: "Roblox has had incidents where it answered with
 * valid but empty lists; a schema alone would not catch those"): a memberships or roles answer that
 * is empty or partial during a sync removes no role without an admin's confirmation.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../db/helpers.ts";
import { eventually } from "../support/eventually.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, disagreements, seedDatabase, type World, type WorldSpec } from "./support/world.ts";

async function setup(spec: Partial<WorldSpec> = {}): Promise<{ world: World; bot: SyncBot; ranked: () => number; close(): Promise<void> }> {
  const timeScale = 0.05;
  const world = await createWorld({ groupSize: 300, guildSize: 130, linked: 100, mismatchedShare: 0.1, timeScale, robloxWindowMs: 60_000 * timeScale, ...spec });
  const dir = tempDir("rankbridge-partial-");
  const bot = await startSyncBot({
    ...endpointsOf(world),
    databasePath: join(dir.dir, "rankbridge.sqlite"),
    timeScale,
    robloxRetry: { baseDelayMs: 10, maxDelayMs: 40, maxRetries: 2 },
    tuning: { progressIntervalMs: 100, waitBaseMs: 50, waitMaxMs: 200 },
  });
  await seedDatabase(bot.repositories, world);
  await bot.guildReady(world.guildId);
  const rankRoleIds = new Set(world.rankRoles.values());
  // Linked members showing a rank role now.
  const ranked = () => world.linked.filter((m) => (world.discord.memberRoleIds(world.guildId, m.discordId) ?? []).some((id) => rankRoleIds.has(id))).length;
  return {
    world,
    bot,
    ranked,
    async close() {
      await bot.close();
      await world.close();
      dir.cleanup();
    },
  };
}

describe("empty or partial answers remove no role without an admin", () => {
  for (const mangle of ["empty-lists", "partial-lists"] as const) {
    test(`memberships answered with ${mangle === "empty-lists" ? "empty" : "half-filled"} lists: the run is held`, async () => {
      const env = await setup();
      try {
        const { world, bot, ranked } = env;
        const before = ranked();
        world.roblox.failures.inject({ method: "GET", pathIncludes: "/memberships", mangle, times: Infinity });
        const outcome = await bot.bulkSync.runBackground(world.guildId);
        if (outcome.kind !== "ran") throw new Error("expected a run");
        expect(outcome.outcome.state).toBe("paused");
        // Members who were given a missing rank gained one; nobody lost theirs.
        expect(ranked()).toBeGreaterThanOrEqual(before);
        expect(world.linked.filter((m) => (world.discord.memberRoleIds(world.guildId, m.discordId) ?? []).length === 0)).toEqual([]);
      } finally {
        await env.close();
      }
    }, 60_000);
  }

  test("a roles answer missing roles the members hold: nothing is guessed, the run waits and finishes once the answer is whole", async () => {
    // Most of the group linked: the planner reads the whole roster, whose ranks come from the role list.
    const env = await setup({ groupSize: 260, linked: 240, guildSize: 250 });
    try {
      const { world, bot, ranked } = env;
      const before = ranked();
      world.roblox.failures.inject({ method: "GET", pathIncludes: "/roles", mangle: "partial-lists", times: Infinity });
      const result = bot.bulkSync.runBackground(world.guildId);
      await eventually(() => bot.bulkSync.progressText(world.guildId) ?? "", (text) => text.includes("Waiting for Roblox"), 15_000);
      expect(bot.bulkSync.progressText(world.guildId)).toContain('field "groupRoles"');
      expect(ranked()).toBeGreaterThanOrEqual(before);

      world.roblox.failures.clear();
      const outcome = await result;
      if (outcome.kind !== "ran") throw new Error("expected a run");
      expect(outcome.outcome.state).toBe("done");
      expect(disagreements(world)).toEqual([]);
    } finally {
      await env.close();
    }
  }, 60_000);
});
