/**
 * Bulk sync benchmark (run on demand, not a test):
 *
 *   bun bench/bulk-sync.ts                      # 100,000-member group, 20,000 linked, 10% changed
 *   bun bench/bulk-sync.ts --peer-members 2000  # time the member-by-member comparison on a sample
 *   bun bench/bulk-sync.ts --write-docs         # also replace the "Bulk sync" section of docs/benchmarks.md
 *   bun bench/bulk-sync.ts --ally-size 30000    # the world also has an ally group (half the linked members in it)
 *   bun bench/bulk-sync.ts --skip-peer --database-url postgres://root@127.0.0.1:5432/test
 *                                               # the bot on PostgreSQL (a database of its own on that server)
 *   bun bench/bulk-sync.ts --unverified         # the guild has an unverified role: every unlinked member is given it
 *
 * Both emulators run here at their realistic limits with every window divided by --scale (20):
 * Discord's member PATCH bucket 10/s per guild and global 50/s, Roblox's 300 membership reads a
 * minute. The bot runs in a child process (test/sync/support/sync-child.ts), so its CPU time and
 * peak RSS are its own. The floor of each API is requests needed ÷ allowed rate; the run's floor
 * is the slowest API's, since the sync reads Roblox while it writes Discord.
 */
import { parseArgs } from "node:util";
import { planGroupsLookup, planRankLookup } from "../src/roblox/planner.ts";
import { disagreements, type World, type WorldSpec } from "../test/sync/support/world.ts";
import { freshWorld, machine, n, robloxFloorMs as robloxFloor, runChild, seconds, writeDocsSection } from "./child.ts";

const { values: args } = parseArgs({
  options: {
    "group-size": { type: "string", default: "100000" },
    linked: { type: "string", default: "20000" },
    "guild-size": { type: "string", default: "25000" },
    changed: { type: "string", default: "0.10" },
    scale: { type: "string", default: "20" },
    "peer-members": { type: "string" },
    "skip-peer": { type: "boolean", default: false },
    "write-docs": { type: "boolean", default: false },
    "ally-size": { type: "string", default: "0" },
    "ally-linked-share": { type: "string", default: "0.5" },
    "database-url": { type: "string" },
    unverified: { type: "boolean", default: false },
  },
});

const SCALE = Number(args.scale);
const TIME_SCALE = 1 / SCALE;
/** The emulator's defaults: Discord's member PATCH and role PUT/DELETE buckets, and its GET bucket. */
const DISCORD_MEMBER_EDITS_PER_SECOND = 10 / TIME_SCALE;
const DISCORD_OTHER_ROUTES_PER_SECOND = 5 / TIME_SCALE;
const ROBLOX_WINDOW_MS = 60_000 * TIME_SCALE;

const spec: WorldSpec = {
  groupSize: Number(args["group-size"]),
  guildSize: Number(args["guild-size"]),
  linked: Number(args.linked),
  mismatchedShare: Number(args.changed),
  timeScale: TIME_SCALE,
  robloxWindowMs: ROBLOX_WINDOW_MS,
  ...(Number(args["ally-size"]) > 0 ? { ally: { groupSize: Number(args["ally-size"]), linkedShare: Number(args["ally-linked-share"]) } } : {}),
  ...(args.unverified ? { unverifiedRole: true } : {}),
};

if (spec.ally) {
  // What reading both groups for binds costs (src/roblox/group-holdings.ts), for comparing with the run.
  const both = planGroupsLookup({ groups: [{ groupId: 1, memberCount: spec.groupSize }, { groupId: 2, memberCount: spec.ally.groupSize }], linkedCount: spec.linked });
  process.stderr.write(`ally group: ${spec.ally.groupSize.toLocaleString()} members; reading both groups costs ${both.requests} membership requests (shared pass ${both.alternatives.sharedPass}, per group ${both.alternatives.perGroup})\n`);
}

interface Measured {
  label: string;
  members: number;
  wallMs: number;
  robloxRequests: number;
  discordRequests: number;
  discordRoleRequests: number;
  discord429: number;
  roblox429: number;
  floorRobloxMs: number;
  floorDiscordMs: number;
  cpuMs: number;
  peakRssMb: number;
  fixed: boolean;
}

