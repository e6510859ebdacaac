/**
 * Large-guild benchmark (run on demand, not a test): the bot's memory and CPU on guilds of up to
 * 1,000,000 members, and Discord pacing in the production REST configuration.
 *
 *   bun bench/large-guild.ts                    # both parts
 *   bun bench/large-guild.ts --part memory      # guilds of 100,000 / 400,000 / 1,000,000
 *   bun bench/large-guild.ts --part pacing      # production REST, real (unscaled) limits
 *   bun bench/large-guild.ts --write-docs       # also replace the "Large guilds" section of docs/benchmarks.md
 *
 * Memory: a whole-guild sync (guild and group of the same size, 2% of the linked members with a
 * wrong rank) with the emulators' windows divided by --scale (20), the bot in a process of its own
 * (peak RSS sampled every 25 ms, CPU until planning was done and in all). The same guild sizes run
 * with 50,000 linked (read from the all-members stream, 1000 a chunk) and with 50 linked (the
 * issue's earlier measurement; read by user id). The marginal bytes per unlinked member are the
 * 1,000,000 run's peak RSS minus the 100,000 run's, over the 900,000 members between them.
 *
 * Pacing: 100,000 group / 20,000 guild / 2,000 linked / 10% changed at Discord's real limits, with
 * the REST client and pacer exactly as production builds them (no emulator-only option).
 */
import { parseArgs } from "node:util";
import type { ChildResult } from "../test/sync/support/sync-child.ts";
import { disagreements, type WorldSpec } from "../test/sync/support/world.ts";
import { freshWorld, machine, n, robloxFloorMs, runChild, seconds, writeDocsSection } from "./support.ts";

const { values: args } = parseArgs({
  options: {
    part: { type: "string", default: "all" },
    sizes: { type: "string", default: "100000,400000,1000000" },
    "issue-sizes": { type: "string", default: "100000,400000" },
    linked: { type: "string", default: "50000" },
    changed: { type: "string", default: "0.02" },
    scale: { type: "string", default: "20" },
    "pacing-runs": { type: "string", default: "3" },
    "write-docs": { type: "boolean", default: false },
  },
});

const MB = 2 ** 20;
/** Discord's member PATCH bucket: 10 a second per guild (the emulator's default, unscaled). */
const MEMBER_EDITS_PER_WINDOW = 10;
const WINDOW_MS = 1000;

interface Measured {
  guildSize: number;
  linked: number;
  result: ChildResult;
  patches: number;
  discord429: number;
  roblox429: number;
  fixed: boolean;
  floorMs: number;
}

async function measure(spec: WorldSpec, extra: { productionRest?: boolean; heapProfile?: boolean } = {}): Promise<Measured> {
  process.stderr.write(`${n(spec.guildSize)}-member guild, ${n(spec.linked)} linked: seeding…\n`);
  const { world, databasePath, cleanup } = await freshWorld({ ...spec, recordRobloxRequests: false });
  try {
    process.stderr.write(`  ${n(disagreements(world).length)} to change; syncing…\n`);
    const result = await runChild(world, databasePath, spec.timeScale, "bulk", extra);
    const requests = world.discord.requests;
    const patches = requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path)).length;
    const discordFloorMs = (patches / (MEMBER_EDITS_PER_WINDOW / (WINDOW_MS * spec.timeScale)));
    return {
      guildSize: spec.guildSize,
      linked: spec.linked,
      result,
      patches,
      discord429: requests.filter((r) => r.status === 429).length,
      roblox429: world.roblox.counts().rateLimited,
      fixed: disagreements(world).length === 0,
      floorMs: Math.max(discordFloorMs, robloxFloorMs(world, spec.robloxWindowMs)),
    };
  } finally {
    await cleanup();
  }
}

function memorySpec(size: number, linked: number): WorldSpec {
  const timeScale = 1 / Number(args.scale);
  return { groupSize: size, guildSize: size, linked, mismatchedShare: Number(args.changed), timeScale, robloxWindowMs: 60_000 * timeScale };
}

const mb = (bytes: number) => `${(bytes / MB).toFixed(0)} MB`;

function memoryRow(m: Measured): string {
  const r = m.result;
  const outcome = r.outcomes![0]!;
  return `| ${n(m.guildSize)} | ${n(m.linked)} | ${mb(r.peakRssBytes)} | ${mb(r.baselineRssBytes)} | ${n(r.memberState.members)} / ${mb(r.memberState.approximateBytes)} | ${seconds(r.planningCpuMs ?? 0)} | ${seconds(r.cpuUserMs + r.cpuSystemMs)} | ${seconds(outcome.durationMs)} (${(outcome.durationMs / m.floorMs).toFixed(2)}× floor) | ${n(m.patches)} | ${m.discord429} / ${m.roblox429} | ${m.fixed ? "yes" : "**no**"} |`;
}

