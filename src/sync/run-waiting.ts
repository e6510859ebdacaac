/**
 * A run whose Roblox reads keep failing after the transport's own retries (an outage, a stream of
 * 5xx, answers that stay malformed) is not failed: it saves where it stands, as it would for a
 * restart, and waits. It probes Roblox with capped exponential back-off and carries on by itself
 * once Roblox answers again; /sync-status and the alerts say it is waiting.
 */
import type { Repositories, SyncRun } from "../services/storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { GuildContext } from "../services/guild-context.ts";
import type { ActiveRun } from "./active-run.ts";
import type { SyncAlertFacts } from "./alerts.ts";
import type { BulkSyncTuning } from "./bulk-sync-types.ts";
import { isRobloxError, type RobloxError } from "../services/roblox-port.ts";

/** A failure that another try may not repeat: the run waits instead of failing. */
export function isTransientRobloxFailure(error: unknown): error is RobloxError {
  return isRobloxError(error) && error.retryable;
}

export interface WaitDeps {
  repositories: Repositories;
  tuning: Pick<BulkSyncTuning, "waitBaseMs" | "waitMaxMs">;
  log: Logger;
  alert: (facts: SyncAlertFacts) => void;
  /** Shows the run's progress (with why it waits) to whoever follows it. */
  publish: () => void;
}

/**
 * Saves where the run stands (its marks already flushed), says it waits (the alert once per
 * outage, not again each time a carried-on run finds Roblox still failing), and waits for Roblox.
 * Returns the stored run to carry on, with the next wait should it fail again; undefined when the
 * process stopped meanwhile or the run is no longer running.
 */
export async function waitToCarryOn(
  run: ActiveRun,
  context: GuildContext,
  error: unknown,
  deps: WaitDeps,
): Promise<{ row: SyncRun; nextStepMs: number } | undefined> {
  await deps.repositories.syncRuns.updateProgress(run.guildId, run.runId, run.progressPatch());
  run.waitFor(error instanceof Error ? error.message : String(error));
  deps.log.warn({ err: error }, "sync run waits for Roblox to answer again");
  if (run.waitStepMs === undefined) {
    deps.alert({ kind: "roblox-unavailable", runId: run.runId, waitingReason: run.waitingReason });
  }
  deps.publish();
  const waited = await waitForRoblox(run, context, run.waitStepMs ?? deps.tuning.waitBaseMs, deps.tuning.waitMaxMs);
  if (waited.outcome === "stopped") return undefined;
  const row = await deps.repositories.syncRuns.get(run.guildId, run.runId);
  return row && row.status === "running" ? { row, nextStepMs: waited.nextStepMs } : undefined;
}

/** Sleeps `ms`, waking early when the run is asked to stop. */
async function sleepUnlessStopped(run: ActiveRun, ms: number): Promise<void> {
  const until = Date.now() + ms;
  while (!run.stopRequested && Date.now() < until) await Bun.sleep(Math.min(100, until - Date.now()));
}

/**
 * Waits `firstStepMs` (with jitter), then probes Roblox (the group's own read, the cheapest) until
 * it answers, doubling the wait up to `maxMs`. Resolves "answered" with the wait to use should the
 * run fail again at once (it keeps growing: the probe cannot see every endpoint), or "stopped" when
 * the process stops meanwhile (the run stays resumable).
 */
async function waitForRoblox(
  run: ActiveRun,
  context: GuildContext,
  firstStepMs: number,
  maxMs: number,
): Promise<{ outcome: "answered" | "stopped"; nextStepMs: number }> {
  let step = firstStepMs;
  for (;;) {
    // Equal jitter: at least half the step, so guilds waiting on the same outage do not probe together.
    await sleepUnlessStopped(run, step / 2 + Math.random() * (step / 2));
    const nextStepMs = Math.min(maxMs, step * 2);
    if (run.stopRequested) return { outcome: "stopped", nextStepMs };
    try {
      await context.roblox.getGroup(context.groupId);
      return { outcome: "answered", nextStepMs };
    } catch (error) {
      // Anything else (credentials, a deleted group) is for the resumed run to report.
      if (!isTransientRobloxFailure(error)) return { outcome: "answered", nextStepMs };
    }
    step = nextStepMs;
  }
}
