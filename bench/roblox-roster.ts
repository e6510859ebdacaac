/**
 * Roblox roster benchmark: reads a whole group roster through the real client against the Roblox
 * emulator at a scaled-down rate limit and compares the wall time with the floor the limit sets
 * (requests ÷ allowed rate). The client must stay within 10% of that floor without a single 429.
 *
 *   bun bench/roblox-roster.ts                      # both default scenarios
 *   bun bench/roblox-roster.ts --members 10000 --limit 10 --window-ms 250 --latency-ms 0
 *
 * Exits non-zero when a scenario is slower than 1.10 × floor, sees a 429, or sends a request
 * beyond ceil(members / 100).
 */
import { parseArgs } from "node:util";
import { RobloxClient } from "../src/roblox/client.ts";
import { defaultRoles, startRobloxEmulator } from "../test/emulators/roblox/index.ts";

const GROUP_ID = 4_200;
const ALLOWED_RATIO = 1.1;

interface Scenario {
  members: number;
  /** Requests allowed per window for the memberships class. */
  limit: number;
  windowMs: number;
  latencyMs: number;
}

interface Outcome extends Scenario {
  requests: number;
  rateLimited: number;
  seconds: number;
  floorSeconds: number;
  ratio: number;
  /** The least time a fixed-window limiter allows: the first window's burst is free. */
  burstFloorSeconds: number;
}

async function run(scenario: Scenario): Promise<Outcome> {
  const rbx = await startRobloxEmulator({
    record: false,
    latencyMs: scenario.latencyMs,
    rateLimits: { windowMs: scenario.windowMs, perMinute: { "groups.memberships": scenario.limit } },
  });
  try {
    rbx.createGroup({ id: GROUP_ID, name: "Benchmark Group", ownerId: null, roles: defaultRoles(GROUP_ID) });
    rbx.bulkSeed(GROUP_ID, scenario.members);
    rbx.addUser({ id: 2, name: "RankBot" });
    rbx.addApiKey("bench-key", { ownerUserId: 2, scopes: ["group:read"] });
    // Start on a fresh window, as the floor assumes a full rate from the first request.
    rbx.resetRateLimits();
    rbx.resetCounts();

    const client = new RobloxClient({ apiKey: "bench-key", urlTemplate: rbx.urlTemplate });
    let seen = 0;
    const started = performance.now();
    for await (const page of client.roster(GROUP_ID)) seen += page.members.length;
    const seconds = (performance.now() - started) / 1000;
    await client.close();
    if (seen !== scenario.members) throw new Error(`read ${seen} members, expected ${scenario.members}`);

    const counts = rbx.counts();
    const requests = counts.byClass["groups.memberships"];
    const floorSeconds = requests / (scenario.limit / (scenario.windowMs / 1000));
    const burstFloorSeconds = ((Math.ceil(requests / scenario.limit) - 1) * scenario.windowMs) / 1000;
    return {
      ...scenario,
      requests,
      rateLimited: counts.rateLimited,
      seconds,
      floorSeconds,
      ratio: seconds / floorSeconds,
      burstFloorSeconds,
    };
  } finally {
    await rbx.close();
  }
}

const { values } = parseArgs({
  options: {
    members: { type: "string" },
    limit: { type: "string" },
    "window-ms": { type: "string" },
    "latency-ms": { type: "string" },
  },
});

const custom = values.members ?? values.limit ?? values["window-ms"] ?? values["latency-ms"];
const scenarios: Scenario[] = custom
  ? [
      {
        members: Number(values.members ?? 10_000),
        limit: Number(values.limit ?? 10),
        windowMs: Number(values["window-ms"] ?? 250),
        latencyMs: Number(values["latency-ms"] ?? 0),
      },
    ]
  : [
      // Sub-second window: the emulator's reset header carries milliseconds.
      { members: 10_000, limit: 10, windowMs: 250, latencyMs: 0 },
      // Whole-second window: the reset header is rounded up to whole seconds, as on Roblox.
      { members: 10_000, limit: 25, windowMs: 1_000, latencyMs: 2 },
    ];

let failed = false;
for (const scenario of scenarios) {
  const outcome = await run(scenario);
  const expectedRequests = Math.ceil(scenario.members / 100);
  const ok = outcome.ratio <= ALLOWED_RATIO && outcome.rateLimited === 0 && outcome.requests === expectedRequests;
  failed ||= !ok;
  console.log(
    [
      `roster of ${outcome.members} members at ${outcome.limit} requests per ${outcome.windowMs} ms (latency ${outcome.latencyMs} ms):`,
      `  requests ${outcome.requests} (expected ${expectedRequests}), 429s ${outcome.rateLimited}`,
      `  wall ${outcome.seconds.toFixed(3)} s, floor ${outcome.floorSeconds.toFixed(3)} s, ratio ${outcome.ratio.toFixed(3)} (limit ${ALLOWED_RATIO}) ${ok ? "OK" : "FAIL"}`,
      `  (fixed-window minimum, first burst free: ${outcome.burstFloorSeconds.toFixed(3)} s; wall is ${(outcome.seconds / outcome.burstFloorSeconds).toFixed(3)} of it)`,
    ].join("\n"),
  );
}
process.exit(failed ? 1 : 0);
