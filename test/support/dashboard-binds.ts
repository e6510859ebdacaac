/**
 * What the binds page's tests share: a seeded community's ladder and links stored in the bot's
 * database (as /ranks import and /link-roblox would leave them), and the sync planner's own answer
 * for stored state, to hold the page's preview against.
 */
import type { Repositories } from "../../src/db/index.ts";
import { BindSet, settingBinds, type Bind } from "../../src/ranks/binds.ts";
import { RankLadder } from "../../src/ranks/ladder.ts";
import { planSync } from "../../src/sync/planner.ts";
import type { DiscordEmulator } from "../emulators/discord/index.ts";
import { defaultRoles } from "../emulators/roblox/index.ts";
import type { Community } from "./community.ts";

/** Stores the community's ladder (each rank bound to its Discord role) and links every player at their rank. */
export async function storeLadderAndLinks(repositories: Repositories, community: Community): Promise<void> {
  const ladder = defaultRoles(community.groupId)
    .filter((role) => community.rankRoles.has(role.name))
    .sort((a, b) => a.rank - b.rank)
    .map((role) => ({ name: role.name, robloxRoleId: role.id, robloxRank: role.rank, discordRoleId: community.rankRoles.get(role.name)! }));
  await repositories.ranks.replace(community.guildId, ladder);
  for (const player of community.players) {
    await repositories.members.link(community.guildId, player.discordId, { robloxUserId: player.robloxUserId, robloxUsername: player.robloxUsername, verifiedBy: "profile-phrase" });
    const rank = await repositories.ranks.findByName(community.guildId, player.rankName);
    await repositories.members.setStoredRank(community.guildId, player.discordId, rank!.id);
  }
}

/**
 * How many linked members the sync's planner would give and take `roleId`, with the guild's stored
 * binds (and `extra`, as if stored), stored ranks and the members' roles in the Discord emulator now.
 */
export async function plannedFor(
  repositories: Repositories,
  discord: DiscordEmulator,
  community: Community,
  roleId: string,
  extra: Bind[] = [],
): Promise<{ add: number; remove: number }> {
  const { guildId } = community;
  const ladder = new RankLadder(await repositories.ranks.list(guildId));
  const links = await repositories.members.listLinkedAccounts(guildId);
  const settings = await repositories.guilds.get(guildId);
  const plan = planSync({
    robloxMemberships: new Map(links.flatMap((link) => {
      const rank = link.rankId === null ? undefined : ladder.byId(link.rankId);
      return rank ? [[link.robloxUserId, { roleId: rank.robloxRoleId, rank: rank.robloxRank }] as const] : [];
    })),
    links: links.map((link) => ({ ...link, robloxUsername: link.robloxUsername ?? "", storedRankId: link.rankId })),
    ladder,
    discordMemberRoles: new Map(links.map((link) => [link.discordId, discord.member(guildId, link.discordId)?.roles])),
    pendingRobloxWrites: new Map(),
    options: { leftGroupPolicy: "flag" },
    binds: new BindSet([...(await repositories.binds.list(guildId)), ...extra, ...settingBinds({ verifiedRoleId: settings?.verifiedRoleId ?? null, unverifiedRoleId: settings?.unverifiedRoleId ?? null })]),
    robloxGroupId: community.groupId,
  });
  return {
    add: plan.items.filter((item) => item.addRoleIds.includes(roleId)).length,
    remove: plan.items.filter((item) => item.removeRoleIds.includes(roleId)).length,
  };
}
