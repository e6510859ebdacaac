import { and, asc, count, desc, eq, gt, inArray, notInArray, sql, type SQLWrapper } from "drizzle-orm";
import type { Db } from "../client.ts";
import {
  syncRunItems,
  syncRuns,
  type SyncItemStatus,
  type SyncRun,
  type SyncRunItem,
  type SyncRunProgress,
  type SyncTrigger,
  SYNC_ITEM_STATUSES,
} from "../schema.ts";
import { atomically, clockOf, normalizeLimit, p, rawParam, runCounting, type RepositoryOptions } from "./common.ts";

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

/** One planned change for one member. */
export interface SyncRunItemInput {
  discordId: string;
  robloxUserId?: number | null;
  fromRankId?: number | null;
  toRankId?: number | null;
  addRoles?: readonly string[];
  removeRoles?: readonly string[];
  /** The nickname the same request sets; null/absent: left as it is. */
  nick?: string | null;
  status?: SyncItemStatus;
  error?: string | null;
}

export interface SyncItemUpdate {
  discordId: string;
  status: Exclude<SyncItemStatus, "pending">;
  error?: string | null;
}

export type SyncItemCounts = Record<SyncItemStatus, number>;

export type SyncRunRepository = ReturnType<typeof createSyncRunRepository>;

