import type { MigrationMeta } from "drizzle-orm/migrator";
import type { BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { journal, migrationSql } from "./migrations.gen.ts";

interface JournalEntry {
  tag: string;
  when: number;
  breakpoints: boolean;
}

/**
 * The migrations compiled into this build, in the exact shape drizzle's `readMigrationFiles`
 * produces from drizzle/ (same statement split, same sha256 of the file text), so a database
 * migrated by either path is recognised by the other.
 */
export function embeddedMigrations(): MigrationMeta[] {
  return migrationsFrom(journal, migrationSql, "db:generate");
}

/** A generated migrations module (journal + SQL by tag) as drizzle's migrators take it; either dialect. */
export function migrationsFrom(
  generatedJournal: { entries: unknown[] },
  sqlByTag: Record<string, string>,
  generateScript: string,
): MigrationMeta[] {
  return (generatedJournal.entries as JournalEntry[]).map((entry) => {
    const text = sqlByTag[entry.tag];
    if (text === undefined) {
      throw new Error(`migration ${entry.tag} is in the journal but not embedded; run \`bun run ${generateScript}\``);
    }
    return {
      sql: text.split("--> statement-breakpoint"),
      bps: entry.breakpoints,
      folderMillis: entry.when,
      hash: new Bun.CryptoHasher("sha256").update(text).digest("hex"),
    };
  });
}

// drizzle marks `dialect`/`session` @internal; this is what its own bun-sqlite `migrate()` calls.
// Re-check on drizzle upgrades (the test suite compares against the folder migrator).
interface DrizzleInternals {
  dialect: { migrate(migrations: MigrationMeta[], session: unknown, config: { migrationsFolder: string }): void };
  session: unknown;
}

/** Applies every embedded migration newer than the database's last one, in one transaction. */
export function applyMigrations(
  db: BunSQLiteDatabase<Record<string, unknown>>,
  migrations: MigrationMeta[] = embeddedMigrations(),
): void {
  const internals = db as unknown as DrizzleInternals;
  if (typeof internals.dialect?.migrate !== "function") {
    throw new Error("drizzle-orm internals changed: dialect.migrate is missing (see src/db/migrate.ts)");
  }
  internals.dialect.migrate(migrations, internals.session, { migrationsFolder: "(embedded)" });
}
