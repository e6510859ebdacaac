/**
 * The planned changes of a sync run, one row per member, in plan order (`seq`). Item rows carry no
 * guild id: every statement here is limited to runs of the given guild.
 */
import { and, asc, count, eq, gt, inArray, sql, type SQLWrapper } from "drizzle-orm";
import type { Db } from "../client.ts";
import { syncRunItems, syncRuns, SYNC_ITEM_STATUSES, type SyncItemStatus, type SyncRun, type SyncRunItem } from "../schema.ts";
import { atomically, normalizeLimit, p, rawParam } from "./common.ts";

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

/** The row a planned item becomes (both stores). */
export function itemRow(runId: number, seq: number, item: SyncRunItemInput) {
  return {
    runId,
    discordId: item.discordId,
    seq,
    robloxUserId: item.robloxUserId ?? null,
    fromRankId: item.fromRankId ?? null,
    toRankId: item.toRankId ?? null,
    addRoles: [...(item.addRoles ?? [])],
    removeRoles: [...(item.removeRoles ?? [])],
    nick: item.nick ?? null,
    status: item.status ?? "pending",
    error: item.error ?? null,
  };
}

/** Every status counted, zero for those absent (both stores). */
export function itemCounts(rows: readonly { status: SyncItemStatus; n: number }[]): SyncItemCounts {
  const counts = Object.fromEntries(SYNC_ITEM_STATUSES.map((s) => [s, 0])) as SyncItemCounts;
  for (const r of rows) counts[r.status] = r.n;
  return counts;
}

/** Built by the run repository (syncRuns.ts), which hands in its own read of a guild's run. */
export function createSyncRunItemRepository(db: Db, get: (guildId: string, runId: number) => SyncRun | undefined) {
  const runOfGuild = (runId: number | SQLWrapper, guildId: string | SQLWrapper) =>
    inArray(
      syncRunItems.runId,
      db
        .select({ id: syncRuns.id })
        .from(syncRuns)
        .where(and(eq(syncRuns.id, runId), eq(syncRuns.guildId, guildId))),
    );

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
        const row = itemRow(runId, seq++, item);
        insertItemStmt.run({ ...row, addRoles: JSON.stringify(row.addRoles), removeRoles: JSON.stringify(row.removeRoles) });
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
    const rows = db
      .select({ status: syncRunItems.status, n: count() })
      .from(syncRunItems)
      .where(and(eq(syncRunItems.runId, runId), runOfGuild(runId, guildId)))
      .groupBy(syncRunItems.status)
      .all();
    return itemCounts(rows);
  }

  return { insertItems, markItem, markItems, listPendingItems, listHeldItems, settleHeldItems, countItems };
}
