/**
 * Cluster benchmark (run on demand, not a test; issue 15, design §8):
 *
 *   bun bench/cluster.ts                   # 16 guilds on one group, on 1, 2 and 4 processes (6-7 minutes)
 *   bun bench/cluster.ts --write-docs      # also replace the "Cluster" section of docs/benchmarks.md
 *   bun bench/cluster.ts --processes 1,4   # some of the runs only
 *
 * Real bot processes in their production configuration (DATABASE_URL, REDIS_URL, SHARD_COUNT 4 and
 * a SHARD_IDS range each, the Discord REST proxy in front of Discord when there is more than one)
 * against the emulators at their real limits: Roblox's documented per-minute budgets in 60 s fixed
 * windows, Discord's buckets, 50 requests a second globally, and IDENTIFY max_concurrency 1. The
 * guilds' ids spread them evenly over the shards; all are bound to one 100,000-member group. Each
 * run waits for every guild's first scheduled sync. The point: more processes send no more Roblox
 * requests for the same work and keep to one budget between them (no 429s), not one each.
 *
 * Needs the machine's PostgreSQL (--database-url names a database to connect to; the bench creates
 * a database of its own beside it and drops it) and Redis (--redis-url; a key prefix of its own).
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import { parseShardIds } from "../src/config/env.ts";
import { PER_API_KEY_OWNER_PER_MINUTE, ROBLOX_API_CLASSES } from "../test/emulators/roblox/index.ts";
import { machine, n, seconds, writeDocsSection } from "./child.ts";
import { runCluster, type RunFigures } from "./cluster-processes.ts";
import { copyDatabase, createClusterWorld, seedTemplate, type ClusterWorld, type ClusterWorldSpec } from "./cluster-world.ts";

const { values: args } = parseArgs({
  options: {
    processes: { type: "string", default: "1,2,4" },
    guilds: { type: "string", default: "16" },
    "shard-count": { type: "string", default: "4" },
    "group-size": { type: "string", default: "100000" },
    linked: { type: "string", default: "1400" },
    "guild-size": { type: "string", default: "2000" },
    changed: { type: "string", default: "0.05" },
    "sync-interval": { type: "string", default: "90s" },
    "database-url": { type: "string", default: "postgres://root@127.0.0.1:5432/postgres" },
    "redis-url": { type: "string", default: "redis://127.0.0.1:6379" },
    "write-docs": { type: "boolean", default: false },
  },
});

const spec: ClusterWorldSpec = {
  guilds: Number(args.guilds),
  shardCount: Number(args["shard-count"]),
  groupSize: Number(args["group-size"]),
  linkedPerGuild: Number(args.linked),
  guildSize: Number(args["guild-size"]),
  mismatchedShare: Number(args.changed),
};
const ROBLOX_WINDOW_MS = 60_000;
/** Discord's member PATCH bucket per guild and its global limit (the emulator's defaults, Discord's values). */
const DISCORD_MEMBER_EDITS_PER_SECOND = 10;
const DISCORD_GLOBAL_PER_SECOND = 50;
/** Discord's IDENTIFY pacing per max_concurrency bucket (the emulator's is 1). */
const IDENTIFY_INTERVAL_MS = 5_000;

interface Measured {
  processes: number;
  shardIds: string;
  readyMs: number;
  /** From starting the processes until every guild's sync had finished: the wall. */
  allSyncedMs: number;
  /** From the first sync's start to the last one's end. */
  syncWallMs: number;
  floorRobloxMs: number;
  /** What Roblox's fixed windows allow from the start, with the edits that wait for the last window. */
  fixedWindowFloorMs: number;
  floorDiscordMs: number;
  /** Every shard connected: IDENTIFYs 5 s apart (max_concurrency 1). */
  floorIdentifyMs: number;
  robloxTotal: number;
  robloxPerProcess: number[];
  robloxBySyncs: number;
  robloxMemberships: number;
  roblox429: number;
  discord429AtDiscord: number;
  discord429FromProxy: number;
  patches: number;
  onceEachOnItsShard: boolean;
  errors: number;
  leftWrong: number;
  exitCodes: number[];
  load: string;
}

