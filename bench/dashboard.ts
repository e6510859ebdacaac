/**
 * Dashboard page benchmark (run on demand, not a test): the overview and the audit log of a guild
 * with 20,000 members, 2,000 links and 100,000 audit rows (issue 17: server time p95 ≤ 50 ms each).
 *
 *   bun bench/dashboard.ts                   # SQLite (the default store), a new file
 *   bun bench/dashboard.ts --database-url postgres://root@127.0.0.1:5432/test
 *                                            # PostgreSQL (a database of its own on that server, dropped after)
 *   bun bench/dashboard.ts --write-docs      # also replace the "Dashboard pages" section of docs/benchmarks.md
 *
 * Server time is the Hono app's handling of a request, measured around `app.fetch` until the body is
 * read: the app the process serves (createHttpApp with the dashboard's routes from createDashboard),
 * configured from an environment as in production (loadConfig, the store from openStore), with the
 * session, CSRF and admin checks of every request. Discord is what the gateway cache answers in the
 * process (an in-memory guild of 20,000 members), since a page view asks Discord nothing.
 */
import { loadavg } from "node:os";
import { parseArgs } from "node:util";
import type { API } from "@discordjs/core";
import { loadConfig } from "../src/config/env.ts";
import { openDatabase } from "../src/db/client.ts";
import { openPostgres } from "../src/db/pg/client.ts";
import { auditLog as pgAuditLog, guildSettings as pgGuildSettings, members as pgMembers, ranks as pgRanks, syncRuns as pgSyncRuns } from "../src/db/pg/schema.ts";
import { auditLog, guildSettings, members, ranks as rankTable, syncRuns } from "../src/db/schema.ts";
import { openStore } from "../src/db/store.ts";
import { createHttpApp } from "../src/http/app.ts";
import { createDashboard } from "../src/http/dashboard/index.ts";
import { hashOf } from "../src/http/dashboard/sign-in.ts";
import { createMetrics } from "../src/observability/metrics.ts";
import { createLogger } from "../src/observability/logger.ts";
import { DiscordPermission, type GuildRole } from "../src/ranks/hierarchy.ts";
import type { GuildMemberView, GuildSnapshot } from "../src/services/discord-port.ts";
import { scratchDatabase } from "../test/db/pg-helpers.ts";
import { tempDir } from "../test/db/helpers.ts";
import { machine, n, writeDocsSection } from "./child.ts";

const { values: args } = parseArgs({
  options: {
    members: { type: "string", default: "20000" },
    links: { type: "string", default: "2000" },
    audit: { type: "string", default: "100000" },
    requests: { type: "string", default: "300" },
    "database-url": { type: "string" },
    "write-docs": { type: "boolean", default: false },
  },
});
const MEMBERS = Number(args.members);
const LINKS = Number(args.links);
const AUDIT_ROWS = Number(args.audit);
const REQUESTS = Number(args.requests);

const GUILD = "900000000000000001";
const OTHER_GUILD = "900000000000000002";
const ADMIN = "800000000000000001";
const ADMIN_ROLE = "700000000000000001";
const memberId = (i: number) => String(810_000_000_000_000_000n + BigInt(i));
const roleId = (i: number) => String(710_000_000_000_000_000n + BigInt(i));
const START = Date.now() - 40 * 86_400_000;

// A ladder of 14 ranks, each with its role; the admin holds a Manage Roles role.
const ranks = Array.from({ length: 14 }, (_, i) => ({ name: `Rank ${i + 1}`, robloxRoleId: 50_000 + i, robloxRank: (i + 1) * 10, discordRoleId: roleId(i) }));
const roles = new Map<string, GuildRole>([
  [ADMIN_ROLE, { id: ADMIN_ROLE, name: "Officers", position: 30, managed: false, permissions: DiscordPermission.ManageRoles }],
  ...ranks.map((rank, i): [string, GuildRole] => [rank.discordRoleId, { id: rank.discordRoleId, name: rank.name, position: i + 1, managed: false, permissions: 0n }]),
]);
const snapshot: GuildSnapshot = { id: GUILD, name: "Bench Legion", ownerId: memberId(0), roles };
const discordMembers = new Map<string, GuildMemberView>();
for (let i = 0; i < MEMBERS; i++) {
  const id = memberId(i);
  discordMembers.set(id, { userId: id, username: `member${i}`, displayName: `Member ${i}`, nick: null, accountName: `Member ${i}`, roleIds: [roleId(i % 14)] });
}
discordMembers.set(ADMIN, { userId: ADMIN, username: "officer", displayName: "Officer", nick: null, accountName: "Officer", roleIds: [ADMIN_ROLE] });

