/**
 * A process that RESUMEs a session another process began gets no READY and no GUILD_CREATE: it
 * reads the bot's id and guilds by REST (DiscordGuilds.listGuildIds), against the Discord emulator.
 * The whole flow, on real processes, is in test/e2e/cluster.test.ts.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { API } from "@discordjs/core";
import { REST } from "@discordjs/rest";
import { DiscordGuilds } from "../../src/discord/guilds.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";

let discord: DiscordEmulator;
let api: API;

beforeAll(async () => {
  discord = await startDiscordEmulator({ rateLimits: { defaultBucket: { limit: 50, windowMs: 1_000 } } });
  api = new API(new REST({ api: discord.restBase, offset: 0 }).setToken(discord.token));
});
afterAll(() => discord?.close());

test("every guild the bot is in, over several pages of 200, once each; and the bot's own id", async () => {
  const created = Array.from({ length: 401 }, (_, i) => discord.createGuild({ name: `Guild ${i}` }).id);
  // A guild the bot has left is not listed.
  discord.removeMember(created[7]!, discord.botUserId);

  const guilds = new DiscordGuilds(api);
  const before = discord.requests.length;
  const listed = await guilds.listGuildIds();
  expect(listed.sort()).toEqual(created.filter((_, i) => i !== 7).sort());
  expect(guilds.botUserId).toBe(discord.botUserId);
  const pages = discord.requests.slice(before).filter((r) => r.path.startsWith("/api/v10/users/@me/guilds"));
  expect(pages.length).toBe(3);
});

test("a guild read by REST, which no gateway event keeps current here, is read again once a minute old; one the gateway keeps is not", async () => {
  const guild = discord.createGuild({ name: "Another Shard's Guild" });
  const role = discord.createRole(guild.id, { name: "Officers", permissions: "0" });
  let clock = 1_000_000;
  const guilds = new DiscordGuilds(api, undefined, () => clock);
  const reads = () => discord.requests.filter((r) => r.method === "GET" && r.path === `/api/v10/guilds/${guild.id}`).length;

  expect((await guilds.guild(guild.id)).roles.get(role.id)?.permissions).toBe(0n);
  // Someone gives the role Manage Roles in Discord; this process hears no GUILD_ROLE_UPDATE (another shard).
  discord.updateRole(guild.id, role.id, { permissions: (1n << 28n).toString() });
  clock += 59_000;
  expect(guilds.cached(guild.id)?.roles.get(role.id)?.permissions).toBe(0n);
  expect(reads()).toBe(1);
  clock += 1_000;
  expect(guilds.cached(guild.id)).toBeUndefined();
  expect((await guilds.guild(guild.id)).roles.get(role.id)?.permissions).toBe(1n << 28n);
  expect(reads()).toBe(2);

  // Once a gateway event has touched it, the gateway keeps it current: no more reads.
  guilds.rememberRole(guild.id, { ...discord.role(guild.id, role.id)!, permissions: "0" });
  clock += 10 * 60_000;
  expect((await guilds.guild(guild.id)).roles.get(role.id)?.permissions).toBe(0n);
  expect(reads()).toBe(2);
});
