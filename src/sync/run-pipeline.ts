/**
 * The work of one run, from its inputs to its last applied change: asks Discord for the member list
 * and Roblox for a lookup plan at once, queues first the changes a restart left pending, then plans
 * (run-planning.ts) and applies (run-applying.ts) side by side. Either side failing stops both;
 * whatever was planned and stored is still applied first.
 */
import type { Logger } from "../observability/logger.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { ActiveRun } from "./active-run.ts";
import type { BulkSyncTuning } from "./bulk-sync-types.ts";
import { LiveHierarchy } from "./live-hierarchy.ts";
import { collectMemberRoles, LiveMemberRoles, type MemberName, type MemberRolesPort } from "./member-roles.ts";
import { nicknameTemplateOf, unlinkedKeepOf } from "./sync-context.ts";
import { linkedAccountOfRow } from "./roblox-standing.ts";
import { applyRun, type ApplyingDeps } from "./run-applying.ts";
import { settleGuard } from "./run-guard.ts";
import { readsGroupsTogether } from "./run-groups.ts";
import { planRun, type PlanningDeps } from "./run-planning.ts";
import type { RankLookupPlan, RequestTally } from "../services/roblox-port.ts";

export type PipelineDeps = PlanningDeps &
  ApplyingDeps & {
    memberRoles: MemberRolesPort;
    tuning: Pick<BulkSyncTuning, "memberRequest">;
  };

/** Resolves when planning and applying are over; throws what stopped them. */
export async function runPipeline(run: ActiveRun, context: GuildContext, log: Logger, deps: PipelineDeps): Promise<void> {
  const { repositories, guilds } = deps;
  const { guildId } = run;

  // Only the columns the plan needs: a large guild has tens of thousands of links.
  const links = (await repositories.members.listLinkedAccounts(guildId)).map(linkedAccountOfRow);
  const remaining = run.planningDone ? [] : run.cursor === null ? links : links.filter((link) => link.discordId > run.cursor!);
  run.total = run.planned + remaining.length;
  if (!run.dryRun) await repositories.syncRuns.updateProgress(guildId, run.runId, { total: run.total });

  // Only the members a decision can touch are held: the linked ones and those with a pending change.
  const wanted = new Set(links.map((link) => link.discordId));
  // Changes planned before a restart come first, in their original order (read before the member
  // roles are asked for, since their members are wanted).
  if (run.resumed && !run.dryRun) {
    const linkByDiscordId = new Map(links.map((link) => [link.discordId, link]));
    let afterSeq = -1;
    for (;;) {
      const page = await repositories.syncRuns.listPendingItems(guildId, run.runId, { afterSeq, limit: 5000 });
      if (page.length === 0) break;
      for (const item of page) {
        const link = linkByDiscordId.get(item.discordId);
        wanted.add(item.discordId);
        run.queue.push({
          discordId: item.discordId,
          addRoleIds: item.addRoles,
          removeRoleIds: item.removeRoles,
          ...(item.nick !== null && { nick: item.nick }),
          robloxUserId: item.robloxUserId,
          robloxUsername: link?.robloxUsername ?? (item.robloxUserId !== null ? String(item.robloxUserId) : item.discordId),
          fromRankId: item.fromRankId,
          toRankId: item.toRankId,
        });
      }
      afterSeq = page[page.length - 1]!.seq;
    }
  }

  // Discord members and the Roblox lookup plan are independent: ask for both at once. Names are
  // kept only when a nickname template needs them.
  const names = nicknameTemplateOf(context.settings) !== null ? new Map<string, MemberName>() : undefined;
  // Unlinked members out of line with the verified/unverified roles are held too (none without those roles).
  const also = run.planningDone ? undefined : unlinkedKeepOf(context);
  const liveRoles = collectMemberRoles(deps.memberRoles, guildId, {
    ...deps.tuning.memberRequest,
    wanted,
    ...(also && { also }),
    ...(names && { names }),
    onRateLimited: (waitMs, attempt) => log.info({ waitMs, attempt }, "the gateway asked to wait before sending the member list"),
  }).then((roles) => {
    run.live = new LiveMemberRoles(roles, wanted, names, also);
    for (const [userId, roleIds] of run.earlyUpdates) {
      if (roleIds === null) run.live.delete(userId);
      else run.live.set(userId, roleIds);
    }
    run.earlyUpdates.clear();
    return run.live;
  });
  // Surfaced when awaited; keeps an early failure from being reported as unhandled meanwhile.
  liveRoles.catch(() => undefined);

  const standing = await guilds.botStanding(guildId);
  run.standingRequests++;
  const hierarchy = new LiveHierarchy(guilds, standing);
  run.hierarchy = hierarchy;

  const tally: RequestTally = { requests: 0 };
  let lookup: RankLookupPlan | null = null;
  if (remaining.length > 0 && !readsGroupsTogether(deps, context)) {
    try {
      lookup = await context.roblox.planLinkedRankLookup(context.groupId, remaining.length, [], tally);
    } finally {
      run.robloxRequests += tally.requests;
    }
    run.strategy = lookup.strategy;
    log.debug({ strategy: lookup.strategy, requests: lookup.requests, options: lookup.options }, "roblox lookup planned");
  }

  const applying = run.dryRun
    ? Promise.resolve()
    : applyRun(run, deps, { context, hierarchy, liveRoles }).catch((error: unknown) => {
        // Stops the planner too: there is no point planning what cannot be applied.
        run.recordFailure(error);
      });
  try {
    await planRun(run, deps, { context, hierarchy, remaining, lookup, liveRoles, ...(also && { unlinked: { botUserId: guilds.botUserId } }) });
    // Only a fully planned run is judged: the guard needs every member's change at once.
    if (run.planningDone && !run.halted) await settleGuard(run, deps, context, links);
  } catch (error) {
    run.recordFailure(error);
  } finally {
    // Whatever was planned and stored still gets applied; a failed run then ends as failed. Closing
    // here also ends the applier's wait once planning is done.
    run.queue.close();
  }
  await applying;
  if (run.failure !== undefined) throw run.failure;
}
