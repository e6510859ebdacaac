/**
 * The PostgreSQL store of design §8 (DATABASE_URL), the counterpart of openDatabase (SQLite) in
 * src/db/client.ts. Driver: postgres-js through drizzle-orm/postgres-js; docs/cluster.md says why
 * (not drizzle-orm/bun-sql, not node-postgres).
 */
import { drizzle, type PostgresJsDatabase } from "drizzle-orm/postgres-js";
import postgres, { type Sql } from "postgres";
import { applyPgMigrations } from "./migrate.ts";
import * as schema from "./schema.ts";

export type PgSchema = typeof schema;
export type PgDb = PostgresJsDatabase<PgSchema> & { $client: Sql };

/** DatabaseHandle's counterpart; `close` and `ping` are async because every query is. */
export interface PostgresHandle {
  db: PgDb;
  sql: Sql;
  /** Waits for queries in flight (at most 5 s), then closes every connection. Idempotent. */
  close(): Promise<void>;
  /** true while the database answers a trivial query within `timeoutMs` (used by /readyz). */
  ping(timeoutMs?: number): Promise<boolean>;
}

/** Connecting to or migrating the PostgreSQL database failed; `message` says which and where. */
export class PostgresOpenError extends Error {
  override readonly name = "PostgresOpenError";
  constructor(
    /** The URL without its password. */
    readonly url: string,
    readonly stage: "connect" | "migrate",
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`${stage === "connect" ? "cannot connect to" : "cannot migrate"} the PostgreSQL database at ${url}: ${reason}`, { cause });
  }
}

/** The URL as it may be shown in logs and errors: the password replaced. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(an unparsable URL)";
  }
}

export interface OpenPostgresOptions {
  /** Connections in the pool (default 10). At least 2: migrations hold one for their lock. */
  maxConnections?: number;
  /** Seconds to wait for a connection before failing (default 10). */
  connectTimeoutSeconds?: number;
  /** Called when another process is migrating and this one waits for it. */
  onMigrationWait?: () => void;
}

/** A PostgreSQL store not yet connected: `prepare` connects and migrates; until then nothing is sent. */
export interface PreparablePostgresHandle extends PostgresHandle {
  /** Connects, checks the server answers, applies pending migrations under the lock. Throws PostgresOpenError. */
  prepare(): Promise<void>;
}

/**
 * Connects, checks the server answers, and applies pending migrations under the migration lock.
 * Throws PostgresOpenError.
 */
export async function openPostgres(url: string, options: OpenPostgresOptions = {}): Promise<PostgresHandle> {
  const handle = createPostgres(url, options);
  await handle.prepare();
  return handle;
}

/**
 * Builds the client without connecting (postgres-js connects on the first query, and reconnects by
 * itself after the server went away). The composition root builds it synchronously and prepares it at start.
 */
export function createPostgres(url: string, options: OpenPostgresOptions = {}): PreparablePostgresHandle {
  const shownUrl = withoutPassword(url);
  const sql = postgres(url, {
    max: Math.max(2, options.maxConnections ?? 10),
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    // postgres-js prints NOTICEs ("schema drizzle already exists, skipping") to the console by default.
    onnotice: () => {},
    connection: { application_name: "rankbridge" },
  });
  const db = drizzle(sql, { schema }) as PgDb;

  let closing: Promise<void> | undefined;
  return {
    db,
    sql,
    async prepare() {
      try {
        await sql`SELECT 1`;
      } catch (err) {
        await sql.end({ timeout: 0 });
        throw new PostgresOpenError(shownUrl, "connect", err);
      }
      try {
        await applyPgMigrations(sql, db, { onWait: options.onMigrationWait });
      } catch (err) {
        await sql.end({ timeout: 0 });
        throw new PostgresOpenError(shownUrl, "migrate", err);
      }
    },
    close() {
      closing ??= sql.end({ timeout: 5 });
      return closing;
    },
    async ping(timeoutMs = 2000) {
      if (closing) return false;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timedOut = new Promise<false>((resolve) => {
        timer = setTimeout(() => resolve(false), timeoutMs);
      });
      const answered = sql`SELECT 1 AS ok`.then(
        (rows) => rows[0]?.ok === 1,
        () => false,
      );
      try {
        return await Promise.race([answered, timedOut]);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}
