import { afterEach, describe, expect, test } from "bun:test";
import { cpSync, readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { is } from "drizzle-orm";
import { getTableConfig, PgTable } from "drizzle-orm/pg-core";
import { drizzle } from "drizzle-orm/postgres-js";
import { migrate as folderMigrate } from "drizzle-orm/postgres-js/migrator";
import postgres, { type Sql } from "postgres";
import { openPostgres, PostgresOpenError, type PostgresHandle } from "../../src/db/pg/client.ts";
import { embeddedPgMigrations, MIGRATION_LOCK_KEY } from "../../src/db/pg/migrate.ts";
import { journal, migrationSql } from "../../src/db/pg/migrations.gen.ts";
import * as pgSchema from "../../src/db/pg/schema.ts";
import { repoRoot, tempDir } from "./helpers.ts";
import { describeWithPostgres, scratchDatabase } from "./pg-helpers.ts";

const drizzlePgDir = join(repoRoot, "drizzle-pg");
const pgTables = Object.values(pgSchema as Record<string, unknown>).flatMap((value) => (is(value, PgTable) ? [value as PgTable] : []));

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

async function scratch() {
  const db = await scratchDatabase();
  cleanups.push(db.drop);
  return db;
}
async function opened(url: string, options?: Parameters<typeof openPostgres>[1]): Promise<PostgresHandle> {
  const handle = await openPostgres(url, options);
  cleanups.push(handle.close);
  return handle;
}
function client(url: string): Sql {
  const sql = postgres(url, { max: 2, onnotice: () => {} });
  cleanups.push(() => sql.end({ timeout: 1 }));
  return sql;
}

const appTables = async (sql: Sql) =>
  (await sql<{ table_name: string }[]>`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`).map((r) => r.table_name);
const migrationRows = (sql: Sql) => sql<{ hash: string; created_at: string }[]>`SELECT hash, created_at FROM drizzle.__drizzle_migrations ORDER BY created_at`;

describe("embedded PostgreSQL migrations vs drizzle-pg/", () => {
  test("the embedded copy matches drizzle-pg/ byte for byte", () => {
    const sqlFiles = readdirSync(drizzlePgDir).filter((f) => f.endsWith(".sql")).map((f) => f.slice(0, -4)).sort();
    expect(journal.entries.map((e) => e.tag).sort()).toEqual(sqlFiles);
    for (const tag of sqlFiles) expect(migrationSql[tag]).toBe(readFileSync(join(drizzlePgDir, `${tag}.sql`), "utf8"));
  });

  // If this fails: run `bun run db:generate:pg` and commit the new drizzle-pg/ files.
  test("pg/schema.ts has no changes that lack a migration (drizzle-kit generate is a no-op)", () => {
    const scratchDir = tempDir();
    cleanups.push(scratchDir.cleanup);
    cpSync(drizzlePgDir, scratchDir.dir, { recursive: true });
    const before = readdirSync(scratchDir.dir).sort();
    const proc = Bun.spawnSync(
      [process.execPath, "x", "--bun", "drizzle-kit", "generate", "--dialect", "postgresql", "--schema", "./src/db/pg/schema.ts", "--out", relative(repoRoot, scratchDir.dir)],
      { cwd: repoRoot, env: { ...process.env, NO_COLOR: "1" } },
    );
    expect(proc.exitCode).toBe(0);
    expect(proc.stdout.toString()).toContain("No schema changes");
    expect(readdirSync(scratchDir.dir).sort()).toEqual(before);
  }, 30_000);
});

describe("openPostgres without a server", () => {
  test("an unreachable server is a PostgresOpenError that names the URL without its password", async () => {
    const caught = await openPostgres("postgres://rankbridge:hunter2@127.0.0.1:1/rankbridge", { connectTimeoutSeconds: 2 }).catch((e: unknown) => e);
    expect(caught).toBeInstanceOf(PostgresOpenError);
    const error = caught as PostgresOpenError;
    expect(error.stage).toBe("connect");
    expect(error.message).toStartWith("cannot connect to the PostgreSQL database at postgres://rankbridge:***@127.0.0.1:1/rankbridge: ");
    expect(error.message).not.toContain("hunter2");
  }, 10_000);
});

describeWithPostgres("openPostgres against the real server", () => {
  test("migrates an empty database, answers ping, and closes idempotently", async () => {
    const { url } = await scratch();
    const handle = await openPostgres(url);
    expect(await appTables(handle.sql)).toEqual(pgTables.map((t) => getTableConfig(t).name).sort());
    expect(await migrationRows(handle.sql)).toHaveLength(journal.entries.length);
    expect(await handle.ping()).toBe(true);
    await handle.close();
    await handle.close();
    expect(await handle.ping()).toBe(false);
  });

  test("ping turns false when the database goes away, without throwing", async () => {
    const db = await scratch();
    const handle = await opened(db.url, { connectTimeoutSeconds: 2 });
    expect(await handle.ping()).toBe(true);
    await db.drop();
    expect(await handle.ping(3_000)).toBe(false);
  }, 15_000);

  test("the migrated columns are the ones pg/schema.ts declares (name, type, nullability)", async () => {
    const { url } = await scratch();
    const { sql } = await opened(url);
    const columns = await sql<{ table_name: string; column_name: string; data_type: string; is_nullable: string }[]>`
      SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns WHERE table_schema = 'public'`;
    const actual = columns.map((c) => `${c.table_name}.${c.column_name} ${c.data_type} ${c.is_nullable === "NO" ? "not null" : "null"}`).sort();
    const declared = pgTables
      .flatMap((table) => {
        const config = getTableConfig(table);
        const inPrimaryKey = new Set(config.primaryKeys.flatMap((pk) => pk.columns.map((c) => c.name)));
        return config.columns.map((c) => `${config.name}.${c.name} ${c.getSQLType()} ${c.notNull || c.primary || inPrimaryKey.has(c.name) ? "not null" : "null"}`);
      })
      .sort();
    expect(actual).toEqual(declared);
  });

  test("reopening applies nothing twice and keeps the data", async () => {
    const { url } = await scratch();
    const first = await openPostgres(url);
    await first.sql`INSERT INTO meta (key, value) VALUES ('k', 'v')`;
    const rows = await migrationRows(first.sql);
    await first.close();
    const second = await opened(url);
    expect(await migrationRows(second.sql)).toEqual(rows);
    expect(await second.sql`SELECT value FROM meta WHERE key = 'k'`).toEqual([{ value: "v" }] as never);
  });

  test("six migrators started at once, each on its own connections, all succeed and apply each migration once (without the lock they fail on \"already exists\")", async () => {
    const { url } = await scratch();
    const handles = await Promise.all(Array.from({ length: 6 }, () => opened(url, { maxConnections: 2 })));
    expect(await migrationRows(handles[0]!.sql)).toHaveLength(journal.entries.length);
    expect(await appTables(handles[5]!.sql)).toHaveLength(pgTables.length);
  }, 30_000);

  test("migrators queue on the advisory lock: none touches the database while another holds it", async () => {
    const { url } = await scratch();
    const holder = client(url);
    const held = await holder.reserve();
    await held`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY}::bigint)`;

    let waited = 0;
    const starting = Array.from({ length: 4 }, () => opened(url, { maxConnections: 2, onMigrationWait: () => waited++ }));
    const observer = client(url);
    const waiting = async () =>
      Number(
        (await observer<{ n: string }[]>`SELECT count(*) AS n FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`)[0]!.n,
      );
    for (let i = 0; i < 100 && (await waiting()) < 4; i++) await Bun.sleep(50);
    expect(await waiting()).toBe(4);
    expect(waited).toBe(4);
    // Nothing was created while the lock was held: not even drizzle's own schema.
    expect(await observer`SELECT 1 FROM information_schema.schemata WHERE schema_name = 'drizzle'`).toHaveLength(0);

    await held`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY}::bigint)`;
    held.release();
    const handles = await Promise.all(starting);
    expect(await migrationRows(handles[0]!.sql)).toHaveLength(journal.entries.length);
    expect(await waiting()).toBe(0);
  }, 30_000);

  test("the embedded and the folder migrator write the same rows and accept each other's database", async () => {
    const embeddedDb = await scratch();
    const folderDb = await scratch();
    const embedded = await opened(embeddedDb.url);
    const folderSql = client(folderDb.url);
    await folderMigrate(drizzle(folderSql), { migrationsFolder: drizzlePgDir });
    expect(await migrationRows(embedded.sql)).toEqual(await migrationRows(folderSql));
    expect(embeddedPgMigrations().map((m) => m.hash)).toEqual((await migrationRows(folderSql)).map((r) => r.hash));

    await folderMigrate(embedded.db, { migrationsFolder: drizzlePgDir });
    await (await opened(folderDb.url)).close();
    expect(await migrationRows(embedded.sql)).toHaveLength(journal.entries.length);
    expect(await migrationRows(folderSql)).toHaveLength(journal.entries.length);
  });

  test("values round-trip as in SQLite: JSON strings stay strings, 64-bit ids stay numbers, SQL defaults are epoch ms", async () => {
    const { url } = await scratch();
    const { db, sql } = await opened(url);
    const before = Date.now();
    await db.insert(pgSchema.auditLog).values([
      { guildId: "1", actorId: "system", action: "config", before: "10", after: { roles: ["1", "2"] }, targetRobloxUserId: 9_007_199_254_740_991 },
      { guildId: "1", actorId: "system", action: "config", before: null, after: [1, 2] },
    ]);
    const rows = await db.select().from(pgSchema.auditLog).orderBy(pgSchema.auditLog.id);
    expect(rows.map((r) => [r.before, r.after, r.targetRobloxUserId])).toEqual([
      ["10", { roles: ["1", "2"] }, 9_007_199_254_740_991],
      [null, [1, 2], null],
    ]);
    expect(rows[0]!.createdAt).toBeGreaterThanOrEqual(before - 5_000);
    expect(rows[0]!.createdAt).toBeLessThanOrEqual(Date.now() + 5_000);
    // Stored as real jsonb values, not as JSON text inside a jsonb string.
    expect(await sql`SELECT jsonb_typeof(before) AS b, jsonb_typeof(after) AS a FROM audit_log ORDER BY id`).toEqual([
      { b: "string", a: "object" },
      { b: null, a: "array" },
    ] as never);
  });
});
