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

export interface BotDatabase {
  readonly database: DatabaseHandle;
  readonly repositories: Repositories;
  /** Closes this connection (the bot's own stays open until it stops). */
  close(): void;
}

/** A connection to `path`; open it after the bot, which creates and migrates the file. */
export function openBotDatabase(path: string): BotDatabase {
  const database = openDatabase(path);
  return { database, repositories: createRepositories(database.db), close: () => database.close() };
}

/** A database file in a directory of its own, for one bot; `remove` deletes it with its WAL files. */
export function temporaryDatabasePath(): { path: string; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), "rankbridge-db-"));
  return { path: join(dir, "rankbridge.sqlite"), remove: () => rmSync(dir, { recursive: true, force: true }) };
}
