/**
 * The Roblox side of a sync: who a linked member is in Roblox, and the rank they hold in the group
 * as the planner reads it. Shared by bulk runs and the sync of a member who joins.
 */
import type { LinkedAccountRow, Member } from "../services/storage-port.ts";
import type { Rank, RankLadder, RobloxMembership, RobloxUserId } from "../ranks/ladder.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { LinkedAccount } from "./planner.ts";
import { type GroupMember, type RequestTally } from "../services/roblox-port.ts";

/** The planner's view of a stored member; undefined while no Roblox account is linked. */
export function linkedAccountOf(member: Member): LinkedAccount | undefined {
  if (member.robloxUserId === null) return undefined;
  return {
    discordId: member.discordId,
    robloxUserId: member.robloxUserId,
    robloxUsername: member.robloxUsername ?? String(member.robloxUserId),
    storedRankId: member.rankId,
  };
}

/** The same from the lean row bulk runs read (`listLinkedAccounts`). */
export function linkedAccountOfRow(row: LinkedAccountRow): LinkedAccount {
  return { discordId: row.discordId, robloxUserId: row.robloxUserId, robloxUsername: row.robloxUsername ?? String(row.robloxUserId), storedRankId: row.rankId };
}

/**
 * The member's rank in Roblox terms. Open Cloud lists every role a member holds; the highest one
 * the ladder knows is their rank. When they hold a role the ladder does not know (created in
 * Roblox, not imported yet), it might be the highest, so the API's own pick stands and the planner
 * leaves the member alone if that role is unknown.
 */
export function robloxStandingOf(member: GroupMember, ladder: RankLadder): RobloxMembership {
  let best: Rank | undefined;
  for (const roleId of member.roleIds) {
    const rank = ladder.byRobloxRoleId(roleId);
    if (!rank) return { roleId: member.roleId, rank: ladder.byRobloxRoleId(member.roleId)?.robloxRank ?? 0 };
    if (!best || rank.robloxRank > best.robloxRank) best = rank;
  }
  return best ? { roleId: best.robloxRoleId, rank: best.robloxRank } : { roleId: member.roleId, rank: 0 };
}

/** Each user's standing in the guild's group, null when they are not in it; requests are counted in `tally`. */
export async function readRobloxStandings(
  context: GuildContext,
  robloxUserIds: RobloxUserId[],
  tally: RequestTally,
): Promise<Map<RobloxUserId, RobloxMembership | null>> {
  const found = await context.roblox.membershipsOf(context.groupId, robloxUserIds, tally);
  return new Map(
    robloxUserIds.map((robloxUserId) => {
      const member = found.get(robloxUserId);
      return [robloxUserId, member ? robloxStandingOf(member, context.ladder) : null];
    }),
  );
}
