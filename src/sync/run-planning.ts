/**
 * The planning half of a run: reads the linked members' ranks from Roblox (slice by slice, or the
 * whole roster at once), diffs them against the live Discord roles, and stores each slice of the
 * plan (items, stored ranks, cursor) in one transaction before its changes are queued for the
 * applier. Nothing is applied that a restart would not find.
 */
import type { Repositories, SyncRunItemInput } from "../services/storage-port.ts";
import type { LiveHierarchy } from "./live-hierarchy.ts";
import type { RobloxMembership } from "../ranks/ladder.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { GroupMembershipsPort } from "./group-memberships.ts";
import type { ActiveRun } from "./active-run.ts";
import { addCounts, emptyCounts, skipForRoleProblems, type QueuedChange } from "./run-state.ts";
import type { BulkSyncTuning } from "./bulk-sync-types.ts";
import type { LiveMemberRoles } from "./member-roles.ts";
import { planSync, type LinkedAccount, type SyncItem } from "./planner.ts";
import { planUnlinked, storeUnlinked } from "./run-unlinked.ts";
import { isStrippingChange } from "./mass-change-guard.ts";
import { updateListEntry } from "./progress.ts";
import type { RunWording } from "./run-report.ts";
import { COUNTED_ONLY } from "./run-guard.ts";
import { storeKick } from "./run-kicks.ts";
import { readRobloxStandings } from "./roblox-standing.ts";
import { readGroups } from "./run-groups.ts";
import { bindInputsOf, groupLockOf, nicknameTemplateOf, pendingRobloxWritesOf, syncOptionsOf } from "./sync-context.ts";
import type { RankLookupPlan, RequestTally } from "../services/roblox-port.ts";

export interface PlanningDeps {
  repositories: Repositories;
  /** Other Roblox groups' memberships, for range binds on them; without it those binds neither give nor take. */
  groupMemberships?: GroupMembershipsPort;
  tuning: Pick<BulkSyncTuning, "sliceSize" | "updatesKept">;
  wording: Pick<RunWording, "roleProblem" | "kickSkipped">;
}

export interface PlanningInputs {
  context: GuildContext;
  /** Followed live: a role moved meanwhile is judged as it is now. */
  hierarchy: LiveHierarchy;
  /** Linked members not planned yet, in Discord-id order. */
  remaining: readonly LinkedAccount[];
  /** How to read their ranks from Roblox; null when there is nobody left to plan. */
  lookup: RankLookupPlan | null;
  /** The guild's member roles, kept current by gateway events. */
  liveRoles: Promise<LiveMemberRoles>;
  /**
   * The live roles hold unlinked members out of line with the verified/unverified roles: plan them
   * too, except the bot itself (no unverified role for the bot).
   */
  unlinked?: { readonly botUserId: string | undefined };
}