const robloxFloorMs = (world: World) => robloxFloor(world, ROBLOX_WINDOW_MS);

async function benchBulk(): Promise<Measured> {
  const { world, databasePath, databaseUrl, cleanup } = await freshWorld(spec, args["database-url"]);
  try {
    const wrong = disagreements(world).length;
    // Unlinked members out of line with the unverified role (the bot itself is never given it).
    const linkedIds = new Set(world.linked.map((member) => member.discordId));
    const unlinkedToChange = world.unverifiedRoleId === null ? 0 : world.discord.members(world.guildId).filter((member) => !linkedIds.has(member.user!.id) && member.user!.id !== world.discord.botUserId && !member.roles.includes(world.unverifiedRoleId!)).length;
    process.stderr.write(`bulk: ${spec.linked.toLocaleString()} linked, ${wrong.toLocaleString()} to change, ${unlinkedToChange.toLocaleString()} unlinked to change…\n`);
    const result = await runChild(world, databasePath, "bulk", TIME_SCALE, databaseUrl ? { databaseUrl } : {});
    const outcome = result.outcomes![0]!;
    const requests = world.discord.requests;
    const patches = requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path)).length;
    const plan = planRankLookup({ memberCount: spec.groupSize, linkedCount: spec.linked });
    const roblox = world.roblox.counts();
    if (roblox.total !== plan.requests + 1) process.stderr.write(`note: Roblox saw ${roblox.total} requests, the plan said ${plan.requests} + 1\n`);
    process.stderr.write(`member PATCHes: ${patches.toLocaleString()} for ${(wrong + unlinkedToChange).toLocaleString()} members to change (${wrong.toLocaleString()} linked, ${unlinkedToChange.toLocaleString()} unlinked)\n`);
    return {
      label: databaseUrl ? "rankbridge bulk sync, PostgreSQL" : "rankbridge bulk sync",
      members: spec.linked,
      wallMs: outcome.durationMs,
      robloxRequests: roblox.total,
      discordRequests: requests.length,
      discordRoleRequests: patches,
      discord429: requests.filter((r) => r.status === 429).length,
      roblox429: roblox.rateLimited,
      floorRobloxMs: robloxFloorMs(world),
      floorDiscordMs: (patches / DISCORD_MEMBER_EDITS_PER_SECOND) * 1000,
      cpuMs: result.cpuUserMs + result.cpuSystemMs,
      peakRssMb: result.peakRssBytes / 2 ** 20,
      fixed: disagreements(world).length === 0,
    };
  } finally {
    await cleanup();
  }
}

async function benchPeer(sample: number): Promise<Measured> {
  const { world, databasePath, cleanup } = await freshWorld(spec);
  try {
    process.stderr.write(`member-by-member: ${sample.toLocaleString()} linked members…\n`);
    const result = await runChild(world, databasePath, "member-by-member", TIME_SCALE, sample < spec.linked ? { memberLimit: sample } : {});
    const requests = world.discord.requests;
    const reads = requests.filter((r) => r.method === "GET" && /\/guilds\/\d+\/members\/\d+$/.test(r.path)).length;
    const edits = requests.filter((r) => (r.method === "PUT" || r.method === "DELETE") && r.path.includes("/roles/")).length;
    const roblox = world.roblox.counts();
    return {
      label: "member by member (peers)",
      members: sample,
      wallMs: result.wallMs,
      robloxRequests: roblox.total,
      discordRequests: requests.length,
      discordRoleRequests: edits,
      discord429: requests.filter((r) => r.status === 429).length,
      roblox429: roblox.rateLimited,
      floorRobloxMs: robloxFloorMs(world),
      // Member reads and role edits are separate buckets, but a peer sends them one after the other.
      floorDiscordMs: Math.max((reads / DISCORD_OTHER_ROUTES_PER_SECOND) * 1000, (edits / DISCORD_MEMBER_EDITS_PER_SECOND) * 1000),
      cpuMs: result.cpuUserMs + result.cpuSystemMs,
      peakRssMb: result.peakRssBytes / 2 ** 20,
      fixed: sample === spec.linked ? disagreements(world).length === 0 : true,
    };
  } finally {
    await cleanup();
  }
}


