import { Database } from "bun:sqlite";
import { afterEach, describe, expect, test } from "bun:test";
import { cpSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { drizzle } from "drizzle-orm/bun-sqlite";
import { migrate as folderMigrate } from "drizzle-orm/bun-sqlite/migrator";
import { DatabaseOpenError, openDatabase } from "../../src/db/client.ts";
import { applyMigrations, embeddedMigrations } from "../../src/db/migrate.ts";
import { journal, migrationSql } from "../../src/db/migrations.gen.ts";
import { repoRoot, tempDir } from "./helpers.ts";

const drizzleDir = join(repoRoot, "drizzle");
const APP_TABLES = [
  "audit_log",
  "binds",
  "dashboard_sessions",
  "dashboard_sign_ins",
  "guild_settings",
  "link_challenges",
  "members",
  "meta",
  "pending_roblox_writes",
  "ranks",
  "roblox_feed_cursors",
  "sync_requests",
  "sync_run_items",
  "sync_runs",
];

const tables = (sqlite: Database) =>
  (
    sqlite
      .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations' ORDER BY name")
      .all() as { name: string }[]
  ).map((r) => r.name);
const migrationRows = (sqlite: Database) =>
  sqlite.query("SELECT hash, created_at FROM __drizzle_migrations ORDER BY created_at").all() as {
    hash: string;
    created_at: number;
  }[];
const schemaSql = (sqlite: Database) =>
  sqlite.query("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all();

const cleanups: (() => void)[] = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});
function scratch() {
  const t = tempDir();
  cleanups.push(t.cleanup);
  return t.dir;
}

