/**
 * The one database capability the sync needs beyond its repositories: several writes that land
 * together or not at all. Declared here; the Drizzle database (src/db) satisfies it as it is.
 */
export interface Transactions {
  transaction<T>(work: () => T, config: { behavior: "immediate" }): T;
}

/** Runs `work` in one immediate transaction, so a crash leaves all of it or none. */
export function atomically<T>(database: Transactions, work: () => T): T {
  return database.transaction(() => work(), { behavior: "immediate" });
}
