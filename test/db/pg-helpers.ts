import { describe } from "bun:test";
import postgres from "postgres";

/**
 * PostgreSQL tests run against a real server when TEST_DATABASE_URL names a database the tests may
 * connect to as a user allowed to CREATE DATABASE (.ci/run sets it to the machine's server). Each
 * test gets a database of its own, created and dropped here, so tests share nothing and run in any
 * order. Without the variable they are skipped: `bun test` still needs nothing but Bun. In CI
 * (CI=true) they must run: a missing variable fails every file that needs it, rather than skipping.
 */
export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL?.trim() || undefined;
if (!TEST_DATABASE_URL && process.env.CI === "true") {
  throw new Error("TEST_DATABASE_URL is required in CI (CI=true): .ci/run sets it to the machine's PostgreSQL; the PostgreSQL and cluster tests would be skipped");
}

export const describeWithPostgres = TEST_DATABASE_URL ? describe : describe.skip;

export interface ScratchDatabase {
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** A new, empty database on the test server; `drop` ends its connections and removes it. */
export async function scratchDatabase(serverUrl = TEST_DATABASE_URL): Promise<ScratchDatabase> {
  if (!serverUrl) throw new Error("TEST_DATABASE_URL is not set");
  const name = `rankbridge_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const admin = postgres(serverUrl, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    async drop() {
      const dropper = postgres(serverUrl, { max: 1, onnotice: () => {} });
      try {
        await dropper.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await dropper.end();
      }
    },
  };
}
