import { afterAll, beforeAll, expect, test } from "bun:test";
import { Database } from "bun:sqlite";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";

/** `bun build --compile` embeds the migrations: the single binary starts, migrates and serves. */
let emulator: DiscordEmulator;
let buildDir: string;

beforeAll(async () => {
  emulator = await startDiscordEmulator({ heartbeatIntervalMs: 500 });
  emulator.createGuild({ name: "Compiled" });
  buildDir = mkdtempSync(join(tmpdir(), "rankbridge-binary-"));
});
afterAll(async () => {
  await emulator.close();
  rmSync(buildDir, { recursive: true, force: true });
});

test("a compiled binary starts against an empty database, migrates it and becomes ready", async () => {
  const binary = join(buildDir, "rankbridge");
  const build = Bun.spawnSync(["bun", "build", "--compile", "src/main.ts", "--outfile", binary], {
    cwd: join(import.meta.dir, "..", ".."),
    stderr: "pipe",
  });
  expect(build.exitCode).toBe(0);

  const bot = BotProcess.start({ DISCORD_TOKEN: emulator.token, DISCORD_API_URL: emulator.restBase }, { command: [binary] });
  try {
    const url = await bot.httpUrl();
    expect(await eventually(() => fetch(`${url}/readyz`).then((r) => r.status), (s) => s === 200)).toBe(200);
    expect(await bot.stop()).toBe(0);

    const database = new Database(join(bot.dataDir, "rankbridge.sqlite"), { readonly: true });
    const tables = database.query("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
    const applied = database.query("SELECT count(*) AS n FROM __drizzle_migrations").get() as { n: number };
    database.close();
    expect(tables.map((t) => t.name)).toEqual(expect.arrayContaining(["guild_settings", "ranks", "members", "audit_log", "sync_runs"]));
    expect(applied.n).toBeGreaterThan(0);
  } finally {
    bot.cleanup();
  }
}, 60_000);