/** The 100,000 rows: mostly per-member syncs, then Roblox changes, points, links and settings; a busy member has 2,000 of them. */
function auditRows(guildId: string, count: number) {
  const rank = (i: number) => ({ id: (i % 14) + 1, name: `Rank ${(i % 14) + 1}`, robloxRank: ((i % 14) + 1) * 10 });
  return Array.from({ length: count }, (_, i) => {
    const target = i % 50 === 0 ? memberId(1) : memberId((i * 7919) % MEMBERS);
    const createdAt = START + Math.floor((i * 40 * 86_400_000) / count);
    const kind = i % 20;
    const base = { guildId, targetDiscordId: target, targetRobloxUserId: 1_000_000 + i, createdAt, outcome: "ok" as const, reason: null, detail: null };
    if (kind < 14) return { ...base, actorId: "system", action: "sync.member" as const, before: null, after: null, note: { kind: "member-synced", discord: { from: rank(i), to: rank(i + 1) }, stored: { from: rank(i), to: rank(i + 1) }, problems: [] } };
    if (kind < 16)
      return { ...base, actorId: "system", action: "roblox.change" as const, before: null, after: null, note: { kind: "roblox-change", action: "ChangeRank", robloxUsername: `Player${i}`, from: "Rank 2", to: "Rank 3", actorName: "CaptainAmy", actorUserId: 42, bySelf: false, problems: [] } };
    if (kind < 18) return { ...base, actorId: ADMIN, action: "points.add" as const, before: { points: i }, after: { points: i + 5 }, reason: "event attendance", note: null };
    if (kind < 19)
      return { ...base, actorId: target, action: "link" as const, before: null, after: null, note: { kind: "linked", discordId: target, robloxUsername: `Player${i}`, method: "oauth", robloxRoleName: "Rank 3", robloxRank: 30, movedFrom: null, roles: { status: "applied", added: [roleId(2)], removed: [] } } };
    return { ...base, actorId: ADMIN, action: "config" as const, targetDiscordId: null, before: null, after: null, note: { kind: "setting-changed", setting: "nicknameTemplate", value: "{roblox-name}" } };
  });
}

function syncRunRows(guildId: string) {
  return Array.from({ length: 40 }, (_, i) => {
    const startedAt = START + i * 86_400_000;
    return { guildId, trigger: "background" as const, status: "done" as const, dryRun: i % 10 === 9, startedAt, finishedAt: startedAt + 60_000 + i * 1000, total: MEMBERS, updated: (i * 37) % 400, inSync: MEMBERS - 500, errors: i % 7, skipped: 3 };
  });
}

const linkRows = (guildId: string) =>
  Array.from({ length: LINKS }, (_, i) => ({ guildId, discordId: memberId(i), robloxUserId: 1_000_000 + i, robloxUsername: `Player${i}`, verifiedBy: "oauth" as const, verifiedAt: START, rankId: null }));

/** Seeds both guilds in batches (the bot's own tables, migrated by opening). */
async function seed(insert: (table: "guildSettings" | "ranks" | "members" | "auditLog" | "syncRuns", rows: object[]) => Promise<void>) {
  await insert("guildSettings", [{ guildId: GUILD, robloxGroupId: 7100 }, { guildId: OTHER_GUILD, robloxGroupId: 7200 }]);
  await insert("ranks", ranks.map((rank, position) => ({ guildId: GUILD, position, ...rank })));
  for (const guildId of [GUILD, OTHER_GUILD]) {
    await insert("members", linkRows(guildId));
    await insert("syncRuns", syncRunRows(guildId));
    await insert("auditLog", auditRows(guildId, guildId === GUILD ? AUDIT_ROWS : AUDIT_ROWS / 5));
  }
}

