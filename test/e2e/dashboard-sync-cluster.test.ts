/**
 * "Sync now" in a cluster (design §8, §9): two real bot processes, SHARD_IDS 0 and 1 of SHARD_COUNT 2,
 * sharing a PostgreSQL database of this test's own and Redis (a key prefix of its own). The dashboard
 * of the process that does not run the guild's shard is pressed twice at once; the process that runs
 * it claims the queued request and runs the sync exactly once: one sync_runs row, one member edit per
 * member out of agreement at the emulator, its run ended in that process's log and not in the other's,
 * progress shown by the pressing process's page from the shared row, the audit entry naming the web user.
 * Skipped without TEST_DATABASE_URL or Redis.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { openPostgres, type PostgresHandle } from "../../src/db/pg/client.ts";
import { createPgRepositories } from "../../src/db/pg/repositories/index.ts";
import type { Repositories } from "../../src/db/index.ts";
import { describeWithPostgres, scratchDatabase, type ScratchDatabase } from "../db/pg-helpers.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { Browser } from "../support/browser.ts";
import { signIn, startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { REDIS_TEST_URL, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";
import { createWorld, disagreements, seedDatabase, type World } from "../sync/support/world.ts";

const shardOf = (guildId: string) => Number((BigInt(guildId) >> 22n) % 2n);

describeWithPostgres("Sync now from another process's dashboard", () => {
  let world: World;
  let scratch: ScratchDatabase;
  let handle: PostgresHandle;
  let repositories: Repositories;
  let web: DashboardBot | undefined;
  let runner: BotProcess | undefined;

  beforeAll(async () => {
    if (skipWithoutRedis) return;
    world = await createWorld({ groupSize: 60, guildSize: 40, linked: 24, mismatchedShare: 0.5, timeScale: 0.1, robloxWindowMs: 1_000 });
    scratch = await scratchDatabase();
    handle = await openPostgres(scratch.url, { maxConnections: 2 });
    repositories = createPgRepositories(handle.db);
    await seedDatabase(repositories, world);
  }, 60_000);
  afterAll(async () => {
    web?.bot.cleanup();
    runner?.cleanup();
    await handle?.close();
    await scratch?.drop();
    await world?.close();
  });

  test.skipIf(skipWithoutRedis)(
    "the process of the guild's shard runs it exactly once; the pressing process shows its progress to done",
    async () => {
      const shared = {
        ROBLOX_API_URL: world.roblox.urlTemplate,
        ROBLOX_API_KEY: world.apiKey,
        SHARD_COUNT: "2",
        DATABASE_URL: scratch.url,
        REDIS_URL: REDIS_TEST_URL,
        REDIS_PREFIX: uniquePrefix("dashboard-sync-cluster"),
        LOG_LEVEL: "info",
      };
      const ownerShard = shardOf(world.guildId);
      // The dashboard is served by the process that does NOT run the guild's shard.
      web = await startDashboardBot(world.discord, world.roblox, { ...shared, SHARD_IDS: String(1 - ownerShard) });
      runner = BotProcess.start({ ...shared, DISCORD_TOKEN: world.discord.token, DISCORD_API_URL: world.discord.restBase, SHARD_IDS: String(ownerShard) }, { command: ["bun", "src/main.ts"] });
      const runnerUrl = await runner.httpUrl();
      await eventually(() => fetch(`${runnerUrl}/readyz`).then((r) => r.status), (status) => status === 200, 40_000);

      const browser = new Browser();
      await signIn(browser, web.publicUrl, world.ownerId);
      const syncUrl = `${web.publicUrl}/dashboard/guilds/${world.guildId}/sync`;
      const csrf = /name="csrf" value="([^"]+)"/.exec(await (await browser.get(syncUrl)).text())?.[1] ?? "";
      const edits = world.discord.requests.filter((request) => request.route === "PATCH /guilds/:guild_id/members/:user_id").length;

      const presses = await Promise.all(
        [0, 1].map(() => browser.post(`${syncUrl}/run`, { csrf, "dry-run": "false" }, { origin: web!.publicUrl })),
      );
      const notices = presses.map((response) => new URL(response.headers.get("location") ?? "", web!.publicUrl).searchParams.get("notice"));
      // The first press is queued for the other process; the second joins it (or, if that process was quick, the run it started).
      expect(notices).toContain("queued");
      expect(notices.every((notice) => notice === "queued" || notice === "joined" || notice === "attached")).toBe(true);

      const done = await eventually(
        async () => (await browser.get(syncUrl)).text(),
        (html) => html.includes('data-state="done"'),
        40_000,
      );
      expect(done).toContain(`${world.linked.length} of ${world.linked.length} members checked`);
      expect(disagreements(world)).toEqual([]);
      const edited = world.discord.requests.filter((request) => request.route === "PATCH /guilds/:guild_id/members/:user_id").slice(edits);
      expect(edited.length).toBe(world.mismatched.size);

      const runs = await repositories.syncRuns.listLatest(world.guildId, 10);
      expect(runs.map((run) => ({ status: run.status, trigger: run.trigger, dryRun: run.dryRun, updated: run.updated }))).toEqual([
        { status: "done", trigger: "manual", dryRun: false, updated: world.mismatched.size },
      ]);
      const endedHere = (line: { msg?: unknown; guildId?: unknown }) => line.msg === "sync run ended" && line.guildId === world.guildId;
      // The row is finished before the run's last log line: wait for it, then count.
      await runner.waitForLog(endedHere, 10_000);
      expect({ runner: runner.logs.filter(endedHere).length, web: web.bot.logs.filter(endedHere).length }).toEqual({ runner: 1, web: 0 });
      expect(runner.logs.filter((line) => line.msg === "queued sync request acted on").length).toBeGreaterThanOrEqual(1);
      const [audit] = await repositories.audit.listLatest(world.guildId, { limit: 5, action: "sync.run" });
      expect(audit).toMatchObject({ actorId: world.ownerId, after: { runId: runs[0]!.id, dryRun: false } });

      expect(await runner.stop("SIGTERM")).toBe(0);
      expect(await web.bot.stop("SIGTERM")).toBe(0);
    },
    120_000,
  );
});
