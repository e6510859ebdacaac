/**
 * `/sync dry-run:true` with binds (design §3.1): the report lists, member by member, the roles a
 * real run would give and take and the nickname it would set, and sends nothing.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PermissionFlagsBits } from "discord-api-types/v10";
import { join } from "node:path";
import { tempDir } from "../db/helpers.ts";
import { readable, runCommand } from "../support/discord-user.ts";
import { eventually } from "../support/eventually.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, seedDatabase, type World } from "./support/world.ts";

const TIME_SCALE = 0.05;
let world: World;
let bot: SyncBot;
let cleanup: () => void;

beforeAll(async () => {
  // Few linked members, so every change fits in the report's list.
  world = await createWorld({ groupSize: 60, guildSize: 20, linked: 6, mismatchedShare: 0.5, timeScale: TIME_SCALE, robloxWindowMs: 60_000 * TIME_SCALE });
  const botRoleId = world.discord.guild(world.guildId)!.botRoleId;
  const botRole = world.discord.role(world.guildId, botRoleId)!;
  world.discord.updateRole(world.guildId, botRoleId, { permissions: BigInt(botRole.permissions) | PermissionFlagsBits.ManageNicknames });
  const dir = tempDir("rankbridge-dry-run-changes-");
  cleanup = dir.cleanup;
  bot = await startSyncBot({ ...endpointsOf(world), databasePath: join(dir.dir, "rankbridge.sqlite"), timeScale: TIME_SCALE, tuning: { progressIntervalMs: 100 } });
  await seedDatabase(bot.repositories, world);
  await bot.repositories.guilds.upsert(world.guildId, { nicknameTemplate: "[{rank}] {roblox-username}" });
  await bot.guildReady(world.guildId);
}, 60_000);

afterAll(async () => {
  await bot?.close();
  await world?.close();
  cleanup?.();
});

describe("/sync dry-run:true", () => {
  test("lists each member's rank, the roles given (+) and taken (−) and the nickname, and changes nothing", async () => {
    let taken = 0;
    const rolesBefore = world.linked.map((member) => world.discord.memberRoleIds(world.guildId, member.discordId));
    world.discord.resetCounters();
    const command = await runCommand(world.discord, world.guildId, world.ownerId, "sync", [{ name: "dry-run", type: 5, value: true }]);
    await eventually(() => bot.bulkSync.isRunning(world.guildId), (running) => !running, 30_000);
    const reply = readable(await command.interaction.waitForMessage((m) => readable(m).includes("Dry run"), 10_000));

    const ladder = await bot.repositories.ranks.list(world.guildId);
    const rankName = (robloxRoleId: number) => ladder.find((rank) => rank.robloxRoleId === robloxRoleId)!.name;
    for (const member of world.linked) {
      const line = reply.split("\n").find((text) => text.includes(`(<@${member.discordId}>)`));
      expect(line).toBeDefined();
      // Everyone gets the template's nickname (cut to Discord's 32 characters); the mismatched also swap rank roles.
      const nick = Array.from(`[${rankName(member.robloxRoleId)}] ${member.robloxUsername}`).slice(0, 32).join("").trimEnd();
      expect(line).toContain(`nickname “${nick}”`);
      const rankRole = world.rankRoles.get(member.robloxRoleId)!;
      if (world.mismatched.has(member.discordId)) {
        expect(line).toContain(`→ ${rankName(member.robloxRoleId)}`);
        expect(line).toContain(`+<@&${rankRole}>`);
        const rankRoles = new Set(world.rankRoles.values());
        const wrong = (world.discord.memberRoleIds(world.guildId, member.discordId) ?? []).filter((id) => rankRoles.has(id) && id !== rankRole);
        for (const id of wrong) expect(line).toContain(`−<@&${id}>`);
        taken += wrong.length;
      } else {
        expect(line).not.toContain("+<@&");
      }
    }
    // The world seeds some mismatched members with a wrong rank role: the list shows it taken.
    expect(taken).toBeGreaterThan(0);
    expect(world.discord.requests.filter((r) => r.method === "PATCH" && /\/members\/\d+$/.test(r.path))).toEqual([]);
    expect(world.linked.map((member) => world.discord.memberRoleIds(world.guildId, member.discordId))).toEqual(rolesBefore);
  }, 60_000);
});
