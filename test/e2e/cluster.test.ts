/**
 * Design §8 on real processes: two bot processes (`bun src/main.ts`, SHARD_IDS 0 and 1 of
 * SHARD_COUNT 2) sharing ONE PostgreSQL database (a scratch database of this file) and ONE Redis (a
 * private redis-server of this file, so stopping it disturbs nobody), against the Discord emulator
 * (max_concurrency 1 enforced on IDENTIFY; RESUME with replay) and the Roblox emulator. One guild
 * on each shard, each bound to a Roblox group of its own, SYNC_INTERVAL 3 s.
 *
 * The cluster is started once for the file (starting it costs the 5 s IDENTIFY spacing); every
 * test begins from the same state (Redis up, both processes running and ready, restarted if a
 * test before left one down), so the tests do not depend on their order:
 * - started together, the processes IDENTIFY at least 5 s apart, and each names its shard on /metrics;
 * - both guilds answer: a command in each is answered by the process of its shard, and only by it;
 * - each guild's scheduled sync runs once per interval, on the process of its shard alone;
 * - a SIGKILLed process started again RESUMEs (op 6) with no IDENTIFY and finds its data (a setting
 *   made through a command and the sync runs, shown by commands of the new process), and its
 *   guild's schedule goes on; so does a process stopped with SIGTERM (a rolling restart);
 * - Redis killed: /readyz 503 naming redis, commands still answered, no process exits; Redis back
 *   (empty): ready again by itself; a process whose session Redis lost while it was down IDENTIFYs anew.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { ApplicationCommandOptionType } from "discord-api-types/v10";
import { Redis } from "ioredis";
import type { SyncRun } from "../../src/db/schema.ts";
import { openPostgres, type PostgresHandle } from "../../src/db/pg/client.ts";
import { createPgRepositories } from "../../src/db/pg/repositories/index.ts";
import type { Repositories } from "../../src/services/storage-port.ts";
import { AUTOMATIC_SYNC_STARTED } from "../../src/sync/scheduler.ts";
import { scratchDatabase, TEST_DATABASE_URL, type ScratchDatabase } from "../db/pg-helpers.ts";
import { type BotProcess, eventually } from "../support/bot-process.ts";
import { Cluster } from "../support/cluster.ts";
import { startClusterWorld, type ClusterGuild, type ClusterWorld } from "../support/cluster-world.ts";
import { checkExposition } from "../support/exposition.ts";
import { PrivateRedis, skipWithoutRedis } from "../support/redis.ts";

const SYNC_INTERVAL_MS = 3_000;
/** The scheduler's jitter: each run is due 0.9 to 1.1 intervals after the previous one started. */
const JITTER = 0.1;

