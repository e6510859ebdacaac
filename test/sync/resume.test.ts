/**
 * Acceptance: a sync process killed with SIGKILL in the middle of a run, and a new process on the
 * same database file, finish the run between them with no member lost and none redone: the
 * Discord emulator's request log shows every wrong member edited exactly once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { createRepositories, openDatabase } from "../../src/db/index.ts";
import { tempDir } from "../db/helpers.ts";
import type { ChildConfig, ChildMode, ChildResult } from "./support/sync-child.ts";
import { createWorld, disagreements, seedDatabase, type World } from "./support/world.ts";

const TIME_SCALE = 0.1;
const CHILD = join(import.meta.dir, "support", "sync-child.ts");
let world: World;
let dir: { dir: string; cleanup: () => void };
let databasePath: string;

beforeAll(async () => {
  world = await createWorld({
    groupSize: 3_000,
    guildSize: 2_000,
    linked: 1_500,
    mismatchedShare: 0.4,
    timeScale: TIME_SCALE,
    robloxWindowMs: 1_000,
    robloxLimits: { "groups.memberships": 8 },
  });
  dir = tempDir("rankbridge-sync-resume-");
  databasePath = join(dir.dir, "rankbridge.sqlite");
  const database = openDatabase(databasePath);
  await seedDatabase(createRepositories(database.db), world);
  database.close();
}, 60_000);

afterAll(async () => {
  await world?.close();
  dir?.cleanup();
});

function spawnChild(mode: ChildMode): { child: Subprocess<"ignore", "pipe", "pipe">; result: Promise<ChildResult | undefined>; output: () => string } {
  const config: ChildConfig = {
    mode,
    guildId: world.guildId,
    groupId: world.groupId,
    discordApiUrl: world.discord.restBase,
    discordToken: world.discord.token,
    robloxUrlTemplate: world.roblox.urlTemplate,
    robloxApiKey: world.apiKey,
    databasePath,
    timeScale: TIME_SCALE,
    // Small slices and a slow Roblox limit keep the planner busy while changes are applied, so
    // the kill lands with part of the plan stored and part not planned yet.
    sliceSize: 100,
    robloxPerMinute: { "groups.memberships": 8 },
  };
  const child = Bun.spawn(["bun", CHILD], {
    env: { PATH: process.env.PATH, HOME: process.env.HOME, SYNC_CHILD_CONFIG: JSON.stringify(config) },
    stdin: "ignore",
    stdout: "pipe",
    stderr: "pipe",
  });
  let text = "";
  const result = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stdout) text += decoder.decode(chunk, { stream: true });
    const line = text.split("\n").find((l) => l.startsWith("RESULT "));
    return line ? (JSON.parse(line.slice("RESULT ".length)) as ChildResult) : undefined;
  })();
  let errors = "";
  void (async () => {
    for await (const chunk of child.stderr) errors += new TextDecoder().decode(chunk);
  })();
  return { child, result, output: () => `${text}\n${errors}` };
}

const memberPatches = () => world.discord.requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path));

test("a run killed with SIGKILL finishes after a restart, with no member lost and none redone", async () => {
  world.roblox.resetRateLimits();
  world.roblox.failures.clear();
  const wrong = world.mismatched.size;
  expect(disagreements(world)).toHaveLength(wrong);

  const first = spawnChild("bulk");
  const deadline = Date.now() + 30_000;
  while (memberPatches().length < wrong / 4 && Date.now() < deadline) await Bun.sleep(5);
  first.child.kill("SIGKILL");
  await first.child.exited;
  const patchedBeforeKill = memberPatches().length;
  expect(patchedBeforeKill).toBeGreaterThan(0);
  expect(patchedBeforeKill).toBeLessThan(wrong);

  // The killed process left its run "running", part of the plan stored, part still to plan.
  const database = openDatabase(databasePath);
  const repositories = createRepositories(database.db);
  const [interrupted] = await repositories.syncRuns.listLatest(world.guildId, 1);
  expect(interrupted).toMatchObject({ status: "running", trigger: "background" });
  const planned = (interrupted!.progress as { planned: number }).planned;
  expect(planned).toBeGreaterThan(0);
  expect(planned).toBeLessThan(world.linked.length);
  database.close();

  const second = spawnChild("resume");
  const result = await second.result;
  await second.child.exited;
  if (!result) throw new Error(`the resumed process printed no result:\n${second.output().slice(-3000)}`);
  expect(result.outcomes).toHaveLength(1);
  const outcome = result.outcomes![0]!;
  expect(outcome).toMatchObject({ runId: interrupted!.id, resumed: true, state: "done", errors: 0, updated: wrong, total: world.linked.length });

  // Nobody was edited twice, nobody was left out, and nothing was refused.
  const perMember = new Map<string, number>();
  for (const request of memberPatches()) {
    const id = request.path.split("/").pop()!;
    perMember.set(id, (perMember.get(id) ?? 0) + 1);
  }
  expect([...perMember.values()].filter((n) => n > 1)).toEqual([]);
  expect(new Set(perMember.keys())).toEqual(world.mismatched);
  expect(memberPatches().every((r) => r.status === 200)).toBe(true);
  expect(disagreements(world)).toHaveLength(0);

  const after = openDatabase(databasePath);
  const repos = createRepositories(after.db);
  const run = (await repos.syncRuns.get(world.guildId, interrupted!.id))!;
  expect(run).toMatchObject({ status: "done", updated: wrong, inSync: world.linked.length - wrong, errors: 0 });
  expect(await repos.syncRuns.countItems(world.guildId, run.id)).toMatchObject({ pending: 0, done: wrong });
  after.close();
}, 90_000);
