import { sql } from "drizzle-orm";
import type { Db } from "../client.ts";
import type { EpochMs } from "../schema.ts";

export interface RepositoryOptions {
  /** Clock for timestamps the repositories write; tests pass a fixed one. Defaults to Date.now. */
  now?: () => EpochMs;
}

export const clockOf = (options?: RepositoryOptions): (() => EpochMs) => options?.now ?? Date.now;

/** Named parameter for prepared statements. */
export const p = sql.placeholder;

/**
 * A placeholder bound verbatim, bypassing the column encoder. Needed for JSON columns: drizzle
 * encodes placeholder values with JSON.stringify even when null, which would store the text
 * 'null' instead of SQL NULL. Bind the output of `toJson`.
 */
export const rawParam = (name: string) => sql`${sql.placeholder(name)}`;

export const toJson = (value: unknown): string | null =>
  value === undefined || value === null ? null : JSON.stringify(value);

/**
 * Runs `fn` atomically. BEGIN IMMEDIATE takes the write lock up front, so two processes sharing
 * the file can't both read and then fail to upgrade. Nested calls become savepoints (bun:sqlite).
 */
export function atomically<T>(db: Db, fn: () => T): T {
  return db.transaction(() => fn(), { behavior: "immediate" });
}

/**
 * Runs a write and returns how many rows it changed. drizzle types bun-sqlite's `run()` as void,
 * so ask SQLite; the connection is synchronous, so nothing can run in between.
 */
export function runCounting(db: Db, query: { run(): unknown }): number {
  query.run();
  return (db.$client.query("SELECT changes() AS n").get() as { n: number }).n;
}

export function assertInteger(name: string, value: number): void {
  if (!Number.isSafeInteger(value)) throw new RangeError(`${name} must be a safe integer, got ${value}`);
}

/** The patch without its undefined keys: drizzle would otherwise turn them into "set to default". */
export function definedOnly<T extends object>(patch: T): T {
  return Object.fromEntries(Object.entries(patch).filter(([, v]) => v !== undefined)) as T;
}

export const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export function normalizeLimit(limit: number | undefined, fallback: number, max = 1000): number {
  if (limit === undefined) return fallback;
  assertInteger("limit", limit);
  return clamp(limit, 1, max);
}

/**
 * A repository as the application sees it: every method answers a promise, whichever store is
 * behind it (SQLite answers at once, PostgreSQL over the network). Each method is one atomic unit.
 */
export type Promised<R> = {
  [K in keyof R]: R[K] extends (...args: infer A) => infer T ? (...args: A) => Promise<Awaited<T>> : R[K];
};

/** A synchronous (SQLite) repository behind the async port: a throw becomes a rejected promise. */
export function promised<R extends object>(repository: R): Promised<R> {
  const wrapped: Record<string, unknown> = {};
  for (const [name, member] of Object.entries(repository)) {
    wrapped[name] =
      typeof member === "function"
        ? (...args: unknown[]) => {
            try {
              return Promise.resolve(member(...args));
            } catch (err) {
              return Promise.reject(err);
            }
          }
        : member;
  }
  return wrapped as Promised<R>;
}
