/**
 * The roles linked users hold in several groups at once (the guild's own and the other groups its
 * binds name), read the cheapest way `planGroupsLookup` finds: one shared pass over the linked
 * users (50 a `groups/-/memberships` request, answering for all their groups) or each group's
 * roster or bound roles (100 a page). Never one request per member on Open Cloud. The pass's
 * cost depends on how many groups its users are in, which only its answers show: after the first
 * batch the rest is priced again, and dropped for the groups' own reads if dearer.
 */
import { planGroupsLookup, type GroupLookupChoice, type GroupsLookupPlan } from "./planner.ts";
import { MEMBERSHIP_BATCH_SIZE, ROSTER_PAGE_SIZE, type RobloxReadApi } from "./read-api.ts";
import { RobloxMalformedAnswerError } from "./schemas.ts";
import type { RequestTally } from "./transport.ts";
import type { GroupInfo, GroupMember, GroupRole, GroupRoleHoldings, MemberRank, RobloxUserId, RosterPage } from "./types.ts";

export interface GroupHoldingsRead {
  /** Per group asked, per linked user in it, every role held with its rank, highest first. */
  holdings: GroupRoleHoldings;
  /** HTTP requests sent, the planning reads (group, roles) and retries included. */
  requests: number;
  plan: GroupsLookupPlan;
  /**
   * Groups per linked user that the shared pass saw (every group, not only those asked): pass it
   * back as `membershipsPerUser` to plan the next read. Null when no shared pass ran.
   */
  observedMembershipsPerUser: number | null;
  /**
   * The shared pass was stopped after its first batch because its users are in so many groups that
   * the rest would cost more than the groups' own reads, which were read instead.
   */
  fellBack: boolean;
}

export interface GroupHoldingsOptions {
  /** Per group, the roles its binds read: lets a group be read by those roles' member lists. */
  boundRoleIds?: ReadonlyMap<number, readonly number[]>;
  membershipsPerUser?: number;
  /** A plan made earlier (say, shown by a dry run); planned here when absent. */
  plan?: GroupsLookupPlan;
}

/** What the client lends the reader: its reads, role cache and pacing. */
export interface GroupHoldingsDeps {
  reads: RobloxReadApi;
  getGroup(groupId: number, tally: RequestTally): Promise<GroupInfo>;
  /** The group's roles from the client's cache. */
  rolesFor(groupId: number, tally: RequestTally): Promise<GroupRole[]>;
  /** The same, asked again when a role id is unknown. */
  rolesCovering(groupId: number, roleIds: number[], tally: RequestTally): Promise<GroupRole[]>;
  pages(fetchPage: (token: string | null) => Promise<RosterPage>): AsyncGenerator<RosterPage>;
  mapConcurrently<T, R>(items: T[], map: (item: T) => Promise<R>): Promise<R[]>;
  membershipReadsPerMinute(): number;
}

/** Reads the member counts (and bound roles' counts) the plan needs: one group request each, roles from the cache. */
export async function planGroupHoldings(
  deps: GroupHoldingsDeps,
  groupIds: readonly number[],
  linkedCount: number,
  options: Omit<GroupHoldingsOptions, "plan">,
  tally: RequestTally,
): Promise<GroupsLookupPlan> {
  const groups = await deps.mapConcurrently([...new Set(groupIds)], async (groupId) => {
    const group = await deps.getGroup(groupId, tally);
    const bound = options.boundRoleIds?.get(groupId) ?? [];
    if (bound.length === 0) return { groupId, memberCount: group.memberCount };
    const roles = await deps.rolesFor(groupId, tally);
    const boundRoles = roles.filter((role) => bound.includes(role.id)).map((role) => ({ roleId: role.id, memberCount: role.memberCount }));
    return { groupId, memberCount: group.memberCount, boundRoles };
  });
  return planGroupsLookup({
    groups,
    linkedCount,
    membershipsPerUser: options.membershipsPerUser,
    family: deps.reads.family,
    perMinute: deps.membershipReadsPerMinute(),
  });
}

