/**
 * Members with no link in a whole-guild run (design §3.1: the verified and unverified roles are
 * given and taken on sync too). The member list held only those out of line (sync-context.ts
 * `unlinkedKeepOf`): they lack the unverified role or hold the verified role. Each gets one
 * change with exactly those roles, after the hierarchy check, stored with the run's items (no
 * Roblox account) and queued like any other. They are not rank strips: the mass-change guard
 * neither counts nor holds them, and the rank roles an unlinked member holds are left alone.
 */
import { UNLINKED_STANDING } from "../ranks/binds.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { SyncRunItemInput } from "../services/storage-port.ts";
import type { ActiveRun } from "./active-run.ts";
import type { LiveHierarchy } from "./live-hierarchy.ts";
import type { LiveMemberRoles } from "./member-roles.ts";
import type { PlanningDeps } from "./run-planning.ts";
import { addCounts, emptyCounts, skipForRoleProblems, type QueuedChange } from "./run-state.ts";

/** One unlinked member's change: the presence roles to give and take. */
export interface UnlinkedChange {
  readonly discordId: string;
  readonly addRoleIds: readonly string[];
  readonly removeRoleIds: readonly string[];
}

/** The changes the held unlinked members need (members already in line are skipped). Pure. */
export function planUnlinked(context: Pick<GuildContext, "binds">, live: Pick<LiveMemberRoles, "unwanted">, botUserId: string | undefined): UnlinkedChange[] {
  const presence = context.binds.presence();
  if (!presence) return [];
  const changes: UnlinkedChange[] = [];
  for (const [discordId, roleIds] of live.unwanted()) {
    if (discordId === botUserId) continue;
    const change = presence.changes(UNLINKED_STANDING, roleIds);
    if (change.add.length === 0 && change.remove.length === 0) continue;
    changes.push({ discordId, addRoleIds: change.add, removeRoleIds: change.remove });
  }
  return changes;
}

/** Counts, stores (one transaction) and queues the unlinked members' changes; a dry run only lists them. */
export async function storeUnlinked(
  run: ActiveRun,
  deps: Pick<PlanningDeps, "repositories" | "tuning" | "wording">,
  { hierarchy }: { hierarchy: LiveHierarchy },
  changes: readonly UnlinkedChange[],
): Promise<void> {
  if (changes.length === 0) return;
  const delta = emptyCounts();
  const rows: SyncRunItemInput[] = [];
  const queued: QueuedChange[] = [];
  for (const change of changes) {
    const row: SyncRunItemInput = { discordId: change.discordId, robloxUserId: null, fromRankId: null, toRankId: null, addRoles: change.addRoleIds, removeRoles: change.removeRoleIds };
    const check = hierarchy.check({ addRoleIds: change.addRoleIds, removeRoleIds: change.removeRoleIds });
    if (!check.ok) {
      skipForRoleProblems(run, delta, rows, row, check.problems, deps.wording);
      continue;
    }
    if (run.dryRun) {
      delta.updated++;
      delta.breakdown.unlinkedUpdated++;
      run.keepUpdate(
        { robloxUsername: "", discordId: change.discordId, from: null, to: null, unlinked: true, ...(change.addRoleIds.length > 0 && { added: [...change.addRoleIds] }), ...(change.removeRoleIds.length > 0 && { removed: [...change.removeRoleIds] }) },
        deps.tuning.updatesKept,
      );
      continue;
    }
    rows.push(row);
    queued.push({ ...change, robloxUserId: null, robloxUsername: change.discordId, fromRankId: null, toRankId: null });
  }
  if (run.dryRun) {
    addCounts(run.durable, delta);
    return;
  }
  addCounts(run.durable, delta);
  // The items and the run's progress land together (one store transaction); no stored rank changes.
  await deps.repositories.syncRuns.savePlanSlice(run.guildId, run.runId, rows, [], run.progressPatch());
  for (const change of queued) run.queue.push(change);
}
