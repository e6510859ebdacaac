import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase, type DatabaseHandle } from "../../src/db/client.ts";
import { createRepositories } from "../../src/db/index.ts";

export const repoRoot = join(import.meta.dir, "..", "..");

/** A fresh temp directory, removed by the returned cleanup. */
export function tempDir(prefix = "rankbridge-db-"): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** An in-memory database with repositories on a controllable clock. */
export function memoryDb(start = 1_800_000_000_000) {
  const clock = { now: start };
  const handle: DatabaseHandle = openDatabase(":memory:");
  const repos = createRepositories(handle.db, { now: () => clock.now });
  return { handle, repos, clock };
}
