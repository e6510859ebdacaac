import { DOCUMENTED_PER_MINUTE } from "./limits.ts";
import { MEMBERSHIP_BATCH_SIZE, ROSTER_PAGE_SIZE, type ApiFamily } from "./read-api.ts";

/**
 * How to learn the ranks of a guild's linked members with the fewest Roblox requests:
 * - `roster`: every page of the group's members (100 a page);
 * - `linked-users`: the linked users, 50 per `groups/-/memberships` request on Open Cloud
 *   (one request per user on the legacy hosts, which have no batch lookup);
 * - `bound-roles`: the members of each role the guild binds to a Discord role (100 a page).
 *   A linked user found in none of them holds no bound role (or is not in the group).
 */
export type RankLookupStrategy = "linked-users" | "roster" | "bound-roles";

export interface BoundRoleCount {
  roleId: number;
  /** Null when Roblox did not say: the bound-roles strategy cannot be costed then. */
  memberCount: number | null;
}

export interface RankLookupInput {
  memberCount: number;
  linkedCount: number;
  /** The roles bound to Discord roles, with their member counts; omit to rule the strategy out. */
  boundRoles?: BoundRoleCount[];
  /** Which API family reads memberships; default Open Cloud. */
  family?: ApiFamily;
  /** Requests per minute the membership reads may use; default the documented limit of the family. */
  perMinute?: number;
}

export interface RankLookupOption {
  strategy: RankLookupStrategy;
  /**
   * Requests the strategy sends. For `linked-users` on Open Cloud it is a minimum: a batch's answer
   * covers every group of those users and takes more pages when they are in many groups.
   */
  requests: number;
  /** Time the rate limit alone imposes: requests ÷ rate. */
  estimatedSeconds: number;
}

export interface RankLookupPlan extends RankLookupOption {
  /** Every strategy that could be costed, cheapest first (the chosen one included). */
  options: RankLookupOption[];
  /** The roles to read when the strategy is `bound-roles`. */
  boundRoleIds: number[];
}

const pages = (count: number, pageSize: number) => Math.max(1, Math.ceil(count / pageSize));

/** Chooses the cheapest strategy. Pure: no I/O, so the bulk sync can show the plan before running it. */
export function planRankLookup(input: RankLookupInput): RankLookupPlan {
  const family = input.family ?? "open-cloud";
  const perMinute = input.perMinute ?? DOCUMENTED_PER_MINUTE[family === "open-cloud" ? "groups.memberships" : "legacy"];
  const estimate = (requests: number) => Math.round((requests / perMinute) * 60 * 1000) / 1000;

  const linked = Math.max(0, input.linkedCount);
  const linkedRequests = family === "open-cloud" ? Math.ceil(linked / MEMBERSHIP_BATCH_SIZE) : linked;
  const candidates: Array<{ strategy: RankLookupStrategy; requests: number }> = [
    { strategy: "linked-users", requests: linkedRequests },
    { strategy: "roster", requests: pages(Math.max(0, input.memberCount), ROSTER_PAGE_SIZE) },
  ];
  const bound = input.boundRoles ?? [];
  if (bound.length > 0 && bound.every((role) => role.memberCount !== null)) {
    const requests = bound.reduce((sum, role) => sum + pages(role.memberCount ?? 0, ROSTER_PAGE_SIZE), 0);
    candidates.push({ strategy: "bound-roles", requests });
  }

  // A stable sort keeps the listed order on ties: the strategies that see every linked member first.
  const options = candidates
    .map((candidate) => ({ ...candidate, estimatedSeconds: estimate(candidate.requests) }))
    .sort((a, b) => a.requests - b.requests);
  const chosen = options[0]!;
  return { ...chosen, options, boundRoleIds: bound.map((role) => role.roleId) };
}

/** One group to read for the linked users: its member count and, optionally, its bound roles. */
export interface GroupLookupInput {
  groupId: number;
  memberCount: number;
  /** As in `RankLookupInput`: the roles some bind reads, with member counts; omit to rule the strategy out. */
  boundRoles?: BoundRoleCount[];
}

