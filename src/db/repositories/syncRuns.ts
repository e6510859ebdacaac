/** A guild's bulk-sync runs: start, progress, pause and resume, finish, history. Their items: syncRunItems.ts. */
import { and, desc, eq, inArray, notInArray } from "drizzle-orm";
import type { Db } from "../client.ts";
import { syncRunItems, syncRuns, type EpochMs, type SyncRun, type SyncRunItem, type SyncRunProgress, type SyncTrigger } from "../schema.ts";
import { atomically, clockOf, definedOnly, normalizeLimit, p, runCounting, type RepositoryOptions } from "./common.ts";
import { createSyncRunItemRepository } from "./syncRunItems.ts";

export type { SyncItemCounts, SyncItemUpdate, SyncRunItemInput } from "./syncRunItems.ts";

export interface StartSyncRunInput {
  trigger: SyncTrigger;
  dryRun?: boolean;
  total?: number;
  progress?: SyncRunProgress;
  /** Where a manual run reports progress. */
  interactionAppId?: string | null;
  interactionToken?: string | null;
  channelId?: string | null;
}

export type StartSyncRunResult =
  | { ok: true; run: SyncRun }
  | { ok: false; reason: "already-running"; run: SyncRun };

export interface SyncCounts {
  total: number;
  updated: number;
  inSync: number;
  errors: number;
  skipped: number;
  robloxRequests: number;
  discordRequests: number;
}

/** Absolute values to store (the applier keeps the running totals). */
export type SyncProgressPatch = Partial<SyncCounts> & { progress?: SyncRunProgress };

export type FinishedSyncStatus = "done" | "failed";

/** The row a started run becomes (both stores). */
export function runRow(guildId: string, input: StartSyncRunInput, at: EpochMs) {
  return {
    guildId,
    trigger: input.trigger,
    status: "running" as const,
    dryRun: input.dryRun ?? false,
    startedAt: at,
    total: input.total ?? 0,
    progress: input.progress ?? null,
    interactionAppId: input.interactionAppId ?? null,
    interactionToken: input.interactionToken ?? null,
    channelId: input.channelId ?? null,
  };
}

export type SyncRunRepository = ReturnType<typeof createSyncRunRepository>;

