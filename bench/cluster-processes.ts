/**
 * One run of the cluster benchmark: N real bot processes (`bun src/main.ts`, what `bun start` runs,
 * so a signal reaches the bot itself) with the production configuration of design §8, each holding a
 * contiguous range of the shards, on one PostgreSQL database and one Redis prefix, with the Discord
 * REST proxy (`bun src/proxy/main.ts`, what `bun run discord-proxy` runs) in front of the Discord
 * emulator when there is more than one process. It waits until every guild's first scheduled sync
 * has finished, reads each process's /metrics, and stops them all with SIGTERM.
 */
import { AUTOMATIC_SYNC_STARTED } from "../src/sync/scheduler.ts";
import { BotProcess, type LogLine } from "../test/support/bot-process.ts";
import { deletePrefix } from "../test/support/redis.ts";
import type { ClusterWorld } from "./cluster-world.ts";

export interface RunOptions {
  world: ClusterWorld;
  processes: number;
  shardCount: number;
  databaseUrl: string;
  redisUrl: string;
  /** SYNC_INTERVAL: a guild that never synced is first due within a tenth of it after its process starts. */
  syncInterval: string;
  /** How long every guild's first sync may take before the run is abandoned. */
  timeoutMs: number;
}

export interface GuildRun {
  guildId: string;
  /** Index of the process that ran it. */
  process: number;
  startedAt: number;
  endedAt: number;
  state: string;
  updated: number;
  errors: number;
}

export interface ProcessFigures {
  shardIds: string;
  readyAt: number;
  /** rankbridge_roblox_requests_total, every API class and outcome. */
  robloxRequests: number;
  /** rankbridge_sync_requests_total{api="roblox"}: sent by the syncs. */
  syncRobloxRequests: number;
  /** 429s this process's REST client received (from the proxy or from Discord). */
  discord429Received: number;
  guildsSynced: number;
}

export interface RunFigures {
  processes: number;
  spawnedAt: number;
  /** When the Roblox emulator's fixed windows started (its counters reset just before the spawn). */
  robloxEpoch: number;
  guildRuns: GuildRun[];
  /** Scheduled syncs started per guild (every one must be 1: no guild synced twice). */
  startsPerGuild: Map<string, number>;
  perProcess: ProcessFigures[];
  /** Exit codes after SIGTERM. */
  exitCodes: number[];
}

/** `count` contiguous ranges over the shards: 4 shards on 2 processes → `0-1`, `2-3`. */
export function shardRanges(shardCount: number, count: number): string[] {
  const ranges: string[] = [];
  for (let i = 0; i < count; i++) {
    const first = Math.floor((i * shardCount) / count);
    const last = Math.floor(((i + 1) * shardCount) / count) - 1;
    ranges.push(first === last ? String(first) : `${first}-${last}`);
  }
  return ranges;
}

const COMPLETED = /^Automatic sync complete: (\d+) updated, (\d+) in sync, (\d+) errors$/;

/** Sums the samples of one metric whose labels contain every `match` pair. */
export function metricSum(exposition: string, name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const line of exposition.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const labels = line.slice(name.length).match(/^\{(.*)\}/)?.[1] ?? "";
    if (!Object.entries(match).every(([key, value]) => labels.includes(`${key}="${value}"`))) continue;
    sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return sum;
}

async function ready(bot: BotProcess, deadline: number): Promise<number> {
  const url = await bot.httpUrl();
  while (Date.now() < deadline) {
    const status = await fetch(`${url}/readyz`).then((r) => r.status, () => 0);
    if (status === 200) return Date.now();
    await Bun.sleep(100);
  }
  throw new Error(`a process was not ready in time:\n${bot.logs.slice(-10).map((l) => JSON.stringify(l)).join("\n")}\n${bot.stderr}`);
}

