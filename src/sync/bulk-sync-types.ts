/**
 * The shapes bulk sync is driven by and answers in: its tuning, what a /sync or a background tick
 * asks for, and what a run ends with. Shared by the orchestrator (bulk-sync.ts), the parts of a
 * run and the callers (the scheduler, the commands), which import them through bulk-sync.ts.
 */
import type { SyncTrigger } from "../services/storage-port.ts";
import type { CollectMemberRolesOptions } from "./member-roles.ts";
import type { UpdateListEntry } from "./progress.ts";
import type { ReplyTarget } from "./reporter.ts";
import type { RunBreakdown, RunState } from "./run-report.ts";

export interface BulkSyncTuning {
  /** Linked members read from Roblox and planned together; a multiple of the 50-user batch. */
  sliceSize: number;
  /** Item marks saved together. */
  markBatchSize: number;
  /** ...or after this long, whichever comes first. */
  markIntervalMs: number;
  /** How often a running /sync reply is edited. */
  progressIntervalMs: number;
  /** Interaction tokens last 15 minutes (tests shorten it). */
  interactionTokenTtlMs: number;
  tokenMarginMs: number;
  /** Consecutive 403s after which the guild is paused instead of hammered. */
  forbiddenStreakToPause: number;
  /** Consecutive failed runs of a guild that raise an alert. */
  failedRunsToAlert: number;
  /** Entries kept for the "who changed" list. */
  updatesKept: number;
  memberRequest: CollectMemberRolesOptions;
  /** While Roblox does not answer, a run probes it after this long, doubling up to `waitMaxMs`. */
  waitBaseMs: number;
  waitMaxMs: number;
}

export const DEFAULT_TUNING: BulkSyncTuning = {
  sliceSize: 1000,
  markBatchSize: 100,
  markIntervalMs: 1000,
  progressIntervalMs: 2500,
  interactionTokenTtlMs: 15 * 60_000,
  tokenMarginMs: 60_000,
  forbiddenStreakToPause: 3,
  failedRunsToAlert: 3,
  updatesKept: 25,
  memberRequest: {},
  waitBaseMs: 1_000,
  waitMaxMs: 60_000,
};

export interface ManualSyncRequest {
  guildId: string;
  /** The admin who ran /sync (audit). */
  actorId: string;
  dryRun: boolean;
  /** `/sync force:true`: the mass-change guard does not hold this run. */
  force?: boolean;
  /** The /sync reply to keep up to date; absent for the dashboard, which reads the run's row. */
  reply?: ReplyTarget;
}

/** An admin's answer to a run the mass-change guard held. */
export type HeldRunDecision =
  | { readonly kind: "applying"; readonly runId: number; readonly finished: Promise<RunOutcome> }
  | { readonly kind: "cancelled"; readonly runId: number; readonly cancelled: number }
  /** Already decided, replaced by a newer run, or not this guild's. */
  | { readonly kind: "gone"; readonly runId: number }
  | { readonly kind: "busy"; readonly runId: number };

export type ManualSyncStart =
  | { readonly kind: "started"; readonly runId: number; readonly finished: Promise<RunOutcome> }
  /** A run was already going in this guild: the reply follows it. */
  | { readonly kind: "attached"; readonly runId: number; readonly text: string };

export interface BackgroundHooks {
  /** Once the run is recorded, before any request for members. */
  onStart?: (runId: number) => void;
  /** One call per applied update. */
  onUpdate?: (entry: UpdateListEntry) => void;
}

export type BackgroundSyncResult =
  | { readonly kind: "ran"; readonly outcome: RunOutcome }
  | { readonly kind: "skipped"; readonly reason: "already-running" | "paused" | "not-configured" | "not-owned" | "stopping" };

export interface RunOutcome {
  readonly guildId: string;
  readonly runId: number;
  readonly trigger: SyncTrigger;
  readonly resumed: boolean;
  readonly dryRun: boolean;
  readonly state: RunState;
  readonly total: number;
  readonly updated: number;
  readonly inSync: number;
  readonly errors: number;
  readonly skipped: number;
  readonly breakdown: RunBreakdown;
  readonly robloxRequests: number;
  readonly discordRequests: number;
  /** Discord role edits sent by this process (PATCHes). */
  readonly roleRequests: number;
  readonly durationMs: number;
  readonly error: string | null;
  readonly updates: readonly UpdateListEntry[];
  /** The final text shown to admins. */
  readonly summary: string;
}
