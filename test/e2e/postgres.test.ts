/**
 * The real process (`bun src/main.ts`) with DATABASE_URL (design §8) against the emulators and the
 * test PostgreSQL server, each test on a database of its own:
 * - a whole-server /sync puts every member right and its rows are in PostgreSQL;
 * - two processes started at once on one fresh database both come up (migrations under the lock,
 *   applied once);
 * - PostgreSQL gone mid-run (a TCP forwarder cut): /readyz 503 naming the database, a command is
 *   answered "temporarily unavailable", the process stays up; back: ready again by itself.
 * Skipped without TEST_DATABASE_URL.
 */
import { afterAll, afterEach, beforeAll, expect, test } from "bun:test";
import { openPostgres, type PostgresHandle } from "../../src/db/pg/client.ts";
import { createPgRepositories } from "../../src/db/pg/repositories/index.ts";
import { journal } from "../../src/db/pg/migrations.gen.ts";
import { describeWithPostgres, scratchDatabase, type ScratchDatabase } from "../db/pg-helpers.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { TcpProxy } from "../support/tcp-proxy.ts";
import { createWorld, disagreements, seedDatabase, type World } from "../sync/support/world.ts";

interface Readyz {
  ready: boolean;
  database: { ok: boolean };
}

describeWithPostgres("the bot on PostgreSQL (DATABASE_URL)", () => {
  let world: World;
  const cleanups: (() => unknown)[] = [];
  const bots: BotProcess[] = [];

  beforeAll(async () => {
    world = await createWorld({ groupSize: 300, guildSize: 200, linked: 150, mismatchedShare: 0.4, timeScale: 0.1, robloxWindowMs: 1_000 });
  }, 60_000);
  afterEach(async () => {
    for (const bot of bots.splice(0)) bot.cleanup();
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  afterAll(() => world?.close());

  async function database(): Promise<{ scratch: ScratchDatabase; handle: PostgresHandle }> {
    const scratch = await scratchDatabase();
    const handle = await openPostgres(scratch.url, { maxConnections: 2 });
    cleanups.push(() => scratch.drop(), () => handle.close());
    return { scratch, handle };
  }

  function start(env: Record<string, string>): BotProcess {
    const bot = BotProcess.start(
      { DISCORD_TOKEN: world.discord.token, DISCORD_API_URL: world.discord.restBase, ROBLOX_API_URL: world.roblox.urlTemplate, ROBLOX_API_KEY: world.apiKey, LOG_LEVEL: "info", ...env },
      { command: ["bun", "src/main.ts"] },
    );
    bots.push(bot);
    return bot;
  }

  async function readyz(bot: BotProcess): Promise<{ status: number; body: Readyz }> {
    const response = await fetch(`${await bot.httpUrl()}/readyz`);
    return { status: response.status, body: (await response.json()) as Readyz };
  }

  test("a whole-server /sync puts every member right, and the run, its items and its audit rows are in PostgreSQL", async () => {
    const { scratch, handle } = await database();
    const repositories = createPgRepositories(handle.db);
    await seedDatabase(repositories, world);
    const bot = start({ DATABASE_URL: scratch.url });
    await eventually(() => readyz(bot), (r) => r.status === 200, 30_000);

    const sync = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, commandName: "sync" });
    await sync.waitForCallback(5_000);
    await eventually(() => disagreements(world).length, (left) => left === 0, 60_000);
    const [run] = await eventually(() => repositories.syncRuns.listLatest(world.guildId, 1), ([latest]) => latest?.status === "done", 20_000);
    expect(run).toMatchObject({ status: "done", trigger: "manual", updated: world.mismatched.size, errors: 0 });
    const counts = await repositories.syncRuns.countItems(world.guildId, run!.id);
    expect(counts.done).toBe(world.mismatched.size);
    expect((await repositories.audit.listLatest(world.guildId, { action: "sync.member", limit: 1000 })).length).toBe(world.mismatched.size);
    // Stored ranks followed Roblox: every linked member's rank is the one their Roblox role maps to.
    const ladder = new Map((await repositories.ranks.list(world.guildId)).map((rank) => [rank.robloxRoleId, rank.id]));
    const stored = new Map((await repositories.members.listLinkedAccounts(world.guildId)).map((row) => [row.discordId, row.rankId]));
    expect(world.linked.filter((member) => stored.get(member.discordId) !== (ladder.get(member.robloxRoleId) ?? null))).toEqual([]);
    expect(await bot.stop("SIGTERM")).toBe(0);
  }, 120_000);

  test("two processes started at once on one fresh database both come up; each migration is applied once", async () => {
    const discord: DiscordEmulator = await startDiscordEmulator({ recommendedShards: 2, maxConcurrency: 16, heartbeatIntervalMs: 1_000 });
    cleanups.push(() => discord.close());
    discord.createGuild({ name: "Any" });
    const scratch = await scratchDatabase();
    cleanups.push(() => scratch.drop());
    const both = ["0", "1"].map((shard) => start({ DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.restBase, SHARD_COUNT: "2", SHARD_IDS: shard, DATABASE_URL: scratch.url }));
    for (const bot of both) await eventually(() => readyz(bot), (r) => r.status === 200 && r.body.database.ok, 30_000);

    const handle = await openPostgres(scratch.url, { maxConnections: 2 });
    cleanups.push(() => handle.close());
    const applied = await handle.sql`SELECT hash FROM drizzle.__drizzle_migrations`;
    expect(applied.length).toBe(journal.entries.length);
    expect(new Set(applied.map((row) => row.hash)).size).toBe(journal.entries.length);
  }, 60_000);

  test("PostgreSQL gone mid-run: /readyz 503 naming the database, commands told it is temporarily unavailable, the process stays up and recovers by itself", async () => {
    const { scratch } = await database();
    const target = new URL(scratch.url);
    const proxy = TcpProxy.start(target.hostname, Number(target.port || 5432));
    cleanups.push(() => proxy.stop());
    const viaProxy = new URL(scratch.url);
    viaProxy.hostname = "127.0.0.1";
    viaProxy.port = String(proxy.port);
    const bot = start({ DATABASE_URL: viaProxy.toString() });
    await eventually(() => readyz(bot), (r) => r.status === 200, 30_000);

    proxy.cut();
    const down = await eventually(() => readyz(bot), (r) => r.status === 503, 10_000);
    expect(down.body.database.ok).toBe(false);
    const asked = performance.now();
    const status = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, commandName: "sync-status" });
    await status.waitForCallback(3_000);
    const answer = await status.waitForMessage((message) => message.content.length > 0, 10_000);
    expect(answer.content).toContain("temporarily unavailable");
    expect(performance.now() - asked).toBeLessThan(10_000);
    expect(bot.process.exitCode).toBeNull();

    proxy.restore();
    await eventually(() => readyz(bot), (r) => r.status === 200 && r.body.database.ok, 20_000);
    const again = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, commandName: "sync-status" });
    const reply = await again.waitForMessage((message) => message.content.length > 0 || (message.embeds?.length ?? 0) > 0, 10_000);
    expect(reply.content).not.toContain("temporarily unavailable");
  }, 90_000);
});
