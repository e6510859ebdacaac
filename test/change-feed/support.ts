/**
 * The bot as src/app.ts composes it (in process, over real sockets) against a seeded pair of
 * emulators, with the change feed on: SYNC_INTERVAL=1d and ROBLOX_CHANGE_FEED_INTERVAL=2s as the
 * acceptance criteria say, the guild a home guild using the operator's key, a log channel, and an
 * officer on Roblox (CaptainAmy, a Colonel) who changes ranks on the website.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Repositories } from "../../src/db/index.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { defaultRoles, startRobloxEmulator, type RobloxApiClass, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { openBotDatabase } from "../support/bot-database.ts";
import { createInProcessBot, type InProcessBot } from "../support/in-process-bot.ts";
import { eventually } from "../support/eventually.ts";
import { createWorld, seedDatabase, type World } from "../sync/support/world.ts";

export const CAPTAIN = { id: 5_000, name: "CaptainAmy" };
/** A key the audit log accepts: the bot's Roblox account (Ranking Bot, may view the log) with `legacy-group:manage`. */
export const FEED_KEY = "feed-key";
export const BOT_ROBLOX_USER_ID = 77;

export interface FeedWorld {
  world: World;
  logChannelId: string;
  dataDir: string;
  roleId(name: string): number;
  close(): Promise<void>;
}

