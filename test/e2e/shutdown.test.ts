/**
 * Acceptance: SIGTERM to the real process (`bun start`) while 20 /link-roblox commands wait on a
 * Roblox rate limit and a whole-server /sync is running. The process exits 0 within 10 s, every
 * waiting member is told to run the command again, and the sync finishes after the next start
 * with no member lost or redone.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { createRepositories, openDatabase } from "../../src/db/index.ts";
import { RESTARTING_MESSAGE } from "../../src/discord/interactions/router.ts";
import type { InjectedInteraction } from "../emulators/discord/index.ts";
import { tempDir } from "../db/helpers.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { createWorld, disagreements, seedDatabase, type World } from "../sync/support/world.ts";

let world: World;
let dir: { dir: string; cleanup: () => void };
const bots: BotProcess[] = [];

beforeAll(async () => {
  world = await createWorld({
    groupSize: 3_000,
    guildSize: 2_000,
    linked: 1_500,
    mismatchedShare: 0.4,
    timeScale: 0.1,
    robloxWindowMs: 1_000,
    // A slow membership limit keeps the run going long enough to be interrupted.
    robloxLimits: { "groups.memberships": 6 },
  });
  dir = tempDir("rankbridge-shutdown-");
  const database = openDatabase(join(dir.dir, "rankbridge.sqlite"));
  await seedDatabase(createRepositories(database.db), world);
  database.close();
}, 60_000);

afterAll(async () => {
  for (const bot of bots) bot.process.kill("SIGKILL");
  await world?.close();
  dir?.cleanup();
});

function startBot(dataDir = dir.dir): BotProcess {
  const bot = BotProcess.start(
    {
      DISCORD_TOKEN: world.discord.token,
      DISCORD_API_URL: world.discord.restBase,
      ROBLOX_API_URL: world.roblox.urlTemplate,
      ROBLOX_API_KEY: world.apiKey,
      LOG_LEVEL: "info",
    },
    { dataDir },
  );
  bots.push(bot);
  return bot;
}

async function ready(bot: BotProcess): Promise<void> {
  const url = await bot.httpUrl();
  await eventually(() => fetch(`${url}/readyz`).then((r) => r.status), (status) => status === 200, 20_000);
}

const memberPatches = () => world.discord.requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path));
const contentOf = (interaction: InjectedInteraction) => interaction.messages[0]?.content ?? "";

test("SIGTERM with 20 links queued on a rate limit and a bulk sync running: exit 0 within 10 s, everyone told, the sync finishes after the restart", async () => {
  const wrong = world.mismatched.size;
  const first = startBot();
  await ready(first);

  const sync = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, commandName: "sync" });
  await sync.waitForCallback(5_000);
  await eventually(() => memberPatches().length, (count) => count > 0, 20_000);

  // users.roblox.com's hidden limit: 429s without rate-limit headers, so the lookups wait.
  world.roblox.failures.inject({ pathIncludes: "/v1/usernames/users", status: 429, times: 1_000 });
  const links = Array.from({ length: 20 }, (_, index) => {
    const robloxUserId = 90_000_000 + index;
    world.roblox.addUser({ id: robloxUserId, name: `Recruit_${robloxUserId}` });
    const memberId = world.discord.addMember(world.guildId, {}).user!.id;
    return world.discord.injectInteraction({
      guildId: world.guildId,
      userId: memberId,
      commandName: "link-roblox",
      options: [{ name: "username", type: 3, value: `Recruit_${robloxUserId}` }] as never,
    });
  });
  // Each is acknowledged, then told it waits for Roblox: queued on the limit, not finished.
  for (const link of links) {
    await link.waitForMessage((message) => message.content.includes("Roblox is limiting lookups right now"), 10_000);
  }
  const patchedBeforeStop = memberPatches().length;
  expect(patchedBeforeStop).toBeLessThan(wrong);

  const signalled = performance.now();
  first.process.kill("SIGTERM");
  const exitCode = await first.exited;
  const stopMs = performance.now() - signalled;
  expect(exitCode).toBe(0);
  expect(stopMs).toBeLessThan(10_000);
  for (const link of links) expect(contentOf(link)).toBe(RESTARTING_MESSAGE);

  // The run was put back: still "running" in the database, to resume.
  const database = openDatabase(join(dir.dir, "rankbridge.sqlite"));
  const [interrupted] = await createRepositories(database.db).syncRuns.listLatest(world.guildId, 1);
  database.close();
  expect(interrupted).toMatchObject({ status: "running", trigger: "manual" });

  world.roblox.failures.clear();
  const second = startBot();
  await ready(second);
  await eventually(() => disagreements(world).length, (left) => left === 0, 60_000);
  expect(await second.stop("SIGTERM")).toBe(0);

  const after = openDatabase(join(dir.dir, "rankbridge.sqlite"));
  const run = await createRepositories(after.db).syncRuns.get(world.guildId, interrupted!.id);
  after.close();
  expect(run).toMatchObject({ status: "done", updated: wrong, errors: 0 });
  // Nobody edited twice, nobody left out.
  const perMember = new Map<string, number>();
  for (const request of memberPatches()) {
    const id = request.path.split("/").pop()!;
    perMember.set(id, (perMember.get(id) ?? 0) + 1);
  }
  expect([...perMember.values()].filter((count) => count > 1)).toEqual([]);
  expect(new Set(perMember.keys())).toEqual(world.mismatched);
}, 120_000);

test("SIGTERM during a Roblox outage (requests hang): exit 0 within 10 s, and the members waiting are told to run the command again", async () => {
  const outageDir = tempDir("rankbridge-shutdown-outage-");
  try {
    const database = openDatabase(join(outageDir.dir, "rankbridge.sqlite"));
    await seedDatabase(createRepositories(database.db), world);
    database.close();
    const bot = startBot(outageDir.dir);
    await ready(bot);

    // Roblox stops answering: every username lookup hangs past the client's timeout.
    world.roblox.failures.inject({ pathIncludes: "/v1/usernames/users", delayMs: 60_000, times: 1_000 });
    const links = Array.from({ length: 5 }, (_, index) =>
      world.discord.injectInteraction({
        guildId: world.guildId,
        userId: world.discord.addMember(world.guildId, {}).user!.id,
        commandName: "link-roblox",
        options: [{ name: "username", type: 3, value: `Outage_${index}` }] as never,
      }),
    );
    for (const link of links) await link.waitForCallback(5_000);

    const signalled = performance.now();
    bot.process.kill("SIGTERM");
    expect(await bot.exited).toBe(0);
    expect(performance.now() - signalled).toBeLessThan(10_000);
    for (const link of links) expect(contentOf(link)).toBe(RESTARTING_MESSAGE);
  } finally {
    world.roblox.failures.clear();
    outageDir.cleanup();
  }
}, 60_000);
