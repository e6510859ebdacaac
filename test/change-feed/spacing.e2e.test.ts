/**
 * Many groups on one API key (design §3.2: the audit log's limit is per key owner, shared by every
 * group read with it): the feed spaces its polls to stay under the limit without a 429, and reads
 * every group in turn, so none starves and every change still arrives. The emulator's audit-log
 * window is narrowed to 2 requests a second (120 a minute) so that 8 groups every 2 s need more
 * than the key allows.
 */
import { afterEach, expect, test } from "bun:test";
import { tempDir } from "../db/helpers.ts";
import { eventually } from "../support/eventually.ts";
import { openBotDatabase } from "../support/bot-database.ts";
import { createInProcessBot, type InProcessBot } from "../support/in-process-bot.ts";
import { CAPTAIN, createManyGroupsWorld, type ManyGroupsWorld } from "./support.ts";

let world: ManyGroupsWorld | undefined;
let bot: InProcessBot | undefined;
const dir = tempDir("rankbridge-feed-spacing-");

afterEach(async () => {
  await bot?.close();
  await world?.close();
  dir.cleanup();
});

test("8 groups on one key every 2 s: polls spaced under the key's audit-log limit, every group read in turn, every change applied", async () => {
  world = await createManyGroupsWorld(8, { windowMs: 1_000, perMinute: { "groups.auditLog": 2 } });
  bot = createInProcessBot({
    env: { ...world.env, DATABASE_PATH: `${dir.dir}/rankbridge.sqlite`, SYNC_INTERVAL: "1d", ROBLOX_CHANGE_FEED_INTERVAL: "2s" },
    options: { discordRest: { offsetMs: 0 }, random: () => 0.5 },
  });
  const own = openBotDatabase(`${dir.dir}/rankbridge.sqlite`);
  await world.seed(own.repositories);
  own.close();
  await bot.bot.start();
  const feed = bot.bot.parts.changeFeed!;
  await eventually(() => feed.status.groups().filter((group) => group.lastPollAt !== null).length, (count) => count === 8, 15_000);

  const from = Date.now();
  for (const guild of world.guilds) world.roblox.changeRankAsUser(CAPTAIN.id, guild.groupId, guild.members[0]!.robloxUserId, guild.groupId * 1000 + 12);
  for (const guild of world.guilds) {
    const captainRole = guild.discordRoles.get(guild.groupId * 1000 + 12)!;
    const roles = await eventually(() => world!.discord.memberRoleIds(guild.guildId, guild.members[0]!.discordId) ?? [], (held) => held.includes(captainRole), 15_000);
    expect(roles).toContain(captainRole);
  }
  await Bun.sleep(Math.max(0, from + 10_000 - Date.now()));

  const reads = world.roblox.requests.filter((request) => request.path.endsWith("/audit-log") && request.at >= from);
  expect(reads.filter((request) => request.status === 429)).toEqual([]);
  // Never more than the key's 2 a second in any second (the feed aims at 90% of it).
  const times = reads.map((request) => request.at).sort((a, b) => a - b);
  for (let i = 2; i < times.length; i++) expect(times[i]! - times[i - 2]!).toBeGreaterThanOrEqual(900);
  // Every group was read in the 10 s, each about as often as the others.
  const perGroup = world.guilds.map((guild) => reads.filter((request) => request.path.includes(`/groups/${guild.groupId}/`)).length);
  expect(Math.min(...perGroup)).toBeGreaterThanOrEqual(1);
  expect(Math.max(...perGroup) - Math.min(...perGroup)).toBeLessThanOrEqual(1);
}, 60_000);
