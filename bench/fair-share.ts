/**
 * Fair share benchmark: one Roblox credential serves two guilds. Guild A sends a burst of 60 reads
 * (membership lookups, as a flood of link or verify commands would) and guild B promotes a member
 * at the same moment. B's promotion must take no longer than it does with no burst, within 10%.
 *
 *   bun bench/fair-share.ts                          # 60-request burst, 50 ms Roblox latency, 15 rounds
 *   bun bench/fair-share.ts --burst 60 --latency-ms 50 --rounds 15
 *
 * Each round promotes (or demotes back) B's member through the real client against the Roblox
 * emulator: alone, with A's burst sent just before, and with the burst but fair share turned off
 * (today's behaviour before it, for comparison). The median of each is reported. Exits non-zero when
 * the promotion with a burst takes more than 1.10 × the promotion alone.
 */
import { parseArgs } from "node:util";
import { RobloxClient } from "../src/roblox/client.ts";
import { scopedToGuild } from "../src/roblox/fair-share.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../test/emulators/roblox/index.ts";

const BURST_GROUP = 6_100;
const PROMOTING_GROUP = 6_200;
const PROMOTED_USER = 6_200_001;
const BOT_USER = 2;
const KEY = "shared-operator-key";
const ALLOWED_RATIO = 1.1;

const { values } = parseArgs({
  options: {
    burst: { type: "string", default: "60" },
    "latency-ms": { type: "string", default: "50" },
    rounds: { type: "string", default: "15" },
  },
});
const burstSize = Number(values.burst);
const latencyMs = Number(values["latency-ms"]);
const rounds = Number(values.rounds);

function seed(rbx: RobloxEmulator): { burstUsers: number[]; roleIds: [number, number] } {
  rbx.addUser({ id: BOT_USER, name: "RankBot" });
  rbx.addApiKey(KEY, { ownerUserId: BOT_USER, scopes: ["group:read", "group:write"] });
  for (const groupId of [BURST_GROUP, PROMOTING_GROUP]) {
    const roles = defaultRoles(groupId);
    rbx.createGroup({ id: groupId, name: `Group ${groupId}`, ownerId: null, roles });
    rbx.setMembership(groupId, BOT_USER, roles.find((role) => role.name === "Ranking Bot")!.id);
  }
  const burstUsers = rbx.bulkSeed(BURST_GROUP, burstSize);
  const ladder = defaultRoles(PROMOTING_GROUP).filter((role) => role.rank > 0 && role.rank < 254);
  const roleIds: [number, number] = [ladder[0]!.id, ladder[1]!.id];
  rbx.addUser({ id: PROMOTED_USER, name: "Promoted" });
  rbx.setMembership(PROMOTING_GROUP, PROMOTED_USER, roleIds[0]);
  return { burstUsers, roleIds };
}

/** Median promotion time (ms) over the rounds, with or without a burst sent just before each. */
async function measure(mode: { burst: boolean; fairShare: boolean }): Promise<number> {
  // A window scaled to one second with the documented per-minute budgets: the burst fits the
  // budget, so what a promotion waits for is the queue and the limiter's slots, not the window.
  const rbx = await startRobloxEmulator({ record: false, latencyMs, rateLimits: { windowMs: 1_000 } });
  try {
    const { burstUsers, roleIds } = seed(rbx);
    const client = new RobloxClient({ apiKey: KEY, urlTemplate: rbx.urlTemplate, rateLimits: { fairShare: mode.fairShare } });
    const burstGuild = scopedToGuild(client, "burst-guild");
    const promotingGuild = scopedToGuild(client, "promoting-guild");
    // Warm up: role lists cached and the limiters calibrated from the first answers.
    await Promise.all([burstGuild.listRoles(BURST_GROUP), promotingGuild.listRoles(PROMOTING_GROUP)]);
    await promotingGuild.getMembership(PROMOTING_GROUP, PROMOTED_USER);
    await burstGuild.getMembership(BURST_GROUP, burstUsers[0]!);

    const times: number[] = [];
    for (let round = 0; round < rounds; round++) {
      const burst = mode.burst ? Promise.all(burstUsers.map((userId) => burstGuild.getMembership(BURST_GROUP, userId))) : Promise.resolve();
      const started = performance.now();
      const result = await promotingGuild.setRank(PROMOTING_GROUP, PROMOTED_USER, roleIds[(round + 1) % 2]!);
      times.push(performance.now() - started);
      if (!result.changed) throw new Error("the promotion changed nothing");
      await burst;
      // Each round starts on a fresh window, so no round waits for the budget.
      await Bun.sleep(1_000 - (Date.now() % 1_000) + 20);
    }
    if (rbx.counts().rateLimited > 0) throw new Error(`${rbx.counts().rateLimited} requests got a 429`);
    await client.close();
    return median(times);
  } finally {
    await rbx.close();
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const alone = await measure({ burst: false, fairShare: true });
const withBurst = await measure({ burst: true, fairShare: true });
const withBurstUnfair = await measure({ burst: true, fairShare: false });
const ratio = withBurst / alone;
const ok = ratio <= ALLOWED_RATIO;
console.log(
  [
    `guild B promotes while guild A sends ${burstSize} reads at once (Roblox latency ${latencyMs} ms, median of ${rounds} rounds):`,
    `  promotion alone:                    ${alone.toFixed(1)} ms`,
    `  promotion during the burst:         ${withBurst.toFixed(1)} ms  (ratio ${ratio.toFixed(3)}, limit ${ALLOWED_RATIO}) ${ok ? "OK" : "FAIL"}`,
    `  the same without fair share:        ${withBurstUnfair.toFixed(1)} ms  (ratio ${(withBurstUnfair / alone).toFixed(3)})`,
  ].join("\n"),
);
process.exit(ok ? 0 : 1);
