/**
 * The end of a run, once its pipeline returned: settle its state, persist it (finished, paused or
 * left for a restart), publish the summary (with Apply / Cancel for a held run) and book it.
 */
import type { Repositories } from "../services/storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { ActiveRun } from "./active-run.ts";
import type { Counts } from "./run-state.ts";
import type { RunOutcome } from "./bulk-sync-types.ts";
import { flushMarks, type MarkDeps } from "./run-applying.ts";
import type { RunBookkeeping } from "./run-bookkeeping.ts";
import type { RunWording } from "./run-report.ts";

export interface RunEndingDeps extends MarkDeps {
  repositories: Repositories;
  bookkeeping: RunBookkeeping;
  wording: RunWording;
  now: () => number;
}

export interface RunStartMark {
  began: number;
  counts: Counts;
  requests: { roblox: number; discord: number };
}

export async function settleRun(run: ActiveRun, context: GuildContext, deps: RunEndingDeps, start: RunStartMark, log: Logger): Promise<RunOutcome> {
  const { repositories } = deps;
  const { began } = start;
  // A dry run's hold only tells what a real run would do.
  run.settle((hold) => deps.wording.heldPauseReason(run.runId, hold));
  if (run.waitStepMs !== undefined && run.state === "done") {
    void deps.bookkeeping.alert(run.guildId, { kind: "roblox-back", runId: run.runId });
  }
  await flushMarks(run, deps);

  const final = run.counts();
  if (run.state === "paused") {
    const reason = run.error!;
    await repositories.syncRuns.updateProgress(run.guildId, run.runId, run.progressPatch());
    await repositories.syncRuns.pause(run.guildId, run.runId, reason);
    await repositories.guilds.upsert(run.guildId, { syncPausedReason: reason });
    if (run.hold) void deps.bookkeeping.alert(context.guildId, { kind: "mass-change-held", reason, hold: run.hold });
    else void deps.bookkeeping.alert(context.guildId, { kind: "guild-paused", reason });
  } else if (run.state === "stopped") {
    await repositories.syncRuns.updateProgress(run.guildId, run.runId, run.progressPatch());
  } else {
    await repositories.syncRuns.finish(run.guildId, run.runId, { status: run.state === "done" ? "done" : "failed", error: run.error, ...run.progressPatch() });
  }

  const now = deps.now();
  const view = run.view(now);
  const summary = deps.wording.summary(view);
  const buttons = run.state === "paused" && run.hold ? deps.wording.heldRunButtons(run.runId) : undefined;
  await run.reporter.publish(summary, { force: true, final: true, components: buttons });
  // A held scheduled run has nobody's reply to show its buttons in: the log channel gets them.
  if (buttons && !run.reporter.hasTargets) await deps.bookkeeping.postToLogChannel(run.guildId, summary, buttons);
  await run.reporter.flush();
  // The final edits themselves were Discord requests of this run.
  await repositories.syncRuns.updateProgress(run.guildId, run.runId, { discordRequests: run.discordRequests });

  const outcome = run.outcome({ state: run.state, counts: final, nowMs: now, error: run.error, summary });
  await deps.bookkeeping.runEnded(run, outcome, { counts: start.counts, requests: start.requests }, (now - began) / 1000);
  log.info(
    { state: run.state, updated: final.updated, inSync: final.inSync, errors: final.errors, skipped: final.skipped, robloxRequests: run.robloxRequests, discordRequests: run.discordRequests, ms: now - began },
    "sync run ended",
  );
  return outcome;
}
