/**
 * Opens a fresh database, lets it migrate, prints what it holds as one JSON line and exits.
 * Built with `bun build --compile` by test/db/compile.test.ts to prove the embedded migrations
 * work without drizzle/ on disk. Optional argument: the database path (default: a new temp dir).
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../src/db/client.ts";

const explicitPath = process.argv[2];
const tempDir = explicitPath ? undefined : mkdtempSync(join(tmpdir(), "rankbridge-smoke-"));
const path = explicitPath ?? join(tempDir!, "smoke.sqlite");

let exitCode = 0;
try {
  const handle = openDatabase(path);
  const tables = handle.sqlite
    .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations' ORDER BY name")
    .all() as { name: string }[];
  const migrations = handle.sqlite.query("SELECT hash FROM __drizzle_migrations ORDER BY created_at").all() as { hash: string }[];
  const { journal_mode } = handle.sqlite.query("PRAGMA journal_mode").get() as { journal_mode: string };
  console.log(
    JSON.stringify({
      tables: tables.length,
      tableNames: tables.map((t) => t.name),
      migrations: migrations.map((m) => m.hash),
      journalMode: journal_mode,
      ping: handle.ping(),
    }),
  );
  handle.close();
} catch (err) {
  console.error(err instanceof Error ? err.message : String(err));
  exitCode = 1;
} finally {
  if (tempDir) rmSync(tempDir, { recursive: true, force: true });
}
process.exit(exitCode);
