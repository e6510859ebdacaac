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
 * issue's earlier measurement; read by user id), each with 50,000 linked three times (--memory-runs).
 * The marginal bytes per unlinked member are the 1,000,000 runs' median peak RSS minus the 100,000
 * runs', over the 900,000 members between them.
 *
 * Pacing: 100,000 group / 20,000 guild / 2,000 linked / 10% changed at Discord's real limits, with
 * the REST client and pacer exactly as production builds them (no emulator-only option).
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { ChildResult } from "../test/sync/support/sync-child.ts";
import { disagreements, type WorldSpec } from "../test/sync/support/world.ts";
import { freshWorld, machine, n, robloxFloorMs, runChild, seconds, writeDocsSection } from "./child.ts";

const { values: args } = parseArgs({
  options: {
    part: { type: "string", default: "all" },
    sizes: { type: "string", default: "100000,400000,1000000" },
    "issue-sizes": { type: "string", default: "100000,400000" },
    linked: { type: "string", default: "50000" },
    changed: { type: "string", default: "0.02" },
    scale: { type: "string", default: "20" },
    "pacing-runs": { type: "string", default: "3" },
    "memory-runs": { type: "string", default: "3" },
    /** Also run the largest guild with the all-members chunks paced like Discord's (0: not). */
    "paced-chunks-per-second": { type: "string", default: "30" },
    "write-docs": { type: "boolean", default: false },
  },
});

const MB = 2 ** 20;
/** Discord's member PATCH bucket: 10 a second per guild (the emulator's default, unscaled). */
const MEMBER_EDITS_PER_WINDOW = 10;
const WINDOW_MS = 1000;

interface Measured {
  /** One-minute load average of the machine as the run started (the machine is shared). */
  load: number;
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
    const load = loadavg()[0]!;
    const result = await runChild(world, databasePath, "bulk", spec.timeScale, extra);
    const requests = world.discord.requests;
    const patches = requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path)).length;
    const discordFloorMs = (patches / (MEMBER_EDITS_PER_WINDOW / (WINDOW_MS * spec.timeScale)));
    return {
      load,
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
  return `| ${n(m.guildSize)} | ${n(m.linked)} | ${m.load.toFixed(1)} | ${mb(r.peakRssBytes)} | ${mb(r.baselineRssBytes)} | ${n(r.memberState.members)} / ${mb(r.memberState.approximateBytes)} | ${seconds(r.planningCpuMs ?? 0)} | ${seconds(r.cpuUserMs + r.cpuSystemMs)} | ${seconds(outcome.durationMs)} (${(outcome.durationMs / m.floorMs).toFixed(2)}× floor) | ${n(m.patches)} | ${m.discord429} / ${m.roblox429} | ${m.fixed ? "yes" : "**no**"} |`;
}