export async function readGroupHoldings(
  deps: GroupHoldingsDeps,
  groupIds: readonly number[],
  linkedUserIds: readonly RobloxUserId[],
  options: GroupHoldingsOptions = {},
): Promise<GroupHoldingsRead> {
  const tally: RequestTally = { requests: 0 };
  const linked = [...new Set(linkedUserIds)];
  const wanted = new Set(groupIds);
  const plan = options.plan ?? (await planGroupHoldings(deps, [...wanted], linked.length, options, tally));
  const found = new Map<number, GroupMember[]>([...wanted].map((groupId) => [groupId, []]));
  let observedMembershipsPerUser: number | null = null;

  let fellBack = false;
  if (linked.length > 0 && plan.sharedRequests > 0) {
    const batches: RobloxUserId[][] = [];
    for (let index = 0; index < linked.length; index += MEMBERSHIP_BATCH_SIZE) batches.push(linked.slice(index, index + MEMBERSHIP_BATCH_SIZE));
    // The first batch alone: its answer shows how many groups these users are in, which the plan could only guess.
    const first = await deps.reads.groupMembershipsAmong(batches[0]!, tally);
    observedMembershipsPerUser = first.length / batches[0]!.length;
    const rest = batches.slice(1);
    // Open Cloud pages a batch's answer by 100 memberships; the legacy hosts cost one request per user whatever their groups.
    const perUser = observedMembershipsPerUser;
    const restCost = rest.reduce(
      (sum, batch) => sum + (deps.reads.family === "legacy" ? batch.length : Math.max(1, Math.ceil((batch.length * perUser) / ROSTER_PAGE_SIZE))),
      0,
    );
    if (restCost > plan.alternatives.perGroup) {
      fellBack = true;
      await readEachGroup(deps, plan.perGroupReads, linked, found, tally);
    } else {
      const answers = [first, ...(await deps.mapConcurrently(rest, (batch) => deps.reads.groupMembershipsAmong(batch, tally)))].flat();
      observedMembershipsPerUser = answers.length / linked.length;
      const asked = new Set(linked);
      for (const membership of answers) {
        if (asked.has(membership.userId)) found.get(membership.groupId)?.push(membership);
      }
    }
  } else if (linked.length > 0) {
    await readEachGroup(deps, plan.groups, linked, found, tally);
  }

  const holdings: GroupRoleHoldings = new Map();
  for (const [groupId, members] of found) {
    holdings.set(groupId, members.length === 0 ? new Map() : await ranksOf(deps, groupId, members, tally));
  }
  return { holdings, requests: tally.requests, plan, observedMembershipsPerUser, fellBack };
}

/** Each group by its own read (roster pages or bound roles' member lists), keeping the linked users. */
async function readEachGroup(
  deps: GroupHoldingsDeps,
  choices: GroupLookupChoice[],
  linked: RobloxUserId[],
  found: Map<number, GroupMember[]>,
  tally: RequestTally,
): Promise<void> {
  const isLinked = new Set(linked);
  await deps.mapConcurrently(choices, async (choice) => {
    const members = found.get(choice.groupId);
    if (!members) return;
    const lists =
      choice.strategy === "bound-roles"
        ? choice.boundRoleIds.map((roleId) => (token: string | null) => deps.reads.roleMembersPage(choice.groupId, roleId, token, tally))
        : [(token: string | null) => deps.reads.rosterPage(choice.groupId, token, tally)];
    for (const list of lists) {
      for await (const page of deps.pages(list)) members.push(...page.members.filter((member) => isLinked.has(member.userId)));
    }
  });
}

/** Each member's roles with their ranks, highest first; a member listed under several roles is merged. */
async function ranksOf(deps: GroupHoldingsDeps, groupId: number, members: GroupMember[], tally: RequestTally): Promise<Map<RobloxUserId, MemberRank[]>> {
  const held = new Map<RobloxUserId, Set<number>>();
  for (const member of members) {
    const roleIds = held.get(member.userId) ?? new Set<number>();
    for (const id of [member.roleId, ...member.roleIds]) roleIds.add(id);
    held.set(member.userId, roleIds);
  }
  const roles = await deps.rolesCovering(groupId, [...new Set(members.flatMap((member) => [member.roleId, ...member.roleIds]))], tally);
  const byId = new Map(roles.map((role) => [role.id, role]));
  const result = new Map<RobloxUserId, MemberRank[]>();
  for (const [userId, roleIds] of held) {
    const ranks = [...roleIds].map((roleId) => {
      const role = byId.get(roleId);
      // Reading a partial role list as a lower rank could strip roles: ask again later instead.
      if (!role) throw new RobloxMalformedAnswerError(`list roles of group ${groupId}`, "groupRoles", `lacks role ${roleId}, which user ${userId} holds`);
      return { roleId, rank: role.rank };
    });
    result.set(userId, ranks.sort((a, b) => b.rank - a.rank));
  }
  return result;
}
