/**
 * Pending Roblox writes in a cluster (design §8: no Roblox write is done twice; nothing accepted is
 * lost), end to end: two real bot processes (`bun src/main.ts`, SHARD_IDS 0 and 1 of SHARD_COUNT 2,
 * test/support/cluster.ts) on one PostgreSQL database (a scratch database of this file) and one
 * Redis (a key prefix of this file), with a guild on shard 1. A /promote whose Roblox write fails is
 * queued; both processes run their retry timers (every 5 s) over the same table:
 * - the retried write is made slower on the Roblox emulator than the timers' interval, so the other
 *   process looks while it is in flight: the emulator receives it exactly once;
 * - the guild's own process is killed once the write is queued: the other process sends it, once.
 * Every test begins with both processes running (one killed by a test before is started again).
 * Skipped without TEST_DATABASE_URL or Redis.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { openPostgres, type PostgresHandle } from "../../src/db/pg/client.ts";
import { createPgRepositories } from "../../src/db/pg/repositories/index.ts";
import type { Repositories } from "../../src/services/storage-port.ts";
import { scratchDatabase, type ScratchDatabase, TEST_DATABASE_URL } from "../db/pg-helpers.ts";
import { membershipId } from "../emulators/roblox/index.ts";
import { eventually } from "../support/bot-process.ts";
import { Cluster } from "../support/cluster.ts";
import { startClusterWorld, type ClusterGuild, type ClusterMember, type ClusterWorld } from "../support/cluster-world.ts";
import { runCommand } from "../support/discord-user.ts";
import { deletePrefix, REDIS_TEST_URL, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";

const LANDED = "queued Roblox rank write landed";
/** Longer than the retry timer's 5 s, shorter than the Roblox client's 10 s request timeout. */
const SLOW_WRITE_MS = 7_000;
const ASSIGN_ROLE = ":assignRole";