/** Per Roblox class: requests ÷ the documented rate; the classes are limited apart, so the largest. */
function robloxFloorMs(byClass: Record<string, number>): number {
  return Math.max(...ROBLOX_API_CLASSES.map((api) => (byClass[api]! / (PER_API_KEY_OWNER_PER_MINUTE[api] / 60)) * 1000));
}

/**
 * The least Roblox's fixed windows allow from `from`: a window's budget can go at once, so the last
 * membership read can go when the last window it needs opens; the member edits
 * that wait for the reads of that window then go at Discord's global rate. The class that needs the
 * most windows decides; its reads are spread evenly over the linked members, and so are the edits.
 */
function fixedWindowFloorMs(byClass: Record<string, number>, epoch: number, from: number, patches: number): number {
  const window = Math.floor((from - epoch) / ROBLOX_WINDOW_MS);
  let floor = 0;
  for (const api of ROBLOX_API_CLASSES) {
    const limit = PER_API_KEY_OWNER_PER_MINUTE[api];
    const windows = Math.ceil(byClass[api]! / limit);
    if (windows <= 1) continue;
    const lastOpens = epoch + (window + windows - 1) * ROBLOX_WINDOW_MS - from;
    const lastShare = (byClass[api]! - limit * (windows - 1)) / byClass[api]!;
    const after = api === "groups.memberships" ? ((patches * lastShare) / DISCORD_GLOBAL_PER_SECOND) * 1000 : 0;
    floor = Math.max(floor, lastOpens + after);
  }
  return floor;
}

/** What Roblox counted in each of its windows, per class, and when each 429 was answered: for the log. */
function robloxWindowReport(world: ClusterWorld, epoch: number): string {
  const perWindow = new Map<string, number>();
  const refusals: string[] = [];
  for (const request of world.roblox.requests) {
    const window = Math.floor((request.at - epoch) / ROBLOX_WINDOW_MS);
    const key = `${request.apiClass ?? request.service} w${window}`;
    perWindow.set(key, (perWindow.get(key) ?? 0) + 1);
    if (request.status === 429) refusals.push(`${request.apiClass ?? request.service} at ${((request.at - epoch) / 1000).toFixed(3)} s`);
  }
  const counts = [...perWindow].map(([key, count]) => `${key}: ${count}`).join(", ");
  const discord = new Map<string, number>();
  for (const request of world.discord.requests) {
    if (request.status !== 429) continue;
    const scope = (request.responseBody as { global?: boolean } | undefined)?.global ? "global" : "bucket";
    const key = `${request.route ?? request.path} (${scope})`;
    discord.set(key, (discord.get(key) ?? 0) + 1);
  }
  return [
    `  Roblox requests per class and window (from the start): ${counts}`,
    ...(refusals.length > 0 ? [`  Roblox 429s: ${refusals.join(", ")}`] : []),
    ...(discord.size > 0 ? [`  Discord 429s: ${[...discord].map(([key, count]) => `${key}: ${count}`).join(", ")}`] : []),
    "",
  ].join("\n");
}