describe.skipIf(skipWithoutRedis || !TEST_DATABASE_URL)("two processes on one PostgreSQL database and one Redis", () => {
  let world: ClusterWorld;
  let scratch: ScratchDatabase;
  let store: PostgresHandle;
  let repositories: Repositories;
  let redis: PrivateRedis;
  let cluster: Cluster;
  /** The IDENTIFYs of the cluster's start, both processes started at once. */
  let startIdentifies: { shardId: number; at: number }[] = [];

  beforeAll(async () => {
    world = await startClusterWorld({
      guilds: [
        { shard: 0, groupId: 5_100_001 },
        { shard: 1, groupId: 5_100_002 },
      ],
    });
    scratch = await scratchDatabase();
    // Migrates the database, as the processes would; the guilds are bound before they start.
    store = await openPostgres(scratch.url, { maxConnections: 2 });
    repositories = createPgRepositories(store.db);
    await world.seed(repositories);
    redis = await PrivateRedis.start();

    const since = Date.now();
    cluster = Cluster.start(world, { databaseUrl: scratch.url, redisUrl: redis.url, env: { SYNC_INTERVAL: `${SYNC_INTERVAL_MS / 1000}s` } });
    await cluster.untilReady();
    startIdentifies = world.discord.gateway.identifies.filter((i) => i.at >= since).map(({ shardId, at }) => ({ shardId, at }));
  }, 60_000);

  beforeEach(async () => {
    if (!redis.running) await redis.start();
    for (const shard of [0, 1]) if (!cluster.alive(shard)) cluster.startShard(shard);
    await cluster.untilReady();
  }, 40_000);

  afterAll(async () => {
    cluster?.stop();
    await redis?.stop();
    await store?.close();
    await scratch?.drop();
    await world?.close();
  });

  const guildOn = (shard: number): ClusterGuild => world.onShard(shard)[0]!;

  /** Injects a command in the guild as its owner; resolves with what the bot answered (content and embeds, as text). */
  async function command(guild: ClusterGuild, commandName: string, options?: unknown[]): Promise<{ delivered: boolean; text: string }> {
    const interaction = world.discord.injectInteraction({ guildId: guild.id, userId: guild.ownerId, commandName, ...(options && { options: options as never }) });
    const callback = await interaction.waitForCallback(3_000);
    const data = (callback.body as { data?: unknown }).data;
    const edited = (callback.body as { type?: number }).type === 5 ? await interaction.waitForMessage((m) => m.content.length > 0 || (m.embeds?.length ?? 0) > 0, 10_000) : undefined;
    return { delivered: interaction.delivered, text: JSON.stringify(edited ?? data) };
  }

  /** A counter's value in a process's /metrics (0 when the series is not there yet). */
  async function metricValue(shard: number, name: string, labels: Record<string, string>): Promise<number> {
    const { problems, samples } = checkExposition(await cluster.metrics(shard));
    expect(problems).toEqual([]);
    const sample = samples.find((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));
    return sample?.value ?? 0;
  }

  /** The guild's scheduled (background) runs started in [from, to], oldest first. */
  async function scheduledRuns(guild: ClusterGuild, from: number, to = Number.POSITIVE_INFINITY): Promise<SyncRun[]> {
    const runs = await repositories.syncRuns.listLatest(guild.id, 100);
    return runs.filter((run) => run.trigger === "background" && run.startedAt >= from && run.startedAt <= to).sort((a, b) => a.startedAt - b.startedAt);
  }

  /** Roblox requests that read the guild's group or its linked members' memberships. */
  const readsFor = (guild: ClusterGuild) =>
    world.roblox.requests.filter(
      (r) =>
        r.method === "GET" &&
        (r.path === `/cloud/v2/groups/${guild.groupId}` ||
          (r.path === "/cloud/v2/groups/-/memberships" && String(r.query.filter).includes(`users/${guild.linked[0]!.robloxUserId}'`))),
    );

  /** "Starting automatic rank synchronization..." lines for the guild in every process of a shard so far. */
  const syncStartsLogged = (shard: number, guild: ClusterGuild) =>
    cluster.logsOf(shard).filter((line) => line.msg === AUTOMATIC_SYNC_STARTED && line.guildId === guild.id);

  /** Waits until the guild's last scheduled run is done and its lease released: a kill now cuts no run short. */
  async function betweenRuns(guild: ClusterGuild): Promise<SyncRun> {
    const client = new Redis(redis.url, { maxRetriesPerRequest: 1 });
    try {
      const quiet = await eventually(
        async () => ({ last: (await scheduledRuns(guild, 0)).at(-1), leased: await client.exists(`${cluster.prefix}lease:sync:guild:${guild.id}`) }),
        ({ last, leased }) => last?.status === "done" && leased === 0,
        2 * SYNC_INTERVAL_MS,
      );
      expect(quiet).toMatchObject({ last: { status: "done" }, leased: 0 });
      return quiet.last!;
    } finally {
      client.disconnect();
    }
  }

  /**
   * A process that RESUMEd a session another began gets no GUILD_CREATE: it reads its shard's
   * guilds from Discord, and the guild's schedule goes on from the stored runs, run by that
   * process, not sooner than an interval after the last run, and shown by /sync-status.
   */
  async function scheduleGoesOn(bot: BotProcess, guild: ClusterGuild, lastRun: SyncRun): Promise<void> {
    const adopted = await bot.waitForLog((line) => String(line.msg).startsWith("resumed a session another process began"));
    expect(adopted).toMatchObject({ shard: guild.shard, guilds: 1 });
    const [next] = await eventually(() => scheduledRuns(guild, lastRun.startedAt + 1), ([first]) => first?.status === "done", 2 * SYNC_INTERVAL_MS + 10_000);
    expect(next).toMatchObject({ status: "done" });
    expect(next!.startedAt - lastRun.startedAt).toBeGreaterThanOrEqual(SYNC_INTERVAL_MS * (1 - JITTER) - 500);
    await bot.waitForLog((line) => line.runId === next!.id && String(line.msg).startsWith("Automatic sync complete"));
    const status = await command(guild, "sync-status");
    expect(status.text).toContain(`#${next!.id} background`);
    expect(status.text).toContain(`Every ${SYNC_INTERVAL_MS / 1000}s`);
  }

  const redisLog = (since: number, prefix: string) => (shard: number) =>
    cluster.process(shard).logs.filter((line) => Number(line.time) >= since && String(line.msg).startsWith(prefix));

  test("started together, the two processes IDENTIFY at least 5 s apart (max_concurrency 1), and each names its shard on /metrics", async () => {
    const identifies = [...startIdentifies].sort((a, b) => a.at - b.at);
    expect(identifies.map((i) => i.shardId).sort()).toEqual([0, 1]);
    expect(identifies[1]!.at - identifies[0]!.at).toBeGreaterThanOrEqual(5_000);

    for (const shard of [0, 1]) {
      const { problems, samples } = checkExposition(await cluster.metrics(shard));
      expect(problems).toEqual([]);
      const named = (name: string) => samples.filter((s) => s.name === name).map((s): Record<string, string | number> => ({ ...s.labels, value: s.value }));
      expect(named("rankbridge_process_shards")).toEqual([{ shard: String(shard), shard_count: "2", value: 1 }]);
      expect(named("rankbridge_shard_ready")).toEqual([{ shard: String(shard), value: 1 }]);
      expect(named("rankbridge_shard_heartbeat_latency_seconds").map((s) => s.shard)).toEqual([String(shard)]);
    }
  });

  test("both guilds answer: a command in each is answered by the process of its shard, and the other process never sees it", async () => {
    for (const shard of [0, 1]) {
      const other = 1 - shard;
      const ping = { command: "ping", outcome: "ok" };
      const before = [await metricValue(shard, "rankbridge_interactions_total", ping), await metricValue(other, "rankbridge_interactions_total", ping)];
      const answer = await command(guildOn(shard), "ping");
      expect(answer.delivered).toBe(true);
      expect(answer.text).toContain(`Pong from shard ${shard}`);
      // Counted once the command has finished, just after its answer.
      expect(await eventually(() => metricValue(shard, "rankbridge_interactions_total", ping), (n) => n === before[0]! + 1, 2_000)).toBe(before[0]! + 1);
      expect(await metricValue(other, "rankbridge_interactions_total", ping)).toBe(before[1]!);
    }
  }, 20_000);

  test("each guild's scheduled sync runs once per interval, on the process of its shard alone", async () => {
    const intervals = 4;
    const from = Date.now();
    await Bun.sleep(intervals * SYNC_INTERVAL_MS);
    const to = Date.now();
    // A run started near the end is let finish, so its requests are counted with it.
    await eventually(async () => Promise.all([0, 1].map(async (s) => scheduledRuns(guildOn(s), from, to))), (all) => all.flat().every((run) => run.status !== "running"), 10_000);

    for (const shard of [0, 1]) {
      const guild = guildOn(shard);
      const runs = await scheduledRuns(guild, from, to);
      const gaps = runs.slice(1).map((run, i) => run.startedAt - runs[i]!.startedAt);
      const where = { guild: guild.id, shard, starts: runs.map((run) => run.startedAt - from), gaps };
      // Once per interval: never twice in one (no gap below the jitter's lower bound, less the
      // time from the timer to the row) and none left out (no gap beyond its upper bound, plus
      // the timer's lateness on a loaded machine).
      const [shortest, longest] = [SYNC_INTERVAL_MS * (1 - JITTER) - 500, SYNC_INTERVAL_MS * (1 + JITTER) + 1_500];
      expect({ ...where, outside: gaps.filter((gap) => gap < shortest || gap > longest) }).toEqual({ ...where, outside: [] });
      expect({ ...where, count: runs.length >= intervals - 1 && runs.length <= Math.ceil(intervals / (1 - JITTER)) + 1 }).toEqual({ ...where, count: true });
      expect(runs.map((run) => run.status)).toEqual(runs.map(() => "done"));

      // Run by the process of the guild's shard: it logged each run's end; the other process never ran one of the guild's.
      const completed = new Set(cluster.logsOf(shard).filter((line) => line.guildId === guild.id && String(line.msg).startsWith("Automatic sync complete")).map((line) => line.runId));
      expect({ ...where, notLogged: runs.filter((run) => !completed.has(run.id)).map((run) => run.id) }).toEqual({ ...where, notLogged: [] });
      expect(syncStartsLogged(1 - shard, guild)).toEqual([]);
      expect([...cluster.logsOf(0), ...cluster.logsOf(1)].filter((line) => line.guildId === guild.id && String(line.msg).startsWith("scheduled sync skipped"))).toEqual([]);

      // Roblox heard of the guild only from these runs: each read the group and its linked
      // members' memberships once, and nothing read them between runs.
      const reads = readsFor(guild).filter((r) => r.at >= runs[0]!.startedAt - 50 && r.at <= runs.at(-1)!.finishedAt! + 50);
      const within = (run: SyncRun) => reads.filter((r) => r.at >= run.startedAt - 50 && r.at <= run.finishedAt! + 50).map((r) => r.path);
      expect({ ...where, perRun: runs.map(within) }).toEqual({ ...where, perRun: runs.map(() => [`/cloud/v2/groups/${guild.groupId}`, "/cloud/v2/groups/-/memberships"]) });
      expect(reads.length).toBe(2 * runs.length);
    }
  }, 40_000);

  test("a SIGKILLed process started again RESUMEs its shard with no IDENTIFY, finds its data, and its guild's schedule goes on", async () => {
    const guild = guildOn(1);
    // Data the process wrote before it was killed: a setting made through a command, and its scheduled runs.
    const set = await command(guild, "config", [
      { type: ApplicationCommandOptionType.Subcommand, name: "admin-role", options: [{ type: ApplicationCommandOptionType.Role, name: "role", value: guild.staffRoleId }] },
    ]);
    expect(set.text).toContain(`<@&${guild.staffRoleId}>`);
    // Killed between two runs: a run cut short keeps its lease until the lease expires (a minute), which is not what this test is about.
    const lastRun = await betweenRuns(guild);

    const identifies = world.discord.gateway.identifies.length;
    const resumes = world.discord.gateway.resumes.length;
    expect(await cluster.kill(1, "SIGKILL")).toBe(137);
    const again = cluster.startShard(1);
    await cluster.untilReady(1);
    await again.waitForLog("shard resumed");
    expect(world.discord.gateway.identifies.length).toBe(identifies);
    expect(world.discord.gateway.resumes.slice(resumes).map((r) => r.shardId)).toEqual([1]);

    // The new process finds what the old one wrote, and answers with it.
    expect((await command(guild, "config", [{ type: ApplicationCommandOptionType.Subcommand, name: "show" }])).text).toContain(`<@&${guild.staffRoleId}>`);
    expect((await command(guild, "sync-status")).text).toContain(`#${lastRun.id} background`);

    await scheduleGoesOn(again, guild, lastRun);
    expect(cluster.unexpectedExits()).toEqual([]);
  }, 40_000);

  test("SIGTERM (a rolling restart): the process started again RESUMEs its shard with no IDENTIFY, and its guild's schedule goes on", async () => {
    const lastRun = await betweenRuns(guildOn(0));
    const identifies = world.discord.gateway.identifies.length;
    const resumes = world.discord.gateway.resumes.length;
    expect(await cluster.kill(0, "SIGTERM")).toBe(0);
    const again = cluster.startShard(0);
    await cluster.untilReady(0);
    await again.waitForLog("shard resumed");
    expect(world.discord.gateway.identifies.length).toBe(identifies);
    expect(world.discord.gateway.resumes.slice(resumes).map((r) => r.shardId)).toEqual([0]);
    expect((await command(guildOn(0), "ping")).text).toContain("Pong from shard 0");
    await scheduleGoesOn(again, guildOn(0), lastRun);
  }, 40_000);

  test("Redis killed: /readyz 503 naming redis, commands still answered, scheduled syncs go on, no process exits; Redis back empty: ready again by itself", async () => {
    const killedAt = Date.now();
    await redis.stop();
    for (const shard of [0, 1]) {
      const down = await eventually(() => cluster.readyz(shard), (r) => r.status === 503, 10_000);
      expect(down.status).toBe(503);
      expect(down.body.redis).toEqual({ ok: false });
      expect(down.body.database).toEqual({ ok: true });
      expect(down.body.shards.every((s) => s.ready)).toBe(true);
      await cluster.process(shard).waitForLog((line) => Number(line.time) >= killedAt && String(line.msg).startsWith("redis connection lost"));
    }
    // Commands are answered within Discord's 3 s while Redis is away, each by the process of its shard.
    for (const shard of [0, 1]) expect((await command(guildOn(shard), "ping")).text).toContain(`Pong from shard ${shard}`);
    // The scheduled sync does not wait for Redis: each guild gets its run, on shard ownership alone.
    for (const shard of [0, 1]) {
      const runs = await eventually(() => scheduledRuns(guildOn(shard), killedAt), (list) => list.some((run) => run.status === "done"), 2 * SYNC_INTERVAL_MS);
      expect(runs.some((run) => run.status === "done")).toBe(true);
    }
    expect(cluster.unexpectedExits()).toEqual([]);

    const backAt = Date.now();
    await redis.start();
    for (const shard of [0, 1]) {
      const up = await cluster.untilReady(shard, 20_000);
      expect(up.body.redis).toEqual({ ok: true });
      await cluster.process(shard).waitForLog((line) => Number(line.time) >= backAt && line.msg === "redis connected");
      expect(redisLog(killedAt, "redis connection lost")(shard).length).toBe(1);
    }
    for (const shard of [0, 1]) expect((await command(guildOn(shard), "ping")).text).toContain(`Pong from shard ${shard}`);
    expect(cluster.unexpectedExits()).toEqual([]);
  }, 40_000);

  test("Redis restarted empty while a process was down: its session is gone, so the process started again IDENTIFYs anew; the other stays up", async () => {
    await redis.stop();
    expect(await cluster.kill(0, "SIGKILL")).toBe(137);
    await redis.start();

    const identifies = world.discord.gateway.identifies.length;
    const resumes = world.discord.gateway.resumes.length;
    cluster.startShard(0);
    const ready = await cluster.untilReady(0);
    expect(ready.body.redis).toEqual({ ok: true });
    expect(world.discord.gateway.identifies.slice(identifies).map((i) => i.shardId)).toEqual([0]);
    expect(world.discord.gateway.resumes.length).toBe(resumes);
    await cluster.untilReady(1, 20_000);
    expect((await command(guildOn(1), "ping")).text).toContain("Pong from shard 1");
    expect(cluster.unexpectedExits()).toEqual([]);
  }, 40_000);
});
