/** syncRuns.ts, syncRunItems.ts and syncSteps.ts over PostgreSQL: a guild's runs, their items, and the sync's atomic steps. */
import { and, asc, count, desc, eq, gt, inArray, max, notInArray, sql } from "drizzle-orm";
import { clockOf, definedOnly, normalizeLimit, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import { itemCounts, itemRow, type SyncItemUpdate } from "../../repositories/syncRunItems.ts";
import { runRow, type StartSyncRunResult, type SyncRunRepository } from "../../repositories/syncRuns.ts";
import type { createSyncStepRepository } from "../../repositories/syncSteps.ts";
import type { SyncRun, SyncRunItem } from "../../schema.ts";
import { syncRunItems, syncRuns } from "../schema.ts";
import { createPgAuditRepository } from "./audit.ts";
import { inTransaction, type PgExec } from "./common.ts";
import { setStoredRanks } from "./members.ts";

type SyncSteps = ReturnType<typeof createSyncStepRepository>;

export function createPgSyncRunRepository(db: PgExec, options?: RepositoryOptions): Promised<SyncRunRepository & SyncSteps> {
  const now = clockOf(options);
  const ofRun = (guildId: string, runId: number) => and(eq(syncRuns.guildId, guildId), eq(syncRuns.id, runId));
  const runOfGuild = (runId: number, guildId: string) =>
    inArray(syncRunItems.runId, db.select({ id: syncRuns.id }).from(syncRuns).where(ofRun(guildId, runId)));
  const first = async <T>(rows: Promise<T[]>) => (await rows)[0];
  const byRecency = [desc(syncRuns.startedAt), desc(syncRuns.id)];
  // Starting and resuming check for a running run first: one guild's starts queue on this lock,
  // as SQLite's writers queue on its write lock (the partial unique index is the last word).
  const lockGuild = (tx: PgExec, guildId: string) => tx.execute(sql`select pg_advisory_xact_lock(hashtextextended(${`sync_runs:${guildId}`}, 0))`);

  const get = (guildId: string, runId: number, exec: PgExec = db) => first(exec.select().from(syncRuns).where(ofRun(guildId, runId)));
  const findRunning = (guildId: string, exec: PgExec = db) =>
    first(exec.select().from(syncRuns).where(and(eq(syncRuns.guildId, guildId), eq(syncRuns.status, "running"))));

  async function updateProgress(guildId: string, runId: number, patch: Parameters<SyncRunRepository["updateProgress"]>[2], exec: PgExec = db) {
    const set = definedOnly(patch);
    if (Object.keys(set).length === 0) return get(guildId, runId, exec);
    return first(exec.update(syncRuns).set(set).where(ofRun(guildId, runId)).returning());
  }

  async function insertItems(guildId: string, runId: number, items: Parameters<SyncRunRepository["insertItems"]>[2], exec: PgExec) {
    if (!(await get(guildId, runId, exec))) throw new Error(`sync run ${runId} does not exist in guild ${guildId}`);
    if (items.length === 0) return 0;
    const [last] = await exec.select({ seq: max(syncRunItems.seq) }).from(syncRunItems).where(eq(syncRunItems.runId, runId));
    const start = Number(last?.seq ?? -1) + 1;
    // One INSERT per thousand items: PostgreSQL takes at most 65,535 parameters a statement.
    for (let i = 0; i < items.length; i += 1000) {
      await exec.insert(syncRunItems).values(items.slice(i, i + 1000).map((item, j) => itemRow(runId, start + i + j, item)));
    }
    return items.length;
  }

  /** One statement per thousand marks; only items of this guild's run are touched. */
  async function markItems(guildId: string, runId: number, updates: readonly SyncItemUpdate[], exec: PgExec) {
    if (updates.length === 0 || !(await get(guildId, runId, exec))) return 0;
    // The last mark of an item wins, as one update after another would.
    const latest = [...new Map(updates.map((update) => [update.discordId, update])).values()];
    let n = 0;
    for (let i = 0; i < latest.length; i += 1000) {
      const values = sql.join(
        latest.slice(i, i + 1000).map((update) => sql`(${update.discordId}::text, ${update.status}::text, ${update.error ?? null}::text)`),
        sql`, `,
      );
      const rows = await exec.execute(sql`
        update sync_run_items as i set status = v.status, error = v.error
        from (values ${values}) as v(discord_id, status, error)
        where i.run_id = ${runId} and i.discord_id = v.discord_id
        returning i.discord_id`);
      n += rows.length;
    }
    return n;
  }

  async function settleHeldItems(guildId: string, runId: number, to: "pending" | "skipped", error: string | null, exec: PgExec): Promise<SyncRunItem[]> {
    const rows = await exec
      .update(syncRunItems)
      .set({ status: to, error })
      .where(and(eq(syncRunItems.runId, runId), eq(syncRunItems.status, "held"), runOfGuild(runId, guildId)))
      .returning();
    return rows.sort((a, b) => a.seq - b.seq);
  }

  return {
    get: (guildId, runId) => get(guildId, runId),
    findRunning: (guildId) => findRunning(guildId),
    findUnfinished: (guildId) =>
      first(db.select().from(syncRuns).where(and(eq(syncRuns.guildId, guildId), inArray(syncRuns.status, ["running", "paused"]))).orderBy(...byRecency)),
    async guildsWithUnfinishedRuns() {
      const rows = await db.selectDistinct({ guildId: syncRuns.guildId }).from(syncRuns).where(inArray(syncRuns.status, ["running", "paused"]));
      return rows.map((row) => row.guildId);
    },
    start: (guildId, input) =>
      inTransaction(db, async (tx): Promise<StartSyncRunResult> => {
        await lockGuild(tx, guildId);
        const running = await findRunning(guildId, tx);
        if (running) return { ok: false, reason: "already-running", run: running };
        const [run] = await tx.insert(syncRuns).values(runRow(guildId, input, now())).returning();
        return { ok: true, run: run! };
      }),
    updateProgress: (guildId, runId, patch) => updateProgress(guildId, runId, patch),
    pause: (guildId, runId, reason) =>
      first(db.update(syncRuns).set({ status: "paused", error: reason }).where(and(ofRun(guildId, runId), eq(syncRuns.status, "running"))).returning()),
    resume: (guildId, runId) =>
      inTransaction(db, async (tx): Promise<StartSyncRunResult | undefined> => {
        await lockGuild(tx, guildId);
        const running = await findRunning(guildId, tx);
        if (running && running.id !== runId) return { ok: false, reason: "already-running", run: running };
        const [run] = await tx
          .update(syncRuns)
          .set({ status: "running", error: null })
          .where(and(ofRun(guildId, runId), inArray(syncRuns.status, ["running", "paused"])))
          .returning();
        return run && { ok: true, run };
      }),
    finish(guildId, runId, result) {
      const { status, error, ...patch } = result;
      return first(
        db
          .update(syncRuns)
          .set({ ...definedOnly(patch), status, error: error ?? null, finishedAt: now(), interactionToken: null })
          .where(ofRun(guildId, runId))
          .returning(),
      );
    },
    listLatest: (guildId, limit): Promise<SyncRun[]> =>
      db.select().from(syncRuns).where(eq(syncRuns.guildId, guildId)).orderBy(...byRecency).limit(normalizeLimit(limit, 10)),
    lastItemForMember: (guildId, discordId) =>
      first(
        db
          .select({ run: syncRuns, item: syncRunItems })
          .from(syncRunItems)
          .innerJoin(syncRuns, eq(syncRuns.id, syncRunItems.runId))
          .where(and(eq(syncRuns.guildId, guildId), eq(syncRunItems.discordId, discordId)))
          .orderBy(...byRecency)
          .limit(1),
      ),
    async pruneHistory(guildId, keep) {
      const kept = db.select({ id: syncRuns.id }).from(syncRuns).where(eq(syncRuns.guildId, guildId)).orderBy(...byRecency).limit(Math.max(0, keep));
      const gone = await db
        .delete(syncRuns)
        .where(and(eq(syncRuns.guildId, guildId), inArray(syncRuns.status, ["done", "failed"]), notInArray(syncRuns.id, kept)))
        .returning({ id: syncRuns.id });
      return gone.length;
    },
    insertItems: (guildId, runId, items) => inTransaction(db, (tx) => insertItems(guildId, runId, items, tx)),
    async markItem(guildId, runId, update) {
      return (await markItems(guildId, runId, [update], db)) > 0;
    },
    markItems: (guildId, runId, updates) => inTransaction(db, (tx) => markItems(guildId, runId, updates, tx)),
    listPendingItems: (guildId, runId, page = {}) =>
      db
        .select()
        .from(syncRunItems)
        .where(and(eq(syncRunItems.runId, runId), eq(syncRunItems.status, "pending"), gt(syncRunItems.seq, page.afterSeq ?? -1), runOfGuild(runId, guildId)))
        .orderBy(asc(syncRunItems.seq))
        .limit(normalizeLimit(page.limit, 500, 50_000)),
    listHeldItems: (guildId, runId, limit) =>
      db
        .select()
        .from(syncRunItems)
        .where(and(eq(syncRunItems.runId, runId), eq(syncRunItems.status, "held"), runOfGuild(runId, guildId)))
        .orderBy(asc(syncRunItems.seq))
        .limit(normalizeLimit(limit, 50_000, 1_000_000)),
    settleHeldItems: (guildId, runId, to, error = null) => settleHeldItems(guildId, runId, to, error, db),
    async countItems(guildId, runId) {
      const rows = await db
        .select({ status: syncRunItems.status, n: count().mapWith(Number) })
        .from(syncRunItems)
        .where(and(eq(syncRunItems.runId, runId), runOfGuild(runId, guildId)))
        .groupBy(syncRunItems.status);
      return itemCounts(rows);
    },
    // The sync's atomic steps (syncSteps.ts).
    savePlanSlice: (guildId, runId, items, storedRanks, progress) =>
      inTransaction(db, async (tx) => {
        await insertItems(guildId, runId, items, tx);
        await setStoredRanks(tx, guildId, storedRanks, now());
        await updateProgress(guildId, runId, progress, tx);
      }),
    saveMarks: (guildId, runId, marks, audits, progress) =>
      inTransaction(db, async (tx) => {
        await markItems(guildId, runId, marks, tx);
        const audit = createPgAuditRepository(tx, options);
        for (const entry of audits) await audit.append(guildId, entry);
        await updateProgress(guildId, runId, progress, tx);
      }),
    releaseHeld: (guildId, runId, decide) =>
      inTransaction(db, async (tx) => {
        const settled: SyncItemUpdate[] = [];
        const queued: SyncRunItem[] = [];
        const storedRanks: { discordId: string; rankId: number | null }[] = [];
        for (const row of await settleHeldItems(guildId, runId, "pending", null, tx)) {
          const release = decide(row);
          if (release.storeRank) storedRanks.push({ discordId: row.discordId, rankId: row.toRankId });
          if (release.settle) settled.push(release.settle);
          else queued.push(row);
        }
        await setStoredRanks(tx, guildId, storedRanks, now());
        await markItems(guildId, runId, settled, tx);
        return queued;
      }),
  };
}