export function createSyncRunRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);

  const getStmt = db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.guildId, p("guildId")), eq(syncRuns.id, p("runId"))))
    .prepare();

  function get(guildId: string, runId: number): SyncRun | undefined {
    return getStmt.get({ guildId, runId });
  }

  function findRunning(guildId: string): SyncRun | undefined {
    return db
      .select()
      .from(syncRuns)
      .where(and(eq(syncRuns.guildId, guildId), eq(syncRuns.status, "running")))
      .get();
  }

  /** The latest run that is running or paused: what a restart should resume. */
  function findUnfinished(guildId: string): SyncRun | undefined {
    return db
      .select()
      .from(syncRuns)
      .where(and(eq(syncRuns.guildId, guildId), inArray(syncRuns.status, ["running", "paused"])))
      .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
      .get();
  }

  /**
   * Guilds that have a running or paused run, for resuming at startup. Crosses guilds by design;
   * with several processes sharing the file, each must keep only the guilds on its own shards.
   */
  function guildsWithUnfinishedRuns(): string[] {
    return db
      .selectDistinct({ guildId: syncRuns.guildId })
      .from(syncRuns)
      .where(inArray(syncRuns.status, ["running", "paused"]))
      .all()
      .map((r) => r.guildId);
  }

  /** Starts a run unless one is already running in the guild (one at a time per guild). */
  function start(guildId: string, input: StartSyncRunInput): StartSyncRunResult {
    return atomically(db, (): StartSyncRunResult => {
      const running = findRunning(guildId);
      if (running) return { ok: false, reason: "already-running", run: running };
      const run = db
        .insert(syncRuns)
        .values(runRow(guildId, input, now()))
        .returning()
        .get();
      return { ok: true, run };
    });
  }

  function updateProgress(guildId: string, runId: number, patch: SyncProgressPatch): SyncRun | undefined {
    const set = definedOnly(patch);
    if (Object.keys(set).length === 0) return get(guildId, runId);
    return db
      .update(syncRuns)
      .set(set)
      .where(and(eq(syncRuns.guildId, guildId), eq(syncRuns.id, runId)))
      .returning()
      .get();
  }

  /** Pauses a running run (e.g. missing permissions, invalid-request budget); `reason` goes to `error`. */
  function pause(guildId: string, runId: number, reason: string): SyncRun | undefined {
    return db
      .update(syncRuns)
      .set({ status: "paused", error: reason })
      .where(and(eq(syncRuns.guildId, guildId), eq(syncRuns.id, runId), eq(syncRuns.status, "running")))
      .returning()
      .get();
  }

  /** Sets a paused run running again, unless another run of the guild is running meanwhile. */
  function resume(guildId: string, runId: number): StartSyncRunResult | undefined {
    return atomically(db, (): StartSyncRunResult | undefined => {
      const running = findRunning(guildId);
      if (running && running.id !== runId) return { ok: false, reason: "already-running", run: running };
      const run = db
        .update(syncRuns)
        .set({ status: "running", error: null })
        .where(and(eq(syncRuns.guildId, guildId), eq(syncRuns.id, runId), inArray(syncRuns.status, ["running", "paused"])))
        .returning()
        .get();
      return run && { ok: true, run };
    });
  }

  /** Ends a run. The interaction token is dropped: it is a credential and is useless afterwards. */
  function finish(
    guildId: string,
    runId: number,
    result: { status: FinishedSyncStatus; error?: string | null } & SyncProgressPatch,
  ): SyncRun | undefined {
    const { status, error, ...patch } = result;
    const set = definedOnly(patch);
    return db
      .update(syncRuns)
      .set({ ...set, status, error: error ?? null, finishedAt: now(), interactionToken: null })
      .where(and(eq(syncRuns.guildId, guildId), eq(syncRuns.id, runId)))
      .returning()
      .get();
  }

  /** Newest first. */
  function listLatest(guildId: string, limit?: number): SyncRun[] {
    return db
      .select()
      .from(syncRuns)
      .where(eq(syncRuns.guildId, guildId))
      .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
      .limit(normalizeLimit(limit, 10))
      .all();
  }

  /**
   * The newest item of this guild's runs about one member, with its run: the last sync that planned
   * a change for them (runs list only members with something to change). Undefined when none.
   */
  function lastItemForMember(guildId: string, discordId: string): { run: SyncRun; item: SyncRunItem } | undefined {
    return db
      .select({ run: syncRuns, item: syncRunItems })
      .from(syncRunItems)
      .innerJoin(syncRuns, eq(syncRuns.id, syncRunItems.runId))
      .where(and(eq(syncRuns.guildId, guildId), eq(syncRunItems.discordId, discordId)))
      .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
      .limit(1)
      .get();
  }

  /** Retention: keeps the newest `keep` finished runs of the guild (their items go with them). */
  function pruneHistory(guildId: string, keep: number): number {
    const kept = db
      .select({ id: syncRuns.id })
      .from(syncRuns)
      .where(eq(syncRuns.guildId, guildId))
      .orderBy(desc(syncRuns.startedAt), desc(syncRuns.id))
      .limit(Math.max(0, keep));
    return runCounting(
      db,
      db
        .delete(syncRuns)
        .where(
          and(eq(syncRuns.guildId, guildId), inArray(syncRuns.status, ["done", "failed"]), notInArray(syncRuns.id, kept)),
        ),
    );
  }

  return {
    get,
    findRunning,
    findUnfinished,
    guildsWithUnfinishedRuns,
    start,
    updateProgress,
    pause,
    resume,
    finish,
    listLatest,
    lastItemForMember,
    pruneHistory,
    // A run's items are its own rows (syncRunItems.ts); one repository, so callers see one run.
    ...createSyncRunItemRepository(db, get),
  };
}