/** Plans what is left of the run, slice by slice, until done or the run halts. */
export async function planRun(run: ActiveRun, deps: PlanningDeps, inputs: PlanningInputs): Promise<void> {
  const { context, lookup } = inputs;
  const sliceSize = deps.tuning.sliceSize;
  const pendingWrites = await pendingRobloxWritesOf(deps.repositories, run.guildId);
  const options = syncOptionsOf(context, "bulk");
  const template = nicknameTemplateOf(context.settings);
  const accounts = inputs.remaining;

  // Range binds on other groups: every group (the guild's own included) is read in one plan, the
  // cheapest for all of them together (a shared pass reads each user's groups at once).
  const groups = await readGroups(run, deps, context, accounts);
  const otherGroups = groups?.holdings;
  // The roster strategies read everything before anything can be planned; the linked-users one
  // goes slice by slice, so applying starts after the first slice.
  let everyone: Map<number, RobloxMembership | null> | undefined = groups?.own;
  if (!everyone && lookup && lookup.strategy !== "linked-users" && accounts.length > 0) {
    const result = await context.roblox.readLinkedRanks(context.groupId, accounts.map((a) => a.robloxUserId), { plan: lookup });
    run.robloxRequests += result.requests;
    everyone = new Map(
      accounts.map((a) => {
        const rank = result.ranks.get(a.robloxUserId);
        const held = result.held.get(a.robloxUserId);
        return [a.robloxUserId, rank ? { ...rank, ...(held && { roles: held }) } : null];
      }),
    );
  }

  for (let start = 0; start < accounts.length; start += sliceSize) {
    if (run.halted) return;
    const slice = accounts.slice(start, start + sliceSize);
    let memberships: Map<number, RobloxMembership | null>;
    if (everyone) {
      memberships = everyone;
    } else {
      const tally: RequestTally = { requests: 0 };
      try {
        memberships = await readRobloxStandings(context, slice.map((a) => a.robloxUserId), tally);
      } finally {
        run.robloxRequests += tally.requests;
      }
    }
    const live = await inputs.liveRoles;
    if (run.halted) return;
    const sliceIds = slice.map((account) => account.discordId);
    const plan = planSync({
      robloxMemberships: memberships,
      links: slice,
      ladder: context.ladder,
      discordMemberRoles: live.rolesOf(sliceIds),
      ...(template !== null && { nicknames: { template, members: live.namesOf(sliceIds) } }),
      ...(otherGroups && { otherGroups }),
      pendingRobloxWrites: pendingWrites,
      options,
      ...bindInputsOf(context),
    });
    await storeSlice(run, deps, inputs, slice, plan.items, plan.counts.filteredOut, (discordId) => live.get(discordId));
  }
  if (inputs.unlinked && !run.halted) {
    const live = await inputs.liveRoles;
    if (run.halted) return;
    await storeUnlinked(run, deps, inputs, planUnlinked(context, live, inputs.unlinked.botUserId));
  }
  run.planningFinished();
  if (!run.dryRun) await deps.repositories.syncRuns.updateProgress(run.guildId, run.runId, run.progressPatch());
}

/** The item without its nickname change; "in-sync" when nothing else was to change. */
function withoutNick(item: SyncItem): SyncItem {
  const { nick: _dropped, ...rest } = item;
  const nothingLeft = rest.kind === "update" && rest.nextRoleIds === null && rest.storedRankChange === null;
  return nothingLeft ? { ...rest, kind: "in-sync" } : rest;
}

function heldRow(item: SyncItem, note: string | null): SyncRunItemInput {
  return {
    discordId: item.discordId,
    robloxUserId: item.robloxUserId,
    fromRankId: item.fromRank?.id ?? null,
    toRankId: item.storedRankChange ? item.storedRankChange.toRankId : (item.toRank?.id ?? null),
    addRoles: [],
    removeRoles: [],
    status: "held",
    error: note,
  };
}

/**
 * Counts a planned slice, stores its changes, stored ranks and the cursor in one transaction, and
 * only then queues its changes: nothing is applied that a restart would not find.
 */
