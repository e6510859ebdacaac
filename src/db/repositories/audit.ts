import { and, asc, type Column, desc, eq, lt, type SQL, sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import {
  auditLog,
  type AuditAction,
  type AuditActor,
  type AuditEntry,
  type AuditOutcome,
  type EpochMs,
} from "../schema.ts";
import { clockOf, normalizeLimit, p, rawParam, runCounting, toJson, type RepositoryOptions } from "./common.ts";

export interface AuditInput {
  actorId: AuditActor;
  action: AuditAction;
  targetDiscordId?: string | null;
  targetRobloxUserId?: number | null;
  /** Any JSON-serialisable state before/after the change. */
  before?: unknown;
  after?: unknown;
  reason?: string | null;
  /** Defaults to "ok". "partial" when some steps of a rank change failed. */
  outcome?: AuditOutcome;
  detail?: string | null;
  /** What happened as data (an AuditNote); the views word it. */
  note?: unknown;
  createdAt?: EpochMs;
}

/** The row an entry becomes (both stores); JSON fields still as values. */
export function auditRow(guildId: string, entry: AuditInput, now: () => EpochMs) {
  return {
    guildId,
    actorId: entry.actorId,
    action: entry.action,
    targetDiscordId: entry.targetDiscordId ?? null,
    targetRobloxUserId: entry.targetRobloxUserId ?? null,
    before: entry.before ?? null,
    after: entry.after ?? null,
    reason: entry.reason ?? null,
    outcome: entry.outcome ?? "ok",
    detail: entry.detail ?? null,
    note: entry.note ?? null,
    createdAt: entry.createdAt ?? now(),
  };
}

/** An entry's place in the log's order: newest first by (created_at, id). */
export interface AuditCursor {
  createdAt: EpochMs;
  id: number;
}

/** One page of a guild's audit log, keyset-paged (no OFFSET): deep pages cost what the first does. */
export interface AuditPageQuery {
  /** Only entries about this member. */
  targetDiscordId?: string;
  action?: AuditAction;
  /** The entries just older than this one (an "Older" link). */
  before?: AuditCursor;
  /** The entries just newer than this one (a "Newer" link); ignored with `before`. */
  after?: AuditCursor;
  /** Entries per page; default 50, at most 200. */
  limit?: number;
}

export interface AuditPage {
  /** Newest first. */
  entries: AuditEntry[];
  hasOlder: boolean;
  hasNewer: boolean;
}

export const AUDIT_PAGE_DEFAULT = 50;
export const AUDIT_PAGE_MAX = 200;

/** How a page is read, whichever store: the rows past a cursor in one direction, and whether any row lies past a bound. */
export interface AuditPageReads {
  /** Up to `limit` rows matching `filters` strictly beyond `cursor` (none: from the newest), newest first for "older", oldest first for "newer". */
  rows(direction: "older" | "newer", cursor: AuditCursor | undefined, limit: number): Promise<AuditEntry[]> | AuditEntry[];
  /** Whether a row matching the filters lies beyond `cursor` in `direction` (`inclusive`: or is it). */
  exists(direction: "older" | "newer", cursor: AuditCursor, inclusive: boolean): Promise<boolean> | boolean;
}

/** The keyset paging itself, shared by both stores: one index range read, plus one probe for the other direction. */
export async function readAuditPage(query: AuditPageQuery, reads: AuditPageReads): Promise<AuditPage> {
  const limit = normalizeLimit(query.limit, AUDIT_PAGE_DEFAULT, AUDIT_PAGE_MAX);
  if (!query.before && query.after) {
    const rows = await reads.rows("newer", query.after, limit + 1);
    const entries = rows.slice(0, limit).reverse();
    const oldest = entries.at(-1);
    return {
      entries,
      hasNewer: rows.length > limit,
      hasOlder: oldest ? await reads.exists("older", oldest, false) : await reads.exists("older", query.after, true),
    };
  }
  const rows = await reads.rows("older", query.before, limit + 1);
  const entries = rows.slice(0, limit);
  const newest = entries[0];
  return {
    entries,
    hasOlder: rows.length > limit,
    hasNewer: !query.before ? false : newest ? await reads.exists("newer", newest, false) : await reads.exists("newer", query.before, true),
  };
}

/** `(created_at, id)` compared with a cursor as one row value (both dialects; the indexes end in both columns). */
export function beyondCursor(columns: { createdAt: Column; id: Column }, direction: "older" | "newer", cursor: AuditCursor, inclusive = false): SQL {
  const op = sql.raw(direction === "older" ? (inclusive ? "<=" : "<") : inclusive ? ">=" : ">");
  return sql`(${columns.createdAt}, ${columns.id}) ${op} (${cursor.createdAt}, ${cursor.id})`;
}

export type AuditRepository = ReturnType<typeof createAuditRepository>;

export function createAuditRepository(db: Db, options?: RepositoryOptions) {
  const now = clockOf(options);

  // Sync writes one entry per changed member, so this insert is hot.
  const appendStmt = db
    .insert(auditLog)
    .values({
      guildId: p("guildId"),
      actorId: p("actorId"),
      action: p("action"),
      targetDiscordId: p("targetDiscordId"),
      targetRobloxUserId: p("targetRobloxUserId"),
      before: rawParam("before"),
      after: rawParam("after"),
      reason: p("reason"),
      outcome: p("outcome"),
      detail: p("detail"),
      note: rawParam("note"),
      createdAt: p("createdAt"),
    })
    .returning({ id: auditLog.id })
    .prepare();
  const forMemberStmt = db
    .select()
    .from(auditLog)
    .where(and(eq(auditLog.guildId, p("guildId")), eq(auditLog.targetDiscordId, p("discordId"))))
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(p("limit"))
    .prepare();

  /** Appends an entry and returns its id. */
  function append(guildId: string, entry: AuditInput): number {
    const row = auditRow(guildId, entry, now);
    return appendStmt.get({ ...row, before: toJson(row.before), after: toJson(row.after), note: toJson(row.note) })!.id;
  }

  /** Latest entries about one member, newest first. */
  function listForMember(guildId: string, discordId: string, limit?: number): AuditEntry[] {
    return forMemberStmt.all({ guildId, discordId, limit: normalizeLimit(limit, 20) });
  }

  /** Latest entries of the guild, newest first, optionally of one action. */
  function listLatest(guildId: string, opts: { limit?: number; action?: AuditAction } = {}): AuditEntry[] {
    return db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.guildId, guildId), opts.action ? eq(auditLog.action, opts.action) : undefined))
      .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
      .limit(normalizeLimit(opts.limit, 50))
      .all();
  }

  /** A page of the guild's log, optionally about one member and of one action (the dashboard's audit log). */
  function page(guildId: string, query: AuditPageQuery = {}): Promise<AuditPage> {
    const filters = and(
      eq(auditLog.guildId, guildId),
      query.action ? eq(auditLog.action, query.action) : undefined,
      query.targetDiscordId !== undefined ? eq(auditLog.targetDiscordId, query.targetDiscordId) : undefined,
    );
    return readAuditPage(query, {
      rows: (direction, cursor, limit) =>
        db
          .select()
          .from(auditLog)
          .where(and(filters, cursor ? beyondCursor(auditLog, direction, cursor) : undefined))
          .orderBy(...(direction === "older" ? [desc(auditLog.createdAt), desc(auditLog.id)] : [asc(auditLog.createdAt), asc(auditLog.id)]))
          .limit(limit)
          .all(),
      exists: (direction, cursor, inclusive) =>
        db
          .select({ id: auditLog.id })
          .from(auditLog)
          .where(and(filters, beyondCursor(auditLog, direction, cursor, inclusive)))
          .limit(1)
          .all().length > 0,
    });
  }

  /** Retention: deletes the guild's entries older than `before`; returns how many. */
  function pruneOlderThan(guildId: string, before: EpochMs): number {
    return runCounting(db, db.delete(auditLog).where(and(eq(auditLog.guildId, guildId), lt(auditLog.createdAt, before))));
  }

  return { append, listForMember, listLatest, page, pruneOlderThan };
}
