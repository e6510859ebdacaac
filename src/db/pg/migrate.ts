import type { MigrationMeta } from "drizzle-orm/migrator";
import type { Sql } from "postgres";
import { migrationsFrom } from "../migrate.ts";
import { journal, migrationSql } from "./migrations.gen.ts";

/** The PostgreSQL migrations compiled into this build (drizzle-pg/, see `bun run db:generate:pg`). */
export function embeddedPgMigrations(): MigrationMeta[] {
  return migrationsFrom(journal, migrationSql, "db:generate:pg");
}

/**
 * The session-level advisory lock every rankbridge process takes around its migrations: the bytes
 * of "rbmigrat" as one 64-bit key, so it cannot meet another application's key by accident.
 */
export const MIGRATION_LOCK_KEY = "8242270567515971956";

// drizzle marks `dialect`/`session` @internal; this is what its own postgres-js `migrate()` calls.
// Re-check on drizzle upgrades (test/db/pg-migrations.test.ts compares against the folder migrator).
interface PgDrizzleInternals {
  dialect: {
    migrate(migrations: MigrationMeta[], session: unknown, config: { migrationsFolder: string; migrationsSchema?: string; migrationsTable?: string }): Promise<void>;
  };
  session: unknown;
}

export interface PgMigrateOptions {
  migrations?: MigrationMeta[];
  /** Called once when another process holds the lock, before waiting for it. */
  onWait?: () => void;
}

/**
 * Applies every embedded migration newer than the database's last one, holding
 * `pg_advisory_lock(MIGRATION_LOCK_KEY)` on a connection of its own meanwhile.
 *
 * drizzle's migrator is not safe to run twice at once (drizzle-orm issue #874): it creates its
 * schema and table and reads the last applied migration outside its transaction, so two processes
 * starting together would both apply the same migration, and the loser fails on "already exists".
 * Under the lock the second one waits, then finds nothing left to do. A session lock is released by
 * PostgreSQL when its connection ends, so a process killed mid-migration never leaves it held.
 */
export async function applyPgMigrations(sql: Sql, db: unknown, options: PgMigrateOptions = {}): Promise<void> {
  const internals = db as PgDrizzleInternals;
  if (typeof internals.dialect?.migrate !== "function") {
    throw new Error("drizzle-orm internals changed: dialect.migrate is missing (see src/db/pg/migrate.ts)");
  }
  const migrations = options.migrations ?? embeddedPgMigrations();
  const lock = await sql.reserve();
  try {
    const [tried] = await lock<{ locked: boolean }[]>`SELECT pg_try_advisory_lock(${MIGRATION_LOCK_KEY}::bigint) AS locked`;
    if (!tried?.locked) {
      options.onWait?.();
      await lock`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;
    }
    try {
      // The migrations run on the pool, not on `lock`: the lock excludes other processes, and this
      // process migrates once.
      await internals.dialect.migrate(migrations, internals.session, { migrationsFolder: "(embedded)" });
    } finally {
      await lock`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
    }
  } finally {
    lock.release();
  }
}
