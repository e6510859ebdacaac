import { LocalLeases } from "../../src/cluster/leases.ts";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { BackgroundHooks, BackgroundSyncResult, RunOutcome } from "../../src/sync/bulk-sync.ts";
import { emptyBreakdown } from "../../src/sync/run-report.ts";
import { AUTOMATIC_SYNC_STARTED, SyncScheduler, guildOnShards } from "../../src/sync/scheduler.ts";
import { shardForGuild } from "../emulators/discord/index.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { StoreUnavailableError } from "../../src/services/storage-errors.ts";
import { eventually } from "../support/eventually.ts";
import { memoryDb, tempDir } from "../db/helpers.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, disagreements, seedDatabase, type World } from "./support/world.ts";

describe("background sync against the emulators", () => {
  const TIME_SCALE = 0.05;
  let world: World;
  let bot: SyncBot;
  let cleanup: () => void;

  beforeAll(async () => {
    world = await createWorld({ groupSize: 600, guildSize: 300, linked: 200, mismatchedShare: 0, timeScale: TIME_SCALE, robloxWindowMs: 3_000 });
    const dir = tempDir("rankbridge-sync-scheduler-");
    cleanup = dir.cleanup;
    bot = await startSyncBot({
      ...endpointsOf(world),
      databasePath: join(dir.dir, "rankbridge.sqlite"),
      timeScale: TIME_SCALE,
      syncInterval: "2s",
    });
    await seedDatabase(bot.repositories, world);
    await bot.guildReady(world.guildId);
    await bot.scheduler.start();
  }, 60_000);

  afterAll(async () => {
    await bot?.close();
    await world?.close();
    cleanup?.();
  });

  const completions = () => bot.logs.filter((line) => line.msg.startsWith("Automatic sync complete:"));

  test("picks up a rank changed directly in Roblox within one interval", async () => {
    // The first run is due within the first tenth of the interval.
    const firstDeadline = Date.now() + 5_000;
    while (completions().length === 0 && Date.now() < firstDeadline) await Bun.sleep(20);
    expect(completions()[0]?.msg).toBe("Automatic sync complete: 0 updated, 200 in sync, 0 errors");

    const member = world.linked[7]!;
    const corporal = world.groupId * 1000 + 7;
    const sergeant = world.groupId * 1000 + 8;
    const newRole = member.robloxRoleId === sergeant ? corporal : sergeant;
    world.roblox.setMembership(world.groupId, member.robloxUserId, newRole);
    const changedAt = Date.now();
    const wanted = world.rankRoles.get(newRole)!;
    while (!world.discord.memberRoleIds(world.guildId, member.discordId)?.includes(wanted) && Date.now() - changedAt < 6_000) await Bun.sleep(20);
    const tookMs = Date.now() - changedAt;

    // One interval (2 s, +10% jitter) plus the run itself.
    expect(world.discord.memberRoleIds(world.guildId, member.discordId)).toContain(wanted);
    expect(tookMs).toBeLessThan(2_200 + 1_000);
    expect(disagreements(world)).toHaveLength(0);

    const deadline = Date.now() + 2_000;
    while (!completions().some((line) => line.msg.startsWith("Automatic sync complete: 1 updated")) && Date.now() < deadline) await Bun.sleep(20);
    const messages = bot.logs.map((line) => line.msg);
    const from = world.ladder.find((rank) => rank.robloxRoleId === member.robloxRoleId)!.name;
    const to = world.ladder.find((rank) => rank.robloxRoleId === newRole)!.name;
    expect(messages).toContain(AUTOMATIC_SYNC_STARTED);
    expect(messages).toContain(`${member.robloxUsername}: ${from} → ${to}`);
    expect(messages).toContain("Automatic sync complete: 1 updated, 199 in sync, 0 errors");
    const runs = await bot.repositories.syncRuns.listLatest(world.guildId, 10);
    expect(runs.every((run) => run.trigger === "background")).toBe(true);
    expect(bot.scheduler.nextRunFor(world.guildId)).toBeInstanceOf(Date);
  }, 30_000);
});

