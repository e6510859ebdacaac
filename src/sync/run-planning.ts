/**
 * The planning half of a run: reads the linked members' ranks from Roblox (slice by slice, or the
 * whole roster at once), diffs them against the live Discord roles, and stores each slice of the
 * plan (items, stored ranks, cursor) in one transaction before its changes are queued for the
 * applier. Nothing is applied that a restart would not find.
 */
import type { Repositories, SyncRunItemInput } from "../services/storage-port.ts";
import { atomically, type Transactions } from "./transactions.ts";
import type { LiveHierarchy } from "./live-hierarchy.ts";
import type { RobloxMembership } from "../ranks/ladder.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { ActiveRun } from "./active-run.ts";
import { addCounts, emptyCounts, type QueuedChange } from "./run-state.ts";
import type { BulkSyncTuning } from "./bulk-sync-types.ts";
import type { LiveMemberRoles } from "./member-roles.ts";
import { planSync, type LinkedAccount, type SyncItem } from "./planner.ts";
import { isStrippingChange } from "./mass-change-guard.ts";
import { updateListEntry } from "./progress.ts";
import type { RunWording } from "./run-report.ts";
import { COUNTED_ONLY } from "./run-guard.ts";
import { readRobloxStandings } from "./roblox-standing.ts";
import { pendingRobloxWritesOf, syncOptionsOf } from "./sync-context.ts";
import { type RankLookupPlan, type RequestTally } from "../services/roblox-port.ts";

export interface PlanningDeps {
  repositories: Repositories;
  /** For the transaction that keeps a slice of the plan and its progress together. */
  database: Transactions;
  tuning: Pick<BulkSyncTuning, "sliceSize" | "updatesKept">;
  wording: Pick<RunWording, "roleProblem">;
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
}

/** Plans what is left of the run, slice by slice, until done or the run halts. */
export async function planRun(run: ActiveRun, deps: PlanningDeps, inputs: PlanningInputs): Promise<void> {
  const { context, lookup } = inputs;
  const sliceSize = deps.tuning.sliceSize;
  const pendingWrites = pendingRobloxWritesOf(deps.repositories, run.guildId);
  const options = syncOptionsOf(context, "bulk");
  const accounts = inputs.remaining;

  // The roster strategies read everything before anything can be planned; the linked-users one
  // goes slice by slice, so applying starts after the first slice.
  let everyone: Map<number, RobloxMembership | null> | undefined;
  if (lookup && lookup.strategy !== "linked-users" && accounts.length > 0) {
    const result = await context.roblox.readLinkedRanks(context.groupId, accounts.map((a) => a.robloxUserId), { plan: lookup });
    run.robloxRequests += result.requests;
    everyone = new Map(accounts.map((a) => [a.robloxUserId, result.ranks.get(a.robloxUserId) ?? null]));
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
    const plan = planSync({
      robloxMemberships: memberships,
      links: slice,
      ladder: context.ladder,
      discordMemberRoles: live.rolesOf(slice.map((account) => account.discordId)),
      pendingRobloxWrites: pendingWrites,
      options,
    });
    storeSlice(run, deps, inputs, slice, plan.items, plan.counts.filteredOut);
  }
  run.planningFinished();
  if (!run.dryRun) deps.repositories.syncRuns.updateProgress(run.guildId, run.runId, run.progressPatch());
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
function storeSlice(
  run: ActiveRun,
  deps: PlanningDeps,
  { context, hierarchy }: Pick<PlanningInputs, "context" | "hierarchy">,
  slice: readonly LinkedAccount[],
  items: readonly SyncItem[],
  filteredOut: number,
): void {
  const delta = emptyCounts();
  delta.skipped += filteredOut;
  delta.breakdown.filteredOut += filteredOut;
  const rows: SyncRunItemInput[] = [];
  const queued: QueuedChange[] = [];
  const storedRanks: { discordId: string; rankId: number | null }[] = [];

  // Until the guard has judged the run, changes that strip ranks are stored "held", not applied.
  const holding = !run.guardOpen && !run.dryRun;
  const isBound = (roleId: string) => context.ladder.byDiscordRoleId(roleId) !== undefined;
  for (const item of items) {
    const stripping = isStrippingChange(item, isBound);
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
        if (!item.nextRoleIds) {
          // Flagged for an admin's review only while they still show a rank; otherwise nothing is left to review.
          if (context.settings?.leftGroupPolicy === "flag" && item.fromRank !== null) {
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
        if (!item.nextRoleIds) {
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
    };
    if (!check.ok) {
      delta.skipped++;
      delta.breakdown.notAttempted++;
      const fixes = check.problems.map((problem) => deps.wording.roleProblem(problem));
      for (const fix of fixes) run.problems.add(fix);
      rows.push({ ...row, status: "skipped", error: fixes.join(" ") });
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
  const { repositories, database } = deps;
  atomically(database, () => {
    if (rows.length > 0) repositories.syncRuns.insertItems(run.guildId, run.runId, rows);
    for (const stored of storedRanks) repositories.members.setStoredRank(run.guildId, stored.discordId, stored.rankId);
    advance();
    repositories.syncRuns.updateProgress(run.guildId, run.runId, run.progressPatch());
  });
  for (const change of queued) run.queue.push(change);
}
