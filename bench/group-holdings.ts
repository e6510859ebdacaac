/**
 * Other groups' memberships (binds on an ally group): the roles N linked users hold in the guild's
 * group and an ally group, read through the real client (`readGroupRoleHoldings`) against the
 * Roblox emulator at a scaled-down rate limit. Checks that the membership requests are the fewer of
 * the shared pass (ceil(N / 50)) and the two rosters (100 a page), with no 429, and compares the
 * wall time with the floor the limit sets (requests ÷ allowed rate).
 *
 *   bun bench/group-holdings.ts
 *
 * Exits non-zero when a scenario sends more membership requests than planned or sees a 429.
 */
import { RobloxClient } from "../src/roblox/client.ts";
import { defaultRoles, startRobloxEmulator } from "../test/emulators/roblox/index.ts";

const OWN = 4_300;
const ALLY = 4_301;
const LIMIT = 10;
const WINDOW_MS = 250;

interface Scenario {
  ownMembers: number;
  allyMembers: number;
  linked: number;
  /** Share of the linked users also in the ally group. */
  inAlly: number;
}

async function run(scenario: Scenario) {
  const rbx = await startRobloxEmulator({ record: false, rateLimits: { windowMs: WINDOW_MS, perMinute: { "groups.memberships": LIMIT } } });
  try {
    rbx.addUser({ id: 2, name: "RankBot" });
    rbx.addApiKey("bench-key", { ownerUserId: 2, scopes: ["group:read"] });
    rbx.createGroup({ id: OWN, name: "Own", ownerId: null, roles: defaultRoles(OWN) });
    rbx.createGroup({ id: ALLY, name: "Ally", ownerId: null, roles: defaultRoles(ALLY) });
    const own = rbx.bulkSeed(OWN, scenario.ownMembers, { roles: [OWN * 1000 + 5, OWN * 1000 + 7] });
    const linked = own.slice(0, scenario.linked);
    const allied = linked.slice(0, Math.round(linked.length * scenario.inAlly));
    for (const userId of allied) rbx.setMembership(ALLY, userId, ALLY * 1000 + 7);
    rbx.bulkSeed(ALLY, Math.max(0, scenario.allyMembers - allied.length));
    rbx.resetRateLimits();
    rbx.resetCounts();

    const client = new RobloxClient({ apiKey: "bench-key", urlTemplate: rbx.urlTemplate });
    const started = performance.now();
    const read = await client.readGroupRoleHoldings([OWN, ALLY], linked);
    const seconds = (performance.now() - started) / 1000;
    await client.close();
    if (read.holdings.get(OWN)!.size !== linked.length || read.holdings.get(ALLY)!.size !== allied.length) {
      throw new Error("the read missed members");
    }
    const counts = rbx.counts();
    const requests = counts.byClass["groups.memberships"];
    const floorSeconds = requests / (LIMIT / (WINDOW_MS / 1000));
    // The least a fixed-window limit allows: the first window's burst is free.
    const burstFloorSeconds = ((Math.ceil(requests / LIMIT) - 1) * WINDOW_MS) / 1000;
    return { plan: read.plan, requests, rateLimited: counts.rateLimited, seconds, floorSeconds, burstFloorSeconds };
  } finally {
    await rbx.close();
  }
}

const scenarios: Scenario[] = [
  // Big groups, few linked: one shared pass answers both.
  { ownMembers: 100_000, allyMembers: 30_000, linked: 2_000, inAlly: 0.5 },
  // Small groups, most linked: the two rosters.
  { ownMembers: 3_000, allyMembers: 1_000, linked: 2_500, inAlly: 0.2 },
];

let failed = false;
for (const scenario of scenarios) {
  const outcome = await run(scenario);
  const shared = Math.ceil(scenario.linked / 50);
  const rosters = Math.ceil(scenario.ownMembers / 100) + Math.ceil(scenario.allyMembers / 100);
  const ok = outcome.requests === outcome.plan.requests && outcome.requests <= Math.min(shared, rosters) + 1 && outcome.rateLimited === 0;
  failed ||= !ok;
  console.log(
    [
      `${scenario.linked} linked, own ${scenario.ownMembers}, ally ${scenario.allyMembers} (${scenario.inAlly * 100}% of linked in it), ${LIMIT} per ${WINDOW_MS} ms:`,
      `  plan ${outcome.plan.groups.map((group) => group.strategy).join(" + ")}: ${outcome.plan.requests} membership requests (shared pass ${outcome.plan.alternatives.sharedPass}, rosters ${outcome.plan.alternatives.perGroup})`,
      `  sent ${outcome.requests}, 429s ${outcome.rateLimited}; wall ${outcome.seconds.toFixed(3)} s, floor ${outcome.floorSeconds.toFixed(3)} s, ratio ${(outcome.seconds / outcome.floorSeconds).toFixed(3)} ${ok ? "OK" : "FAIL"}`,
      `  (fixed-window minimum ${outcome.burstFloorSeconds.toFixed(3)} s; wall is ${(outcome.seconds / outcome.burstFloorSeconds).toFixed(3)} of it)`,
    ].join("\n"),
  );
}
process.exit(failed ? 1 : 0);