describe("scheduling rules", () => {
  const outcome = (guildId: string): RunOutcome => ({
    guildId,
    runId: 1,
    trigger: "background",
    resumed: false,
    dryRun: false,
    state: "done",
    total: 0,
    updated: 0,
    inSync: 0,
    errors: 0,
    skipped: 0,
    breakdown: emptyBreakdown(),
    robloxRequests: 0,
    discordRequests: 0,
    roleRequests: 0,
    durationMs: 0,
    error: null,
    updates: [],
    summary: "",
  });

  function fakeSync(runMs: number) {
    const calls: { guildId: string; at: number }[] = [];
    let running = 0;
    let maxRunning = 0;
    return {
      calls,
      get maxRunning() {
        return maxRunning;
      },
      async runBackground(guildId: string, hooks: BackgroundHooks = {}): Promise<BackgroundSyncResult> {
        calls.push({ guildId, at: Date.now() });
        running++;
        maxRunning = Math.max(maxRunning, running);
        hooks.onStart?.(1);
        await Bun.sleep(runMs);
        running--;
        return { kind: "ran", outcome: outcome(guildId) };
      },
    };
  }

  test("runs only guilds this process owns, one run per guild at a time, every interval with jitter", async () => {
    const { repos } = memoryDb();
    const sync = fakeSync(150);
    const scheduler = new SyncScheduler({
      bulkSync: sync,
      repositories: repos,
      defaultIntervalMs: 100,
      ownsGuild: (guildId) => guildId !== "900000000000000002",
      logger: createLogger({ level: "silent" }),
      random: () => 0.5,
    });
    await scheduler.addGuild("900000000000000001");
    await scheduler.addGuild("900000000000000002");
    await scheduler.start();
    await Bun.sleep(700);
    scheduler.stop();
    const guilds = new Set(sync.calls.map((call) => call.guildId));
    expect(guilds).toEqual(new Set(["900000000000000001"]));
    // A run longer than the interval is never overlapped by the next one.
    expect(sync.maxRunning).toBe(1);
    expect(sync.calls.length).toBeGreaterThanOrEqual(2);
  });

  test("a store that cannot be read (PostgreSQL restarting) delays a guild's schedule; it is tried again, not given up", async () => {
    const { repos } = memoryDb();
    let failures = 2;
    const guilds = {
      ...repos.guilds,
      get: (guildId: string) => (failures-- > 0 ? Promise.reject(new StoreUnavailableError(new Error("connect ECONNREFUSED"))) : repos.guilds.get(guildId)),
    };
    const sync = fakeSync(0);
    const scheduler = new SyncScheduler({
      bulkSync: sync,
      repositories: { ...repos, guilds },
      defaultIntervalMs: 100,
      ownsGuild: () => true,
      logger: createLogger({ level: "silent" }),
      random: () => 0.5,
      retryMs: 50,
    });
    await scheduler.addGuild("900000000000000005");
    await scheduler.start();
    expect(scheduler.nextRunFor("900000000000000005")).toBeUndefined();
    await eventually(() => sync.calls.length, (calls) => calls > 0, 3_000);
    scheduler.stop();
    expect(failures).toBeLessThan(0);
  });

  test("two schedulers that both think they hold a guild (a rolling restart): its lease lets one run at a time", async () => {
    const leases = new LocalLeases();
    const sync = fakeSync(150);
    const make = () =>
      new SyncScheduler({
        bulkSync: sync,
        repositories: memoryDb().repos,
        defaultIntervalMs: 100,
        ownsGuild: () => true,
        leases,
        logger: createLogger({ level: "silent" }),
        random: () => 0.5,
      });
    const [old, replacement] = [make(), make()];
    for (const scheduler of [old, replacement]) {
      await scheduler.addGuild("900000000000000004");
      await scheduler.start();
    }
    await Bun.sleep(700);
    old.stop();
    replacement.stop();
    expect(sync.calls.length).toBeGreaterThanOrEqual(2);
    expect(sync.maxRunning).toBe(1);
  });

  test("a guild's own interval overrides SYNC_INTERVAL", async () => {
    const { repos } = memoryDb();
    await repos.guilds.upsert("900000000000000003", { syncIntervalMs: 3_600_000 });
    const now = Date.now();
    const scheduler = new SyncScheduler({
      bulkSync: fakeSync(0),
      repositories: repos,
      defaultIntervalMs: 60_000,
      ownsGuild: () => true,
      logger: createLogger({ level: "silent" }),
      random: () => 0.999,
      now: () => now,
    });
    await scheduler.addGuild("900000000000000003");
    await scheduler.start();
    // Never ran: due within the first tenth of its own interval (6 min), not of the default (6 s).
    const due = scheduler.nextRunFor("900000000000000003")!.getTime() - now;
    scheduler.stop();
    expect(due).toBeGreaterThan(6_000);
    expect(due).toBeLessThanOrEqual(360_000);
  });

  test("guildOnShards keeps the guilds Discord routes to this process's shards", () => {
    const guildIds = ["319628961493681429", "1187654321098765401", "900000000000000001", "1300000000000000007"];
    const owns = guildOnShards([1, 3], 4);
    for (const guildId of guildIds) expect(owns(guildId)).toBe([1, 3].includes(shardForGuild(guildId, 4)));
    expect(guildOnShards(undefined, 4)("319628961493681429")).toBe(true);
  });
});
