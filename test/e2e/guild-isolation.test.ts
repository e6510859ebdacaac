import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { join } from "node:path";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { seedCommunity, type Community } from "../support/community.ts";
import { linkByPhrase, runCommand } from "../support/discord-user.ts";

/**
 * Two servers bound to two different Roblox groups, served by one bot process: everything done in
 * one (ladder import, links, a promotion, a whole-server sync) leaves the other's data, Discord
 * roles and Roblox ranks exactly as they were.
 */
let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let army: Community;
let navy: Community;
let bot: BotProcess;

const subcommand = (name: string) => [{ name, type: 1 as const, options: [] }];
const member = (id: string) => [{ name: "member", type: 6 as const, value: id }];

beforeAll(async () => {
  discord = await startDiscordEmulator({ heartbeatIntervalMs: 1_000 });
  roblox = await startRobloxEmulator();
  army = seedCommunity(discord, roblox, { groupId: 7_100, groupName: "Army", players: 4, apiKey: "army-key", namePrefix: "Army" });
  navy = seedCommunity(discord, roblox, { groupId: 8_200, groupName: "Navy", players: 4, apiKey: "navy-key", namePrefix: "Navy" });
  bot = BotProcess.start({
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.restBase,
    ROBLOX_API_URL: roblox.urlTemplate,
    ROBLOX_API_KEY: army.apiKey,
    // The army server is the operator's own: the operator's key writes its ranks (design §10).
    HOME_GUILD_IDS: army.guildId,
    ENCRYPTION_KEY: "11".repeat(32),
  });
  const url = await bot.httpUrl();
  await eventually(() => fetch(`${url}/readyz`).then((r) => r.status), (s) => s === 200, 20_000);
});
afterAll(async () => {
  bot.cleanup();
  await discord.close();
  await roblox.close();
});

test("nothing done in one server reads or changes the other's data", async () => {
  // Each server points at its own group (no ROBLOX_GROUP_ID default) and imports its own ladder.
  for (const community of [army, navy]) {
    await runCommand(discord, community.guildId, community.ownerDiscordId, "config", [
      { name: "group", type: 1, options: [{ name: "group-id", type: 4, value: community.groupId }] },
    ]);
  }
  // The owner imports: binds obey the rank ceiling, and the officer holds no rank until the ladder exists.
  await runCommand(discord, army.guildId, army.ownerDiscordId, "ranks", subcommand("import"));

  const navyPlayer = navy.players[0]!;
  const navyRolesBefore = navy.players.map((p) => discord.memberRoleIds(navy.guildId, p.discordId));
  const navyRanksBefore = navy.players.map((p) => roblox.membership(navy.groupId, p.robloxUserId));

  // In the army server: a link, a promotion and a whole-server sync after a rank changed in Roblox.
  const soldier = army.players[0]!;
  expect((await linkByPhrase(discord, roblox, army.guildId, soldier)).confirmed).toContain("Your current Roblox rank: Recruit (Rank 1)");
  const promoted = await runCommand(discord, army.guildId, army.adminDiscordId, "promote", member(soldier.discordId));
  expect(promoted.text).toContain("→ **Private (Rank 2)**");
  expect(roblox.membership(army.groupId, soldier.robloxUserId)?.rank).toBe(2);
  const sergeant = defaultRoles(army.groupId).find((r) => r.name === "Sergeant")!;
  roblox.setMembership(army.groupId, soldier.robloxUserId, sergeant.id);
  const synced = await runCommand(discord, army.guildId, army.adminDiscordId, "sync");
  expect(synced.text).toContain("Synced: 1");

  // The navy server has no ladder, and its members' roles and Roblox ranks are untouched.
  const navyList = await runCommand(discord, navy.guildId, navyPlayer.discordId, "list-ranks");
  expect(navyList.text).toContain("/ranks import");
  expect(navy.players.map((p) => discord.memberRoleIds(navy.guildId, p.discordId))).toEqual(navyRolesBefore);
  expect(navy.players.map((p) => roblox.membership(navy.groupId, p.robloxUserId))).toEqual(navyRanksBefore);

  // A navy member cannot look up or act on an army member's data from the navy server.
  const crossVerify = await runCommand(discord, navy.guildId, navy.ownerDiscordId, "verify-rank", member(soldier.discordId));
  expect(crossVerify.text).not.toContain(soldier.robloxUsername);
  const armyWritesToNavyGroup = roblox.requests.filter((r) => r.method !== "GET" && r.path.includes(`/groups/${navy.groupId}/`));
  expect(armyWritesToNavyGroup).toEqual([]);

  expect(await bot.stop()).toBe(0);
  const database = new Database(join(bot.dataDir, "rankbridge.sqlite"), { readonly: true });
  const rows = (table: string, guildId: string) =>
    (database.query(`SELECT count(*) AS n FROM ${table} WHERE guild_id = ?`).get(guildId) as { n: number }).n;
  expect({ ranks: rows("ranks", navy.guildId), members: rows("members", navy.guildId), runs: rows("sync_runs", navy.guildId) }).toEqual({
    ranks: 0,
    members: 0,
    runs: 0,
  });
  expect(rows("ranks", army.guildId)).toBeGreaterThan(0);
  expect(rows("audit_log", navy.guildId)).toBe(1); // only its own /config group
  database.close();
}, 60_000);
