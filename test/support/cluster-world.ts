/**
 * What a cluster of bot processes (test/support/cluster.ts) serves: one Discord emulator with
 * `shardCount` recommended shards and max_concurrency 1, one Roblox emulator, and guilds placed on
 * the shards the test names, each bound to a Roblox group with its ladder, rank roles and linked
 * members. Several guilds may share a group (one group on several shards: the change feed's case).
 *
 * `seed(repositories)` writes the bindings, ladders and links into the store the processes share;
 * the emulators hold the rest. Close with `close()`.
 */
import type { Repositories } from "../../src/services/storage-port.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { DISCORD_EPOCH } from "../emulators/discord/snowflake.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";

/** The bot's Roblox account: rank 254 ("Ranking Bot") in every group, owner of the API key. */
const BOT_ROBLOX_USER_ID = 77;
const GROUP_OWNER_ID = 1;

export interface ClusterGuildSpec {
  shard: number;
  groupId: number;
  /** Linked members in the guild (default 8), each a member of the group. */
  linked?: number;
  /** How many of them start with a wrong rank role, so the first sync has work (default 2). */
  mismatched?: number;
}

export interface ClusterWorldOptions {
  shardCount?: number;
  guilds: readonly ClusterGuildSpec[];
  /** Roblox rate-limit window (default 1 s, with the documented per-minute limits in it). */
  robloxWindowMs?: number;
  /** Discord heartbeat interval (default 1 s, so a dropped connection is noticed quickly). */
  heartbeatIntervalMs?: number;
}

export interface ClusterMember {
  discordId: string;
  robloxUserId: number;
  robloxUsername: string;
  robloxRoleId: number;
}

export interface ClusterGuild {
  readonly id: string;
  readonly shard: number;
  readonly groupId: number;
  readonly ownerId: string;
  /** Roblox role id → Discord role id, for the ranks shown in Discord. */
  readonly rankRoles: Map<number, string>;
  /** A role that is not a rank (for commands that take a role, e.g. /config admin-role). */
  readonly staffRoleId: string;
  readonly linked: ClusterMember[];
}

export interface ClusterWorld {
  readonly discord: DiscordEmulator;
  readonly roblox: RobloxEmulator;
  readonly apiKey: string;
  readonly shardCount: number;
  readonly guilds: ClusterGuild[];
  /** The guilds on one shard. */
  onShard(shard: number): ClusterGuild[];
  /** Binds every guild to its group, writes its ladder and links (stored ranks as Discord shows them). */
  seed(repositories: Repositories): Promise<void>;
  close(): Promise<void>;
}

/** Discord routes guild `g` to shard `(g >> 22) % shardCount`. */
export const shardOfGuild = (guildId: string, shardCount: number): number => Number((BigInt(guildId) >> 22n) % BigInt(shardCount));

/**
 * A snowflake for a guild "created" `index` ms after a day ago, moved forward until it lands on
 * `shard`: guilds on a chosen shard without creating throw-away ones.
 */
function guildIdOnShard(shard: number, shardCount: number, index: number): string {
  let ms = BigInt(Date.now() - 86_400_000 - DISCORD_EPOCH) + BigInt(index * shardCount);
  while (Number(ms % BigInt(shardCount)) !== shard) ms += 1n;
  return (ms << 22n).toString();
}

export async function startClusterWorld(options: ClusterWorldOptions): Promise<ClusterWorld> {
  const shardCount = options.shardCount ?? 2;
  const discord = await startDiscordEmulator({
    recommendedShards: shardCount,
    maxConcurrency: 1,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 1_000,
  });
  const roblox = await startRobloxEmulator({ rateLimits: { windowMs: options.robloxWindowMs ?? 1_000 } });
  const apiKey = "cluster-test-key";
  roblox.addUser({ id: GROUP_OWNER_ID, name: "GroupOwner" });
  roblox.addUser({ id: BOT_ROBLOX_USER_ID, name: "RankBridgeBot" });
  roblox.addApiKey(apiKey, { ownerUserId: BOT_ROBLOX_USER_ID, scopes: ["group:read", "group:write"] });

  const groups = new Set<number>();
  const guilds = options.guilds.map((spec, index): ClusterGuild => {
    if (!groups.has(spec.groupId)) {
      groups.add(spec.groupId);
      roblox.createGroup({ id: spec.groupId, name: `Group ${spec.groupId}`, ownerId: GROUP_OWNER_ID, roles: defaultRoles(spec.groupId) });
      roblox.setMembership(spec.groupId, BOT_ROBLOX_USER_ID, spec.groupId * 1000 + 2);
    }
    const guild = discord.createGuild({ id: guildIdOnShard(spec.shard, shardCount, index), name: `Shard ${spec.shard} guild ${index}` });
    const rankRoles = new Map<number, string>();
    for (const role of defaultRoles(spec.groupId).filter((r) => r.rank > 0 && r.rank < 254)) {
      rankRoles.set(role.id, discord.createRole(guild.id, { name: role.name }).id);
    }
    const staffRoleId = discord.createRole(guild.id, { name: "Staff" }).id;
    const linkedCount = spec.linked ?? 8;
    const mismatched = spec.mismatched ?? 2;
    const robloxIds = roblox.bulkSeed(spec.groupId, linkedCount);
    const shown = [...rankRoles.values()];
    const discordIds = discord.addMembers(guild.id, linkedCount, {
      usernamePrefix: `g${index}-linked`,
      roles: (i) => {
        const right = rankRoles.get(roblox.membership(spec.groupId, robloxIds[i]!)!.roleId)!;
        return i < mismatched ? [shown.find((id) => id !== right)!] : [right];
      },
    });
    const linked = discordIds.map((discordId, i) => ({
      discordId,
      robloxUserId: robloxIds[i]!,
      robloxUsername: `Player${robloxIds[i]}`,
      robloxRoleId: roblox.membership(spec.groupId, robloxIds[i]!)!.roleId,
    }));
    return { id: guild.id, shard: spec.shard, groupId: spec.groupId, ownerId: guild.ownerId, rankRoles, staffRoleId, linked };
  });

  return {
    discord,
    roblox,
    apiKey,
    shardCount,
    guilds,
    onShard: (shard) => guilds.filter((guild) => guild.shard === shard),
    async seed(repositories) {
      for (const guild of guilds) {
        await repositories.guilds.upsert(guild.id, { robloxGroupId: guild.groupId });
        const ladder = defaultRoles(guild.groupId)
          .filter((role) => role.rank > 0)
          .sort((a, b) => a.rank - b.rank)
          .map((role) => ({ name: role.name, robloxRoleId: role.id, robloxRank: role.rank, discordRoleId: guild.rankRoles.get(role.id) ?? null }));
        await repositories.ranks.replace(guild.id, ladder);
        for (const member of guild.linked) {
          await repositories.members.link(guild.id, member.discordId, {
            robloxUserId: member.robloxUserId,
            robloxUsername: member.robloxUsername,
            verifiedBy: "profile-phrase",
          });
        }
      }
    },
    async close() {
      await Promise.allSettled([discord.close(), roblox.close()]);
    },
  };
}