export async function runCluster(options: RunOptions): Promise<RunFigures> {
  const { world } = options;
  const prefix = `rankbridge-bench:cluster:${crypto.randomUUID().slice(0, 8)}:`;
  const started: BotProcess[] = [];
  let proxy: BotProcess | undefined;
  try {
    world.reset();
    const robloxEpoch = Date.now();
    let discordApiUrl = world.discord.restBase;
    if (options.processes > 1) {
      proxy = BotProcess.start({ DISCORD_API_URL: world.discord.restBase, DISCORD_PROXY_PORT: "0", LOG_LEVEL: "info" }, { command: ["bun", "src/proxy/main.ts"] });
      discordApiUrl = String((await proxy.waitForLog("discord proxy listening")).url);
    }
    const ranges = shardRanges(options.shardCount, options.processes);
    const spawnedAt = Date.now();
    for (const range of ranges) {
      started.push(
        BotProcess.start(
          {
            DISCORD_TOKEN: world.discord.token,
            DISCORD_API_URL: discordApiUrl,
            ROBLOX_API_URL: world.roblox.urlTemplate,
            ROBLOX_API_KEY: world.apiKey,
            ROBLOX_GROUP_ID: String(world.groupId),
            HOME_GUILD_IDS: world.guilds.map((guild) => guild.id).join(","),
            DATABASE_URL: options.databaseUrl,
            REDIS_URL: options.redisUrl,
            REDIS_PREFIX: prefix,
            SHARD_COUNT: String(options.shardCount),
            SHARD_IDS: range,
            SYNC_INTERVAL: options.syncInterval,
            // The scheduled sync alone: the change feed's audit-log reads are another class and another figure.
            ROBLOX_CHANGE_FEED_INTERVAL: "off",
            LOG_LEVEL: "info",
          },
          { command: ["bun", "src/main.ts"] },
        ),
      );
    }
    const deadline = spawnedAt + options.timeoutMs;
    const readyAt = await Promise.all(started.map((bot) => ready(bot, deadline)));
    const guildRuns = await allSynced(started, world.guilds.map((guild) => guild.id), deadline);
    const perProcess = await Promise.all(
      started.map(async (bot, index): Promise<ProcessFigures> => {
        const exposition = await fetch(`${await bot.httpUrl()}/metrics`).then((r) => r.text());
        return {
          shardIds: ranges[index]!,
          readyAt: readyAt[index]!,
          robloxRequests: metricSum(exposition, "rankbridge_roblox_requests_total"),
          syncRobloxRequests: metricSum(exposition, "rankbridge_sync_requests_total", { api: "roblox" }),
          discord429Received: metricSum(exposition, "rankbridge_discord_requests_total", { status: "429" }),
          guildsSynced: guildRuns.filter((run) => run.process === index).length,
        };
      }),
    );
    const startsPerGuild = new Map<string, number>();
    for (const bot of started) {
      for (const line of bot.logs) if (line.msg === AUTOMATIC_SYNC_STARTED) startsPerGuild.set(String(line.guildId), (startsPerGuild.get(String(line.guildId)) ?? 0) + 1);
    }
    const exitCodes = await Promise.all(started.map((bot) => Promise.race([bot.stop("SIGTERM"), Bun.sleep(15_000).then(() => -1)])));
    return { processes: options.processes, spawnedAt, robloxEpoch, guildRuns, startsPerGuild, perProcess, exitCodes };
  } finally {
    for (const bot of started) bot.cleanup();
    if (proxy) {
      await Promise.race([proxy.stop("SIGTERM"), Bun.sleep(10_000)]);
      proxy.cleanup();
    }
    await deletePrefix(prefix, options.redisUrl);
  }
}

/** Waits for every guild's "Automatic sync complete" line, in whichever process ran it. */
async function allSynced(bots: BotProcess[], guildIds: string[], deadline: number): Promise<GuildRun[]> {
  const pending = new Set(guildIds);
  while (Date.now() < deadline) {
    const runs = collectRuns(bots);
    for (const run of runs) pending.delete(run.guildId);
    if (pending.size === 0) return runs;
    for (const bot of bots) {
      if (bot.process.exitCode !== null) throw new Error(`a bot process exited (${bot.process.exitCode}):\n${bot.stderr}`);
    }
    await Bun.sleep(200);
  }
  throw new Error(`guilds not synced in time: ${[...pending].join(", ")}`);
}

function collectRuns(bots: BotProcess[]): GuildRun[] {
  const runs: GuildRun[] = [];
  bots.forEach((bot, index) => {
    const startedAt = new Map<string, number>();
    for (const line of bot.logs as (LogLine & { guildId?: string; time?: number; state?: string })[]) {
      if (!line.guildId || line.time === undefined) continue;
      if (line.msg === AUTOMATIC_SYNC_STARTED && !startedAt.has(line.guildId)) startedAt.set(line.guildId, line.time);
      const done = COMPLETED.exec(line.msg);
      if (done && !runs.some((run) => run.guildId === line.guildId)) {
        runs.push({
          guildId: line.guildId,
          process: index,
          startedAt: startedAt.get(line.guildId) ?? line.time,
          endedAt: line.time,
          state: String(line.state),
          updated: Number(done[1]),
          errors: Number(done[3]),
        });
      }
    }
  });
  return runs;
}
