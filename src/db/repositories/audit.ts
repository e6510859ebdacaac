import { and, desc, eq, lt } from "drizzle-orm";
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

  /** Retention: deletes the guild's entries older than `before`; returns how many. */
  function pruneOlderThan(guildId: string, before: EpochMs): number {
    return runCounting(db, db.delete(auditLog).where(and(eq(auditLog.guildId, guildId), lt(auditLog.createdAt, before))));
  }

  return { append, listForMember, listLatest, pruneOlderThan };
}