export interface GroupsLookupInput {
  groups: GroupLookupInput[];
  linkedCount: number;
  /**
   * How many groups a linked user is in on average, counting every group (Roblox answers a batch
   * with all of them): the pages a batch takes. Default 1, the least; pass what an earlier read
   * saw (`GroupHoldingsRead.observedMembershipsPerUser`).
   */
  membershipsPerUser?: number;
  family?: ApiFamily;
  perMinute?: number;
}

export interface GroupLookupChoice {
  groupId: number;
  /** `linked-users` means: answered by the shared pass over the linked users. */
  strategy: RankLookupStrategy;
  /** Requests of this group's own reads (0 for `linked-users`: the shared pass is counted once). */
  requests: number;
  boundRoleIds: number[];
}

export interface GroupsLookupPlan {
  /** One choice per group, in the order asked. */
  groups: GroupLookupChoice[];
  /** Requests of the shared pass over the linked users (0 when no group uses it). */
  sharedRequests: number;
  requests: number;
  estimatedSeconds: number;
  /** The two plans weighed: every group on its own cheapest read, or one shared pass for all. */
  alternatives: { perGroup: number; sharedPass: number };
  /** Each group's own cheapest read: the plan without the shared pass, to fall back on when the pass proves dearer. */
  perGroupReads: GroupLookupChoice[];
}

/**
 * The cheapest reads for several groups at once (the guild's own and other groups that binds
 * name). One pass over the linked users, 50 a `groups/-/memberships` request, answers for every
 * group they are in, so it is paid once for all the groups or not at all: the choice is that pass
 * for every group, or each group on its own cheapest of roster and bound roles. Pure.
 */
export function planGroupsLookup(input: GroupsLookupInput): GroupsLookupPlan {
  const family = input.family ?? "open-cloud";
  const perMinute = input.perMinute ?? DOCUMENTED_PER_MINUTE[family === "open-cloud" ? "groups.memberships" : "legacy"];
  const linked = Math.max(0, input.linkedCount);
  const perUser = Math.max(1, input.membershipsPerUser ?? 1);
  let sharedPass = 0;
  if (family === "legacy") {
    sharedPass = linked; // one request per user, each listing all of the user's groups
  } else {
    for (let left = linked; left > 0; left -= MEMBERSHIP_BATCH_SIZE) {
      sharedPass += pages(Math.min(left, MEMBERSHIP_BATCH_SIZE) * perUser, ROSTER_PAGE_SIZE);
    }
  }
  const own = input.groups.map((group) => {
    const plan = planRankLookup({ memberCount: group.memberCount, linkedCount: 0, boundRoles: group.boundRoles, family, perMinute });
    // The group's own cheapest read other than the linked users (planned apart from the shared pass).
    const best = plan.options.find((option) => option.strategy !== "linked-users")!;
    return { groupId: group.groupId, strategy: best.strategy, requests: best.requests, boundRoleIds: best.strategy === "bound-roles" ? plan.boundRoleIds : [] };
  });
  const perGroup = own.reduce((sum, group) => sum + group.requests, 0);
  const useShared = input.groups.length > 0 && linked > 0 && sharedPass < perGroup;
  const groups: GroupLookupChoice[] = useShared
    ? own.map((group) => ({ groupId: group.groupId, strategy: "linked-users", requests: 0, boundRoleIds: [] }))
    : own;
  const requests = useShared ? sharedPass : linked === 0 ? 0 : perGroup;
  return {
    groups: linked === 0 ? groups.map((group) => ({ ...group, requests: 0 })) : groups,
    sharedRequests: useShared ? sharedPass : 0,
    requests,
    estimatedSeconds: Math.round((requests / perMinute) * 60 * 1000) / 1000,
    alternatives: { perGroup, sharedPass },
    perGroupReads: own,
  };
}
