/**
 * The test's own connection to the database file the bot opened (its DATABASE_PATH): harnesses
 * seed and read rows through it, as an operator's tool on the same file would, instead of reaching
 * into the running app's objects. SQLite in WAL mode serves both connections; every statement is
 * synchronous, so a test's write lands between the bot's transactions, never inside one.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createRepositories, openDatabase, type DatabaseHandle, type Repositories } from "../../src/db/index.ts";
import { createPostgres } from "../../src/db/pg/client.ts";
import { createPgRepositories } from "../../src/db/pg/repositories/index.ts";

export interface BotDatabase {
  /** The SQLite connection; absent when the bot runs on PostgreSQL (DATABASE_URL). */
  readonly database?: DatabaseHandle;
  readonly repositories: Repositories;
  /** Closes this connection (the bot's own stays open until it stops). */
  close(): void | Promise<void>;
}

/** The SQLite connection: synchronous, and its handle is there. */
export interface SqliteBotDatabase extends BotDatabase {
  readonly database: DatabaseHandle;
  close(): void;
}

/** A connection to `path`; open it after the bot, which creates and migrates the file. */
export function openBotDatabase(path: string): SqliteBotDatabase {
  const database = openDatabase(path);
  return { database, repositories: createRepositories(database.db), close: () => database.close() };
}

/** The test's own client to the bot's PostgreSQL database (the bot migrates it at start). */
export function openBotPostgres(url: string): BotDatabase {
  const handle = createPostgres(url, { maxConnections: 4 });
  return { repositories: createPgRepositories(handle.db), close: () => handle.close() };
}

/** A database file in a directory of its own, for one bot; `remove` deletes it with its WAL files. */
export function temporaryDatabasePath(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "rankbridge-db-"));
  return { path: join(dir, "rankbridge.sqlite"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
