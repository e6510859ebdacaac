/**
 * Runs one sync run from its pipeline to its end: the progress ticker, a Roblox outage waited out
 * (the run carries on as a resumed run), a failure or a shutdown told apart, then settling it.
 */
import type { Logger } from "../observability/logger.ts";
import type { GuildContext } from "../services/guild-context.ts";
import { ActiveRun } from "./active-run.ts";
import type { BulkSyncTuning, RunOutcome } from "./bulk-sync-types.ts";
import { flushMarks } from "./run-applying.ts";
import type { RunBookkeeping } from "./run-bookkeeping.ts";
import { settleRun, type RunEndingDeps } from "./run-ending.ts";
import { runPipeline, type PipelineDeps } from "./run-pipeline.ts";
import type { RunWording } from "./run-report.ts";
import { isTransientRobloxFailure, waitToCarryOn } from "./run-waiting.ts";
import { isRobloxError } from "../services/roblox-port.ts";

export interface RunExecutorDeps {
  pipeline: PipelineDeps;
  ending: RunEndingDeps;
  bookkeeping: RunBookkeeping;
  wording: RunWording;
  tuning: BulkSyncTuning;
  logger: Logger;
  now: () => number;
  /** A run that waited for Roblox hands over to its continuation: the caller registers it. */
  carryOn: (next: ActiveRun) => void;
}

export class RunExecutor {
  constructor(private readonly deps: RunExecutorDeps) {}

  async execute(run: ActiveRun, context: GuildContext): Promise<RunOutcome> {
    const rootLogger = this.deps.logger;
    const log = rootLogger.child({ guildId: run.guildId, runId: run.runId, trigger: run.trigger, resumed: run.resumed });
    const began = this.deps.now();
    const countsAtStart = run.counts();
    const requestsAtStart = { roblox: run.robloxRequests, discord: run.discordRequests };
    const ticker = setInterval(() => void this.#publishProgress(run, context), this.deps.tuning.progressIntervalMs);
    let waitFor: unknown;
    try {
      run.hooks.onStart?.(run.runId);
      await runPipeline(run, context, log, this.deps.pipeline);
    } catch (error) {
      if (run.stopRequested) {
        // The bot is stopping and dropped what the run waited for: it resumes at the next start.
        log.info({ err: error }, "sync run interrupted by the shutdown");
        run.endAs("stopped");
      } else if (isTransientRobloxFailure(error) && !run.dryRun) {
        waitFor = error;
      } else {
        run.endAs("failed", this.deps.wording.runError(error));
        log.error({ err: error }, "sync run failed");
        if (isRobloxError(error) && error.kind === "invalid_credentials") {
          void this.deps.bookkeeping.alert(context.guildId, { kind: "credentials-rejected", robloxError: error.userMessage });
        }
      }
    } finally {
      clearInterval(ticker);
    }
    run.planningStopped();
    if (waitFor !== undefined) {
      const carryOn = await this.#waitForRoblox(run, context, waitFor, log);
      if (carryOn) return carryOn;
    }
    return settleRun(run, context, this.deps.ending, { began, counts: countsAtStart, requests: requestsAtStart }, log);
  }

  /**
   * Roblox kept failing: the run waits (run-waiting.ts) and, once Roblox answers, carries on from
   * the database as a resumed run; returns that run's outcome. Undefined when the process stopped
   * meanwhile (the run stays resumable).
   */
  async #waitForRoblox(run: ActiveRun, context: GuildContext, error: unknown, log: Logger): Promise<RunOutcome | undefined> {
    await flushMarks(run, this.deps.pipeline);
    const resume = await waitToCarryOn(run, context, error, {
      repositories: this.deps.pipeline.repositories,
      tuning: this.deps.tuning,
      log,
      alert: (facts) => void this.deps.bookkeeping.alert(run.guildId, facts),
      publish: () => void run.reporter.publish(this.deps.wording.progress(run.view(this.deps.now())), { force: true }),
    });
    if (!resume) return undefined;
    const next = new ActiveRun(resume.row, { resumed: true, actorId: run.actorId, reporter: run.reporter, hooks: run.hooks }, this.deps.now());
    next.waitStepMs = resume.nextStepMs;
    this.deps.carryOn(next);
    next.finished = this.execute(next, context).catch((crash: unknown) => this.crashed(next, crash));
    return next.finished;
  }

  /** The run's own bookkeeping failed (e.g. the database went away): report it, never throw. */
  crashed(run: ActiveRun, error: unknown): RunOutcome {
    this.deps.logger.error({ err: error, guildId: run.guildId, runId: run.runId }, "sync run crashed");
    return run.outcome({ state: "failed", counts: run.counts(), nowMs: this.deps.now(), error: this.deps.wording.runError(error), summary: "" });
  }

  async #publishProgress(run: ActiveRun, context: GuildContext): Promise<void> {
    if (!run.reporter.hasTargets || run.state !== "running") return;
    // A run held up by a Roblox rate limit says so rather than sitting still.
    await run.reporter.publish(this.deps.wording.progress({ ...run.view(this.deps.now()), robloxWaitMs: context.roblox.queuedWaitMs() }));
  }
}
