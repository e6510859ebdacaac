import type { DiscordEmulator } from "../emulators/discord/index.ts";
import { defaultRoles, type RobloxEmulator } from "../emulators/roblox/index.ts";

/**
 * A seeded community: a Roblox group with a military ladder, a Discord server with a role of the
 * same name per rank (below the bot's role), an admin, and players who are in both. Used by the
 * sandbox and by end-to-end tests that run the real bot process.
 */
export interface Community {
  groupId: number;
  groupName: string;
  apiKey: string;
  guildId: string;
  channelId: string;
  ownerDiscordId: string;
  adminDiscordId: string;
  /** Discord role id by rank name. */
  rankRoles: Map<string, string>;
  players: { discordId: string; robloxUserId: number; robloxUsername: string; rankName: string }[];
}

export interface CommunityOptions {
  groupId?: number;
  groupName?: string;
  players?: number;
  apiKey?: string;
  /** Scopes of the API key (default `group:read` and `group:write`; add `legacy-group:manage` for the change feed). */
  apiKeyScopes?: string[];
  /** Prefix of the Roblox usernames (Roblox names are unique across groups): `Legion` by default. */
  namePrefix?: string;
}

export function seedCommunity(discord: DiscordEmulator, roblox: RobloxEmulator, options: CommunityOptions = {}): Community {
  const groupId = options.groupId ?? 7_100;
  const groupName = options.groupName ?? "Sandbox Legion";
  const apiKey = options.apiKey ?? "sandbox-open-cloud-key";
  const prefix = options.namePrefix ?? "Legion";
  const roles = defaultRoles(groupId);
  const ownerId = groupId * 10;
  const rankingBotId = ownerId + 1;

  roblox.addUser({ id: ownerId, name: `${prefix}Founder` });
  roblox.createGroup({ id: groupId, name: groupName, ownerId, roles });
  roblox.addUser({ id: rankingBotId, name: `${prefix}RankingBot` });
  const rankingBotRole = roles.find((r) => r.name === "Ranking Bot")!;
  roblox.setMembership(groupId, rankingBotId, rankingBotRole.id);
  roblox.addApiKey(apiKey, { ownerUserId: rankingBotId, scopes: options.apiKeyScopes ?? ["group:read", "group:write"] });

  const guild = discord.createGuild({ name: groupName });
  const rankRoles = new Map<string, string>();
  const ladder = roles.filter((r) => r.rank > 0 && r.rank < 254).sort((a, b) => a.rank - b.rank);
  for (const role of ladder) rankRoles.set(role.name, discord.createRole(guild.id, { name: role.name }).id);
  const adminRole = discord.createRole(guild.id, { name: "Officers", permissions: (1n << 28n).toString() });
  // An officer: Manage Roles through the Officers role, and a high rank, so they can promote those below.
  const admin = discord.addMember(guild.id, { username: `${prefix.toLowerCase()}_officer`, roles: [adminRole.id, rankRoles.get("Colonel")!] });

  const players: Community["players"] = [];
  const playerCount = options.players ?? 12;
  for (let i = 0; i < playerCount; i++) {
    const robloxUserId = groupId * 100 + i;
    const robloxUsername = `${prefix}naire${i + 1}`;
    const rank = ladder[i % Math.min(ladder.length, 5)]!;
    roblox.addUser({ id: robloxUserId, name: robloxUsername, description: "Hello from the sandbox." });
    roblox.setMembership(groupId, robloxUserId, rank.id);
    const member = discord.addMember(guild.id, { username: robloxUsername.toLowerCase() });
    players.push({ discordId: member.user.id, robloxUserId, robloxUsername, rankName: rank.name });
  }

  return {
    groupId,
    groupName,
    apiKey,
    guildId: guild.id,
    channelId: guild.systemChannelId,
    ownerDiscordId: guild.ownerId,
    adminDiscordId: admin.user.id,
    rankRoles,
    players,
  };
}
