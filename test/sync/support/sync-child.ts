/**
 * The sync stack in a process of its own, so a test can SIGKILL it mid-run and start another on
 * the same database file, and so the benchmark measures the bot's CPU time and memory apart from
 * the emulators'. Configured by SYNC_CHILD_CONFIG (JSON, see ChildConfig); prints one
 * `RESULT {json}` line when done.
 *
 *   bun test/sync/support/sync-child.ts
 */
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
  timeScale: number;
  sliceSize?: number;
  robloxPerMinute?: Record<string, number>;
  logLevel?: string;
  /** member-by-member: only the first this many linked members. */
  memberLimit?: number;
}

export interface ChildResult {
  mode: ChildMode;
  wallMs: number;
  cpuUserMs: number;
  cpuSystemMs: number;
  peakRssBytes: number;
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
});
await bot.guildReady(config.guildId);

let peakRss = process.memoryUsage().rss;
const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 25);
const cpuBefore = process.cpuUsage();
const started = performance.now();
const result: ChildResult = { mode: config.mode, wallMs: 0, cpuUserMs: 0, cpuSystemMs: 0, peakRssBytes: 0 };

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
const cpu = process.cpuUsage(cpuBefore);
result.cpuUserMs = cpu.user / 1000;
result.cpuSystemMs = cpu.system / 1000;
clearInterval(sampler);
result.peakRssBytes = Math.max(peakRss, process.memoryUsage().rss);
process.stdout.write(`RESULT ${JSON.stringify(result)}\n`);
await bot.close();
process.exit(0);
