/**
 * The store the process runs on (design §8): SQLite at DATABASE_PATH when DATABASE_URL is unset,
 * otherwise everything in PostgreSQL. Either way the application sees the same async repositories.
 */
import { StoreUnavailableError } from "../services/storage-errors.ts";
import { openDatabase } from "./client.ts";
import { createRepositories, type Repositories } from "./index.ts";
import { createPostgres } from "./pg/client.ts";
import { createPgRepositories } from "./pg/repositories/index.ts";

export interface Store {
  readonly kind: "sqlite" | "postgres";
  readonly repositories: Repositories;
  /** Ready for work: PostgreSQL connects and migrates (under the lock), once; SQLite was ready when opened. */
  prepare(): Promise<void>;
  /** true while the database answers (used by /readyz). */
  ping(): Promise<boolean>;
  close(): Promise<void>;
}

export interface StoreConfig {
  databasePath: string;
  databaseUrl?: string;
}

/** Opens SQLite at once (DatabaseOpenError); builds the PostgreSQL client, which connects in `prepare`. */
export function openStore(config: StoreConfig, options: { onMigrationWait?: () => void } = {}): Store {
  if (config.databaseUrl === undefined) {
    const handle = openDatabase(config.databasePath);
    return {
      kind: "sqlite",
      repositories: createRepositories(handle.db),
      prepare: async () => {},
      ping: async () => handle.ping(),
      close: async () => handle.close(),
    };
  }
  // A command waits at most this long for a connection before it is told the database is unavailable.
  const handle = createPostgres(config.databaseUrl, { connectTimeoutSeconds: 5, onMigrationWait: options.onMigrationWait });
  let prepared: Promise<void> | undefined;
  return {
    kind: "postgres",
    repositories: unavailableWhenUnreachable(createPgRepositories(handle.db)),
    prepare: () => (prepared ??= handle.prepare()),
    ping: () => handle.ping(),
    close: () => handle.close(),
  };
}

/** postgres-js and Node socket codes, and SQLSTATE classes 08 (connection) and 57P (server shutting down). */
const UNREACHABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EHOSTUNREACH", "ENOTFOUND", "EPIPE", "CONNECT_TIMEOUT", "CONNECTION_CLOSED", "CONNECTION_ENDED", "CONNECTION_DESTROYED"]);

function isUnreachable(error: unknown): boolean {
  for (let e = error; e instanceof Error; e = e.cause) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (UNREACHABLE_CODES.has(code) || code.startsWith("08") || code.startsWith("57P"))) return true;
  }
  return false;
}

/** Every repository method: a lost connection becomes StoreUnavailableError (drizzle wraps the driver's error as the cause). */
function unavailableWhenUnreachable(repositories: Repositories): Repositories {
  const wrapped: Record<string, Record<string, unknown>> = {};
  for (const [name, repository] of Object.entries(repositories)) {
    wrapped[name] = Object.fromEntries(
      Object.entries(repository).map(([method, fn]) => [
        method,
        typeof fn === "function"
          ? (...args: unknown[]) =>
              (fn as (...a: unknown[]) => Promise<unknown>)(...args).catch((error: unknown) => {
                throw isUnreachable(error) ? new StoreUnavailableError(error) : error;
              })
          : fn,
      ]),
    );
  }
  return wrapped as unknown as Repositories;
}
