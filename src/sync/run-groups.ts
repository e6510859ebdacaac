/**
 * The Roblox groups a run reads together when range binds name groups other than the guild's: the
 * linked users' roles in all of them, in one plan of the other-groups port (a shared pass reads each
 * user's groups at once), and the guild's own memberships taken from the same answer.
 */
import type { RobloxMembership } from "../ranks/ladder.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { ActiveRun } from "./active-run.ts";
import type { GroupRoleHoldings } from "./group-memberships.ts";
import type { LinkedAccount } from "./planner.ts";
import { standingFromHeld } from "./roblox-standing.ts";
import type { PlanningDeps } from "./run-planning.ts";

function otherGroupIdsOf(context: Pick<GuildContext, "binds" | "groupId">): number[] {
  return context.binds.rangeGroupIds().filter((groupId) => groupId !== context.groupId);
}

/** Whether the run reads the guild's group together with other groups (then no rank lookup of its own is planned). */
export function readsGroupsTogether(deps: Pick<PlanningDeps, "groupMemberships">, context: Pick<GuildContext, "binds" | "groupId">): boolean {
  return deps.groupMemberships !== undefined && otherGroupIdsOf(context).length > 0;
}

/**
 * When range binds name other groups: the linked users' roles in those groups and in the guild's
 * own, read once for the run in one plan (see group-memberships.ts), and the own group's answer as
 * the planner's memberships. A failed read fails the run: never "not in the group".
 */
export async function readGroups(
  run: ActiveRun,
  deps: PlanningDeps,
  context: GuildContext,
  accounts: readonly LinkedAccount[],
): Promise<{ holdings: GroupRoleHoldings; own: Map<number, RobloxMembership | null> } | undefined> {
  const others = otherGroupIdsOf(context);
  if (!readsGroupsTogether(deps, context) || accounts.length === 0 || !deps.groupMemberships) return undefined;
  const robloxUserIds = accounts.map((account) => account.robloxUserId);
  const result = await deps.groupMemberships.read(run.guildId, { groupIds: [context.groupId, ...others], robloxUserIds });
  run.robloxRequests += result.requests;
  // Saved with the progress, for the logs: one shared pass over the linked users, or each group's own read.
  run.strategy = result.plan.sharedRequests > 0 ? "groups-shared-pass" : "groups-each";
  const ownGroup = result.holdings.get(context.groupId);
  const own = new Map(robloxUserIds.map((userId) => [userId, standingFromHeld(ownGroup?.get(userId) ?? [], context.ladder)]));
  return { holdings: result.holdings, own };
}

