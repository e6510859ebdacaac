import { expect, test } from "bun:test";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { openDatabase } from "../../src/db/client.ts";
import { embeddedMigrations } from "../../src/db/migrate.ts";
import { repoRoot, tempDir } from "./helpers.ts";

interface SmokeOutput {
  tables: number;
  tableNames: string[];
  migrations: string[];
  journalMode: string;
  ping: boolean;
}

// drizzle's folder migrator can't run inside a `bun build --compile` binary; the embedded one must.
test("a compiled binary migrates a fresh database without drizzle/ on disk", () => {
  const { dir, cleanup } = tempDir("rankbridge-compile-");
  try {
    const binary = join(dir, "db-smoke");
    const build = Bun.spawnSync([process.execPath, "build", "--compile", join(repoRoot, "scripts", "db-smoke.ts"), "--outfile", binary], {
      cwd: repoRoot,
    });
    expect({ exitCode: build.exitCode, stderr: build.stderr.toString() }).toEqual({ exitCode: 0, stderr: "" });

    // What this source tree creates: the binary must create the same tables.
    const reference = openDatabase(join(dir, "reference.sqlite"));
    const expectedTables = (
      reference.sqlite
        .query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '__drizzle_migrations' ORDER BY name")
        .all() as { name: string }[]
    ).map((row) => row.name);
    reference.close();
    expect(expectedTables).toContain("sync_run_items");

    // Run from an empty directory, so nothing can be read relative to the repo.
    const workDir = join(dir, "run");
    const dbPath = join(workDir, "data", "smoke.sqlite");
    mkdirSync(workDir);
    for (const args of [[], [dbPath]]) {
      const run = Bun.spawnSync([binary, ...args], { cwd: workDir, env: { PATH: process.env.PATH ?? "" } });
      expect(run.stderr.toString()).toBe("");
      expect(run.exitCode).toBe(0);
      const out = JSON.parse(run.stdout.toString()) as SmokeOutput;
      expect(out.tableNames).toEqual(expectedTables);
      expect(out.tables).toBe(expectedTables.length);
      expect(out.migrations).toEqual(embeddedMigrations().map((m) => m.hash));
      expect(out.journalMode).toBe("wal");
      expect(out.ping).toBe(true);
    }

    // The binary's database is the same as one this source tree opens: nothing more to apply.
    const h = openDatabase(dbPath);
    expect(h.sqlite.query("SELECT count(*) AS n FROM __drizzle_migrations").get()).toEqual({ n: embeddedMigrations().length });
    h.close();
  } finally {
    cleanup();
  }
}, 60_000);
