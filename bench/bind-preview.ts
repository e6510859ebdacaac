/**
 * The dashboard's bind preview on a large guild (run on demand, not a test):
 *
 *   bun bench/bind-preview.ts                    # 20,000 members, 2,000 linked, 30 binds, 50 previews
 *   bun bench/bind-preview.ts --links 10000      # more links
 *
 * Measures BindPreviews.preview (the service the binds page calls) server-side: the stored binds,
 * ladder, links and pending writes read from a SQLite file, the member roles served by an in-memory
 * port shaped like the gateway's (1,000 members a chunk), and the sync's planner run twice. The
 * gateway's own time (a member read by user_ids, or the 60 s snapshot) is not part of it.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRepositories, openDatabase } from "../src/db/index.ts";
import { BindPreviews } from "../src/services/bind-preview.ts";
import type { MemberRolesPort } from "../src/sync/member-roles.ts";
import { tempDir } from "../test/db/helpers.ts";

const { values: args } = parseArgs({
  options: {
    members: { type: "string", default: "20000" },
    links: { type: "string", default: "2000" },
    binds: { type: "string", default: "30" },
    runs: { type: "string", default: "50" },
  },
});
const MEMBERS = Number(args.members);
const LINKS = Number(args.links);
const RUNS = Number(args.runs);
const GUILD = "900000000000000001";
const GROUP = 4_242;

const dir = tempDir();
const database = openDatabase(join(dir.dir, "bench.sqlite"));
const repositories = createRepositories(database.db);
const rankRole = (index: number) => String(800_000_000_000_000_000n + BigInt(index));
const extraRole = (index: number) => String(810_000_000_000_000_000n + BigInt(index));

await repositories.guilds.upsert(GUILD, { robloxGroupId: GROUP });
await repositories.ranks.replace(
  GUILD,
  Array.from({ length: 12 }, (_, index) => ({ name: `Rank ${index + 1}`, robloxRoleId: 1_000 + index, robloxRank: (index + 1) * 10, discordRoleId: rankRole(index) })),
);
const ranks = await repositories.ranks.list(GUILD);
for (let index = 0; index < Number(args.binds) - ranks.length; index++) {
  const rank = ranks[index % ranks.length]!;
  if (index % 2 === 0) await repositories.binds.add(GUILD, { kind: "rank", rankId: rank.id }, [extraRole(index)]);
  else await repositories.binds.add(GUILD, { kind: "range", groupId: GROUP, minRank: rank.robloxRank, maxRank: 255 }, [extraRole(index)]);
}
const memberId = (index: number) => String(100_000_000_000_000_000n + BigInt(index));
const held = new Map<string, string[]>();
for (let index = 0; index < MEMBERS; index++) {
  const rank = ranks[index % ranks.length]!;
  held.set(memberId(index), index % 7 === 0 ? [] : [rank.discordRoleId!]);
  if (index < LINKS) {
    await repositories.members.link(GUILD, memberId(index), { robloxUserId: 1_000_000 + index, robloxUsername: `user${index}`, verifiedBy: "profile-phrase" });
    await repositories.members.setStoredRank(GUILD, memberId(index), rank.id);
  }
}
const everyone = [...held].map(([userId, roleIds]) => ({ userId, roleIds }));
const port: MemberRolesPort = async function* () {
  for (let start = 0; start < everyone.length; start += 1_000) yield everyone.slice(start, start + 1_000);
};
const previews = new BindPreviews({ repositories, contexts: { groupIdOf: () => GROUP }, memberRoles: port });

const times: number[] = [];
let last: unknown;
for (let run = 0; run < RUNS + 5; run++) {
  const started = performance.now();
  last = await previews.preview(GUILD, { kind: "add", condition: { kind: "range", groupId: GROUP, minRank: 50, maxRank: 255 }, roleId: extraRole(999) });
  if (run >= 5) times.push(performance.now() - started);
}
times.sort((a, b) => a - b);
const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(1);
console.log(`bind preview: ${MEMBERS} members, ${LINKS} linked, ${Number(args.binds)} binds, ${RUNS} runs: p50 ${at(0.5)} ms, p95 ${at(0.95)} ms`);
console.log(JSON.stringify(last));
database.close();
dir.cleanup();
