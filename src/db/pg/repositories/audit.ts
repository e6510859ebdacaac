import { and, asc, desc, eq, lt } from "drizzle-orm";
import { auditRow, type AuditRepository, beyondCursor, readAuditPage } from "../../repositories/audit.ts";
import { clockOf, normalizeLimit, type Promised, type RepositoryOptions } from "../../repositories/common.ts";
import { auditLog } from "../schema.ts";
import type { PgExec } from "./common.ts";

/** audit.ts over PostgreSQL. */
export function createPgAuditRepository(db: PgExec, options?: RepositoryOptions): Promised<AuditRepository> {
  const now = clockOf(options);
  return {
    async append(guildId, entry) {
      const [row] = await db.insert(auditLog).values(auditRow(guildId, entry, now)).returning({ id: auditLog.id });
      return row!.id;
    },
    listForMember(guildId, discordId, limit) {
      return db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.guildId, guildId), eq(auditLog.targetDiscordId, discordId)))
        .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
        .limit(normalizeLimit(limit, 20));
    },
    listLatest(guildId, opts = {}) {
      return db
        .select()
        .from(auditLog)
        .where(and(eq(auditLog.guildId, guildId), opts.action ? eq(auditLog.action, opts.action) : undefined))
        .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
        .limit(normalizeLimit(opts.limit, 50));
    },
    page(guildId, query = {}) {
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
            .limit(limit),
        exists: async (direction, cursor, inclusive) =>
          (await db.select({ id: auditLog.id }).from(auditLog).where(and(filters, beyondCursor(auditLog, direction, cursor, inclusive))).limit(1)).length > 0,
      });
    },
    async pruneOlderThan(guildId, before) {
      const gone = await db.delete(auditLog).where(and(eq(auditLog.guildId, guildId), lt(auditLog.createdAt, before))).returning({ id: auditLog.id });
      return gone.length;
    },
  };
}
