/**
 * The Roblox side of a sync: who a linked member is in Roblox, and the rank they hold in the group
 * as the planner reads it. Shared by bulk runs and the sync of a member who joins.
 */
import type { LinkedAccountRow, Member } from "../services/storage-port.ts";
import type { Rank, RankLadder, RobloxMembership, RobloxUserId } from "../ranks/ladder.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { LinkedAccount } from "./planner.ts";
import type { GroupMember, MemberRank, RequestTally } from "../services/roblox-port.ts";

/** The planner's view of a stored member; undefined while no Roblox account is linked. */
export function linkedAccountOf(member: Member): LinkedAccount | undefined {
  if (member.robloxUserId === null) return undefined;
  return {
    discordId: member.discordId,
    robloxUserId: member.robloxUserId,
    robloxUsername: member.robloxUsername ?? String(member.robloxUserId),
    robloxDisplayName: member.robloxDisplayName ?? null,
    storedRankId: member.rankId,
  };
}

/** The same from the lean row bulk runs read (`listLinkedAccounts`). */
export function linkedAccountOfRow(row: LinkedAccountRow): LinkedAccount {
  return {
    discordId: row.discordId,
    robloxUserId: row.robloxUserId,
    robloxUsername: row.robloxUsername ?? String(row.robloxUserId),
    robloxDisplayName: row.robloxDisplayName,
    storedRankId: row.rankId,
  };
}

/**
 * The member's rank in Roblox terms. Open Cloud lists every role a member holds; the highest one
 * the ladder knows is their rank. When they hold a role the ladder does not know (created in
 * Roblox, not imported yet), it might be the highest, so the API's own pick stands and the planner
 * leaves the member alone if that role is unknown.
 */
export function robloxStandingOf(member: GroupMember, ladder: RankLadder): RobloxMembership {
  let best: Rank | undefined;
  // Every role held, with its rank number from the ladder (which holds every role but Guest), for range binds.
  const roles: { roleId: number; rank: number }[] = [];
  for (const roleId of member.roleIds) {
    const rank = ladder.byRobloxRoleId(roleId);
    if (!rank) return { roleId: member.roleId, rank: ladder.byRobloxRoleId(member.roleId)?.robloxRank ?? 0 };
    roles.push({ roleId, rank: rank.robloxRank });
    if (!best || rank.robloxRank > best.robloxRank) best = rank;
  }
  return best ? { roleId: best.robloxRoleId, rank: best.robloxRank, roles } : { roleId: member.roleId, rank: 0 };
}

/**
 * The same from every role a member holds with its rank (the other-groups port's answer, highest
 * first); null when they hold none (not in the group).
 */
export function standingFromHeld(held: readonly MemberRank[], ladder: RankLadder): RobloxMembership | null {
  const top = held[0];
  if (!top) return null;
  let best: Rank | undefined;
  for (const role of held) {
    const rank = ladder.byRobloxRoleId(role.roleId);
    // A role the ladder does not know might be the highest: the planner leaves the member alone.
    if (!rank) return { roleId: top.roleId, rank: top.rank, roles: held };
    if (!best || rank.robloxRank > best.robloxRank) best = rank;
  }
  return { roleId: best!.robloxRoleId, rank: best!.robloxRank, roles: held };
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
