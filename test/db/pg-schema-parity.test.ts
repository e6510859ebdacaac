import { describe, expect, test } from "bun:test";
import { is, SQL } from "drizzle-orm";
import { getTableConfig as pgConfig, PgDialect, PgTable, type PgColumn } from "drizzle-orm/pg-core";
import { getTableConfig as sqliteConfig, SQLiteSyncDialect, SQLiteTable, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import * as pg from "../../src/db/pg/schema.ts";
import * as sqlite from "../../src/db/schema.ts";

/**
 * Drizzle has no dialect-agnostic table, so src/db/schema.ts (SQLite) and src/db/pg/schema.ts
 * (PostgreSQL) are written twice. This fails as soon as they stop describing the same tables:
 * names, columns, types (mapped as pg/schema.ts's header says), nullability, defaults, primary keys,
 * unique and other indexes, foreign keys and checks. A table or column added to one file only fails
 * here with its name.
 */

function tablesOf<T>(module: Record<string, unknown>, kind: new (...args: never[]) => T): [string, T][] {
  const found: [string, T][] = [];
  for (const [key, value] of Object.entries(module)) if (is(value, kind as never)) found.push([key, value as T]);
  return found;
}
const sqliteTables = tablesOf<SQLiteTable>(sqlite, SQLiteTable);
const pgTables = tablesOf<PgTable>(pg, PgTable);

const sqliteDialect = new SQLiteSyncDialect();
const pgDialect = new PgDialect();

/** The portable kind of a column; a type with no agreed mapping comes out as `unmapped ...`. */
function sqliteKind(column: SQLiteColumn): string {
  switch (column.columnType) {
    case "SQLiteInteger":
      return "int64";
    case "SQLiteBoolean":
      return "boolean";
    case "SQLiteText":
      return "text";
    case "SQLiteTextJson":
      return "json";
    default:
      return `unmapped ${column.columnType}`;
  }
}
function pgKind(column: PgColumn): string {
  if (column.columnType === "PgBigInt53") return "int64";
  if (column.columnType === "PgBoolean") return "boolean";
  if (column.columnType === "PgText") return "text";
  if (column.columnType === "PgCustomColumn" && column.getSQLType() === "jsonb") return "json";
  return `unmapped ${column.columnType} (${column.getSQLType()})`;
}

type AnyColumn = SQLiteColumn | PgColumn;
function defaultOf(column: AnyColumn): unknown {
  if (!column.hasDefault) return "none";
  // SQL defaults differ by dialect on purpose (unixepoch vs extract(epoch ...)); a literal must match.
  return is(column.default, SQL) ? "sql" : column.default;
}

function describeColumn(column: AnyColumn, kind: string, autoIncrement: boolean) {
  return {
    kind,
    notNull: column.notNull,
    primary: column.primary,
    default: defaultOf(column),
    enum: column.enumValues ?? null,
    autoIncrement,
  };
}

const render = (dialect: SQLiteSyncDialect | PgDialect, value: SQL | undefined) => (value ? dialect.sqlToQuery(value).sql : null);

function sqliteShape(table: SQLiteTable) {
  const config = sqliteConfig(table);
  return {
    name: config.name,
    columns: Object.fromEntries(
      config.columns.map((c) => [c.name, describeColumn(c, sqliteKind(c), "autoIncrement" in c && c.autoIncrement === true)]),
    ),
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    indexes: config.indexes
      .map((i) => ({ name: i.config.name, columns: i.config.columns.map((c) => (c as SQLiteColumn).name), unique: i.config.unique, where: render(sqliteDialect, i.config.where) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    uniqueConstraints: config.uniqueConstraints.map((u) => u.columns.map((c) => c.name)),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference();
      return { columns: ref.columns.map((c) => c.name), table: sqliteConfig(ref.foreignTable).name, foreignColumns: ref.foreignColumns.map((c) => c.name), onDelete: fk.onDelete ?? "no action", onUpdate: fk.onUpdate ?? "no action" };
    }),
    checks: config.checks.map((c) => ({ name: c.name, sql: render(sqliteDialect, c.value) })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

function pgShape(table: PgTable) {
  const config = pgConfig(table);
  return {
    name: config.name,
    columns: Object.fromEntries(config.columns.map((c) => [c.name, describeColumn(c, pgKind(c), c.generatedIdentity !== undefined)])),
    primaryKeys: config.primaryKeys.map((pk) => pk.columns.map((c) => c.name)),
    indexes: config.indexes
      .map((i) => ({ name: i.config.name!, columns: i.config.columns.map((c) => (c as PgColumn).name), unique: i.config.unique, where: render(pgDialect, i.config.where) }))
      .sort((a, b) => a.name.localeCompare(b.name)),
    uniqueConstraints: config.uniqueConstraints.map((u) => u.columns.map((c) => c.name)),
    foreignKeys: config.foreignKeys.map((fk) => {
      const ref = fk.reference();
      return { columns: ref.columns.map((c) => c.name), table: pgConfig(ref.foreignTable).name, foreignColumns: ref.foreignColumns.map((c) => c.name), onDelete: fk.onDelete ?? "no action", onUpdate: fk.onUpdate ?? "no action" };
    }),
    checks: config.checks.map((c) => ({ name: c.name, sql: render(pgDialect, c.value) })).sort((a, b) => a.name.localeCompare(b.name)),
  };
}

describe("src/db/schema.ts (SQLite) and src/db/pg/schema.ts (PostgreSQL) describe the same tables", () => {
  test("the same tables, exported under the same names", () => {
    const sqliteNames = sqliteTables.map(([key, table]) => `${key} = ${sqliteConfig(table).name}`).sort();
    const pgNames = pgTables.map(([key, table]) => `${key} = ${pgConfig(table).name}`).sort();
    expect(sqliteTables.length).toBeGreaterThan(0);
    expect(pgNames).toEqual(sqliteNames);
  });

  for (const [key, table] of sqliteTables) {
    test(`${sqliteConfig(table).name}: columns, keys, indexes, foreign keys and checks`, () => {
      const twin = pgTables.find(([pgKey]) => pgKey === key)?.[1];
      if (!twin) throw new Error(`src/db/pg/schema.ts has no table \`${key}\` (${sqliteConfig(table).name}); add its PostgreSQL twin`);
      const expected = sqliteShape(table);
      const actual = pgShape(twin);
      // Column by column first, so a failure names the column.
      for (const name of new Set([...Object.keys(expected.columns), ...Object.keys(actual.columns)])) {
        expect({ column: name, pg: actual.columns[name] ?? "missing" }).toEqual({ column: name, pg: expected.columns[name] ?? "missing (only in pg)" });
      }
      expect(actual).toEqual(expected);
    });
  }

  test("every SQLite column type in use has a mapping (no `unmapped`)", () => {
    const kinds = sqliteTables.flatMap(([, table]) => sqliteConfig(table).columns.map((c) => `${sqliteConfig(table).name}.${c.name}: ${sqliteKind(c)}`));
    expect(kinds.filter((k) => k.includes("unmapped"))).toEqual([]);
  });
});

// The row types the repositories see are identical, so they can be written once for both dialects.
// A difference is a type error here (`bun run typecheck`).
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type SqliteTableKey = { [K in keyof typeof sqlite]: (typeof sqlite)[K] extends SQLiteTable ? K : never }[keyof typeof sqlite];
type RowsAgree<K extends SqliteTableKey> = K extends keyof typeof pg
  ? Same<(typeof sqlite)[K]["$inferSelect"], (typeof pg)[K]["$inferSelect"]> extends true
    ? Same<(typeof sqlite)[K]["$inferInsert"], (typeof pg)[K]["$inferInsert"]>
    : false
  : "missing from src/db/pg/schema.ts";
// Every SQLite table must be listed here (a new one is a type error until it is, and its twin exists).
const rowTypesAgree: { [K in SqliteTableKey]: RowsAgree<K> } = {
  guildSettings: true,
  ranks: true,
  binds: true,
  members: true,
  linkChallenges: true,
  robloxFeedCursors: true,
  auditLog: true,
  syncRuns: true,
  syncRunItems: true,
  pendingRobloxWrites: true,
  meta: true,
  dashboardSignIns: true,
  dashboardSessions: true,
  syncRequests: true,
};

test("the row types agree (checked by the type checker)", () => {
  expect(Object.keys(rowTypesAgree).sort()).toEqual(sqliteTables.map(([key]) => key).sort());
  expect(Object.values(rowTypesAgree).every((agree) => agree === true)).toBe(true);
});