export function createSyncRunRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);

  // Item rows carry no guild id; every item statement is limited to runs of the given guild.
  const runOfGuild = (runId: number | SQLWrapper, guildId: string | SQLWrapper) =>
    inArray(
      syncRunItems.runId,
      db
        .select({ id: syncRuns.id })
        .from(syncRuns)
        .where(and(eq(syncRuns.id, runId), eq(syncRuns.guildId, guildId))),
    );

  const getStmt = db
    .select()
    .from(syncRuns)
    .where(and(eq(syncRuns.guildId, p("guildId")), eq(syncRuns.id, p("runId"))))
    .prepare();
  const insertItemStmt = db
    .insert(syncRunItems)
    .values({
      runId: p("runId"),
      discordId: p("discordId"),
      seq: p("seq"),
      robloxUserId: p("robloxUserId"),
      fromRankId: p("fromRankId"),
      toRankId: p("toRankId"),
      addRoles: rawParam("addRoles"),
      removeRoles: rawParam("removeRoles"),
      nick: p("nick"),
      status: p("status"),
      error: p("error"),
    })
    .prepare();
  const markItemStmt = db
    .update(syncRunItems)
    .set({ status: sql`${p("status")}`, error: sql`${p("error")}` })
    .where(
      and(
        eq(syncRunItems.runId, p("runId")),
        eq(syncRunItems.discordId, p("discordId")),
        runOfGuild(p("runId"), p("guildId")),
      ),
    )
    .returning({ discordId: syncRunItems.discordId })
    .prepare();
  const pendingStmt = db
    .select()
    .from(syncRunItems)
    .where(
      and(
        eq(syncRunItems.runId, p("runId")),
        eq(syncRunItems.status, "pending"),
        gt(syncRunItems.seq, p("afterSeq")),
        runOfGuild(p("runId"), p("guildId")),
      ),
    )
    .orderBy(asc(syncRunItems.seq))
    .limit(p("limit"))
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
        .values({
          guildId,
          trigger: input.trigger,
          status: "running",
          dryRun: input.dryRun ?? false,
          startedAt: now(),
          total: input.total ?? 0,
          progress: input.progress ?? null,
          interactionAppId: input.interactionAppId ?? null,
          interactionToken: input.interactionToken ?? null,
          channelId: input.channelId ?? null,
        })
        .returning()
        .get();
      return { ok: true, run };
    });
  }

  function updateProgress(guildId: string, runId: number, patch: SyncProgressPatch): SyncRun | undefined {
    const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as SyncProgressPatch;
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
    const set = Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as SyncProgressPatch;
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

  /**
   * Stores planned items in one transaction, continuing the run's `seq`. Throws if the run is not
   * this guild's, or if a discord id repeats (the whole batch is then rolled back).
   */
  function insertItems(guildId: string, runId: number, items: readonly SyncRunItemInput[]): number {
    return atomically(db, () => {
      if (!get(guildId, runId)) throw new Error(`sync run ${runId} does not exist in guild ${guildId}`);
      const last = db
        .select({ seq: sql<number | null>`max(${syncRunItems.seq})` })
        .from(syncRunItems)
        .where(eq(syncRunItems.runId, runId))
        .get();
      let seq = (last?.seq ?? -1) + 1;
      for (const item of items) {
        insertItemStmt.run({
          runId,
          discordId: item.discordId,
          seq: seq++,
          robloxUserId: item.robloxUserId ?? null,
          fromRankId: item.fromRankId ?? null,
          toRankId: item.toRankId ?? null,
          addRoles: JSON.stringify(item.addRoles ?? []),
          removeRoles: JSON.stringify(item.removeRoles ?? []),
          nick: item.nick ?? null,
          status: item.status ?? "pending",
          error: item.error ?? null,
        });
      }
      return items.length;
    });
  }

  function markItem(guildId: string, runId: number, update: SyncItemUpdate): boolean {
    return (
      markItemStmt.get({ guildId, runId, discordId: update.discordId, status: update.status, error: update.error ?? null }) !==
      undefined
    );
  }

  /** Marks many items in one transaction; returns how many existed. */
  function markItems(guildId: string, runId: number, updates: readonly SyncItemUpdate[]): number {
    return atomically(db, () => updates.reduce((n, u) => n + (markItem(guildId, runId, u) ? 1 : 0), 0));
  }

  /** Pending items in plan order; page with `afterSeq` = the last item's seq. */
  function listPendingItems(guildId: string, runId: number, page: { afterSeq?: number; limit?: number } = {}): SyncRunItem[] {
    return pendingStmt.all({ guildId, runId, afterSeq: page.afterSeq ?? -1, limit: normalizeLimit(page.limit, 500, 50_000) });
  }

  /**
   * Items the mass-change guard held, in plan order (the first `limit`). Only the run's own guild
   * can see them, as every item read here.
   */
  function listHeldItems(guildId: string, runId: number, limit?: number): SyncRunItem[] {
    return db
      .select()
      .from(syncRunItems)
      .where(and(eq(syncRunItems.runId, runId), eq(syncRunItems.status, "held"), runOfGuild(runId, guildId)))
      .orderBy(asc(syncRunItems.seq))
      .limit(normalizeLimit(limit, 50_000, 1_000_000))
      .all();
  }

  /** Held items become pending (to be applied) or skipped (an admin cancelled); returns them. */
  function settleHeldItems(guildId: string, runId: number, to: "pending" | "skipped", error: string | null = null): SyncRunItem[] {
    return db
      .update(syncRunItems)
      .set({ status: to, error })
      .where(and(eq(syncRunItems.runId, runId), eq(syncRunItems.status, "held"), runOfGuild(runId, guildId)))
      .returning()
      .all()
      .sort((a, b) => a.seq - b.seq);
  }

  function countItems(guildId: string, runId: number): SyncItemCounts {
    const counts = Object.fromEntries(SYNC_ITEM_STATUSES.map((s) => [s, 0])) as SyncItemCounts;
    const rows = db
      .select({ status: syncRunItems.status, n: count() })
      .from(syncRunItems)
      .where(and(eq(syncRunItems.runId, runId), runOfGuild(runId, guildId)))
      .groupBy(syncRunItems.status)
      .all();
    for (const r of rows) counts[r.status] = r.n;
    return counts;
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
    pruneHistory,
    insertItems,
    markItem,
    markItems,
    listPendingItems,
    listHeldItems,
    settleHeldItems,
    countItems,
  };
}
