/**
 * The strategy other rank bots use (design §6: "Peers check members one at a time"), for the
 * benchmark's comparison: per linked member one Roblox lookup and one Discord member read, then a
 * role PUT or DELETE for each rank role that is wrong. Same clients, same rate limits as ours.
 */
import { RankLadder } from "../../../src/ranks/ladder.ts";
import type { RequestTally } from "../../../src/roblox/transport.ts";
import type { SyncBot } from "./bot.ts";

export interface MemberByMemberResult {
  members: number;
  updated: number;
  inSync: number;
  errors: number;
  robloxRequests: number;
  discordRequests: number;
  roleRequests: number;
}

export async function memberByMemberSync(bot: SyncBot, guildId: string, groupId: number, limit = Number.POSITIVE_INFINITY): Promise<MemberByMemberResult> {
  const ladder = new RankLadder(await bot.repositories.ranks.list(guildId));
  const links = (await bot.repositories.members.listLinked(guildId)).slice(0, limit);
  const tally: RequestTally = { requests: 0 };
  const result: MemberByMemberResult = { members: links.length, updated: 0, inSync: 0, errors: 0, robloxRequests: 0, discordRequests: 0, roleRequests: 0 };

  for (const link of links) {
    try {
      const [membership, member] = await Promise.all([
        bot.roblox.getMembership(groupId, link.robloxUserId!, tally),
        bot.guilds.member(guildId, link.discordId),
      ]);
      result.discordRequests++;
      if (!member) continue;
      const wanted = membership ? (ladder.byRobloxRoleId(membership.roleId)?.discordRoleId ?? null) : null;
      let changed = false;
      for (const roleId of member.roleIds) {
        if (ladder.isBoundDiscordRole(roleId) && roleId !== wanted) {
          result.roleRequests++;
          await bot.api.guilds.removeRoleFromMember(guildId, link.discordId, roleId);
          changed = true;
        }
      }
      if (wanted && !member.roleIds.includes(wanted)) {
        result.roleRequests++;
        await bot.api.guilds.addRoleToMember(guildId, link.discordId, wanted);
        changed = true;
      }
      if (changed) result.updated++;
      else result.inSync++;
    } catch {
      result.errors++;
    }
  }
  result.robloxRequests = tally.requests;
  result.discordRequests += result.roleRequests;
  return result;
}
