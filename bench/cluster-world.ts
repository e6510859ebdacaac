/**
 * The world of the cluster benchmark (bench/cluster.ts): one Roblox group of realistic size bound in
 * many Discord guilds spread evenly over the shards, both emulators at their real limits (no time
 * scaling), and the bot's PostgreSQL database seeded once as a template that each run copies.
 *
 * Each guild is what test/sync/support/world.ts builds for one: the group's ladder bound to Discord
 * roles, its own linked members (a slice of the group), a share of them with a wrong Discord rank,
 * unlinked members filling the guild. The seeding reuses that file's `seedDatabase`, per guild.
 */
import postgres from "postgres";
import { openPostgres } from "../src/db/pg/client.ts";
import { createPgRepositories } from "../src/db/pg/repositories/index.ts";
import { DISCORD_EPOCH, shardForGuild, startDiscordEmulator, type DiscordEmulator } from "../test/emulators/discord/index.ts";
import { type defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../test/emulators/roblox/index.ts";
import { disagreements, GROUP_ID, seedBotGroup, seedDatabase, type LinkedMember, type World } from "../test/sync/support/world.ts";

export interface ClusterWorldSpec {
  guilds: number;
  shardCount: number;
  /** Roblox group members. */
  groupSize: number;
  /** Linked members per guild (each guild its own slice of the group). */
  linkedPerGuild: number;
  /** Discord members per guild, the linked ones included. */
  guildSize: number;
  /** Share of each guild's linked members whose Discord rank is wrong. */
  mismatchedShare: number;
}

export interface BenchGuild {
  readonly id: string;
  readonly shard: number;
  /** Roles of the members seeded with a wrong rank, to put back before the next run. */
  readonly seededRoles: ReadonlyMap<string, string[]>;
  /** The guild seen as test/sync/support/world.ts's one-guild world (seeding, disagreements). */
  readonly world: World;
}

export interface ClusterWorld {
  readonly discord: DiscordEmulator;
  readonly roblox: RobloxEmulator;
  readonly groupId: number;
  readonly apiKey: string;
  readonly guilds: readonly BenchGuild[];
  /** Members seeded with a wrong rank get it back; counters and rate-limit windows start again. */
  reset(): void;
  /** Linked members, over every guild, whose Discord rank disagrees with Roblox. */
  disagreements(): number;
  close(): Promise<void>;
}

/** Guilds "created" a day apart from this moment: consecutive timestamps, so `(id >> 22) % n` takes every shard in turn. */
const FIRST_GUILD_MS = Date.parse("2021-03-01T00:00:00Z");

/** A guild id whose shard is `index % shardCount` (its timestamp bits are consecutive). */
export function benchGuildId(index: number): string {
  return (((BigInt(FIRST_GUILD_MS - DISCORD_EPOCH) + BigInt(index)) << 22n) | BigInt(index % 4096)).toString();
}

export async function createClusterWorld(spec: ClusterWorldSpec): Promise<ClusterWorld> {
  if (spec.guilds * spec.linkedPerGuild > spec.groupSize - 2) throw new Error("the group is too small for every guild's linked members");
  // The documented per-minute limits in 60 s windows; Discord's real buckets, global limit and IDENTIFY pacing.
  const roblox = await startRobloxEmulator({ record: true });
  const discord = await startDiscordEmulator({ recommendedShards: spec.shardCount, maxConcurrency: 1 });

  const apiKey = "cluster-bench-key";
  const { roles, robloxIds } = seedBotGroup(roblox, { name: "Cluster Bench Army", apiKey, groupSize: spec.groupSize });
  const ladderRoles = roles.filter((role) => role.rank > 0).sort((a, b) => a.rank - b.rank);

  const guilds: BenchGuild[] = [];
  for (let index = 0; index < spec.guilds; index++) {
    const slice = robloxIds.slice(index * spec.linkedPerGuild, (index + 1) * spec.linkedPerGuild);
    guilds.push(createGuild(discord, roblox, index, slice, ladderRoles, spec, apiKey));
  }
  discord.resetCounters();
  const restore = () => {
    for (const guild of guilds) for (const [userId, roleIds] of guild.seededRoles) discord.setMemberRoles(guild.id, userId, roleIds);
  };
  return {
    discord,
    roblox,
    groupId: GROUP_ID,
    apiKey,
    guilds,
    reset() {
      restore();
      discord.resetCounters();
      discord.resetRateLimits();
      roblox.requests.length = 0;
      roblox.resetCounts();
      roblox.resetRateLimits();
    },
    disagreements: () => guilds.reduce((sum, guild) => sum + disagreements(guild.world).length, 0),
    async close() {
      await Promise.allSettled([discord.close(), roblox.close()]);
    },
  };
}

function createGuild(
  discord: DiscordEmulator,
  roblox: RobloxEmulator,
  index: number,
  robloxIds: number[],
  ladderRoles: ReturnType<typeof defaultRoles>,
  spec: ClusterWorldSpec,
  apiKey: string,
): BenchGuild {
  const guild = discord.createGuild({ name: `Division ${index + 1}`, id: benchGuildId(index) });
  const rankRoles = new Map<number, string>();
  const ladder: World["ladder"] = [];
  for (const role of ladderRoles) {
    const discordRoleId = role.rank < 254 ? discord.createRole(guild.id, { name: role.name }).id : null;
    if (discordRoleId) rankRoles.set(role.id, discordRoleId);
    ladder.push({ name: role.name, robloxRoleId: role.id, robloxRank: role.rank, discordRoleId });
  }
  const verifiedRoleId = discord.createRole(guild.id, { name: "Verified" }).id;
  const shown = [...rankRoles.values()];
  // Every 1/share-th linked member has a wrong rank, in three kinds: another rank, none, two.
  const every = Math.max(1, Math.round(1 / spec.mismatchedShare));
  const wrongAt = (i: number) => spec.mismatchedShare > 0 && i % every === 0;
  const seededRoles = new Map<string, string[]>();
  const discordIds = discord.addMembers(guild.id, robloxIds.length, {
    usernamePrefix: `d${index}-linked`,
    roles: (i) => {
      const right = rankRoles.get(roblox.membership(GROUP_ID, robloxIds[i]!)!.roleId)!;
      if (!wrongAt(i)) return [verifiedRoleId, right];
      const wrong = shown[(shown.indexOf(right) + 1 + (i % (shown.length - 1))) % shown.length]!;
      const kind = (i / every) % 3;
      return kind === 0 ? [verifiedRoleId, wrong] : kind === 1 ? [verifiedRoleId] : [verifiedRoleId, wrong, right];
    },
  });
  const linked: LinkedMember[] = [];
  const mismatched = new Set<string>();
  discordIds.forEach((discordId, i) => {
    const robloxUserId = robloxIds[i]!;
    linked.push({ discordId, robloxUserId, robloxUsername: `Player${robloxUserId}`, robloxRoleId: roblox.membership(GROUP_ID, robloxUserId)!.roleId });
    if (wrongAt(i)) {
      mismatched.add(discordId);
      seededRoles.set(discordId, discord.memberRoleIds(guild.id, discordId)!);
    }
  });
  discord.addMembers(guild.id, Math.max(0, spec.guildSize - robloxIds.length - 2), {
    usernamePrefix: `d${index}-guest`,
    roles: (i) => (i % 4 === 0 ? [shown[i % shown.length]!] : []),
  });
  const world: World = {
    discord,
    roblox,
    guildId: guild.id,
    groupId: GROUP_ID,
    apiKey,
    ownerId: guild.ownerId,
    rankRoles,
    verifiedRoleId,
    ladder,
    linked,
    mismatched,
    allyGroupId: null,
    allyRoleId: null,
    unverifiedRoleId: null,
    close: async () => undefined,
  };
  return { id: guild.id, shard: shardForGuild(guild.id, spec.shardCount), seededRoles, world };
}

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  drop(): Promise<void>;
}