describe.skipIf(skipWithoutRedis || !TEST_DATABASE_URL)("pending Roblox writes of a cluster (two processes, PostgreSQL, Redis)", () => {
  let world: ClusterWorld;
  let guild: ClusterGuild;
  let scratch: ScratchDatabase;
  let store: PostgresHandle;
  let repositories: Repositories;
  let cluster: Cluster;
  const prefix = uniquePrefix("cluster-pending");
  /** Members not promoted yet, lowest rank first: each test takes its own. */
  let unpromoted: ClusterMember[] = [];

  beforeAll(async () => {
    world = await startClusterWorld({ guilds: [{ shard: 1, groupId: 5_200_001, linked: 8, mismatched: 0 }] });
    guild = world.guilds[0]!;
    scratch = await scratchDatabase();
    store = await openPostgres(scratch.url, { maxConnections: 2 });
    repositories = createPgRepositories(store.db);
    await world.seed(repositories);
    // Stored ranks as Roblox shows them, so a promote starts from the member's rank.
    const ranks = await repositories.ranks.list(guild.id);
    const rankOf = (member: ClusterMember) => ranks.find((rank) => rank.robloxRoleId === member.robloxRoleId)!;
    for (const member of guild.linked) await repositories.members.setStoredRank(guild.id, member.discordId, rankOf(member).id);
    unpromoted = guild.linked.filter((member) => rankOf(member).robloxRank < 200).sort((a, b) => rankOf(a).robloxRank - rankOf(b).robloxRank);

    cluster = Cluster.start(world, {
      databaseUrl: scratch.url,
      redisUrl: REDIS_TEST_URL,
      redisPrefix: prefix,
      // The operator's own server: its ranks are written with the operator's key (design §10).
      env: { HOME_GUILD_IDS: guild.id, SYNC_INTERVAL: "1d", ROBLOX_CHANGE_FEED_INTERVAL: "off" },
    });
    await cluster.untilReady(undefined, 40_000);
  }, 90_000);

  beforeEach(async () => {
    world.roblox.failures.clear();
    for (const shard of [0, 1]) if (!cluster.alive(shard)) cluster.startShard(shard);
    await cluster.untilReady(undefined, 40_000);
  }, 60_000);

  afterAll(async () => {
    cluster?.stop();
    await deletePrefix(prefix).catch(() => undefined);
    await store?.close();
    await scratch?.drop();
    await world?.close();
  });

  const assignRequests = (robloxUserId: number) =>
    world.roblox.requests.filter((r) => r.method === "POST" && r.path.endsWith(`/memberships/${membershipId(robloxUserId)}${ASSIGN_ROLE}`)).length;
  const landedIn = (shard: number, robloxUserId: number) => cluster.logsOf(shard).filter((line) => line.msg === LANDED && line.robloxUserId === robloxUserId).length;

  /** A /promote (answered by the guild's process, shard 1) whose Roblox write fails every try: queued. */
  async function promoteQueued() {
    const member = unpromoted.shift()!;
    const ladder = (await repositories.ranks.list(guild.id)).sort((a, b) => a.robloxRank - b.robloxRank);
    const current = ladder.find((rank) => rank.robloxRoleId === member.robloxRoleId)!;
    const next = ladder.find((rank) => rank.robloxRank > current.robloxRank)!;
    // The direct write and the client's own four retries all fail.
    world.roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 503, times: 5 });
    const promoted = await runCommand(world.discord, guild.id, guild.ownerId, "promote", [{ name: "member", type: 6, value: member.discordId }], 30_000);
    expect(promoted.text).toContain("queued");
    world.roblox.failures.clear();
    const queued = await repositories.pendingWrites.getForUser(guild.id, member.robloxUserId);
    expect(queued).toMatchObject({ targetRobloxRoleId: next.robloxRoleId, claimedBy: null });
    expect(world.roblox.membership(guild.groupId, member.robloxUserId)?.roleId).toBe(member.robloxRoleId);
    return { member, queued: queued!, next };
  }

  /** Brings the retry forward to now (it would otherwise wait out the 30 s first back-off). */
  const dueNow = (id: number) => store.sql`UPDATE pending_roblox_writes SET next_attempt_at = 0 WHERE id = ${id}`;

  test("both processes retrying: a write slower than their timers is claimed by one and reaches Roblox exactly once", async () => {
    const { member, queued, next } = await promoteQueued();
    world.roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, delayMs: SLOW_WRITE_MS, times: 1 });
    world.roblox.requests.length = 0;
    await dueNow(queued.id);

    // Claimed by one process while its request is in flight.
    const claimed = await eventually(() => repositories.pendingWrites.get(guild.id, queued.id), (row) => row?.claimedBy != null, 15_000);
    expect(claimed!.claimedUntil).toBeGreaterThan(Date.now());
    await eventually(() => repositories.pendingWrites.get(guild.id, queued.id), (row) => row === undefined, 30_000);
    // A further round of both timers sends nothing more.
    await Bun.sleep(6_000);

    expect(assignRequests(member.robloxUserId)).toBe(1);
    expect(world.roblox.membership(guild.groupId, member.robloxUserId)?.roleId).toBe(next.robloxRoleId);
    expect(landedIn(0, member.robloxUserId) + landedIn(1, member.robloxUserId)).toBe(1);
    const landed = (await repositories.audit.listLatest(guild.id, { action: "roblox.write" })).filter((entry) => entry.outcome === "ok" && entry.targetRobloxUserId === member.robloxUserId);
    expect(landed).toHaveLength(1);
    expect(cluster.unexpectedExits()).toEqual([]);
  }, 90_000);

  test("the guild's own process is killed after the write was queued: the other process sends it, once", async () => {
    const { member, queued, next } = await promoteQueued();
    expect(await cluster.kill(1, "SIGKILL")).toBe(137);
    world.roblox.requests.length = 0;
    await dueNow(queued.id);

    await eventually(() => repositories.pendingWrites.get(guild.id, queued.id), (row) => row === undefined, 20_000);
    expect(assignRequests(member.robloxUserId)).toBe(1);
    expect(world.roblox.membership(guild.groupId, member.robloxUserId)?.roleId).toBe(next.robloxRoleId);
    expect(landedIn(0, member.robloxUserId)).toBe(1);
  }, 90_000);
});
