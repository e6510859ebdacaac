/**
 * Where a guild's sync stands, as the dashboard shows it: its newest run, read from its `sync_runs`
 * row (the shared database: the same from any process of a cluster), and a dashboard request still
 * waiting for the process of the guild's shard, or refused by it. Numbers only; the page words them.
 */
import type { Repositories, SyncRun } from "../services/storage-port.ts";
import type { UpdateListEntry } from "./progress.ts";
import { parseProgress, type HeldPlan } from "./run-state.ts";
import { isSyncRefusal, type SyncRefusal } from "./sync-requests.ts";

export interface RunStatus {
  readonly runId: number;
  readonly dryRun: boolean;
  readonly trigger: SyncRun["trigger"];
  readonly state: SyncRun["status"];
  /** Linked members the run goes through (grows while it plans). */
  readonly total: number;
  /** Members handled so far: changed, already in agreement, failed or skipped. */
  readonly checked: number;
  readonly updated: number;
  readonly inSync: number;
  readonly errors: number;
  readonly skipped: number;
  readonly startedAt: number;
  readonly finishedAt: number | null;
  readonly error: string | null;
  /** The first changes (a dry run: the changes it would make), with roles and nickname. */
  readonly updates: readonly UpdateListEntry[];
  /** Set when the mass-change guard holds the run for an admin's Apply / Cancel. */
  readonly hold: HeldPlan | null;
}

export interface GuildSyncStatus {
  readonly run: RunStatus | undefined;
  /** A request from the dashboard not acted on yet (queued, or claimed and being started). */
  readonly waiting: { readonly requestId: number; readonly action: "sync" | "apply" | "cancel"; readonly dryRun: boolean; readonly requestedAt: number } | undefined;
  /** The newest request was refused, after the newest run started. */
  readonly refused: { readonly reason: SyncRefusal; readonly requestedAt: number } | undefined;
}

export function runStatusOf(row: SyncRun): RunStatus {
  const progress = parseProgress(row.progress);
  return {
    runId: row.id,
    dryRun: row.dryRun,
    trigger: row.trigger,
    state: row.status,
    total: row.total,
    checked: row.updated + row.inSync + row.errors + row.skipped,
    updated: row.updated,
    inSync: row.inSync,
    errors: row.errors,
    skipped: row.skipped,
    startedAt: row.startedAt,
    finishedAt: row.finishedAt,
    error: row.error,
    updates: progress.updates,
    hold: row.status === "paused" ? progress.hold : null,
  };
}

/** Only ever called for a guild the person was just found to manage; reads that guild's rows alone. */
export async function guildSyncStatus(repositories: Pick<Repositories, "syncRuns" | "syncRequests">, guildId: string): Promise<GuildSyncStatus> {
  const [[row], request] = await Promise.all([repositories.syncRuns.listLatest(guildId, 1), repositories.syncRequests.latest(guildId)]);
  const run = row && runStatusOf(row);
  const waiting =
    request && (request.status === "queued" || request.status === "claimed")
      ? { requestId: request.id, action: request.action, dryRun: request.dryRun, requestedAt: request.requestedAt }
      : undefined;
  const refused =
    request?.status === "refused" && isSyncRefusal(request.refusal) && request.requestedAt >= (run?.startedAt ?? 0)
      ? { reason: request.refusal, requestedAt: request.requestedAt }
      : undefined;
  return { run, waiting, refused };
}
