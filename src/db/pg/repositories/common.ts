import type { PgDatabase } from "drizzle-orm/pg-core";
import type { PostgresJsQueryResultHKT } from "drizzle-orm/postgres-js";
import type { PgSchema } from "../client.ts";

/** The database or a transaction on it: the PostgreSQL repositories run on either. */
export type PgExec = PgDatabase<PostgresJsQueryResultHKT, PgSchema>;

/**
 * Runs `work` in one transaction (a savepoint inside another). Repository methods are the only
 * callers, so a transaction never spans the application's own awaits: each repository method is
 * one atomic unit, as in SQLite.
 */
export function inTransaction<T>(db: PgExec, work: (tx: PgExec) => Promise<T>): Promise<T> {
  return db.transaction((tx) => work(tx));
}
