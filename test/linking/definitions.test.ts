import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApplicationCommandOptionType } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { createWorld, expectRequestsMatchSpecs, seedRoblox } from "./world.ts";

describe("linking command definitions", () => {
  let discord: DiscordEmulator;
  let roblox: RobloxEmulator;

  beforeAll(async () => {
    [discord, roblox] = await Promise.all([startDiscordEmulator(), startRobloxEmulator()]);
    seedRoblox(roblox);
  });
  afterAll(async () => {
    await Promise.all([discord.close(), roblox.close()]);
  });

  test("Discord accepts them, with the username option long enough for odd input to reach the bot", async () => {
    const world = await createWorld(discord, roblox);
    try {
      const definitions = world.commands.map((command) => command.definition);
      await world.api.applicationCommands.bulkOverwriteGuildCommands(discord.applicationId, world.guildId, definitions);
      const registered = discord.commands.guild.get(world.guildId) ?? [];
      expect(registered.map((command) => command.name).sort()).toEqual(["link-roblox", "unlink"]);
      const username = registered.find((command) => command.name === "link-roblox")?.options?.[0];
      expect(username).toMatchObject({ name: "username", type: ApplicationCommandOptionType.String, required: true, max_length: 100 });
      expectRequestsMatchSpecs(world);
    } finally {
      await world.close();
    }
  });
});
