/**
 * The change feed in a cluster (design §8), end to end: two real bot processes (`bun src/main.ts`,
 * SHARD_IDS 0 and 1 of SHARD_COUNT 2) on one PostgreSQL database (a scratch database of the test's
 * own) and one Redis (a key prefix of its own), with a guild on each shard bound to one Roblox group:
 * - a rank changed on the Roblox emulator's website reaches the member in both guilds, through the
 *   feed (a `roblox.change` audit row in each), and the cluster reads the group's audit log once per
 *   interval, not once a process;
 * - the process reading the log is SIGKILLed: the other takes the lease over (about one TTL later),
 *   reads the log itself, and a later change still reaches its guild;
 * - without Redis each process reads the log itself with a cursor of its own shard set, so neither
 *   takes the other's entries: the change still reaches both guilds.
 * Skipped without TEST_DATABASE_URL or Redis.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import type { Repositories } from "../../src/db/index.ts";
import { openPostgres } from "../../src/db/pg/client.ts";
import { createPgRepositories } from "../../src/db/pg/repositories/index.ts";
import { CAPTAIN, createFeedWorld, FEED_KEY, type FeedWorld } from "../change-feed/support.ts";
import { describe } from "bun:test";
import { scratchDatabase, type ScratchDatabase, TEST_DATABASE_URL } from "../db/pg-helpers.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { runCommand } from "../support/discord-user.ts";
import { deletePrefix, REDIS_TEST_URL, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";
import { seedDatabase } from "../sync/support/world.ts";

const shardOf = (guildId: string) => Number((BigInt(guildId) >> 22n) % 2n);
const INTERVAL_S = 2;
const READING = "change feed: this process reads the group's audit log for the cluster";

const describeCluster = TEST_DATABASE_URL && !skipWithoutRedis ? describe : describe.skip;

describeCluster("the change feed of a cluster (two processes, PostgreSQL, Redis)", () => {
  let feed: FeedWorld;
  let database: ScratchDatabase;
  /** The test's own connection to the cluster's database. */
  let repositories: Repositories;
  let prefix: string;
  let bots: BotProcess[] = [];
  /** The second guild (the other shard), its rank roles by Roblox role id, and the member linked in both. */
  let second: { id: string; roles: Map<number, string> };
  const closers: (() => Promise<unknown>)[] = [];

  beforeAll(async () => {
    feed = await createFeedWorld();
    const { world } = feed;
    // A second server of the community on the other shard, bound to the same group, the member linked in both.
    let guild = world.discord.createGuild({ name: "Sync Test Army (reserve)" });
    for (let i = 0; i < 64 && shardOf(guild.id) === shardOf(world.guildId); i++) guild = world.discord.createGuild({ name: `Reserve ${i}` });
    expect(shardOf(guild.id)).not.toBe(shardOf(world.guildId));
    const roles = new Map(world.ladder.filter((rank) => rank.discordRoleId).map((rank) => [rank.robloxRoleId, world.discord.createRole(guild.id, { name: rank.name }).id]));
    second = { id: guild.id, roles };
    for (const member of world.linked.slice(0, 3)) world.discord.addMember(guild.id, { id: member.discordId, roles: [roles.get(member.robloxRoleId)!] });

    database = await scratchDatabase();
    const handle = await openPostgres(database.url, { maxConnections: 2 });
    closers.push(() => database.drop(), () => handle.close());
    repositories = createPgRepositories(handle.db);
    await seedDatabase(repositories, world);
    await repositories.guilds.upsert(guild.id, { robloxGroupId: world.groupId });
    await repositories.ranks.replace(
      guild.id,
      world.ladder.map((rank) => ({ name: rank.name, robloxRoleId: rank.robloxRoleId, robloxRank: rank.robloxRank, discordRoleId: roles.get(rank.robloxRoleId) ?? null })),
    );
    for (const member of world.linked.slice(0, 3)) {
      await repositories.members.link(guild.id, member.discordId, { robloxUserId: member.robloxUserId, robloxUsername: member.robloxUsername, verifiedBy: "profile-phrase" });
    }
  }, 60_000);
  afterEach(async () => {
    for (const bot of bots) bot.cleanup();
    bots = [];
    await deletePrefix(prefix);
  });
  afterAll(async () => {
    for (const close of closers.reverse()) await close().catch(() => undefined);
    await feed?.close();
  });

  const auditReads = () => feed.world.roblox.requests.filter((request) => request.path === `/legacy-groups/v1/groups/${feed.world.groupId}/audit-log`).length;
  const rankRole = (guildId: string, robloxRoleId: number) => (guildId === second.id ? second.roles.get(robloxRoleId)! : feed.world.rankRoles.get(robloxRoleId)!);
  const feedChanges = async (guildId: string, discordId: string) =>
    (await repositories.audit.listLatest(guildId, { action: "roblox.change" })).filter((entry) => entry.targetDiscordId === discordId).length;

  function start(shard: number, withRedis = true): BotProcess {
    const { world } = feed;
    const bot = BotProcess.start(
      {
        DISCORD_TOKEN: world.discord.token,
        DISCORD_API_URL: world.discord.restBase,
        ROBLOX_API_URL: world.roblox.urlTemplate,
        ROBLOX_API_KEY: FEED_KEY,
        ROBLOX_GROUP_ID: String(world.groupId),
        HOME_GUILD_IDS: `${world.guildId},${second.id}`,
        DATABASE_URL: database.url,
        ...(withRedis ? { REDIS_URL: REDIS_TEST_URL, REDIS_PREFIX: prefix } : {}),
        SHARD_COUNT: "2",
        SHARD_IDS: String(shard),
        SYNC_INTERVAL: "1d",
        ROBLOX_CHANGE_FEED_INTERVAL: `${INTERVAL_S}s`,
        LOG_LEVEL: "info",
      },
      // Started directly (what `bun start` runs) so that SIGKILL reaches the bot itself.
      { command: ["bun", "src/main.ts"] },
    );
    bots.push(bot);
    return bot;
  }

  /** Both processes up, and each has applied a batch of the group (so it follows the group's stream). */
  async function cluster(withRedis = true): Promise<BotProcess[]> {
    prefix = uniquePrefix("cluster-feed");
    const started = [start(0, withRedis), start(1, withRedis)];
    for (const bot of started) {
      await eventually(
        async () => (await fetch(`${await bot.httpUrl()}/metrics`).then((response) => response.text())).includes(`rankbridge_change_feed_lag_seconds{group="${feed.world.groupId}"}`),
        Boolean,
        40_000,
      );
    }
    return started;
  }

  /** Promotes the member on the website (to Major, or Captain if Major already) and waits for it in each guild, through the feed. */
  async function changeRank(memberIndex: number, guildIds: readonly string[]): Promise<void> {
    const { world } = feed;
    const member = world.linked[memberIndex]!;
    const current = world.roblox.membership(world.groupId, member.robloxUserId)?.roleId;
    const roleId = current === feed.roleId("Major") ? feed.roleId("Captain") : feed.roleId("Major");
    const before = await Promise.all(guildIds.map((guildId) => feedChanges(guildId, member.discordId)));
    world.roblox.changeRankAsUser(CAPTAIN.id, world.groupId, member.robloxUserId, roleId);
    for (const [index, guildId] of guildIds.entries()) {
      await eventually(() => world.discord.memberRoleIds(guildId, member.discordId) ?? [], (roles) => roles.includes(rankRole(guildId, roleId)), 10_000);
      // Through the feed (a roblox.change row), not a whole-roster sync.
      await eventually(() => feedChanges(guildId, member.discordId), (count) => count > before[index]!, 5_000);
    }
  }

  test("a rank changed on the website reaches the member in the guilds of both processes; the log is read once per interval for the cluster", async () => {
    const bots = await cluster();
    const holders = bots.filter((bot) => bot.logs.some((line) => line.msg === READING));
    expect(holders.length).toBe(1);

    await changeRank(0, [feed.world.guildId, second.id]);
    feed.world.roblox.requests.length = 0;
    const from = Date.now();
    await Bun.sleep(10_000);
    const elapsedS = (Date.now() - from) / 1000;
    // One reader: at most one read per interval elapsed (plus the one in flight); two would be about twice that.
    expect(auditReads()).toBeLessThanOrEqual(Math.floor(elapsedS / INTERVAL_S) + 1);
    expect(auditReads()).toBeGreaterThanOrEqual(Math.floor(elapsedS / INTERVAL_S) - 1);
    // /sync-status in the other process's guild says who reads the group.
    const follower = bots.find((bot) => !holders.includes(bot))!;
    const followerGuild = bots.indexOf(follower) === shardOf(second.id) ? second.id : feed.world.guildId;
    const status = await runCommand(feed.world.discord, followerGuild, feed.world.discord.guild(followerGuild)!.ownerId, "sync-status", [], 10_000);
    expect(status.text).toMatch(new RegExp(`Every 2s \\(group ${feed.world.groupId}\\): last read <t:\\d+:R> by another process of the bot`));
    // The cursor is the cluster's one row, moved by the reader's lease.
    const cursors = await repositories.feedCursors.get(feed.world.groupId);
    expect(cursors?.fence).toBeGreaterThan(0);
  }, 90_000);

  test("the reading process is killed: the other takes the lease over within about one TTL and reads on; a change reaches its guild", async () => {
    const bots = await cluster();
    const holder = bots.find((bot) => bot.logs.some((line) => line.msg === READING))!;
    const survivor = bots.find((bot) => bot !== holder)!;
    const survivorShard = bots.indexOf(survivor);
    const survivorGuild = survivorShard === shardOf(second.id) ? second.id : feed.world.guildId;
    holder.process.kill("SIGKILL");
    await holder.exited;
    const killedAt = Date.now();
    await survivor.waitForLog(READING, 20_000);
    // The lease's TTL is 5 s (the interval, at least 5 s), asked for again every third of it.
    expect(Date.now() - killedAt).toBeLessThan(5_000 + 5_000 / 3 + 3_000);

    feed.world.roblox.requests.length = 0;
    await changeRank(1, [survivorGuild]);
    expect(auditReads()).toBeGreaterThan(0);
  }, 90_000);

  test("without Redis each process reads with a cursor of its own shard set: the change reaches both guilds", async () => {
    await cluster(false);
    await changeRank(2, [feed.world.guildId, second.id]);
    expect((await repositories.feedCursors.get(feed.world.groupId, "0/2"))?.fence).toBe(0);
    expect(await repositories.feedCursors.get(feed.world.groupId, "1/2")).toBeDefined();
  }, 90_000);
});
