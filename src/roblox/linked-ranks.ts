/**
 * Reading the ranks of a guild's linked members in one go, by the plan the planner chose
 * (planner.ts): one membership batch per 50 linked users, the whole roster, or the members of
 * the bound roles only. The bulk sync's Roblox read.
 */
import type { LinkedRanks } from "../services/roblox-port.ts";
import { mapConcurrently } from "./concurrency.ts";
import { highestRole, rolesHeld } from "./member-roles.ts";
import type { RankLookupPlan } from "./planner.ts";
import type { RequestTally } from "./transport.ts";
import type { GroupMember, GroupRole, MemberRank, RobloxUserId, RosterPage } from "./types.ts";

/** The client's reads a lookup uses. */
export interface LinkedRankSource {
  readonly batchConcurrency: number;
  planLinkedRankLookup(groupId: number, linkedCount: number, boundRoleIds?: number[], tally?: RequestTally): Promise<RankLookupPlan>;
  membershipsOf(groupId: number, userIds: RobloxUserId[], tally?: RequestTally): Promise<Map<RobloxUserId, GroupMember>>;
  roster(groupId: number, options: { tally?: RequestTally }): AsyncGenerator<RosterPage>;
  roleMembers(groupId: number, roleId: number, options: { tally?: RequestTally }): AsyncGenerator<RosterPage>;
  rolesCovering(groupId: number, roleIds: number[], tally?: RequestTally): Promise<GroupRole[]>;
}

/** Runs a rank-lookup plan (planning first when none is given) for the linked users. */
export async function readLinkedRanks(
  source: LinkedRankSource,
  groupId: number,
  linkedUserIds: RobloxUserId[],
  options: { boundRoleIds?: number[]; plan?: RankLookupPlan } = {},
): Promise<LinkedRanks> {
  const tally: RequestTally = { requests: 0 };
  const linked = new Set(linkedUserIds);
  const plan = options.plan ?? (await source.planLinkedRankLookup(groupId, linked.size, options.boundRoleIds, tally));
  const members: GroupMember[] = [];

  if (plan.strategy === "linked-users") {
    members.push(...(await source.membershipsOf(groupId, [...linked], tally)).values());
  } else if (plan.strategy === "roster") {
    for await (const page of source.roster(groupId, { tally })) {
      members.push(...page.members.filter((member) => linked.has(member.userId)));
    }
  } else {
    const perRole = await mapConcurrently(plan.boundRoleIds, source.batchConcurrency, async (roleId) => {
      const found: GroupMember[] = [];
      for await (const page of source.roleMembers(groupId, roleId, { tally })) {
        found.push(...page.members.filter((member) => linked.has(member.userId)));
      }
      return found;
    });
    members.push(...perRole.flat());
  }

  const ranks = new Map<RobloxUserId, MemberRank>();
  const held = new Map<RobloxUserId, MemberRank[]>();
  if (members.length === 0) return { ranks, held, requests: tally.requests, plan };
  const roles = await source.rolesCovering(groupId, members.flatMap((member) => member.roleIds), tally);
  // A member of several bound roles shows up once per role: their roles are the union.
  const roleIdsOf = new Map<RobloxUserId, Set<number>>();
  for (const member of members) {
    const known = roleIdsOf.get(member.userId) ?? new Set<number>();
    for (const id of [member.roleId, ...member.roleIds]) known.add(id);
    roleIdsOf.set(member.userId, known);
  }
  for (const [userId, roleIds] of roleIdsOf) {
    const member = { userId, roleId: [...roleIds][0]!, roleIds: [...roleIds] };
    const role = highestRole(member, roles);
    ranks.set(userId, { roleId: role.id, rank: role.rank });
    held.set(userId, rolesHeld(member, roles));
  }
  return { ranks, held, requests: tally.requests, plan };
}