async function storeSlice(
  run: ActiveRun,
  deps: PlanningDeps,
  { context, hierarchy }: Pick<PlanningInputs, "context" | "hierarchy">,
  slice: readonly LinkedAccount[],
  items: readonly SyncItem[],
  filteredOut: number,
  /** A member's Discord roles now; undefined when they are not in the server. */
  rolesOf: (discordId: string) => readonly string[] | undefined,
): Promise<void> {
  const delta = emptyCounts();
  // Group lock "kick": members gone from the group who are still in the server are removed from it
  // (by the applier, which knows a left-group change by its null target rank).
  const kicking = groupLockOf(context.settings) === "kick";
  delta.skipped += filteredOut;
  delta.breakdown.filteredOut += filteredOut;
  const rows: SyncRunItemInput[] = [];
  const queued: QueuedChange[] = [];
  const storedRanks: { discordId: string; rankId: number | null }[] = [];

  // Until the guard has judged the run, changes that strip ranks are stored "held", not applied.
  const holding = !run.guardOpen && !run.dryRun;
  const isBound = (roleId: string) => context.ladder.byDiscordRoleId(roleId) !== undefined;
  for (const planned of items) {
    // A nickname the bot may not set (owner, above the bot, no Manage Nicknames) is left out before
    // anything is stored or sent, and counted.
    const nickProblem = planned.nick !== undefined ? hierarchy.nicknameProblem(planned.discordId, planned.nextRoleIds ?? []) : null;
    if (nickProblem) delta.breakdown.nicknameSkipped++;
    const item = nickProblem ? withoutNick(planned) : planned;
    // Only a member still in the server can be kicked, and only when Discord would allow it.
    const memberRoles = kicking && item.kind === "left-group" ? rolesOf(item.discordId) : undefined;
    const kickProblem = memberRoles !== undefined ? hierarchy.kickProblem(item.discordId, memberRoles) : null;
    const kick = memberRoles !== undefined && kickProblem === null;
    const stripping = isStrippingChange(item, isBound, kick);
    const held = holding && stripping;
    if (run.dryRun && stripping && run.dryRunStripping++ < 10) run.dryRunStrippingNames.push(item.robloxUsername);
    if (item.storedRankChange && !held) {
      delta.breakdown.storedRankUpdates++;
      storedRanks.push({ discordId: item.discordId, rankId: item.storedRankChange.toRankId });
    }
    switch (item.kind) {
      case "not-in-guild":
        delta.skipped++;
        delta.breakdown.notInGuild++;
        continue;
      case "unranked-role":
        delta.skipped++;
        delta.breakdown.unrankedRole++;
        continue;
      case "roblox-unknown":
        delta.skipped++;
        delta.breakdown.robloxUnknown++;
        continue;
      case "duplicate-link":
        delta.skipped++;
        delta.breakdown.duplicateLink++;
        continue;
      case "left-group":
        if (kick) {
          storeKick(run, deps, item, held, delta, rows, queued);
          continue;
        }
        if (kickProblem !== null) {
          // Not kickable (the owner, above the bot, no Kick Members): their bound roles go instead.
          run.problems.add(deps.wording.kickSkipped(kickProblem));
          delta.breakdown.kickSkipped++;
        }
        if (!item.nextRoleIds && item.nick === undefined) {
          // Flagged for an admin's review only while they still show a rank; otherwise nothing is left to review.
          if (groupLockOf(context.settings) === "off" && item.fromRank !== null) {
            delta.skipped++;
            delta.breakdown.leftGroupFlagged++;
            if (run.flaggedNames.length < 10) run.flaggedNames.push(item.robloxUsername);
          } else {
            delta.inSync++;
          }
          if (held) rows.push(heldRow(item, item.storedRankChange ? null : COUNTED_ONLY));
          continue;
        }
        break;
      case "in-sync":
      case "update":
        if (!item.nextRoleIds && item.nick === undefined) {
          delta.inSync++;
          continue;
        }
        break;
    }

    // A Discord change: checked against the role hierarchy before it may be queued.
    const check = hierarchy.check({ addRoleIds: item.addRoleIds, removeRoleIds: item.removeRoleIds });
    const row: SyncRunItemInput = {
      discordId: item.discordId,
      robloxUserId: item.robloxUserId,
      fromRankId: item.fromRank?.id ?? null,
      toRankId: item.toRank?.id ?? null,
      addRoles: item.addRoleIds,
      removeRoles: item.removeRoleIds,
      nick: item.nick ?? null,
    };
    if (!check.ok) {
      skipForRoleProblems(run, delta, rows, row, check.problems, deps.wording);
      continue;
    }
    if (run.dryRun) {
      delta.updated++;
      if (item.kind === "left-group") delta.breakdown.leftGroupRemoved++;
      run.keepUpdate(updateListEntry(item), deps.tuning.updatesKept);
      continue;
    }
    if (held) {
      rows.push({ ...row, status: "held" });
      continue;
    }
    rows.push(row);
    queued.push({
      discordId: item.discordId,
      addRoleIds: item.addRoleIds,
      removeRoleIds: item.removeRoleIds,
      ...(item.nick !== undefined && { nick: item.nick }),
      robloxUserId: item.robloxUserId,
      robloxUsername: item.robloxUsername,
      fromRankId: row.fromRankId ?? null,
      toRankId: row.toRankId ?? null,
    });
  }

  const advance = () => {
    addCounts(run.durable, delta);
    run.planSliceStored(slice.length, slice[slice.length - 1]?.discordId);
  };
  if (run.dryRun) {
    advance();
    return;
  }
  advance();
  await deps.repositories.syncRuns.savePlanSlice(run.guildId, run.runId, rows, storedRanks, run.progressPatch());
  for (const change of queued) run.queue.push(change);
}