async function memoryPart(): Promise<string> {
  const sizes = args.sizes.split(",").map(Number);
  const linked = Number(args.linked);
  const streamed: Measured[] = [];
  // The largest guild also runs once with the heap sampled (where the bytes go); that sampling
  // walks the heap, so its peak is not among the figures.
  for (let run = 0; run < Number(args["memory-runs"]); run++) {
    for (const size of sizes) streamed.push(await measure(memorySpec(size, linked)));
  }
  const profiled = await measure(memorySpec(Math.max(...sizes), linked), { heapProfile: true });
  const pace = Number(args["paced-chunks-per-second"]);
  const paced = pace > 0 ? await measure({ ...memorySpec(Math.max(...sizes), linked), memberChunksPerSecond: pace }) : undefined;
  const few: Measured[] = [];
  for (const size of args["issue-sizes"].split(",").map(Number).filter((s) => s > 0)) few.push(await measure(memorySpec(size, 50)));

  // Medians over the runs of each size.
  const median = (size: number) => {
    const peaks = streamed.filter((m) => m.guildSize === size).map((m) => m.result.peakRssBytes).sort((a, b) => a - b);
    return peaks[Math.floor(peaks.length / 2)]!;
  };
  const smallest = Math.min(...sizes);
  const largest = Math.max(...sizes);
  const rangeOf = (size: number) => {
    const peaks = streamed.filter((m) => m.guildSize === size).map((m) => m.result.peakRssBytes);
    return `${mb(Math.min(...peaks))}–${mb(Math.max(...peaks))} over ${peaks.length} runs`;
  };
  const marginal = (median(largest) - median(smallest)) / (largest - smallest);
  const heap = profiled.result.heap;
  const header =
    "| guild and group | linked | load | bot peak RSS | RSS before the run | member state at most (members / estimate) | CPU until planned | CPU in all | wall | PATCHes | 429s (Discord / Roblox) | every mismatch fixed |\n| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";
  const issueOld: Record<number, string> = { 100000: "165 MB", 400000: "303 MB" };
  const comparison = few
    .map((m) => `| ${n(m.guildSize)} | ${issueOld[m.guildSize] ?? "–"} | ${mb(m.result.peakRssBytes)} |`)
    .join("\n");
  return `${header}
${streamed.map(memoryRow).join("\n")}
${few.map(memoryRow).join("\n")}

Median bot peak RSS by guild size: ${sizes.map((size) => `${n(size)}: ${mb(median(size))} (${rangeOf(size)})`).join("; ")}.

${
  largest > smallest
    ? `Marginal peak RSS per unlinked member, ${n(smallest)} → ${n(largest)} members with ${n(linked)} linked (median peaks):
**${marginal.toFixed(1)} bytes** (${mb(median(largest) - median(smallest))} over ${n(largest - smallest)} members).
`
    : ""
}
${
  paced
    ? `With the all-members chunks paced at ${pace} a second (nearer Discord's own pace; the emulator otherwise sends them as fast as the bot reads, ten or more times faster), the ${n(largest)}-member run peaked at ${mb(paced.result.peakRssBytes)}. Its CPU until planned, ${seconds(paced.result.planningCpuMs ?? 0)}, spans a stream ${seconds((largest / 1000 / pace) * 1000)} long, in which the collector also runs in the idle time between chunks.\n\n`
    : ""
}Beside the earlier measurement (a whole-guild \`/sync\` with 50 members linked):

| guild members | before (issue 9, whole process tree) | now (bot process) |
| --- | --- | --- |
${comparison}
${
  heap
    ? `
Where the bytes go in the ${n(largest)}-member run (a separate run that collects garbage and reads
\`heapStats()\` once a second; its peak RSS is ${mb(profiled.result.peakRssBytes)}): the largest live JavaScript heap was ${mb(heap.heapSizeBytes)}
(${mb(heap.beforeCollectionBytes)} just before that collection, garbage included), ${mb(heap.extraMemoryBytes)} outside it (strings' and buffers'
storage), ${n(heap.objectCount)} objects; most numerous: ${heap.topTypes.map(([type, count]) => `${type} ${n(count)}`).join(", ")}.
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

const MARGIN_PROSE = `Why production paid about 0.1 s a window before: @discordjs/rest 2.6 adds its \`offset\` (default
50 ms) twice per rate-limit window, once when it stores the reset (\`X-RateLimit-Reset-After\` + now +
offset) and again when it computes the wait (reset + offset − now): 100 ms on every 1 s member-edit
window, which is the 1.12 × measured before (21.3 s against 19.0 s). The margin now kept is
\`RATE_LIMIT_RESET_MARGIN_MS\` = 1 ms (src/discord/rest.ts), so 2 ms a window. Clock skew needs no
margin: \`X-RateLimit-Reset-After\` is relative, counted by Discord when it answered, and it is added
to our clock only once the response has arrived, so the reset we wait for is late by the response's
trip, and the next request reaches Discord a further trip later (a whole round trip of margin,
never less). What latency does not cover is rounding: the header has millisecond precision and
\`Date.now()\` truncates to the millisecond, which the 1 ms covers even on a zero-latency path. The
client-side global limit (50/s) is counted from our own sends, and the sync's pacer keeps its own
traffic at 40/s below it.`;

const parts: string[] = [];
if (args.part === "all" || args.part === "memory") parts.push(`### Memory\n\n${await memoryPart()}`);
if (args.part === "all" || args.part === "pacing") parts.push(`### Pacing in the production configuration\n\n${await pacingPart()}\n\n${MARGIN_PROSE}`);

const text = `## Large guilds

What it measures (\`bench/large-guild.ts\`): a whole-guild sync in guilds of up to 1,000,000 members,
with the bot in a process of its own (its peak RSS sampled every 25 ms; CPU time until the run's
planning was seen done, read every 200 ms, which covers reading the members, reading Roblox and
planning, plus whatever was applied meanwhile, so an upper bound; and CPU in all).
Guild and group have the same size; ${Math.round(Number(args.changed) * 100)}% of the linked members have a wrong rank. The emulators
run in the benchmark's process, at Discord's and Roblox's limits with every window divided by
${args.scale} for the memory part, unscaled for the pacing part. The member state holds only the members a
sync can need: the linked ones (and those with a pending change), in compact form (one map entry
per member pointing at a shared, frozen role list; role ids interned per guild). With more than
1,000 linked members the guild is read from the all-members stream (1,000 a chunk), each chunk
reduced to the linked members as it arrives; with fewer, by \`user_ids\` (100 a request, outside the
30 s all-members limit), so the rest of the guild is never read. "Member state at most" is what
\`/metrics\` shows (\`rankbridge_member_state_members\` and \`rankbridge_member_state_bytes\`), summed over
the snapshot kept for the next run and the run's own copy.

Reproduce (offline, about ten minutes):
\`bun bench/large-guild.ts\` (\`--part memory\` or \`--part pacing\` for one part, \`--write-docs\` to
rewrite this section). The machine is shared: each row notes the load average as it started. Peak
RSS moves by tens of MB from run to run with when the garbage collector runs (more under load), so
the medians are the figures; the live heap (the last paragraph) is what the bot actually keeps.

${machine()}

${parts.join("\n\n")}
`;
process.stdout.write(text);
if (args["write-docs"]) writeDocsSection("Large guilds", text);