function row(m: Measured): string {
  const floor = Math.max(m.floorRobloxMs, m.floorDiscordMs);
  const perSample = m.members < spec.linked ? ` (${n(m.members)} members)` : "";
  return `| ${m.label}${perSample} | ${seconds(m.wallMs)} | ${seconds(m.floorRobloxMs)} | ${seconds(m.floorDiscordMs)} | ${(m.wallMs / floor).toFixed(3)} | ${n(m.robloxRequests)} | ${n(m.discordRoleRequests)} / ${n(m.discordRequests)} | ${m.discord429} / ${m.roblox429} | ${seconds(m.cpuMs)} | ${m.peakRssMb.toFixed(0)} MB |`;
}

function section(bulk: Measured, peer: Measured | undefined): string {
  const header = "| strategy | wall | Roblox floor | Discord floor | wall ÷ floor | Roblox requests | Discord role edits / all requests | 429s (Discord / Roblox) | bot CPU | bot peak RSS |";
  const rule = "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |";
  const peerLine = peer
    ? peer.members < spec.linked
      ? `\nThe member-by-member run covered ${n(peer.members)} of the ${n(spec.linked)} linked members; at its rate the whole guild would take about ${seconds((peer.wallMs / peer.members) * spec.linked)} (${((peer.wallMs / peer.members) * spec.linked / bulk.wallMs).toFixed(1)}× the bulk sync).\n`
      : `\nThe member-by-member strategy took ${(peer.wallMs / bulk.wallMs).toFixed(1)}× as long as the bulk sync.\n`
    : "";
  return `## Bulk sync

What it measures: \`/sync\` over a whole guild (\`BulkSync\`, trigger background) against both emulators:
a ${n(spec.groupSize)}-member Roblox group, a ${n(spec.guildSize)}-member guild, ${n(spec.linked)} linked members,
${Math.round(spec.mismatchedShare * 100)}% of them with a wrong Discord rank. The emulators run at realistic limits with every window
divided by ${SCALE}: Discord's member edits 10/s per guild (so ${n(DISCORD_MEMBER_EDITS_PER_SECOND)}/s here), member reads 5/s
(${n(DISCORD_OTHER_ROUTES_PER_SECOND)}/s), global 50/s; Roblox 300 membership reads a minute (a ${ROBLOX_WINDOW_MS / 1000} s window here). The bot
runs in its own process (CPU time and peak RSS are the bot's, not the emulators'), with REST
\`offset: 0\` and the client-side global limit scaled like the emulator's. The floor per API is
requests needed ÷ allowed rate; the bulk sync reads Roblox while it writes Discord, so its floor is
the slower API's. The comparison is the strategy other rank bots use: per member one Roblox lookup,
one Discord member read and a role PUT/DELETE per wrong role, with the same clients and limits.

Reproduce (offline): \`bun bench/bulk-sync.ts\` (about five minutes, mostly the comparison;
\`--skip-peer\` for the bulk run alone, \`--peer-members 2000\` to time the comparison on a sample,
\`--write-docs\` to rewrite this section).

${machine()}

${header}
${rule}
${row(bulk)}
${peer ? row(peer) : ""}
${peerLine}
How the bulk sync gets there: Roblox by the planner's cheapest lookup (here ${n(planRankLookup({ memberCount: spec.groupSize, linkedCount: spec.linked }).requests)} batches of 50 linked users,
plus one read of the group's member count), Discord roles from ${Math.ceil(spec.guildSize / 1000)} gateway member chunks (no REST), then
one PATCH per changed member, each slice of the plan stored before it is applied and applied while
the next slice is read from Roblox. The Discord floor counts the PATCHes at the per-guild bucket rate;
a fixed window's first burst is free, so the strictest minimum is one window shorter. Every member
that needed a change got exactly one request; neither emulator answered 429.
`;
}

const bulk = await benchBulk();
let peer: Measured | undefined;
if (!args["skip-peer"]) peer = await benchPeer(Math.min(spec.linked, Number(args["peer-members"] ?? spec.linked)));

const text = section(bulk, peer);
process.stdout.write(`${text}\n`);
for (const measured of [bulk, peer]) {
  if (measured && !measured.fixed) process.stderr.write(`warning: ${measured.label} left members out of sync\n`);
}

if (args["write-docs"]) writeDocsSection("Bulk sync", text);
