/**
 * The sync stack in a process of its own, so a test can SIGKILL it mid-run and start another on
 * the same database file, and so the benchmark measures the bot's CPU time and memory apart from
 * the emulators'. Configured by SYNC_CHILD_CONFIG (JSON, see ChildConfig); prints one
 * `RESULT {json}` line when done.
 *
 *   bun test/sync/support/sync-child.ts
 */
import { heapStats } from "bun:jsc";
import type { RunOutcome } from "../../../src/sync/bulk-sync.ts";
import { startSyncBot, type BotEndpoints } from "./bot.ts";
import { memberByMemberSync, type MemberByMemberResult } from "./member-by-member.ts";

export type ChildMode =
  /** One bulk run (trigger background). */
  | "bulk"
  /** Carry on whatever a killed process left unfinished. */
  | "resume"
  /** The strategy other bots use, for comparison. */
  | "member-by-member";

export interface ChildConfig extends BotEndpoints {
  mode: ChildMode;
  guildId: string;
  databasePath: string;
  /** PostgreSQL instead of the SQLite file. */
  databaseUrl?: string;
  timeScale: number;
  sliceSize?: number;
  robloxPerMinute?: Record<string, number>;
  logLevel?: string;
  /** member-by-member: only the first this many linked members. */
  memberLimit?: number;
  /** REST and pacer as in production (timeScale 1 only). */
  productionRest?: boolean;
  /** Also collect and sample `heapStats()` once a second and report the largest live heap's make-up. */
  heapProfile?: boolean;
}

/** The largest live JavaScript heap seen during the run (after a full collection), and what filled it. */
export interface HeapSample {
  heapSizeBytes: number;
  /** The same heap just before that collection, garbage included. */
  beforeCollectionBytes: number;
  extraMemoryBytes: number;
  objectCount: number;
  /** The most numerous object types, most first. */
  topTypes: [string, number][];
}

export interface ChildResult {
  mode: ChildMode;
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  peakRssBytes: number;
  /** RSS once connected, before the run. */
  baselineRssBytes: number;
  /** CPU time from the start until the run's planning was done (member read, Roblox read, plan). */
  planningCpuMs?: number;
  /** The most members the member state held (snapshot and run) and its estimated bytes then. */
  memberState: { members: number; approximateBytes: number };
  heap?: HeapSample;
  outcomes?: RunOutcome[];
  memberByMember?: MemberByMemberResult;
}

const config = JSON.parse(process.env.SYNC_CHILD_CONFIG ?? "{}") as ChildConfig;
const bot = await startSyncBot({
  ...config,
  echoLogs: true,
  logLevel: config.logLevel ?? "info",
  tuning: config.sliceSize ? { sliceSize: config.sliceSize } : {},
  ...(config.robloxPerMinute ? { robloxPerMinute: config.robloxPerMinute } : {}),
  productionRest: config.productionRest,
});
await bot.guildReady(config.guildId);

const baselineRss = process.memoryUsage().rss;
let peakRss = baselineRss;
const cpuBefore = process.cpuUsage();
const cpuMs = () => {
  const cpu = process.cpuUsage(cpuBefore);
  return (cpu.user + cpu.system) / 1000;
};
const started = performance.now();
const result: ChildResult = {
  mode: config.mode,
  wallMs: 0,
  cpuUserMs: 0,
  cpuSystemMs: 0,
  peakRssBytes: 0,
  baselineRssBytes: baselineRss,
  memberState: { members: 0, approximateBytes: 0 },
};
const rssSampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
// Less often: reading the member state's size and the run's row costs CPU the run is measured by.
const sampler = setInterval(async () => {
  const held = memberStateNow();
  if (held.members > result.memberState.members) result.memberState = held;
  if (result.planningCpuMs === undefined) {
    const running = await bot.repositories.syncRuns.findRunning(config.guildId);
    if ((running?.progress as { planningDone?: boolean } | null)?.planningDone) result.planningCpuMs = cpuMs();
  }
}, 200);
// Once a second: the heap as it is (garbage included), then what a full collection leaves (live).
const heapSampler = config.heapProfile
  ? setInterval(() => {
      const withGarbage = heapStats().heapSize;
      Bun.gc(true);
      const stats = heapStats();
      if (stats.heapSize <= (result.heap?.heapSizeBytes ?? 0)) return;
      const topTypes = Object.entries(stats.objectTypeCounts).sort((a, b) => b[1] - a[1]).slice(0, 8);
      result.heap = { heapSizeBytes: stats.heapSize, beforeCollectionBytes: withGarbage, extraMemoryBytes: stats.extraMemorySize, objectCount: stats.objectCount, topTypes };
    }, 1000)
  : undefined;

/** The member state's size summed over the snapshot and the run, as /metrics shows it. */
function memberStateNow(): { members: number; approximateBytes: number } {
  let members = 0;
  let approximateBytes = 0;
  for (const size of [...bot.memberSnapshots.sizes(), ...bot.bulkSync.memberStateSizes()]) {
    members += size.members;
    approximateBytes += size.approximateBytes;
  }
  return { members, approximateBytes };
}

if (config.mode === "bulk") {
  const run = await bot.bulkSync.runBackground(config.guildId);
  if (run.kind !== "ran") throw new Error(`the run did not start: ${run.reason}`);
  result.outcomes = [run.outcome];
} else if (config.mode === "resume") {
  const runs = await bot.bulkSync.resumeUnfinished();
  result.outcomes = await Promise.all(runs.map((run) => run.finished));
} else {
  result.memberByMember = await memberByMemberSync(bot, config.guildId, config.groupId, config.memberLimit);
}

result.wallMs = performance.now() - started;
// A short run can end between two samples; the snapshot it leaves is still held.
const heldAtEnd = memberStateNow();
if (heldAtEnd.members > result.memberState.members) result.memberState = heldAtEnd;
const cpu = process.cpuUsage(cpuBefore);
result.cpuUserMs = cpu.user / 1000;
result.cpuSystemMs = cpu.system / 1000;
clearInterval(rssSampler);
clearInterval(sampler);
clearInterval(heapSampler);
result.planningCpuMs ??= cpuMs();
result.peakRssBytes = Math.max(peakRss, process.memoryUsage().rss);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
await bot.close();
process.exit(0);
