/**
 * The mass-change guard in a run (design §6, point 5). Changes that would strip a member's rank
 * roles, or count them as gone from the Roblox group, are stored "held" while the run plans; the
 * rest is applied meanwhile. Once planning is done the guard (mass-change-guard.ts) judges the
 * held ones together: under the threshold they are released and applied; over it the run ends
 * paused until an admin presses Apply (or runs /sync force:true) or Cancel.
 */
import type { Repositories, SyncRun } from "../services/storage-port.ts";
import type { AuditTrail } from "../services/audit-trail.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { ActiveRun } from "./active-run.ts";
import { isHeldProgress, type HeldPlan } from "./run-state.ts";
import { judgeMassChange, massChangeThresholdOf, type MassChangeVerdict } from "./mass-change-guard.ts";
import type { RunWording } from "./run-report.ts";

export interface GuardDeps {
  repositories: Repositories;
}

/**
 * The note on a held item that has nothing to apply: the member counts as gone from the group but
 * the guild's policy keeps their roles ("flag"). Counted by the guard, never written.
 */
export const COUNTED_ONLY = "counted by the mass-change guard only: left the Roblox group, roles kept (policy: flag)";

/** The note on a held group-lock kick: released, it is queued even with no role to take (the applier kicks it). */
export const GROUP_LOCK_KICK = "held by the mass-change guard: group lock kick";

/** Names shown to the admin who decides. */
const SAMPLE_SIZE = 10;

/** What the guard reads of the run's links: who they are, and the name to show. */
type LinkedNames = { readonly discordId: string; readonly robloxUsername: string | null };

/** Judges what the run held; releases it into the queue, or holds the run. */
export async function settleGuard(run: ActiveRun, deps: GuardDeps, context: GuildContext, links: readonly LinkedNames[]): Promise<void> {
  if (run.dryRun) {
    // Nothing is applied; the report says whether a real run would wait for an admin.
    const verdict = judgeMassChange(run.dryRunStripping, links.length, massChangeThresholdOf(context.settings));
    if (verdict.held && !run.guardOpen) run.holdFor(heldPlanOf(verdict, run.dryRunStrippingNames));
    return;
  }
  const { repositories } = deps;
  const held = await repositories.syncRuns.listHeldItems(run.guildId, run.runId);
  if (held.length === 0) return;
  const verdict = judgeMassChange(held.length, links.length, massChangeThresholdOf(context.settings));
  if (verdict.held && !run.guardOpen) {
    const nameOf = new Map(links.map((link) => [link.discordId, link.robloxUsername ?? link.discordId]));
    run.holdFor(heldPlanOf(verdict, held.slice(0, SAMPLE_SIZE).map((item) => nameOf.get(item.discordId) ?? item.discordId)));
    return;
  }
  await releaseHeld(run, deps, links);
}

function heldPlanOf(verdict: MassChangeVerdict, sample: string[]): HeldPlan {
  return { affected: verdict.affected, linked: verdict.linked, percent: verdict.threshold.percent, members: verdict.threshold.members, sample };
}

/** Held changes become ordinary pending ones: stored ranks written, Discord changes queued. */
async function releaseHeld(run: ActiveRun, { repositories }: GuardDeps, links: readonly LinkedNames[]): Promise<void> {
  const nameOf = new Map(links.map((link) => [link.discordId, link.robloxUsername]));
  const released = await repositories.syncRuns.releaseHeld(run.guildId, run.runId, (row) => {
    // Counted only: nothing to apply and no rank to store.
    if (row.error === COUNTED_ONLY) return { storeRank: false, settle: { discordId: row.discordId, status: "skipped", error: row.error } };
    // The rank the plan gives them (none, for members gone from the group) is stored only now.
    // A group-lock kick is queued even with no role to take: the kick is the change.
    const kick = row.error === GROUP_LOCK_KICK;
    if (row.addRoles.length === 0 && row.removeRoles.length === 0 && !kick) return { storeRank: true, settle: { discordId: row.discordId, status: "done", error: null } };
    return { storeRank: true };
  });
  run.openGuard();
  for (const row of released) {
    run.queue.push({
      discordId: row.discordId,
      addRoleIds: row.addRoles,
      removeRoleIds: row.removeRoles,
      ...(row.nick !== null && { nick: row.nick }),
      robloxUserId: row.robloxUserId,
      robloxUsername: nameOf.get(row.discordId) ?? (row.robloxUserId !== null ? String(row.robloxUserId) : row.discordId),
      fromRankId: row.fromRankId,
      toRankId: row.toRankId,
    });
  }
}

/** What an admin's answer to a held run touches. */
export interface HeldDecisionDeps {
  repositories: Repositories;
  audit: AuditTrail;
  wording: Pick<RunWording, "runRecord">;
}

/** The run, when it is this guild's and still held for a decision. */
export async function heldRunOf(repositories: Repositories, guildId: string, runId: number): Promise<SyncRun | undefined> {
  const row = await repositories.syncRuns.get(guildId, runId);
  return row && row.status === "paused" && !row.dryRun && isHeldProgress(row.progress) ? row : undefined;
}

/** Cancel: the held changes are dropped (their members keep their roles), the run closes. */
export async function cancelHeldRun({ repositories, audit, wording }: HeldDecisionDeps, guildId: string, runId: number, actorId: string): Promise<number> {
  const cancelled = (await repositories.syncRuns.settleHeldItems(guildId, runId, "skipped", "cancelled by an admin (mass-change guard)")).length;
  await repositories.syncRuns.finish(guildId, runId, { status: "done", error: wording.runRecord({ kind: "held-cancelled", cancelled }) });
  await repositories.guilds.upsert(guildId, { syncPausedReason: null });
  await audit.record(guildId, { actorId, action: "sync.run", outcome: "ok", after: { runId, decision: "cancel", cancelled }, note: { kind: "held-run-decided", runId, decision: "cancel" } });
  return cancelled;
}

/** Apply: the run is set running again (to be launched with the guard open); undefined when another run is. */
export async function approveHeldRun({ repositories, audit }: HeldDecisionDeps, guildId: string, runId: number, actorId: string): Promise<SyncRun | undefined> {
  const resumed = await repositories.syncRuns.resume(guildId, runId);
  if (!resumed?.ok) return undefined;
  await repositories.guilds.upsert(guildId, { syncPausedReason: null });
  await audit.record(guildId, { actorId, action: "sync.run", outcome: "ok", after: { runId, decision: "apply" }, note: { kind: "held-run-decided", runId, decision: "apply" } });
  return resumed.run;
}
