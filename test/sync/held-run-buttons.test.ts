/**
 * A sync the mass-change guard holds, as an admin meets it in Discord: the /sync reply shows the
 * counts, a sample of names and Apply / Cancel; only an admin of that guild may press them; and
 * `/sync force:true` skips the guard.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import { ComponentType, InteractionType, type APIMessage } from "discord-api-types/v10";
import { tempDir } from "../db/helpers.ts";
import { answerOf, readable, runCommand } from "../support/discord-user.ts";
import { eventually } from "../support/eventually.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, seedDatabase, type World } from "./support/world.ts";

async function setup(): Promise<{ world: World; bot: SyncBot; leavers: World["linked"]; close(): Promise<void> }> {
  const timeScale = 0.05;
  const world = await createWorld({ groupSize: 300, guildSize: 130, linked: 100, mismatchedShare: 0.2, timeScale, robloxWindowMs: 60_000 * timeScale });
  const dir = tempDir("rankbridge-held-run-");
  const bot = await startSyncBot({
    ...endpointsOf(world),
    databasePath: join(dir.dir, "rankbridge.sqlite"),
    timeScale,
    tuning: { progressIntervalMs: 100 },
  });
  await seedDatabase(bot.repositories, world);
  await bot.guildReady(world.guildId);
  // 30 of 100 linked members, each showing a rank today, are gone from the group: over the default 10% and 10.
  const leavers = world.linked.filter((member) => !world.mismatched.has(member.discordId)).slice(0, 30);
  for (const member of leavers) world.roblox.removeMember(world.groupId, member.robloxUserId);
  return {
    world,
    bot,
    leavers,
    async close() {
      await bot.close();
      await world.close();
      dir.cleanup();
    },
  };
}

const ranked = (world: World, members: World["linked"]) => {
  const rankRoleIds = new Set(world.rankRoles.values());
  return members.filter((m) => (world.discord.memberRoleIds(world.guildId, m.discordId) ?? []).some((id) => rankRoleIds.has(id)));
};

function press(world: World, userId: string, customId: string, on: APIMessage) {
  return world.discord.injectInteraction({ guildId: world.guildId, userId, type: InteractionType.MessageComponent, componentType: ComponentType.Button, customId, message: on.id });
}

async function untilIdle(bot: SyncBot, guildId: string): Promise<void> {
  await eventually(() => bot.bulkSync.isRunning(guildId), (running) => !running, 30_000);
}

describe("a held sync in Discord", () => {
  test("the reply shows counts, names and Apply / Cancel; a member who is not an admin is refused; the admin's Apply goes ahead", async () => {
    const env = await setup();
    try {
      const { world, bot, leavers } = env;
      const sync = await runCommand(world.discord, world.guildId, world.ownerId, "sync");
      await untilIdle(bot, world.guildId);
      const held = await sync.interaction.waitForMessage((m) => readable(m).includes("Rank sync paused"), 10_000);
      const text = readable(held);
      expect(text).toContain("30 of 100 linked members");
      expect(text).toContain(leavers[0]!.robloxUsername);
      const rows = (held.components ?? []) as unknown as { components?: { custom_id?: string; label?: string }[] }[];
      const buttons = rows.flatMap((row) => row.components ?? []);
      expect(buttons.map((button) => button.label)).toEqual(["Apply", "Cancel"]);
      const apply = buttons[0]!.custom_id!;
      expect(ranked(world, leavers)).toHaveLength(leavers.length);

      // A linked member without Manage Roles cannot answer it.
      const stranger = press(world, world.linked[50]!.discordId, apply, held);
      const refused = await answerOf(stranger, held);
      expect(readable(refused)).toContain("You need the Manage Roles permission");
      expect(ranked(world, leavers)).toHaveLength(leavers.length);

      const confirm = press(world, world.ownerId, apply, held);
      await answerOf(confirm, held);
      await eventually(() => ranked(world, leavers).length, (left) => left === 0, 20_000);
      await untilIdle(bot, world.guildId);
      expect(ranked(world, leavers)).toEqual([]);
      expect((await bot.repositories.guilds.get(world.guildId))?.syncPausedReason).toBeNull();
    } finally {
      await env.close();
    }
  }, 60_000);

  test("/sync dry-run:true says a real run would wait for an admin", async () => {
    const env = await setup();
    try {
      const { world, bot, leavers } = env;
      const sync = await runCommand(world.discord, world.guildId, world.ownerId, "sync", [{ name: "dry-run", type: 5, value: true }]);
      await untilIdle(bot, world.guildId);
      const dry = await sync.interaction.waitForMessage((m) => readable(m).includes("Dry run"), 10_000);
      expect(readable(dry)).toContain("A real sync would take the rank roles from, or count as gone from the Roblox group, 30 of 100 linked members");
      expect(dry.components ?? []).toEqual([]);
      expect(ranked(world, leavers)).toHaveLength(leavers.length);
      expect((await bot.repositories.guilds.get(world.guildId))?.syncPausedReason ?? null).toBeNull();
    } finally {
      await env.close();
    }
  }, 60_000);

  test("/sync force:true skips the guard", async () => {
    const env = await setup();
    try {
      const { world, bot, leavers } = env;
      const sync = await runCommand(world.discord, world.guildId, world.ownerId, "sync", [{ name: "force", type: 5, value: true }]);
      await untilIdle(bot, world.guildId);
      const done = await sync.interaction.waitForMessage((m) => readable(m).includes("Rank sync complete"), 10_000);
      expect(readable(done)).toContain("Left the Roblox group, rank roles removed: 30");
      expect(ranked(world, leavers)).toEqual([]);
    } finally {
      await env.close();
    }
  }, 60_000);
});
