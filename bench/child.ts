/**
 * What the sync benchmarks share: a fresh seeded world with the bot's database beside it, the bot
 * run in a process of its own (test/sync/support/sync-child.ts, so its CPU time and memory are its
 * own), and the machine line of a report.
 */
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, platform } from "node:os";
import { join } from "node:path";
import { createRepositories, openDatabase } from "../src/db/index.ts";
import { openPostgres } from "../src/db/pg/client.ts";
import { createPgRepositories } from "../src/db/pg/repositories/index.ts";
import { tempDir } from "../test/db/helpers.ts";
import { scratchDatabase } from "../test/db/pg-helpers.ts";
import { PER_API_KEY_OWNER_PER_MINUTE, ROBLOX_API_CLASSES } from "../test/emulators/roblox/index.ts";
import type { ChildConfig, ChildMode, ChildResult } from "../test/sync/support/sync-child.ts";
import { createWorld, seedDatabase, type World, type WorldSpec } from "../test/sync/support/world.ts";

export const ROOT = join(import.meta.dir, "..");
const CHILD = join(ROOT, "test", "sync", "support", "sync-child.ts");

export async function runChild(world: World, databasePath: string, mode: ChildMode, timeScale: number, extra: Partial<ChildConfig> = {}): Promise<ChildResult> {
  const config: ChildConfig = {
    mode,
    guildId: world.guildId,
    groupId: world.groupId,
    discordApiUrl: world.discord.restBase,
    discordToken: world.discord.token,
    robloxUrlTemplate: world.roblox.urlTemplate,
    robloxApiKey: world.apiKey,
    databasePath,
    timeScale,
    logLevel: "warn",
    ...extra,
  };
  const child = Bun.spawn(["bun", CHILD], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SYNC_CHILD_CONFIG: JSON.stringify(config) },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "inherit",
  });
  const output = await new Response(child.stdout).text();
  await child.exited;
  const line = output.split("\n").find((l) => l.startsWith("RESULT "));
  if (!line) throw new Error(`the bot process printed no result:\n${output.slice(-4000)}`);
  return JSON.parse(line.slice("RESULT ".length)) as ChildResult;
}

/**
 * A seeded world and its database (a SQLite file; with `postgresServerUrl`, a new database on that
 * server, dropped at cleanup), with the emulators' counters zeroed after seeding.
 */
export async function freshWorld(
  spec: WorldSpec,
  postgresServerUrl?: string,
): Promise<{ world: World; databasePath: string; databaseUrl?: string; cleanup: () => Promise<void> }> {
  const world = await createWorld(spec);
  const dir = tempDir("rankbridge-bench-");
  const databasePath = join(dir.dir, "rankbridge.sqlite");
  const scratch = postgresServerUrl ? await scratchDatabase(postgresServerUrl) : undefined;
  if (scratch) {
    const handle = await openPostgres(scratch.url);
    await seedDatabase(createPgRepositories(handle.db), world);
    await handle.close();
  } else {
    const database = openDatabase(databasePath);
    await seedDatabase(createRepositories(database.db), world);
    database.close();
  }
  world.discord.resetCounters();
  world.roblox.requests.length = 0;
  world.roblox.resetCounts();
  return {
    world,
    databasePath,
    ...(scratch && { databaseUrl: scratch.url }),
    async cleanup() {
      await world.close();
      await scratch?.drop();
      dir.cleanup();
    },
  };
}

/** Requests per Roblox class ÷ that class's rate (per `windowMs`); the classes are limited independently. */
export function robloxFloorMs(world: World, windowMs: number): number {
  const counts = world.roblox.counts();
  let floor = 0;
  for (const api of ROBLOX_API_CLASSES) {
    const perSecond = PER_API_KEY_OWNER_PER_MINUTE[api] / (windowMs / 1000);
    floor = Math.max(floor, (counts.byClass[api] / perSecond) * 1000);
  }
  return floor;
}

export const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const n = (value: number) => value.toLocaleString("en-US");

export function machine(): string {
  const cores = cpus();
  return `Measured on a ${cores.length}-vCPU ${cores[0]?.model.trim() ?? "unknown CPU"} ${platform() === "linux" ? "Linux" : platform()} machine, Bun ${Bun.version}:`;
}

/** Replaces the `## {title}` section of docs/benchmarks.md (or appends it); other sections stay. */
export function writeDocsSection(title: string, text: string): void {
  const path = join(ROOT, "docs", "benchmarks.md");
  const current = existsSync(path) ? readFileSync(path, "utf8") : "# Benchmarks\n";
  const start = current.indexOf(`\n## ${title}\n`);
  let next: string;
  if (start === -1) {
    next = `${current.trimEnd()}\n\n${text}`;
  } else {
    const after = current.indexOf("\n## ", start + 1);
    next = `${current.slice(0, start + 1)}${text}${after === -1 ? "" : `\n${current.slice(after + 1)}`}`;
  }
  writeFileSync(path, next.endsWith("\n") ? next : `${next}\n`);
  process.stderr.write(`wrote ${path}\n`);
}