export async function createFeedWorld(): Promise<FeedWorld> {
  const world = await createWorld({ groupSize: 60, guildSize: 40, linked: 24, mismatchedShare: 0, timeScale: 1, robloxWindowMs: 60_000 });
  world.roblox.addApiKey(FEED_KEY, { ownerUserId: BOT_ROBLOX_USER_ID, scopes: ["group:read", "group:write", "legacy-group:manage"] });
  world.roblox.addUser(CAPTAIN);
  const colonel = world.ladder.find((rank) => rank.name === "Colonel")!;
  world.roblox.setMembership(world.groupId, CAPTAIN.id, colonel.robloxRoleId);
  const logChannelId = world.discord.createChannel(world.guildId, "rank-log").id;
  const dataDir = mkdtempSync(join(tmpdir(), "rankbridge-feed-"));
  return {
    world,
    logChannelId,
    dataDir,
    roleId: (name) => world.ladder.find((rank) => rank.name === name)!.robloxRoleId,
    async close() {
      await world.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface FeedBotOptions {
  apiKey?: string;
  /** Seed the ladder, links and stored ranks (the first start only; a restart finds them in the file). */
  seed?: boolean;
  env?: Record<string, string>;
}

/** The bot, and the test's own connection to its database file (test/support/bot-database.ts). */
export type FeedBot = InProcessBot & { readonly repositories: Repositories };

/** Starts the whole bot (start(): HTTP, Discord, scheduler, pending writes, the feed) on the world's database file. */
export async function startFeedBot(feed: FeedWorld, options: FeedBotOptions = {}): Promise<FeedBot> {
  const { world } = feed;
  const bot = createInProcessBot({
    env: {
      DISCORD_TOKEN: world.discord.token,
      DISCORD_API_URL: world.discord.restBase,
      ROBLOX_API_URL: world.roblox.urlTemplate,
      ROBLOX_API_KEY: options.apiKey ?? FEED_KEY,
      ROBLOX_GROUP_ID: String(world.groupId),
      HOME_GUILD_IDS: world.guildId,
      DATABASE_PATH: join(feed.dataDir, "rankbridge.sqlite"),
      SYNC_INTERVAL: "1d",
      ROBLOX_CHANGE_FEED_INTERVAL: "2s",
      ...options.env,
    },
    // Emulator reset times are exact; the first background sync of the day is pinned to 1.2 h away.
    options: { discordRest: { offsetMs: 0 }, random: () => 0.5 },
  });
  // The bot has created and migrated the file; the test seeds and reads it beside the bot.
  const own = openBotDatabase(join(feed.dataDir, "rankbridge.sqlite"));
  const { repositories } = own;
  if (options.seed ?? true) {
    await seedDatabase(repositories, world);
    await repositories.guilds.upsert(world.guildId, { logChannelId: feed.logChannelId });
  }
  await bot.bot.start();
  // The start-up check of the credentials reads memberships once; the tests count reads after it.
  await eventually(
    () => bot.logs.some((line) => line.msg === "Roblox credentials verified" || line.msg.startsWith("Roblox check failed")),
    Boolean,
    10_000,
  );
  const close = bot.close;
  return Object.assign(bot, {
    repositories,
    close: async () => {
      await close();
      own.close();
    },
  });
}

/** Resolves once the feed has read the group's log at least once since `after` (its place is then stored). */
export async function feedPolled(bot: FeedBot, groupId: number, after = 0, timeoutMs = 10_000): Promise<void> {
  const polled = await eventually(
    async () => ({
      at: bot.bot.parts.changeFeed?.status.groups().find((state) => state.groupId === groupId)?.lastPollAt ?? 0,
      stored: (await bot.repositories.feedCursors.get(groupId)) !== undefined,
    }),
    ({ at, stored }) => at > after && stored,
    timeoutMs,
  );
  if (!(polled.at > after)) throw new Error(`the change feed did not read group ${groupId} within ${timeoutMs} ms`);
}

/** Roblox requests that read members (roster pages, role member lists, membership lookups). */
export function memberReads(world: World): string[] {
  return world.roblox.requests
    .map((request) => `${request.method} ${request.url}`)
    .filter((line) => /\/memberships|\/v1\/groups\/\d+\/users|\/roles\/\d+\/users|\/membership\b|\/users\/\d+\/groups/.test(line));
}

/** PATCHes of one member's roles the bot sent. */
export function roleEditsOf(world: World, discordId: string): number {
  return world.discord.requests.filter((request) => request.method === "PATCH" && request.path.endsWith(`/members/${discordId}`)).length;
}

export interface ManyGroupsWorld {
  roblox: RobloxEmulator;
  discord: DiscordEmulator;
  /** One guild per group, each a home guild read with the operator's one key (FEED_KEY). */
  guilds: { guildId: string; groupId: number; members: { discordId: string; robloxUserId: number }[]; discordRoles: Map<number, string> }[];
  /** The environment that points a bot at this world. */
  env: Record<string, string>;
  /** Ladder, links and stored ranks of every guild. */
  seed(repositories: Repositories): Promise<void>;
  close(): Promise<void>;
}

/**
 * `count` guilds, each bound to a Roblox group of its own (40 members, 10 of them linked, ranked
 * Private or Corporal), all read with one API key: what the feed's spacing of polls on one
 * credential is for. `robloxLimits` narrows the emulator's windows (e.g. the audit log's).
 */
export async function createManyGroupsWorld(
  count: number,
  robloxLimits: { windowMs?: number; perMinute?: Partial<Record<RobloxApiClass, number>> } = {},
): Promise<ManyGroupsWorld> {
  const roblox = await startRobloxEmulator({ rateLimits: { windowMs: robloxLimits.windowMs ?? 60_000, ...(robloxLimits.perMinute ? { perMinute: robloxLimits.perMinute } : {}) } });
  const discord = await startDiscordEmulator({ heartbeatIntervalMs: 5_000 });
  roblox.addUser({ id: 1, name: "GroupOwner" });
  roblox.addUser({ id: BOT_ROBLOX_USER_ID, name: "RankBridgeBot" });
  roblox.addUser(CAPTAIN);
  roblox.addApiKey(FEED_KEY, { ownerUserId: BOT_ROBLOX_USER_ID, scopes: ["group:read", "group:write", "legacy-group:manage"] });
  const guilds: ManyGroupsWorld["guilds"] = [];
  const ladders = new Map<string, ReturnType<typeof defaultRoles>>();
  for (let index = 0; index < count; index++) {
    const groupId = 6_000_000 + index;
    const roles = defaultRoles(groupId);
    roblox.createGroup({ id: groupId, name: `Company ${index + 1}`, ownerId: 1, roles });
    roblox.setMembership(groupId, BOT_ROBLOX_USER_ID, groupId * 1000 + 2);
    roblox.setMembership(groupId, CAPTAIN.id, groupId * 1000 + 14);
    const ids = roblox.bulkSeed(groupId, 40, { roles: [groupId * 1000 + 5, groupId * 1000 + 7] });
    const guild = discord.createGuild({ name: `Company ${index + 1}` });
    const discordRoles = new Map(roles.filter((role) => role.rank > 0 && role.rank < 254).map((role) => [role.id, discord.createRole(guild.id, { name: role.name }).id]));
    const discordIds = discord.addMembers(guild.id, 10, { roles: (i) => [discordRoles.get(roblox.membership(groupId, ids[i]!)!.roleId)!] });
    guilds.push({ guildId: guild.id, groupId, discordRoles, members: discordIds.map((discordId, i) => ({ discordId, robloxUserId: ids[i]! })) });
    ladders.set(guild.id, roles);
  }
  return {
    roblox,
    discord,
    guilds,
    env: {
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.restBase,
      ROBLOX_API_URL: roblox.urlTemplate,
      ROBLOX_API_KEY: FEED_KEY,
      HOME_GUILD_IDS: guilds.map((guild) => guild.guildId).join(","),
    },
    async seed(repositories) {
      for (const guild of guilds) {
        await repositories.guilds.upsert(guild.guildId, { robloxGroupId: guild.groupId });
        const ranks = ladders.get(guild.guildId)!.filter((role) => role.rank > 0).sort((a, b) => a.rank - b.rank);
        const { ladder } = await repositories.ranks.replace(
          guild.guildId,
          ranks.map((role) => ({ name: role.name, robloxRoleId: role.id, robloxRank: role.rank, discordRoleId: guild.discordRoles.get(role.id) ?? null })),
        );
        for (const member of guild.members) {
          await repositories.members.link(guild.guildId, member.discordId, { robloxUserId: member.robloxUserId, robloxUsername: `Player${member.robloxUserId}`, verifiedBy: "profile-phrase" });
          const rankId = ladder.find((rank) => rank.robloxRoleId === roblox.membership(guild.groupId, member.robloxUserId)!.roleId)?.id ?? null;
          await repositories.members.setStoredRank(guild.guildId, member.discordId, rankId);
        }
      }
    },
    async close() {
      await Promise.allSettled([roblox.close(), discord.close()]);
    },
  };
}
