import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { InteractionResponseType } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { checkExposition, promtoolCheck } from "../support/exposition.ts";
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
    expect(checkExposition(metrics).problems).toEqual([]);
    const promtool = await promtoolCheck(metrics);
    if (promtool) expect(promtool).toEqual({ exitCode: 0, output: "" });

    expect(await bot.stop("SIGTERM")).toBe(0);
  }, 40_000);
});

describe("sharding, resume and fatal close codes", () => {
  let emulator: DiscordEmulator;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    // max_concurrency 2: both shards may identify at once, which keeps these tests short.
    emulator = await startDiscordEmulator({ recommendedShards: 2, maxConcurrency: 2, heartbeatIntervalMs: 500 });
    guildsOnEveryShard(emulator, 2);
  });
  afterAll(() => emulator.close());
  afterEach(() => {
    bot?.cleanup();
    emulator.resetCounters();
    emulator.resetRateLimits();
  });

  async function readyBot(env: Record<string, string> = {}) {
    bot = BotProcess.start({ DISCORD_TOKEN: emulator.token, DISCORD_API_URL: emulator.restBase, ...env });
    const url = await bot.httpUrl();
    expect(await eventually(() => fetch(`${url}/readyz`).then((r) => r.status), (s) => s === 200, 20_000)).toBe(200);
    return url;
  }

  test("the workers strategy runs 3 shards in worker threads and answers on each", async () => {
    await emulator.close();
    emulator = await startDiscordEmulator({ recommendedShards: 3, maxConcurrency: 3, heartbeatIntervalMs: 500 });
    const guilds = guildsOnEveryShard(emulator, 3);
    await readyBot({ SHARDING_STRATEGY: "workers" });
    expect(emulator.gateway.identifies.map((i) => i.shardId).sort()).toEqual([0, 1, 2]);
    for (const [shard, guildId] of guilds) {
      const interaction = emulator.injectInteraction({ guildId, userId: emulator.guild(guildId)!.ownerId, commandName: "ping" });
      expect(JSON.stringify((await interaction.waitForCallback(5_000)).body)).toContain(`Pong from shard ${shard}`);
    }
    expect(await bot!.stop()).toBe(0);
    await emulator.close();
    emulator = await startDiscordEmulator({ recommendedShards: 2, maxConcurrency: 2, heartbeatIntervalMs: 500 });
    guildsOnEveryShard(emulator, 2);
  }, 40_000);

  test("SHARD_COUNT and SHARD_IDS: this process identifies only its own shards", async () => {
    await readyBot({ SHARD_COUNT: "4", SHARD_IDS: "1,3" });
    expect(emulator.gateway.identifies.map((i) => [i.shardId, i.shardCount]).sort()).toEqual([
      [1, 4],
      [3, 4],
    ]);
  }, 30_000);

  test("a shard closed with 4000 resumes with no new IDENTIFY", async () => {
    await readyBot();
    const identifiesBefore = emulator.gateway.identifies.length;
    emulator.gateway.closeShard(0, 4000, "Unknown error");
    await eventually(() => emulator.gateway.resumes.length, (n) => n > 0, 10_000);
    expect(emulator.gateway.resumes.map((r) => r.shardId)).toEqual([0]);
    await bot!.waitForLog((l) => l.msg === "shard resumed" && l.shard === 0);
    expect(emulator.gateway.identifies.length).toBe(identifiesBefore);
  }, 30_000);

  test("a shard closed with 4004 makes the process report the authentication failure and exit non-zero", async () => {
    await readyBot();
    emulator.gateway.closeShard(1, 4004, "Authentication failed.");
    const exitCode = await bot!.exited;
    expect(exitCode).toBe(1);
    const fatal = bot!.logs.find((l) => l.level === 60);
    expect(fatal?.msg).toBe("Discord rejected DISCORD_TOKEN (close 4004 Authentication failed): check the bot token");
  }, 30_000);

  test("a token Discord rejects at start (401) is reported in one line, exit 1", async () => {
    bot = BotProcess.start({ DISCORD_TOKEN: "not-the-token", DISCORD_API_URL: emulator.restBase });
    expect(await bot.exited).toBe(1);
    expect(bot.logs.find((l) => l.level === 60)?.msg).toContain("Discord rejected DISCORD_TOKEN (401 Unauthorized)");
  }, 30_000);

  test("commands are registered only when they changed: a second start sends no command write", async () => {
    await readyBot();
    expect(emulator.commandWrites).toBe(1);
    expect(await bot!.stop()).toBe(0);
    const dataDir = bot!.dataDir;
    bot = BotProcess.start({ DISCORD_TOKEN: emulator.token, DISCORD_API_URL: emulator.restBase }, { dataDir });
    await bot.waitForLog("slash commands unchanged");
    expect(emulator.commandWrites).toBe(1);
  }, 30_000);

  test("unknown commands get a clear ephemeral answer; secrets never reach the logs", async () => {
    const guildId = [...guildsOnEveryShard(emulator, 2).values()][0]!;
    await readyBot({ ROBLOX_API_KEY: "rbx-secret-key-value", ROBLOX_COOKIE: "cookie-secret-value" });
    const interaction = emulator.injectInteraction({ guildId, userId: emulator.guild(guildId)!.ownerId, commandName: "no-such-command" });
    const callback = await interaction.waitForCallback(5_000);
    expect(callback.body).toMatchObject({ type: 4, data: { flags: 64 } });
    expect(JSON.stringify(callback.body)).toContain("Unknown command `/no-such-command`");
    await bot!.stop();
    const output = JSON.stringify(bot!.logs) + bot!.stderr;
    for (const secret of [emulator.token, "rbx-secret-key-value", "cookie-secret-value"]) expect(output).not.toContain(secret);
  }, 30_000);

  test("SIGTERM during an in-flight command: the reply is still sent and the process exits 0", async () => {
    const guildId = [...guildsOnEveryShard(emulator, 2).values()][0]!;
    await readyBot();
    emulator.setLatency(1_200);
    const interaction = emulator.injectInteraction({ guildId, userId: emulator.guild(guildId)!.ownerId, commandName: "ping" });
    await eventually(() => interaction.delivered, (d) => d === true, 5_000);
    await Bun.sleep(300); // the bot has sent its reply; the emulator holds it for 1.2 s
    bot!.process.kill("SIGTERM");
    const callback = await interaction.waitForCallback(5_000);
    expect(JSON.stringify(callback.body)).toContain("Pong");
    expect(await bot!.exited).toBe(0);
    emulator.setLatency(0);
  }, 30_000);
});