function databaseUrl(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function admin<T>(serverUrl: string, work: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    return await work(sql);
  } finally {
    await sql.end();
  }
}

function dropper(serverUrl: string, name: string): () => Promise<void> {
  return () => admin(serverUrl, (sql) => sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(() => undefined);
}

/** A new database on the server, migrated and seeded with every guild (the runs copy it). */
export async function seedTemplate(serverUrl: string, world: ClusterWorld, tag: string): Promise<BenchDatabase> {
  const name = `rankbridge_bench_cluster_${tag}_seed`;
  await admin(serverUrl, (sql) => sql.unsafe(`CREATE DATABASE "${name}"`));
  const url = databaseUrl(serverUrl, name);
  // A connection per guild: each guild's links are one after the other (its advisory lock).
  const handle = await openPostgres(url, { maxConnections: world.guilds.length });
  try {
    const repositories = createPgRepositories(handle.db);
    // Guilds in parallel: each link takes the guild's advisory lock, so one guild's are in series anyway.
    await Promise.all(world.guilds.map((guild) => seedDatabase(repositories, guild.world)));
  } finally {
    await handle.close();
  }
  return { name, url, drop: dropper(serverUrl, name) };
}

/** A copy of the template (PostgreSQL copies the files: seconds, not a reseed). */
export async function copyDatabase(serverUrl: string, template: BenchDatabase, name: string): Promise<BenchDatabase> {
  await admin(serverUrl, (sql) => sql.unsafe(`CREATE DATABASE "${name}" TEMPLATE "${template.name}"`));
  return { name, url: databaseUrl(serverUrl, name), drop: dropper(serverUrl, name) };
}
