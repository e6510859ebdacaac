import { openDatabase } from "../../src/db/client.ts";
import { createRepositories, type Repositories } from "../../src/db/index.ts";
import { openPostgres } from "../../src/db/pg/client.ts";
import { createPgRepositories } from "../../src/db/pg/repositories/index.ts";
import { scratchDatabase, TEST_DATABASE_URL } from "./pg-helpers.ts";

/** One store for one test: the repositories on a fresh database, a clock they write with, and raw SQL for checks. */
export interface TestStore {
  repos: Repositories;
  clock: { now: number };
  /** Rows of a query, in SQL both dialects accept. */
  rows(query: string): Promise<Record<string, unknown>[]>;
  close(): Promise<void>;
}

export interface Dialect {
  name: "sqlite" | "postgres";
  open(start?: number): Promise<TestStore>;
}

const sqlite: Dialect = {
  name: "sqlite",
  async open(start = 1_800_000_000_000) {
    const clock = { now: start };
    const handle = openDatabase(":memory:");
    return {
      repos: createRepositories(handle.db, { now: () => clock.now }),
      clock,
      rows: async (query) => handle.sqlite.query(query).all() as Record<string, unknown>[],
      close: async () => handle.close(),
    };
  },
};

const postgres: Dialect = {
  name: "postgres",
  async open(start = 1_800_000_000_000) {
    const clock = { now: start };
    const scratch = await scratchDatabase();
    const handle = await openPostgres(scratch.url, { maxConnections: 4 });
    return {
      repos: createPgRepositories(handle.db, { now: () => clock.now }),
      clock,
      rows: async (query) => [...(await handle.sql.unsafe(query))] as Record<string, unknown>[],
      async close() {
        await handle.close();
        await scratch.drop();
      },
    };
  },
};

/**
 * The stores every repository test runs on: SQLite always; PostgreSQL when TEST_DATABASE_URL names
 * a server (CI sets it). Use with `describe.each(DIALECTS)`, and `track` to close what a test opened.
 */
export const DIALECTS: [Dialect["name"], Dialect][] = [["sqlite", sqlite], ...(TEST_DATABASE_URL ? [["postgres", postgres] as [Dialect["name"], Dialect]] : [])];

/** Opens stores of one dialect and closes them all after each test (call `closeAll` in afterEach). */
export function storesOf(dialect: Dialect) {
  const open: TestStore[] = [];
  return {
    async open(start?: number): Promise<TestStore> {
      const store = await dialect.open(start);
      open.push(store);
      return store;
    },
    async closeAll(): Promise<void> {
      await Promise.all(open.splice(0).map((store) => store.close()));
    },
  };
}
