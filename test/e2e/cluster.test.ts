/**
 * Real bot processes (`bun start`, SHARD_IDS out of SHARD_COUNT 2) sharing one Redis (a private
 * redis-server of this file, so stopping it disturbs nobody), each on its own SQLite file, against
 * the Discord emulator (max_concurrency 1 enforced on IDENTIFY; RESUME with replay). Each test has
 * its own processes and key prefix:
 * - started together, two processes IDENTIFY at least 5 s apart;
 * - a SIGKILLed process started again RESUMEs (op 6) with no IDENTIFY; so does one stopped with
 *   SIGTERM (a rolling restart);
 * - Redis killed: /readyz 503 naming redis, the process stays up, commands are answered; Redis back
 *   (empty): ready again; a process whose session Redis lost IDENTIFYs anew.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { PrivateRedis, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";

const shardOf = (guildId: string) => Number((BigInt(guildId) >> 22n) % 2n);

interface Readyz {
  ready: boolean;
  redis?: { ok: boolean };
  shards: { id: number; ready: boolean }[];
}

describe.skipIf(skipWithoutRedis)("processes sharing Redis", () => {
  let discord: DiscordEmulator;
  let redis: PrivateRedis;
  let bots: BotProcess[] = [];
  const created: string[] = [];

  beforeAll(async () => {
    discord = await startDiscordEmulator({ recommendedShards: 2, maxConcurrency: 1, heartbeatIntervalMs: 1_000 });
    // Guilds on both shards, so each process has guilds to serve.
    for (let i = 0; i < 64 && (created.length < 4 || new Set(created.map(shardOf)).size < 2); i++) {
      created.push(discord.createGuild({ name: `Guild ${i}` }).id);
    }
    redis = await PrivateRedis.start();
  });
  afterEach(() => {
    for (const bot of bots) bot.cleanup();
    bots = [];
  });
  afterAll(async () => {
    await discord?.close();
    await redis?.stop();
  });

  /** A cluster of its own: a key prefix, and one SQLite file per shard kept across restarts. */
  function cluster() {
    const prefix = uniquePrefix("cluster-e2e");
    const dataDirs = new Map<number, string>();
    return (shard: number): BotProcess => {
      const bot = BotProcess.start(
        {
          DISCORD_TOKEN: discord.token,
          DISCORD_API_URL: discord.restBase,
          SHARD_COUNT: "2",
          SHARD_IDS: String(shard),
          REDIS_URL: redis.url,
          REDIS_PREFIX: prefix,
          LOG_LEVEL: "info",
        },
        // `bun src/main.ts` is what `bun start` runs; started directly so that SIGKILL reaches the bot
        // itself (`bun run` cannot pass SIGKILL on, and its child would live on, still connected).
        { dataDir: dataDirs.get(shard), command: ["bun", "src/main.ts"] },
      );
      dataDirs.set(shard, bot.dataDir);
      bots.push(bot);
      return bot;
    };
  }

  async function readyz(bot: BotProcess): Promise<{ status: number; body: Readyz }> {
    const response = await fetch(`${await bot.httpUrl()}/readyz`);
    return { status: response.status, body: (await response.json()) as Readyz };
  }
  const untilReady = (bot: BotProcess, timeoutMs = 30_000) => eventually(() => readyz(bot), (r) => r.status === 200, timeoutMs);
  const alive = (bot: BotProcess) => bot.process.exitCode === null && bot.process.signalCode === null;

  test("started together, two processes IDENTIFY at least 5 s apart (max_concurrency 1) and both become ready", async () => {
    const start = cluster();
    const since = Date.now();
    const [zero, one] = [start(0), start(1)];
    await Promise.all([untilReady(zero), untilReady(one)]);
    const identifies = discord.gateway.identifies.filter((i) => i.at >= since).sort((a, b) => a.at - b.at);
    expect(identifies.map((i) => i.shardId).sort()).toEqual([0, 1]);
    expect(identifies[1]!.at - identifies[0]!.at).toBeGreaterThanOrEqual(5_000);
    expect((await readyz(zero)).body.redis).toEqual({ ok: true });
  }, 60_000);

  for (const [signal, how] of [
    ["SIGKILL", "a killed process"],
    ["SIGTERM", "a rolling restart"],
  ] as const) {
    test(`${signal} (${how}): the process started again RESUMEs its shard with no IDENTIFY`, async () => {
      const start = cluster();
      const first = start(1);
      await untilReady(first);
      const identifies = discord.gateway.identifies.length;
      const resumes = discord.gateway.resumes.length;
      first.process.kill(signal);
      expect(await first.exited).toBe(signal === "SIGTERM" ? 0 : 137);

      const again = start(1);
      await untilReady(again);
      await again.waitForLog("shard resumed");
      expect(discord.gateway.identifies.length).toBe(identifies);
      expect(discord.gateway.resumes.slice(resumes).map((r) => r.shardId)).toEqual([1]);
    }, 60_000);
  }

  test("Redis killed: /readyz 503 naming redis, the process stays up; Redis back empty: ready again by itself", async () => {
    const bot = cluster()(0);
    await untilReady(bot);
    await redis.stop();
    const down = await eventually(() => readyz(bot), (r) => r.status === 503, 10_000);
    expect(down.body.redis).toEqual({ ok: false });
    expect(down.body.shards.every((s) => s.ready)).toBe(true);
    await bot.waitForLog((line) => String(line.msg).startsWith("redis connection lost"));
    // Commands are still answered within Discord's 3 s while Redis is away.
    const guildId = created.find((id) => shardOf(id) === 0)!;
    const ping = discord.injectInteraction({ guildId, userId: discord.guild(guildId)!.ownerId, commandName: "ping" });
    expect(JSON.stringify((await ping.waitForCallback(3_000)).body)).toContain("Pong from shard 0");
    await Bun.sleep(2_000);
    expect(alive(bot)).toBe(true);

    await redis.start();
    const up = await untilReady(bot, 20_000);
    expect(up.body.redis).toEqual({ ok: true });
    await bot.waitForLog("redis connected");
    expect(alive(bot)).toBe(true);
  }, 60_000);

  test("Redis restarted empty while a process was down: its session is gone, so the process started again IDENTIFYs anew", async () => {
    const start = cluster();
    const first = start(0);
    await untilReady(first);
    await redis.stop();
    first.process.kill("SIGKILL");
    await first.exited;
    await redis.start();

    const identifies = discord.gateway.identifies.length;
    const resumes = discord.gateway.resumes.length;
    const again = start(0);
    await untilReady(again);
    expect(discord.gateway.identifies.slice(identifies).map((i) => i.shardId)).toEqual([0]);
    expect(discord.gateway.resumes.length).toBe(resumes);
    expect((await readyz(again)).body.redis).toEqual({ ok: true });
  }, 60_000);
});
