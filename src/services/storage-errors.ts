/**
 * The store could not be reached (PostgreSQL down or restarting, the network between): the work
 * was not done and may be retried. The store adapter (src/db) throws it; the adapters that answer
 * people word it ("temporarily unavailable") instead of reporting a failure.
 */
export class StoreUnavailableError extends Error {
  override readonly name = "StoreUnavailableError";
  constructor(cause: unknown) {
    super(`the database is unreachable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}
