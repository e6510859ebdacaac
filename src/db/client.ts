import { Database } from "bun:sqlite";
import { mkdirSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { drizzle, type BunSQLiteDatabase } from "drizzle-orm/bun-sqlite";
import { applyMigrations } from "./migrate.ts";
import * as schema from "./schema.ts";

export type Schema = typeof schema;
/** The drizzle handle every repository takes (`$client` is the bun:sqlite connection). */
export type Db = BunSQLiteDatabase<Schema> & { $client: Database };

export interface DatabaseHandle {
  db: Db;
  sqlite: Database;
  /** Idempotent. */
  close(): void;
  /** true while the database answers a trivial query (used by /readyz). */
  ping(): boolean;
}

/** Opening, configuring or migrating the database failed; `message` says which and where. */
export class DatabaseOpenError extends Error {
  override readonly name = "DatabaseOpenError";
  constructor(
    readonly path: string,
    readonly stage: "directory" | "open" | "configure" | "migrate",
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const what = {
      directory: "cannot create the directory for",
      open: "cannot open",
      configure: "cannot configure",
      migrate: "cannot migrate",
    }[stage];
    super(`${what} the database at ${path}: ${reason}`, { cause });
  }
}

const isMemory = (path: string) => path === ":memory:" || path === "";

/**
 * Opens (creating if needed) the SQLite database at `path` (`:memory:` allowed), sets the PRAGMAs
 * the bot relies on and applies pending migrations. Throws DatabaseOpenError.
 */
export function openDatabase(path: string): DatabaseHandle {
  const memory = isMemory(path);
  const shownPath = memory ? ":memory:" : resolve(path);

  if (!memory) {
    try {
      mkdirSync(dirname(resolve(path)), { recursive: true });
    } catch (err) {
      throw new DatabaseOpenError(shownPath, "directory", err);
    }
  }

  let sqlite: Database;
  try {
    sqlite = new Database(memory ? ":memory:" : path, { create: true, readwrite: true, strict: true });
  } catch (err) {
    throw new DatabaseOpenError(shownPath, "open", err);
  }

  try {
    // WAL lets /readyz and readers run while a sync writes; a :memory: db can't use it.
    if (!memory) sqlite.run("PRAGMA journal_mode = WAL");
    // NORMAL is durable in WAL mode except for the last transactions on power loss: fine for a bot.
    sqlite.run("PRAGMA synchronous = NORMAL");
    sqlite.run("PRAGMA foreign_keys = ON");
    sqlite.run("PRAGMA busy_timeout = 5000");
    // Surfaces a read-only file or directory now, not at the first write.
    sqlite.run("BEGIN IMMEDIATE");
    sqlite.run("COMMIT");
  } catch (err) {
    sqlite.close();
    throw new DatabaseOpenError(shownPath, "configure", err);
  }

  const db = drizzle(sqlite, { schema });
  try {
    applyMigrations(db);
  } catch (err) {
    sqlite.close();
    throw new DatabaseOpenError(shownPath, "migrate", err);
  }

  let closed = false;
  const ping = sqlite.query("SELECT 1 AS ok");
  return {
    db,
    sqlite,
    close() {
      if (closed) return;
      closed = true;
      ping.finalize();
      try {
        sqlite.run("PRAGMA optimize");
      } catch {
        // Best effort: closing must not fail because statistics could not be refreshed.
      }
      sqlite.close();
    },
    ping() {
      if (closed) return false;
      try {
        return (ping.get() as { ok: number } | null)?.ok === 1;
      } catch {
        return false;
      }
    },
  };
}