async function memoryPart(): Promise<string> {
  const sizes = args.sizes.split(",").map(Number);
  const linked = Number(args.linked);
  const streamed: Measured[] = [];
  for (const size of sizes) streamed.push(await measure(memorySpec(size, linked), { heapProfile: size === Math.max(...sizes) }));
  const few: Measured[] = [];
  for (const size of args["issue-sizes"].split(",").map(Number).filter((s) => s > 0)) few.push(await measure(memorySpec(size, 50)));

  const smallest = streamed[0]!;
  const largest = streamed[streamed.length - 1]!;
  const marginal = (largest.result.peakRssBytes - smallest.result.peakRssBytes) / (largest.guildSize - smallest.guildSize);
  const heap = largest.result.heap;
  const header =
    "| guild and group | linked | bot peak RSS | RSS before the run | member state at most (members / estimate) | CPU until planned | CPU in all | wall | PATCHes | 429s (Discord / Roblox) | every mismatch fixed |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";
  const issueOld: Record<number, string> = { 100_000: "165 MB", 400_000: "303 MB" };
  const comparison = few
    .map((m) => `| ${n(m.guildSize)} | ${issueOld[m.guildSize] ?? "–"} | ${mb(m.result.peakRssBytes)} |`)
    .join("\n");
  return `${header}
${streamed.map(memoryRow).join("\n")}
${few.map(memoryRow).join("\n")}

Marginal peak RSS per unlinked member, ${n(smallest.guildSize)} → ${n(largest.guildSize)} members with ${n(linked)} linked:
**${marginal.toFixed(1)} bytes** (${mb(largest.result.peakRssBytes - smallest.result.peakRssBytes)} over ${n(largest.guildSize - smallest.guildSize)} members).

Beside the earlier measurement (a whole-guild \`/sync\` with 50 members linked):

| guild members | before (issue 9, whole process tree) | now (bot process) |
| --- | --- | --- |
${comparison}
${
  heap
    ? `
Where the bytes go at the ${n(largest.guildSize)}-member run's largest JavaScript heap (\`heapStats()\` once a second):
${mb(heap.heapSizeBytes)} heap, ${mb(heap.extraMemoryBytes)} outside it (strings' and buffers' storage), ${n(heap.objectCount)} objects; most numerous:
${heap.topTypes.map(([type, count]) => `${type} ${n(count)}`).join(", ")}.
`
    : ""
}`;
}

async function pacingPart(): Promise<string> {
  const spec: WorldSpec = { groupSize: 100_000, guildSize: 20_000, linked: 2_000, mismatchedShare: 0.1, timeScale: 1, robloxWindowMs: 60_000 };
  const runs: Measured[] = [];
  for (let i = 0; i < Number(args["pacing-runs"]); i++) runs.push(await measure(spec, { productionRest: true }));
  const rows = runs.map((m) => {
    const wall = m.result.outcomes![0]!.durationMs;
    // Fixed windows make the first burst free: the strictest minimum is one window shorter.
    const strictFloor = (Math.ceil(m.patches / MEMBER_EDITS_PER_WINDOW) - 1) * WINDOW_MS;
    return `| ${seconds(wall)} | ${seconds(m.floorMs)} | ${seconds(strictFloor)} | ${(wall / strictFloor).toFixed(3)} | ${n(m.patches)} | ${m.discord429} / ${m.roblox429} | ${m.fixed ? "yes" : "**no**"} |`;
  });
  return `| wall | floor (PATCHes ÷ 10/s) | strict floor (one window fewer) | wall ÷ strict floor | PATCHes | 429s (Discord / Roblox) | every mismatch fixed |
| --- | --- | --- | --- | --- | --- | --- |
${rows.join("\n")}`;
}

const parts: string[] = [];
if (args.part === "all" || args.part === "memory") parts.push(`### Memory\n\n${await memoryPart()}`);
if (args.part === "all" || args.part === "pacing") parts.push(`### Pacing in the production configuration\n\n${await pacingPart()}`);
const text = `${machine()}\n\n${parts.join("\n\n")}\n`;
process.stdout.write(text);
if (args["write-docs"]) process.stderr.write(`figures to paste into docs/benchmarks.md ("Large guilds"); written to ${await writeDocsSection("Large guilds (generated)", `## Large guilds (generated)\n\n${text}`)}\n`);
