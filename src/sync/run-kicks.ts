/**
 * The group lock's "kick" inside a whole-server run (design §3.1): the planning side stores a kick
 * like a left-group change (no target rank, the bound roles to take should the kick become
 * impossible), and the applying side kicks it through the GroupLockKicker, checked against the
 * hierarchy as it is then. Kept apart from run-planning.ts and run-applying.ts for size.
 */
import type { SyncRunItemInput } from "../services/storage-port.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { ActiveRun } from "./active-run.ts";
import type { LiveHierarchy } from "./live-hierarchy.ts";
import type { LiveMemberRoles } from "./member-roles.ts";
import type { SyncItem } from "./planner.ts";
import { updateListEntry, type UpdateListEntry } from "./progress.ts";
import type { ApplyingDeps } from "./run-applying.ts";
import { GROUP_LOCK_KICK } from "./run-guard.ts";
import type { PlanningDeps } from "./run-planning.ts";
import { rankLabelOf } from "./run-report.ts";
import type { emptyCounts, QueuedChange } from "./run-state.ts";

/**
 * A member the group lock kicks: stored like a left-group role change (target rank none, the bound
 * roles to take if the kick turns out impossible by then), which is how the applier knows it.
 */
export function storeKick(
  run: ActiveRun,
  deps: PlanningDeps,
  item: SyncItem,
  held: boolean,
  delta: ReturnType<typeof emptyCounts>,
  rows: SyncRunItemInput[],
  queued: QueuedChange[],
): void {
  const row: SyncRunItemInput = {
    discordId: item.discordId,
    robloxUserId: item.robloxUserId,
    fromRankId: item.fromRank?.id ?? null,
    toRankId: null,
    addRoles: [],
    removeRoles: item.removeRoleIds,
  };
  if (run.dryRun) {
    delta.updated++;
    delta.breakdown.leftGroupKicked++;
    run.keepUpdate({ ...updateListEntry(item), kicked: true }, deps.tuning.updatesKept);
    return;
  }
  if (held) {
    // The note tells the guard's release to queue it even when no role is to be taken.
    rows.push({ ...row, status: "held", error: GROUP_LOCK_KICK });
    return;
  }
  rows.push(row);
  queued.push({
    discordId: item.discordId,
    addRoleIds: [],
    removeRoleIds: item.removeRoleIds,
    robloxUserId: item.robloxUserId,
    robloxUsername: item.robloxUsername,
    fromRankId: row.fromRankId ?? null,
    toRankId: null,
  });
}

/**
 * Kicks a member gone from the Roblox group, checked against the hierarchy as it is now. False when
 * the kick is not possible any more (owner, above the bot, no Kick Members): the caller takes
 * their bound roles instead, as planned. The kick's own audit row is written by the kicker.
 */
export async function kickMember(
  run: ActiveRun,
  deps: ApplyingDeps,
  { context, hierarchy, live, kicks }: { context: GuildContext; hierarchy: LiveHierarchy; live: LiveMemberRoles; kicks: { refused: boolean } },
  change: QueuedChange,
): Promise<boolean> {
  const roles = live.get(change.discordId);
  const buffered = run.buffered;
  if (roles === undefined) {
    buffered.skipped++;
    buffered.breakdown.leftGuild++;
    run.mark({ discordId: change.discordId, status: "skipped", error: "not in the server" });
    return true;
  }
  const problem = kicks.refused ? "missing-permission" : hierarchy.kickProblem(change.discordId, roles);
  if (problem !== null) {
    // Counted when planned; a kick that became impossible since then is only reported.
    run.problems.add(deps.wording.kickSkipped(problem));
    if (change.removeRoleIds.length > 0) return false;
    buffered.skipped++;
    buffered.breakdown.notAttempted++;
    run.mark({ discordId: change.discordId, status: "skipped", error: deps.wording.kickSkipped(problem) });
    return true;
  }
  const target = { discordId: change.discordId, robloxUserId: change.robloxUserId ?? 0, robloxUsername: change.robloxUsername };
  const outcome = await deps.kicker!.kick(run.guildId, context.groupId, target, { actorId: run.actorId ?? "system", pacer: deps.pacer, trigger: `sync run #${run.runId}` });
  switch (outcome.kind) {
    case "kicked": {
      live.delete(change.discordId);
      run.countChange(deps.now());
      buffered.updated++;
      buffered.breakdown.leftGroupKicked++;
      const entry: UpdateListEntry = { robloxUsername: change.robloxUsername, discordId: change.discordId, from: rankLabelOf(context.ladder, change.fromRankId), to: null, kicked: true };
      run.keepUpdate(entry, deps.tuning.updatesKept);
      run.hooks.onUpdate?.(entry);
      run.mark({ discordId: change.discordId, status: "done", error: null });
      return true;
    }
    case "left-guild":
      buffered.skipped++;
      buffered.breakdown.leftGuild++;
      live.delete(change.discordId);
      run.mark({ discordId: change.discordId, status: "skipped", error: "not in the server" });
      return true;
    case "forbidden":
    case "failed":
      if (outcome.kind === "forbidden") kicks.refused = true;
      buffered.errors++;
      run.mark({ discordId: change.discordId, status: "failed", error: outcome.message });
      return true;
  }
}