function measure(world: ClusterWorld, run: RunFigures): Measured {
  const firstStart = Math.min(...run.guildRuns.map((r) => r.startedAt));
  const lastEnd = Math.max(...run.guildRuns.map((r) => r.endedAt));
  const counts = world.roblox.counts();
  const requests = world.discord.requests;
  const patchesPerGuild = world.guilds.map((guild) => requests.filter((r) => r.method === "PATCH" && r.path.startsWith(`/api/v10/guilds/${guild.id}/members/`)).length);
  const duringSyncs = requests.filter((r) => r.at >= firstStart && r.at <= lastEnd).length;
  const ranges = run.perProcess.map((p) => new Set(parseShardIds(p.shardIds)));
  const onShard = run.guildRuns.every((r) => ranges[r.process]!.has(world.guilds.find((g) => g.id === r.guildId)!.shard));
  const once = world.guilds.every((guild) => run.startsPerGuild.get(guild.id) === 1);
  return {
    processes: run.processes,
    shardIds: run.perProcess.map((p) => p.shardIds).join(" / "),
    readyMs: Math.max(...run.perProcess.map((p) => p.readyAt)) - run.spawnedAt,
    allSyncedMs: lastEnd - run.spawnedAt,
    syncWallMs: lastEnd - firstStart,
    floorRobloxMs: robloxFloorMs(counts.byClass),
    fixedWindowFloorMs: fixedWindowFloorMs(counts.byClass, run.robloxEpoch, run.spawnedAt, patchesPerGuild.reduce((a, b) => a + b, 0)),
    floorDiscordMs: Math.max((Math.max(...patchesPerGuild) / DISCORD_MEMBER_EDITS_PER_SECOND) * 1000, (duringSyncs / DISCORD_GLOBAL_PER_SECOND) * 1000),
    floorIdentifyMs: (spec.shardCount - 1) * IDENTIFY_INTERVAL_MS,
    robloxTotal: counts.total,
    robloxPerProcess: run.perProcess.map((p) => p.robloxRequests),
    robloxBySyncs: run.perProcess.reduce((sum, p) => sum + p.syncRobloxRequests, 0),
    robloxMemberships: counts.byClass["groups.memberships"],
    roblox429: counts.rateLimited + counts.legacyRateLimited,
    discord429AtDiscord: requests.filter((r) => r.status === 429).length,
    discord429FromProxy: Math.max(0, run.perProcess.reduce((sum, p) => sum + p.discord429Received, 0) - requests.filter((r) => r.status === 429).length),
    patches: patchesPerGuild.reduce((a, b) => a + b, 0),
    onceEachOnItsShard: once && onShard && run.guildRuns.length === world.guilds.length,
    errors: run.guildRuns.reduce((sum, r) => sum + r.errors + (r.state === "done" ? 0 : 1), 0),
    leftWrong: world.disagreements(),
    exitCodes: run.exitCodes,
    load: loadavg().map((l) => l.toFixed(1)).join(", "),
  };
}

/** Said under the table when a run met a 429 from Roblox: what was found to cause it. */
const ROBLOX_429_NOTE = `A 429 from Roblox, in runs of more than one process and not in every such run, always in
the first window of the membership reads: each process's first request of an API class (its
start-up check) goes out before any process has heard the phase of Roblox's windows, so the
shared budget counts it in a window aligned to the clock rather than in Roblox's. With N processes
up to N requests of Roblox's first window are then missing from the shared count, and the last
request of that window can be refused; the client waits for the next window and sends it again
(the one more request "by the syncs"). Four clients sharing one budget outside the bench showed
it too: one 429 per client when the emulator's windows were a quarter to a half out of phase
with the clock, none otherwise. A request sent before the phase is known would have to be counted
in both windows it may fall in.
`;

/** The floor of the whole run: the slowest of Roblox's windows, Discord's edits and the IDENTIFY pacing. */
function floorMs(m: Measured): number {
  return Math.max(m.fixedWindowFloorMs, m.floorDiscordMs, m.floorIdentifyMs);
}

function row(m: Measured): string {
  return [
    `${m.processes} (${m.shardIds})`,
    seconds(m.readyMs),
    seconds(m.allSyncedMs),
    seconds(floorMs(m)),
    (m.allSyncedMs / floorMs(m)).toFixed(2),
    seconds(m.syncWallMs),
    seconds(m.floorRobloxMs),
    seconds(m.floorDiscordMs),
    `${n(m.robloxTotal)} (${m.robloxPerProcess.map(n).join(" + ")})`,
    n(m.robloxBySyncs),
    `${m.roblox429} / ${m.discord429AtDiscord} / ${m.discord429FromProxy}`,
    m.onceEachOnItsShard && m.errors === 0 && m.leftWrong === 0 ? "yes" : `no (${m.errors} errors, ${m.leftWrong} left wrong)`,
  ].join(" | ");
}

