/**
 * The applying half of a run: works through the queued changes in plan order at Discord's pace,
 * marks each item, and saves the marks, their audit rows and the counts together in batches. A
 * streak of 403s pauses the run instead of spending the guild's invalid-request budget.
 */
import type { Repositories, SyncItemUpdate } from "../services/storage-port.ts";
import type { SyncGuilds } from "../services/discord-port.ts";
import type { LiveHierarchy } from "./live-hierarchy.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { ActiveRun } from "./active-run.ts";
import type { MemberAudit } from "./run-state.ts";
import { MemberRoleEditor } from "../services/member-role-editor.ts";
import type { BulkSyncTuning } from "./bulk-sync-types.ts";
import type { LiveMemberRoles } from "./member-roles.ts";
import type { RequestPacer } from "./pacer.ts";
import { changesOf, type UpdateListEntry } from "./progress.ts";
import type { RunWording } from "./run-report.ts";
import { rankLabelOf } from "./run-report.ts";
import type { AuditNote } from "../services/audit-notes.ts";
import type { GroupLockKicker } from "../services/group-lock.ts";
import { kickMember } from "./run-kicks.ts";
import { groupLockOf } from "./sync-context.ts";

/** What saving the applied marks needs. */
export interface MarkDeps {
  repositories: Repositories;
  now: () => number;
}

export interface ApplyingDeps extends MarkDeps {
  guilds: SyncGuilds;
  /** Shared by every guild's run. */
  pacer: RequestPacer;
  tuning: Pick<BulkSyncTuning, "forbiddenStreakToPause" | "markBatchSize" | "markIntervalMs" | "updatesKept">;
  wording: Pick<RunWording, "forbiddenPause" | "roleProblem" | "kickSkipped">;
  /** Group lock "kick": DMs and removes a member gone from the group (absent: role changes only). */
  kicker?: Pick<GroupLockKicker, "kick">;
}

export interface ApplyingInputs {
  context: GuildContext;
  /** Followed live; told about every 403 so the same cause is not sent again. */
  hierarchy: LiveHierarchy;
  /** The guild's member roles, kept current by gateway events and by the run's own edits. */
  liveRoles: Promise<LiveMemberRoles>;
}

/** Applies queued changes until the queue is closed and drained, or the run halts. */
export async function applyRun(run: ActiveRun, deps: ApplyingDeps, { context, hierarchy, liveRoles }: ApplyingInputs): Promise<void> {
  const { tuning } = deps;
  const applier = new MemberRoleEditor({
    writer: deps.guilds,
    hierarchy,
    pacer: deps.pacer,
    auditReason: { kind: "bulk-sync", runId: run.runId },
  });
  run.applier = applier;
  let forbiddenStreak = 0;
  const live = await liveRoles;
  const kicking = deps.kicker !== undefined && groupLockOf(context.settings) === "kick";
  // After one refused kick (a 403 the pre-check did not foresee) no other is tried this run.
  const kicks = { refused: false };

  for (;;) {
    if (run.halted) break;
    const change = await run.queue.next();
    if (!change) {
      if (run.queue.closed || run.halted) break;
      continue;
    }
    // A left-group change (no target rank) under group lock "kick": the member is removed instead.
    // (An unlinked member's change has no Roblox account and no rank either: never a kick.)
    if (kicking && change.toRankId === null && change.robloxUserId !== null && (await kickMember(run, deps, { context, hierarchy, live, kicks }, change))) {
      if (run.unsavedMarks >= tuning.markBatchSize || deps.now() - run.lastFlushAt >= tuning.markIntervalMs) await flushMarks(run, deps);
      continue;
    }
    const roleIds = live.get(change.discordId);
    const now = roleIds && change.nick !== undefined ? { roleIds, nick: live.nickOf(change.discordId) } : roleIds;
    const outcome = await applier.edit(run.guildId, change, now);
    const from = rankLabelOf(context.ladder, change.fromRankId);
    const to = rankLabelOf(context.ladder, change.toRankId);
    const buffered = run.buffered;
    let status: SyncItemUpdate["status"] = "done";
    let error: string | null = null;
    let audit: MemberAudit | undefined;
    switch (outcome.kind) {
      case "updated":
      case "already-applied": {
        // "already-applied": the roles match the plan, e.g. the PATCH went out just before a restart.
        if (outcome.kind === "updated") {
          live.set(change.discordId, outcome.roleIds);
          if (outcome.nickname?.kind === "set") live.setNick(change.discordId, outcome.nickname.nick);
          run.countChange(deps.now());
          forbiddenStreak = 0;
        }
        buffered.updated++;
        if (change.robloxUserId === null) buffered.breakdown.unlinkedUpdated++;
        else if (change.toRankId === null) buffered.breakdown.leftGroupRemoved++;
        const who = { robloxUsername: change.robloxUsername, discordId: change.discordId, from, to, ...(change.robloxUserId === null && { unlinked: true as const }) };
        const entry: UpdateListEntry =
          outcome.kind === "updated" ? { ...who, ...changesOf(outcome.added, outcome.removed, outcome.nickname?.kind === "set" ? outcome.nickname.nick : undefined) } : who;
        run.keepUpdate(entry, tuning.updatesKept);
        audit = { change, from, to };
        run.hooks.onUpdate?.(entry);
        break;
      }
      case "not-attempted": {
        status = "skipped";
        const fixes = outcome.problems.map((problem) => deps.wording.roleProblem(problem));
        error = fixes.join(" ");
        buffered.skipped++;
        buffered.breakdown.notAttempted++;
        for (const fix of fixes) run.problems.add(fix);
        break;
      }
      case "left-guild":
        status = "skipped";
        error = "not in the server";
        buffered.skipped++;
        buffered.breakdown.leftGuild++;
        live.delete(change.discordId);
        break;
      case "forbidden":
        status = "failed";
        error = outcome.message;
        buffered.errors++;
        // Read the roles again and block whatever was refused: no second 403 for the same cause.
        await hierarchy.refused(change, outcome.message);
        forbiddenStreak++;
        if (forbiddenStreak >= tuning.forbiddenStreakToPause) {
          run.pause(deps.wording.forbiddenPause(forbiddenStreak, outcome.message));
        }
        break;
      case "failed":
        status = "failed";
        error = outcome.message;
        buffered.errors++;
        break;
    }
    run.mark({ discordId: change.discordId, status, error }, audit);
    if (run.unsavedMarks >= tuning.markBatchSize || deps.now() - run.lastFlushAt >= tuning.markIntervalMs) {
      await flushMarks(run, deps);
    }
  }
  await flushMarks(run, deps);
}

/** Saves applied marks, their audit rows and the counts in one transaction. */
export async function flushMarks(run: ActiveRun, deps: MarkDeps): Promise<void> {
  const { marks, audits } = run.takeMarks(deps.now());
  if (run.dryRun || (marks.length === 0 && audits.length === 0)) return;
  run.commitBuffered();
  const auditRows = audits.map(({ change, from, to }) => ({
    actorId: run.actorId ?? "system",
    action: "sync.member" as const,
    targetDiscordId: change.discordId,
    targetRobloxUserId: change.robloxUserId,
    before: { rank: from },
    after: { rank: to },
    note: { kind: "sync-run-update", runId: run.runId } satisfies AuditNote,
  }));
  await deps.repositories.syncRuns.saveMarks(run.guildId, run.runId, marks, auditRows, run.progressPatch());
}
