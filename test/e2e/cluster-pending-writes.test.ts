/**
 * Pending Roblox writes in a cluster (design §8: no Roblox write is done twice; nothing accepted is
 * lost), end to end: two real bot processes (`bun src/main.ts`, SHARD_IDS 0 and 1 of SHARD_COUNT 2)
 * on one PostgreSQL database (a scratch database of the test's own) and one Redis (a key prefix of
 * its own). A /promote whose Roblox write fails is queued; both processes run their retry timers
 * (every 5 s) over the same table; the retried write is made slower than that interval on the Roblox
 * emulator, so the other process looks while it is in flight, and the emulator still receives it
 * exactly once. Skipped without TEST_DATABASE_URL or Redis.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import type { Repositories } from "../../src/db/index.ts";
import { openPostgres, type PostgresHandle } from "../../src/db/pg/client.ts";
import { createPgRepositories } from "../../src/db/pg/repositories/index.ts";
import { scratchDatabase, type ScratchDatabase, TEST_DATABASE_URL } from "../db/pg-helpers.ts";
import { membershipId } from "../emulators/roblox/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { runCommand } from "../support/discord-user.ts";
import { deletePrefix, REDIS_TEST_URL, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";
import { createWorld, seedDatabase, type World } from "../sync/support/world.ts";

const describeCluster = TEST_DATABASE_URL && !skipWithoutRedis ? describe : describe.skip;
const LANDED = "queued Roblox rank write landed";
/** Longer than the retry timer's 5 s, shorter than the Roblox client's 10 s request timeout. */
const SLOW_WRITE_MS = 7_000;

describeCluster("pending Roblox writes of a cluster (two processes, PostgreSQL, Redis)", () => {
  let world: World;
  let database: ScratchDatabase;
  let handle: PostgresHandle;
  let repositories: Repositories;
  const prefix = uniquePrefix("cluster-pending");
  let bots: BotProcess[] = [];

  beforeAll(async () => {
    world = await createWorld({ groupSize: 20, guildSize: 12, linked: 8, mismatchedShare: 0, timeScale: 0.1, robloxWindowMs: 1_000 });
    database = await scratchDatabase();
    handle = await openPostgres(database.url, { maxConnections: 2 });
    repositories = createPgRepositories(handle.db);
    await seedDatabase(repositories, world);
  }, 60_000);
  afterEach(() => {
    for (const bot of bots) bot.cleanup();
    bots = [];
  });
  afterAll(async () => {
    await deletePrefix(prefix).catch(() => undefined);
    await handle?.close();
    await database?.drop();
    await world?.close();
  });

  function start(shard: number): BotProcess {
    const bot = BotProcess.start(
      {
        DISCORD_TOKEN: world.discord.token,
        DISCORD_API_URL: world.discord.restBase,
        ROBLOX_API_URL: world.roblox.urlTemplate,
        ROBLOX_API_KEY: world.apiKey,
        ROBLOX_GROUP_ID: String(world.groupId),
        // The operator's own server: its ranks are written with the operator's key (design §10).
        HOME_GUILD_IDS: world.guildId,
        DATABASE_URL: database.url,
        REDIS_URL: REDIS_TEST_URL,
        REDIS_PREFIX: prefix,
        SHARD_COUNT: "2",
        SHARD_IDS: String(shard),
        SYNC_INTERVAL: "1d",
        ROBLOX_CHANGE_FEED_INTERVAL: "off",
        LOG_LEVEL: "info",
      },
      { command: ["bun", "src/main.ts"] },
    );
    bots.push(bot);
    return bot;
  }

  const assignRequests = (robloxUserId: number) =>
    world.roblox.requests.filter((r) => r.method === "POST" && r.path.endsWith(`/memberships/${membershipId(robloxUserId)}:assignRole`)).length;

  test("a promote whose Roblox write failed is queued, retried by one process, and reaches Roblox exactly once", async () => {
    const both = [start(0), start(1)];
    for (const bot of both) await eventually(async () => (await fetch(`${await bot.httpUrl()}/readyz`)).status, (status) => status === 200, 40_000);

    // The lowest-ranked linked member, so the next rank is one the bot may give.
    const rankOf = (roleId: number) => world.ladder.find((rank) => rank.robloxRoleId === roleId)!.robloxRank;
    const member = [...world.linked].sort((a, b) => rankOf(a.robloxRoleId) - rankOf(b.robloxRoleId))[0]!;
    const nextRank = world.ladder.filter((rank) => rank.robloxRank > rankOf(member.robloxRoleId)).sort((a, b) => a.robloxRank - b.robloxRank)[0]!;

    // Every try of the direct write fails (the client's own retries included): the write is queued.
    world.roblox.failures.inject({ method: "POST", pathIncludes: ":assignRole", status: 503, times: 5 });
    const promoted = await runCommand(world.discord, world.guildId, world.ownerId, "promote", [{ name: "member", type: 6, value: member.discordId }], 30_000);
    expect(promoted.text).toContain("queued");
    world.roblox.failures.clear();
    const [queued] = await repositories.pendingWrites.list(world.guildId);
    expect(queued).toMatchObject({ robloxUserId: member.robloxUserId, targetRobloxRoleId: nextRank.robloxRoleId, claimedBy: null });
    expect(world.roblox.membership(world.groupId, member.robloxUserId)?.roleId).toBe(member.robloxRoleId);

    // The retry is made slower than the timers' interval, then brought forward to now (the first
    // retry would otherwise wait out the 30 s back-off): both timers find it due.
    world.roblox.failures.inject({ method: "POST", pathIncludes: ":assignRole", delayMs: SLOW_WRITE_MS, times: 1 });
    world.roblox.requests.length = 0;
    await handle.sql`UPDATE pending_roblox_writes SET next_attempt_at = 0 WHERE id = ${queued!.id}`;

    // Claimed by one process while its request is in flight.
    const claimed = await eventually(() => repositories.pendingWrites.get(world.guildId, queued!.id), (row) => row?.claimedBy != null, 15_000);
    expect(claimed!.claimedUntil).toBeGreaterThan(Date.now());
    await eventually(() => repositories.pendingWrites.countAll(), (left) => left === 0, 30_000);
    // A further round of both timers sends nothing more.
    await Bun.sleep(6_000);

    expect(assignRequests(member.robloxUserId)).toBe(1);
    expect(world.roblox.membership(world.groupId, member.robloxUserId)?.roleId).toBe(nextRank.robloxRoleId);
    const landedIn = both.filter((bot) => bot.logs.some((line) => line.msg === LANDED));
    expect(landedIn).toHaveLength(1);
    const writes = await repositories.audit.listLatest(world.guildId, { action: "roblox.write" });
    expect(writes.filter((entry) => entry.outcome === "ok")).toHaveLength(1);
    for (const bot of both) expect(bot.process.exitCode).toBeNull();
  }, 120_000);
});