function section(results: Measured[], tag: { seedMs: number; loadBefore: string }): string {
  const linked = spec.guilds * spec.linkedPerGuild;
  const bySyncs = [...new Set(results.map((m) => m.robloxBySyncs))];
  const startup = [...new Set(results.map((m) => n(Math.round((m.robloxTotal - m.robloxBySyncs) / m.processes))))];
  const perProcess = startup.length === 1 ? `${startup[0]} requests a process` : results.map((m) => `${n(Math.round((m.robloxTotal - m.robloxBySyncs) / m.processes))} a process of ${m.processes}`).join(", ");
  return `## Cluster: one group in 16 guilds on 1, 2 and 4 processes

What it measures: the scheduled sync of every guild when the bot runs as one, two or four processes
(design §8). ${spec.guilds} guilds, their ids chosen so \`(id >> 22) % ${spec.shardCount}\` puts ${spec.guilds / spec.shardCount} on each of ${spec.shardCount} shards, all
bound to one ${n(spec.groupSize)}-member Roblox group; each guild has ${n(spec.guildSize)} members, ${n(spec.linkedPerGuild)} of them linked (${n(linked)} in all,
each guild its own slice of the group), ${Math.round(spec.mismatchedShare * 100)}% of those with a wrong Discord rank. The processes are the
real bot (\`bun src/main.ts\`, what \`bun start\` runs) in its production configuration: \`SHARD_COUNT=${spec.shardCount}\`,
a \`SHARD_IDS\` range each, one PostgreSQL database (\`DATABASE_URL\`, copied for each run from one
seeded template), one Redis (\`REDIS_URL\`, a \`REDIS_PREFIX\` per run), \`SYNC_INTERVAL=${args["sync-interval"]}\` (a guild that never
synced is due within a tenth of it after its process starts), \`ROBLOX_CHANGE_FEED_INTERVAL=off\` (the
scheduled sync alone), and with more than one process \`bun src/proxy/main.ts\` (what \`bun run
discord-proxy\` runs) in front of Discord. The emulators run at real limits, nothing scaled:
Roblox's documented budgets per API key owner in fixed 60 s windows (membership reads 300 a
minute), Discord's member-edit bucket (10 a second per guild), its global limit (50 a second) and
IDENTIFY max_concurrency 1 (one IDENTIFY per 5 s in the whole cluster).

- **ready after**: from starting the processes until every one answers \`/readyz\` 200: four
  IDENTIFYs 5 s apart, whatever the number of processes.
- **wall**: from starting the processes until every guild's sync had finished (its
  \`Automatic sync complete\` log line). **Floor**: the least the limits allow for that work from
  the same start, the largest of: Roblox's fixed windows (they start with the processes here, and a
  window's budget can go at once, so the last membership read can go when the last window it needs
  opens; then the member edits that waited for that window's reads go at Discord's 50 a second);
  the Discord floor; the IDENTIFY pacing (three 5 s gaps).
- **syncs' wall**: from the first scheduled sync's start to the last one's end. It depends on when
  the first guild's sync was due (within a tenth of \`SYNC_INTERVAL\` after its process was
  connected), so it is not the figure to compare.
- **Roblox floor**: requests of each class ÷ its documented rate, the largest, as in the sections
  above: the pace of a steady load. A run this short gets its first window's budget at once, so it
  can finish below it. **Discord floor**: the most member edits of one guild ÷ 10/s, or every
  Discord request during the syncs ÷ 50/s, the larger.
- **Roblox requests**: all the emulator received, with each process's own count (its
  \`rankbridge_roblox_requests_total\`); **by the syncs**: the processes'
  \`rankbridge_sync_requests_total{api="roblox"}\`. The rest are each process's start-up check of the
  credentials (${perProcess}).
- **429s**: from Roblox / from Discord itself / from the proxy (a request the proxy refused because
  it knew the bucket or the global limit to be spent; the bot waited \`Retry-After\` and sent it again).
  Those from Discord itself were on its global limit, in every run here: the proxy's 1 s windows
  are its estimate of Discord's (docs/cluster.md, "The Discord REST proxy").
- **ok**: every guild's sync ran exactly once in the cluster, on the process holding its shard,
  ended \`done\` with no member in error, and left no linked member with a wrong rank.

Reproduce (needs the machine's PostgreSQL and Redis; six to seven minutes, a minute or more of it seeding): \`bun bench/cluster.ts\`
(\`--database-url postgres://root@127.0.0.1:5432/postgres --redis-url redis://127.0.0.1:6379\` are the
defaults: the bench creates its own databases on that server and drops them, and works under a key
prefix of its own; \`--processes 1,4\` for some runs only; \`--write-docs\` rewrites this section).
Seeding the template database took ${seconds(tag.seedMs)}.

${machine()} load average ${tag.loadBefore} before the runs; other work shared the machine.

| processes (SHARD_IDS) | ready after | wall | floor | wall ÷ floor | syncs' wall | Roblox floor (requests ÷ rate) | Discord floor | Roblox requests (per process) | by the syncs | 429s (Roblox / Discord / proxy) | ok |
| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |
${results.map((m) => `| ${row(m)} |`).join("\n")}

Load average at the end of each run (the bench, its emulators, PostgreSQL and the bots on two
vCPUs): ${results.map((m) => `${m.processes} process${m.processes > 1 ? "es" : ""}: ${m.load}`).join("; ")}.
Membership reads (the class that sets the floors): ${results.map((m) => n(m.robloxMemberships)).join(", ")}; member edits: ${results.map((m) => n(m.patches)).join(", ")}.
Roblox requests by the syncs: ${bySyncs.length === 1 ? `${n(bySyncs[0]!)} on every run` : results.map((m) => n(m.robloxBySyncs)).join(", ")}; 429s from Roblox: ${results.map((m) => m.roblox429).join(", ")};
wall ÷ floor: ${results.map((m) => (m.allSyncedMs / floorMs(m)).toFixed(2)).join(", ")}.
${results.some((m) => m.roblox429 > 0) ? `\n${ROBLOX_429_NOTE}` : ""}`;
}