async function batches(rows: object[], size: number, write: (batch: object[]) => Promise<unknown> | unknown) {
  for (let i = 0; i < rows.length; i += size) await write(rows.slice(i, i + size));
}

const dir = tempDir("rankbridge-bench-dashboard-");
const databasePath = `${dir.dir}/rankbridge.sqlite`;
const scratch = args["database-url"] ? await scratchDatabase(args["database-url"]) : undefined;
const seedStarted = performance.now();
const PG_TABLES = { guildSettings: pgGuildSettings, ranks: pgRanks, members: pgMembers, auditLog: pgAuditLog, syncRuns: pgSyncRuns };
const SQLITE_TABLES = { guildSettings, ranks: rankTable, members, auditLog, syncRuns };
if (scratch) {
  const handle = await openPostgres(scratch.url);
  await seed((table, rows) => batches(rows, 1000, (batch) => handle.db.insert(PG_TABLES[table]).values(batch as never)));
  await handle.sql.unsafe("ANALYZE");
  await handle.close();
} else {
  const handle = openDatabase(databasePath);
  await seed((table, rows) => batches(rows, 500, (batch) => handle.db.insert(SQLITE_TABLES[table]).values(batch as never).run()));
  handle.close();
}
process.stderr.write(`seeded in ${((performance.now() - seedStarted) / 1000).toFixed(1)} s\n`);

// The process's configuration and store, as `bun start` builds them.
const config = loadConfig({
  DISCORD_TOKEN: "bench-token",
  DISCORD_CLIENT_ID: "600000000000000001",
  DISCORD_CLIENT_SECRET: "bench-secret",
  PUBLIC_URL: "https://dashboard.example.com",
  DATABASE_PATH: databasePath,
  ...(scratch && { DATABASE_URL: scratch.url }),
  NODE_ENV: "production",
  LOG_LEVEL: "warn",
});
const store = openStore(config);
await store.prepare();
const repositories = store.repositories;
const logger = createLogger({ level: "warn" });
const guilds = {
  cached: (guildId: string) => (guildId === GUILD ? snapshot : undefined),
  guild: async (guildId: string) => {
    if (guildId !== GUILD) throw new Error("not in that guild");
    return snapshot;
  },
  member: async (guildId: string, userId: string) => (guildId === GUILD ? (discordMembers.get(userId) ?? null) : null),
  searchMembers: async (_guildId: string, query: string, limit: number) => [...discordMembers.values()].filter((m) => m.username.startsWith(query)).slice(0, limit),
};
const unused = () => {
  throw new Error("not used by the pages measured");
};
const dashboard = createDashboard({
  config,
  api: {} as API,
  repositories,
  guilds,
  overview: { contexts: { groupIdOf: (_guildId, settings) => settings?.robloxGroupId ?? undefined }, scheduler: { nextRunFor: () => new Date(Date.now() + 600_000) } },
  // The other pages are not measured here; their parts are never called.
  settings: { botStanding: unused, textChannels: unused, changes: {} as never },
  binds: { binds: {} as never, previews: {} as never },
  sync: { requests: {} as never },
  members: { guilds: guilds as never, groupIdOf: () => 7100, memberSync: { inspect: unused } },
  logger,
});
const app = createHttpApp({ metrics: createMetrics(), readiness: () => ({ ready: true, shards: [], database: { ok: true } }), routes: [dashboard.routes] });

// A signed-in admin's session, as the callback stores it.
const sessionToken = "bench-session-token";
await repositories.dashboard.putSession({ idHash: hashOf(sessionToken), discordUserId: ADMIN, username: "officer", displayName: "Officer", guildIds: [GUILD], csrfToken: "csrf", expiresAt: Date.now() + 3_600_000 });
const cookie = `__Host-rankbridge_session=${sessionToken}`;

