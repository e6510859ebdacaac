/**
 * What is recorded about a run besides its own row: metrics, the audit entry of a finished run, and
 * alerts (credentials rejected, a guild paused, runs failing again and again) to the guild's
 * webhook, or to the log when alerts are not set up.
 */
import type { Repositories } from "../services/storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { AuditTrail } from "../services/audit-trail.ts";
import type { ActiveRun } from "./active-run.ts";
import type { Counts } from "./run-state.ts";
import type { SyncAlertFacts, SyncAlerts } from "./alerts.ts";
import type { RunOutcome } from "./bulk-sync-types.ts";
import type { RunWording } from "./run-report.ts";
import type { MessageComponents, SyncMessages } from "./sync-messages.ts";

export interface RunBookkeepingOptions {
  /** For the held-run notice in the log channel. */
  messages: SyncMessages;
  repositories: Repositories;
  metrics: Metrics;
  audit: AuditTrail;
  logger: Logger;
  alerts?: SyncAlerts;
  /** Consecutive failed runs of a guild that raise an alert. */
  failedRunsToAlert: number;
  /** Words the alerts. */
  wording: Pick<RunWording, "alert">;
}

/** Where this process's part of the run began: what it added is measured from here. */
export interface RunStart {
  readonly counts: Counts;
  readonly requests: { readonly roblox: number; readonly discord: number };
}

/** Metrics tell a run carried on after a restart apart from the one that started it. */
const metricTrigger = (run: ActiveRun) => (run.resumed ? "resume" : run.trigger);

export class RunBookkeeping {
  constructor(private readonly options: RunBookkeepingOptions) {}

  /** A run ended here (or stopped for a restart): its metrics, its audit entry, and an alert if it keeps failing. */
  async runEnded(run: ActiveRun, outcome: RunOutcome, start: RunStart, seconds: number): Promise<void> {
    await this.#recordMetrics(run, start, outcome, seconds);
    if (run.state !== "stopped") await this.#recordAudit(run, outcome);
    if (run.state === "failed") await this.#alertOnRepeatedFailures(run);
  }

  async alert(guildId: string, facts: SyncAlertFacts): Promise<void> {
    const alerts = this.options.alerts;
    const content = this.options.wording.alert(guildId, facts);
    if (!alerts) {
      this.options.logger.warn({ guildId, alert: facts.kind }, content);
      return;
    }
    // Settings are read again: the run may have changed them (pausing) since the context was resolved.
    const url = (await this.options.repositories.guilds.get(guildId))?.alertWebhookUrl ?? null;
    await alerts.send(url, { guildId, kind: facts.kind, content });
  }

  /** A held scheduled run's summary and buttons, where the guild's admins read the log. */
  async postToLogChannel(guildId: string, content: string, components: MessageComponents): Promise<void> {
    const channelId = (await this.options.repositories.guilds.get(guildId))?.logChannelId;
    if (!channelId) return;
    const delivery = await this.options.messages.postInChannel(channelId, { content: content.slice(0, 2000), components });
    if (!delivery.ok) this.options.logger.warn({ err: delivery.error, guildId, channelId }, "could not post the held sync to the log channel");
  }

  async #recordMetrics(run: ActiveRun, start: RunStart, after: Pick<RunOutcome, "updated" | "inSync" | "errors" | "skipped">, seconds: number): Promise<void> {
    const { metrics, repositories } = this.options;
    const before = start.counts;
    metrics.syncRuns.inc({ trigger: metricTrigger(run), outcome: run.dryRun ? "dry_run" : run.state });
    metrics.syncDuration.observe(seconds);
    if (!run.dryRun) {
      const outcomes: [string, number][] = [
        ["updated", after.updated - before.updated],
        ["in_sync", after.inSync - before.inSync],
        ["error", after.errors - before.errors],
        ["skipped", after.skipped - before.skipped],
      ];
      for (const [outcome, count] of outcomes) if (count > 0) metrics.syncMembers.inc({ outcome }, count);
    }
    metrics.syncRequests.inc({ api: "roblox" }, Math.max(0, run.robloxRequests - start.requests.roblox));
    metrics.syncRequests.inc({ api: "discord" }, Math.max(0, run.discordRequests - start.requests.discord));
    metrics.pendingRobloxWrites.set(await repositories.pendingWrites.countAll());
  }

  async #recordAudit(run: ActiveRun, outcome: RunOutcome): Promise<void> {
    const auditOutcome = run.state === "done" ? (outcome.errors > 0 ? "partial" : "ok") : "failed";
    const text = outcome.summary.length > 1500 ? `${outcome.summary.slice(0, 1499)}…` : outcome.summary;
    await this.options.audit.record(run.guildId, {
      actorId: run.actorId ?? "system",
      action: "sync.run",
      outcome: auditOutcome,
      after: {
        runId: run.runId,
        trigger: metricTrigger(run),
        dryRun: run.dryRun,
        updated: outcome.updated,
        inSync: outcome.inSync,
        errors: outcome.errors,
        skipped: outcome.skipped,
        leftGroupFlagged: outcome.breakdown.leftGroupFlagged,
        flagged: run.flaggedNames,
      },
      detail: text,
    });
  }

  async #alertOnRepeatedFailures(run: ActiveRun): Promise<void> {
    const needed = this.options.failedRunsToAlert;
    const latest = (await this.options.repositories.syncRuns.listLatest(run.guildId, needed * 2)).filter((row) => !row.dryRun).slice(0, needed);
    if (latest.length === needed && latest.every((row) => row.status === "failed")) {
      void this.alert(run.guildId, { kind: "repeated-failures", failedRuns: needed, latestError: run.error });
    }
  }
}