describe("openDatabase", () => {
  test("migrates an empty in-memory database and answers ping", () => {
    const h = openDatabase(":memory:");
    expect(tables(h.sqlite)).toEqual(APP_TABLES);
    expect(migrationRows(h.sqlite)).toHaveLength(journal.entries.length);
    expect(h.ping()).toBe(true);
    h.close();
    h.close(); // idempotent
    expect(h.ping()).toBe(false);
  });

  test("a file database: creates its directory, uses WAL and the expected PRAGMAs", () => {
    const path = join(scratch(), "nested", "dir", "bot.sqlite");
    const h = openDatabase(path);
    const pragma = (name: string) => Object.values(h.sqlite.query(`PRAGMA ${name}`).get() as object)[0];
    expect(pragma("journal_mode")).toBe("wal");
    expect(pragma("foreign_keys")).toBe(1);
    expect(pragma("busy_timeout")).toBe(5000);
    expect(pragma("synchronous")).toBe(1); // NORMAL
    h.close();
  });

  test("reopening an existing database applies nothing twice and keeps data", () => {
    const path = join(scratch(), "bot.sqlite");
    const first = openDatabase(path);
    first.sqlite.run("INSERT INTO meta (key, value) VALUES ('k', 'v')");
    const rows = migrationRows(first.sqlite);
    first.close();

    const second = openDatabase(path);
    expect(migrationRows(second.sqlite)).toEqual(rows);
    expect(second.sqlite.query("SELECT value FROM meta WHERE key = 'k'").get()).toEqual({ value: "v" });
    second.close();
  });

  test("a later migration is applied once to an existing database, then skipped", () => {
    const path = join(scratch(), "bot.sqlite");
    openDatabase(path).close();

    const h = openDatabase(path);
    const base = embeddedMigrations();
    const next = {
      sql: ["CREATE TABLE `zz_probe` (`x` integer);", "\nINSERT INTO `zz_probe` VALUES (1);"],
      bps: true,
      folderMillis: base.at(-1)!.folderMillis + 1,
      hash: "synthetic-0001",
    };
    applyMigrations(h.db, [...base, next]);
    expect(tables(h.sqlite)).toContain("zz_probe");
    // Re-applying would fail on CREATE TABLE or duplicate the row.
    applyMigrations(h.db, [...base, next]);
    expect(h.sqlite.query("SELECT count(*) AS n FROM zz_probe").get()).toEqual({ n: 1 });
    expect(migrationRows(h.sqlite).map((r) => r.hash)).toEqual([...base.map((m) => m.hash), "synthetic-0001"]);
    h.close();

    // An older build (without that migration) still opens the database.
    const older = openDatabase(path);
    expect(migrationRows(older.sqlite)).toHaveLength(base.length + 1);
    older.close();
  });

  test("a failing migration rolls back entirely", () => {
    const h = openDatabase(":memory:");
    const base = embeddedMigrations();
    const broken = {
      sql: ["CREATE TABLE `zz_half` (`x` integer);", "THIS IS NOT SQL"],
      bps: true,
      folderMillis: base.at(-1)!.folderMillis + 1,
      hash: "broken",
    };
    expect(() => applyMigrations(h.db, [...base, broken])).toThrow();
    expect(tables(h.sqlite)).not.toContain("zz_half");
    expect(migrationRows(h.sqlite)).toHaveLength(base.length);
    h.close();
  });

  test("an unusable path throws DatabaseOpenError naming the path", () => {
    const dir = scratch();
    const file = join(dir, "not-a-dir");
    writeFileSync(file, "x");
    const bad = join(file, "bot.sqlite");
    expect(() => openDatabase(bad)).toThrow(DatabaseOpenError);
    try {
      openDatabase(bad);
    } catch (err) {
      expect(err).toBeInstanceOf(DatabaseOpenError);
      expect((err as DatabaseOpenError).message).toContain(bad);
      expect((err as DatabaseOpenError).stage).toBe("directory");
    }
  });

  test("a file that is not a database throws DatabaseOpenError", () => {
    const path = join(scratch(), "garbage.sqlite");
    writeFileSync(path, "this is not an sqlite database, just some text that is long enough".repeat(20));
    let caught: unknown;
    try {
      openDatabase(path);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(DatabaseOpenError);
    expect(String((caught as Error).message)).toMatch(/garbage\.sqlite: .*not a database/);
  });
});

describe("embedded migrations vs drizzle's folder migrator", () => {
  test("the embedded copy matches drizzle/ byte for byte", () => {
    const sqlFiles = readdirSync(drizzleDir).filter((f) => f.endsWith(".sql")).map((f) => f.slice(0, -4)).sort();
    expect(journal.entries.map((e) => e.tag).sort()).toEqual(sqlFiles);
    for (const tag of sqlFiles) expect(migrationSql[tag]).toBe(readFileSync(join(drizzleDir, `${tag}.sql`), "utf8"));
  });

  test("both produce the same __drizzle_migrations rows and schema, and accept each other's database", () => {
    const embedded = openDatabase(":memory:");
    const folderSqlite = new Database(":memory:");
    const folderDb = drizzle(folderSqlite);
    folderMigrate(folderDb, { migrationsFolder: drizzleDir });

    expect(migrationRows(embedded.sqlite)).toEqual(migrationRows(folderSqlite));
    expect(schemaSql(embedded.sqlite)).toEqual(schemaSql(folderSqlite));

    // Each migrator treats the other's database as up to date.
    folderMigrate(embedded.db, { migrationsFolder: drizzleDir });
    applyMigrations(folderDb);
    expect(migrationRows(embedded.sqlite)).toHaveLength(journal.entries.length);
    expect(migrationRows(folderSqlite)).toHaveLength(journal.entries.length);
    embedded.close();
    folderSqlite.close();
  });

  // If this fails: run `bun run db:generate` and commit the new drizzle/ files.
  test("schema.ts has no changes that lack a migration (drizzle-kit generate is a no-op)", () => {
    // Generate against a copy of drizzle/ so a real change is never written into the repo.
    const out = scratch();
    cpSync(drizzleDir, out, { recursive: true });
    const before = readdirSync(out).sort();
    const proc = Bun.spawnSync(
      [
        process.execPath,
        "x",
        "--bun",
        "drizzle-kit",
        "generate",
        "--dialect",
        "sqlite",
        "--schema",
        "./src/db/schema.ts",
        // drizzle-kit prefixes "./" to the out path, so it must be relative.
        "--out",
        relative(repoRoot, out),
      ],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(proc.exitCode).toBe(0);
    expect(proc.stdout.toString()).toContain("No schema changes");
    expect(readdirSync(out).sort()).toEqual(before);
  }, 30_000);
});
