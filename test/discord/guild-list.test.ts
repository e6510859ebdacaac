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