async function timed(path: string): Promise<{ ms: number; status: number; body: string }> {
  const request = new Request(`https://dashboard.example.com${path}`, { headers: { cookie } });
  const started = performance.now();
  const response = await app.fetch(request);
  const body = await response.text();
  return { ms: performance.now() - started, status: response.status, body };
}

const base = `/dashboard/guilds/${GUILD}`;
const deep = (await repositories.audit.page(GUILD, { limit: 1, before: { createdAt: START + Math.floor(0.95 * 40 * 86_400_000), id: Number.MAX_SAFE_INTEGER } })).entries[0]!;
const PAGES: { label: string; path: string }[] = [
  { label: "overview", path: base },
  { label: "audit log, first page", path: `${base}/audit` },
  { label: "audit log, a page 95% deep (Older)", path: `${base}/audit?before=${deep.createdAt}.${deep.id}` },
  { label: "audit log, one member (2,000 entries)", path: `${base}/audit?member=${memberId(1)}` },
  { label: "audit log, one action, deep", path: `${base}/audit?action=roblox.change&before=${deep.createdAt}.${deep.id}` },
  { label: "audit log, member and action", path: `${base}/audit?member=${memberId(1)}&action=sync.member` },
];

const loadBefore = loadavg()[0]!;
const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
const results: { label: string; p50: number; p95: number; p99: number; max: number; entries: number }[] = [];
for (const page of PAGES) {
  const first = await timed(page.path);
  if (first.status !== 200) throw new Error(`${page.path} answered ${first.status}: ${first.body.slice(0, 300)}`);
  for (let i = 0; i < 20; i++) await timed(page.path);
  const times: number[] = [];
  for (let i = 0; i < REQUESTS; i++) times.push((await timed(page.path)).ms);
  times.sort((a, b) => a - b);
  // What the page showed: audit entries, or the overview's chart bars.
  const entries = (first.body.match(/<tr class=|<tr><td><time|<rect /g) ?? []).length;
  results.push({ label: page.label, p50: percentile(times, 50), p95: percentile(times, 95), p99: percentile(times, 99), max: times.at(-1)!, entries });
}

const load = Math.max(loadBefore, loadavg()[0]!);
await store.close();
await scratch?.drop();
dir.cleanup();

const storeName = scratch ? "PostgreSQL" : "SQLite";
const ms = (value: number) => `${value.toFixed(1)} ms`;
const table = [
  `| page (${storeName}) | shown | p50 | p95 | p99 | max | p95 within 50 ms |`,
  "| --- | --- | --- | --- | --- | --- | --- |",
  ...results.map((r) => `| ${r.label} | ${r.entries} ${r.label === "overview" ? "bars" : "entries"} | ${ms(r.p50)} | ${ms(r.p95)} | ${ms(r.p99)} | ${ms(r.max)} | ${r.p95 <= 50 ? "yes" : "**no**"} |`),
].join("\n");
process.stdout.write(`${table}\nload average up to ${load.toFixed(1)}\n`);
if (args["write-docs"]) {
  writeDocsSection(
    `Dashboard pages (${storeName})`,
    [
      `## Dashboard pages (${storeName})`,
      "",
      `${machine()} a guild with ${n(MEMBERS)} members, ${n(LINKS)} links, ${n(AUDIT_ROWS)} audit rows (and another guild's ${n(AUDIT_ROWS / 5)}) and 40 sync runs; ${REQUESTS} requests per page after 20 to warm up, one at a time, with a 1-minute load average of up to ${load.toFixed(1)} (other work on the machine shows in p99 and max). Server time is the Hono app's handling of the request (\`app.fetch\` until the body is read) in the production configuration, with the session, CSRF and admin checks of every request; the overview reads the last 30 runs for its chart.`,
      "",
      table,
      "",
      `Reproduce: \`bun bench/dashboard.ts${scratch ? " --database-url postgres://root@127.0.0.1:5432/test" : ""}\` (add \`--write-docs\` to rewrite this section).`,
      "",
    ].join("\n"),
  );
}
process.exit(results.every((r) => r.p95 <= 50) ? 0 : 1);
