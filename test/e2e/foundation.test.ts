import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { InteractionResponseType } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { discordValidator } from "../support/openapi.ts";

/**
 * The foundation's acceptance: the process started exactly as `bun start`, against the Discord
 * emulator over real sockets.
 */
const INTENTS_GUILDS_AND_MEMBERS = 1 | 2;

function shardOf(guildId: string, shards: number): number {
  return Number((BigInt(guildId) >> 22n) % BigInt(shards));
}

/** Creates guilds until each shard of `shards` owns at least one. */
function guildsOnEveryShard(emulator: DiscordEmulator, shards: number) {
  const byShard = new Map<number, string>();
  for (let i = 0; byShard.size < shards && i < 64; i++) {
    const guild = emulator.createGuild({ name: `Guild ${i}` });
    if (!byShard.has(shardOf(guild.id, shards))) byShard.set(shardOf(guild.id, shards), guild.id);
  }
  return byShard;
}

describe("bun start against the Discord emulator", () => {
  let emulator: DiscordEmulator;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    emulator = await startDiscordEmulator({ recommendedShards: 2, maxConcurrency: 1, heartbeatIntervalMs: 500 });
  });
  afterAll(() => emulator.close());
  afterEach(() => bot?.cleanup());

  test("fetches /gateway/bot, identifies every shard, registers valid commands, answers, and is ready only when all shards are", async () => {
    const guilds = guildsOnEveryShard(emulator, 2);
    bot = BotProcess.start({ DISCORD_TOKEN: emulator.token, DISCORD_API_URL: emulator.restBase });
    const url = await bot.httpUrl();

    // While shard 1 waits for its identify slot (max_concurrency 1: 5 s apart), /readyz says which shard is not ready.
    const partial = await eventually(
      async () => (await fetch(`${url}/readyz`)).json() as Promise<{ shards: { id: number; ready: boolean }[] }>,
      (body) => body.shards.some((s) => s.ready),
    );
    expect(partial.shards).toEqual([
      expect.objectContaining({ id: 0, ready: true }),
      expect.objectContaining({ id: 1, ready: false }),
    ]);
    expect((await fetch(`${url}/readyz`)).status).toBe(503);

    const ready = await eventually(() => fetch(`${url}/readyz`).then((r) => r.status), (s) => s === 200, 20_000);
    expect(ready).toBe(200);

    expect(emulator.requests.some((r) => r.method === "GET" && r.path === "/api/v10/gateway/bot")).toBe(true);
    const identifies = emulator.gateway.identifies.map((i) => ({ shard: i.shardId, count: i.shardCount, intents: i.intents }));
    expect(identifies.sort((a, b) => a.shard - b.shard)).toEqual([
      { shard: 0, count: 2, intents: INTENTS_GUILDS_AND_MEMBERS },
      { shard: 1, count: 2, intents: INTENTS_GUILDS_AND_MEMBERS },
    ]);

    const registered = emulator.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/commands"));
    expect(registered.length).toBe(1);
    const validator = discordValidator();
    for (const request of emulator.requests) {
      expect(validator.validate({ method: request.method, url: request.path, headers: request.headers, body: request.body }).errors).toEqual([]);
    }
    expect(emulator.commands.global.map((c) => c.name)).toContain("ping");

    const interaction = emulator.injectInteraction({
      guildId: guilds.get(1)!,
      userId: emulator.guild(guilds.get(1)!)!.ownerId,
      type: 2,
      commandName: "ping",
    });
    const callback = await interaction.waitForCallback(5_000);
    expect(callback.body).toMatchObject({ type: InteractionResponseType.ChannelMessageWithSource });
    expect(JSON.stringify(callback.body)).toContain("Pong from shard 1");

    // The counter is incremented once the handler returns, just after the reply went out.
    const metrics = await eventually(
      () => fetch(`${url}/metrics`).then((r) => r.text()),
      (text) => text.includes('command="ping"'),
    );
    expect(metrics).toContain('rankbridge_interactions_total{command="ping",outcome="ok"} 1');
    expect(metrics).toMatch(/rankbridge_shard_ready\{shard="1"\} 1/);

    expect(await bot.stop("SIGTERM")).toBe(0);
  }, 40_000);
});