const loadBefore = loadavg().map((l) => l.toFixed(1)).join(", ");
const tag = crypto.randomUUID().replaceAll("-", "").slice(0, 10);
process.stderr.write(`building ${spec.guilds} guilds on a ${n(spec.groupSize)}-member group…\n`);
const world = await createClusterWorld(spec);
const results: Measured[] = [];
const seedStarted = Date.now();
const template = await seedTemplate(args["database-url"], world, tag);
const seedMs = Date.now() - seedStarted;
process.stderr.write(`template database seeded in ${seconds(seedMs)}\n`);
try {
  for (const processes of args.processes.split(",").map(Number)) {
    process.stderr.write(`${processes} process(es)…\n`);
    const database = await copyDatabase(args["database-url"], template, `rankbridge_bench_cluster_${tag}_${processes}`);
    try {
      const run = await runCluster({
        world,
        processes,
        shardCount: spec.shardCount,
        databaseUrl: database.url,
        redisUrl: args["redis-url"],
        syncInterval: args["sync-interval"],
        timeoutMs: 5 * 60_000,
      });
      const measured = measure(world, run);
      results.push(measured);
      process.stderr.write(`| ${row(measured)} |\n${robloxWindowReport(world, run.robloxEpoch)}`);
    } finally {
      await database.drop();
    }
  }
} finally {
  await template.drop();
  await world.close();
}

const text = section(results, { seedMs, loadBefore });
process.stdout.write(`${text}\n`);
if (args["write-docs"]) writeDocsSection("Cluster: one group in 16 guilds on 1, 2 and 4 processes", text);
const failed = results.filter((m) => !m.onceEachOnItsShard || m.errors > 0 || m.leftWrong > 0 || m.roblox429 > 0 || m.exitCodes.some((code) => code !== 0));
if (failed.length > 0) {
  process.stderr.write(`failed: ${failed.map((m) => `${m.processes} process(es)`).join(", ")}\n`);
  process.exit(1);
}
