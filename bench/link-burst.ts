/**
 * Onboarding-day benchmark (run on demand, not a test):
 *
 *   bun bench/link-burst.ts                  # 1,000 members link by profile phrase, 50 at a time, real time
 *   bun bench/link-burst.ts --scale 20       # every rate-limit window divided by 20 (as bench/bulk-sync.ts)
 *   bun bench/link-burst.ts --members 200    # a smaller sample
 *
 * The real bot (`bun start`, production configuration) runs in a child process against both
 * emulators at their documented limits: Open Cloud per key owner (users.get 1000 a minute,
 * memberships 300 a minute), the legacy hosts with a hidden limit (429s with no rate-limit
 * headers), Discord's member edits 10 a second per guild. Each simulated member runs
 * /link-roblox, waits for the phrase, puts it in their About, presses "I've added it" and waits
 * for "Linked".
 *
 * The floor of the issue: one profile read per confirm cannot be batched, so 1,000 reads at
 * users.get's rate. Discord's per-guild member-edit limit sets a floor of its own (one PATCH per
 * link); both are reported, with the wall time divided by each.
 */
import { join } from "node:path";
import { parseArgs } from "node:util";
import { createRepositories, openDatabase } from "../src/db/index.ts";
import { tempDir } from "../test/db/helpers.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../test/emulators/discord/index.ts";
import { defaultRoles, PER_API_KEY_OWNER_PER_MINUTE, startRobloxEmulator, type RobloxEmulator } from "../test/emulators/roblox/index.ts";
import { BotProcess, eventually } from "../test/support/bot-process.ts";

const { values: args } = parseArgs({
  options: {
    members: { type: "string", default: "1000" },
    concurrency: { type: "string", default: "50" },
    scale: { type: "string", default: "1" },
    /** The legacy hosts' hidden limit a minute (undocumented; unknown to the bot). */
    "legacy-limit": { type: "string", default: "300" },
  },
});

const MEMBERS = Number(args.members);
const CONCURRENCY = Number(args.concurrency);
const TIME_SCALE = 1 / Number(args.scale);
const WINDOW_MS = 60_000 * TIME_SCALE;
const GROUP_ID = 5_100_001;
const API_KEY = "link-burst-key";
const DISCORD_MEMBER_EDITS_PER_SECOND = 10 / TIME_SCALE;

interface World {
  discord: DiscordEmulator;
  roblox: RobloxEmulator;
  guildId: string;
  ownerId: string;
  players: { robloxUserId: number; name: string; discordId: string }[];
}

async function seed(databasePath: string): Promise<World> {
  const [discord, roblox] = await Promise.all([
    startDiscordEmulator({ timeScale: TIME_SCALE }),
    startRobloxEmulator({
      rateLimits: { windowMs: WINDOW_MS },
      legacyRateLimit: { limit: Number(args["legacy-limit"]), windowMs: WINDOW_MS },
    }),
  ]);
  roblox.addUser({ id: 1, name: "GroupOwner" });
  roblox.addUser({ id: 2, name: "RankBridgeBot" });
  const roles = defaultRoles(GROUP_ID);
  roblox.createGroup({ id: GROUP_ID, name: "Onboarding Army", ownerId: 1, roles });
  roblox.setMembership(GROUP_ID, 2, GROUP_ID * 1000 + 2);
  roblox.addApiKey(API_KEY, { ownerUserId: 2, scopes: ["group:read", "group:write"] });
  const robloxIds = roblox.bulkSeed(GROUP_ID, MEMBERS, { namePrefix: "Recruit" });

  const guild = discord.createGuild({ name: "Onboarding Army" });
  const ladder = roles
    .filter((role) => role.rank > 0 && role.rank < 254)
    .map((role) => ({ name: role.name, robloxRoleId: role.id, robloxRank: role.rank, discordRoleId: discord.createRole(guild.id, { name: role.name }).id }));
  const discordIds = discord.addMembers(guild.id, MEMBERS, { usernamePrefix: "recruit" });

  const database = openDatabase(databasePath);
  const repositories = createRepositories(database.db);
  await repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP_ID });
  await repositories.ranks.replace(guild.id, ladder);
  database.close();

  const players = robloxIds.map((robloxUserId, index) => ({ robloxUserId, name: `Recruit${robloxUserId}`, discordId: discordIds[index]! }));
  return { discord, roblox, guildId: guild.id, ownerId: guild.ownerId, players };
}

const PHRASE = /`(rankbridge: [^`]+)`/;

/** One member's whole link; returns the time to the phrase reply, in ms. */
async function link(world: World, player: World["players"][number]): Promise<number> {
  const started = performance.now();
  const command = world.discord.injectInteraction({
    guildId: world.guildId,
    userId: player.discordId,
    commandName: "link-roblox",
    options: [{ name: "username", type: 3, value: player.name }] as never,
  });
  const reply = await command.waitForMessage((message) => PHRASE.test(message.embeds[0]?.description ?? ""), 120_000);
  const firstReplyMs = performance.now() - started;
  world.roblox.setUserDescription(player.robloxUserId, `Hi!\n${PHRASE.exec(reply.embeds[0]!.description!)![1]}`);
  const confirm = world.discord.injectInteraction({
    guildId: world.guildId,
    userId: player.discordId,
    type: 3,
    customId: "link-roblox:confirm",
    componentType: 2,
    message: reply.id,
  });
  const done = await confirm.waitForMessage((message) => message.embeds[0]?.title !== undefined && message.embeds[0].title !== "Link your Roblox account", 300_000);
  if (done.embeds[0]!.title !== "Linked") throw new Error(`member ${player.name} was not linked: ${JSON.stringify(done.embeds[0])}`);
  return firstReplyMs;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** "POST /v1/usernames/users" with ids replaced, for counting requests by endpoint. */
function endpointOf(method: string, path: string): string {
  return `${method} ${path.replace(/\/\d+(?=\/|$|:)/g, "/{id}")}`;
}

async function main(): Promise<void> {
  const dir = tempDir("rankbridge-link-burst-");
  const world = await seed(join(dir.dir, "rankbridge.sqlite"));
  const bot = BotProcess.start(
    {
      DISCORD_TOKEN: world.discord.token,
      DISCORD_API_URL: world.discord.restBase,
      ROBLOX_API_URL: world.roblox.urlTemplate,
      ROBLOX_API_KEY: API_KEY,
      ROBLOX_GROUP_ID: String(GROUP_ID),
      LOG_LEVEL: "info",
    },
    { dataDir: dir.dir },
  );
  try {
    const url = await bot.waitForLog("health and metrics listening", 30_000).then((line) => String(line.url));
    await eventually(() => fetch(`${url}/readyz`).then((r) => r.status), (status) => status === 200, 30_000);
    world.discord.resetCounters();
    world.roblox.requests.length = 0;
    world.roblox.resetCounts();
    world.roblox.resetRateLimits();

    const started = performance.now();
    const firstReplies: number[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < world.players.length) firstReplies.push(await link(world, world.players[next++]!));
      }),
    );
    const wallMs = performance.now() - started;

    const robloxByEndpoint = new Map<string, number>();
    for (const request of world.roblox.requests) {
      const key = `${request.service} ${endpointOf(request.method, request.path)}`;
      robloxByEndpoint.set(key, (robloxByEndpoint.get(key) ?? 0) + 1);
    }
    const discordByEndpoint = new Map<string, number>();
    for (const request of world.discord.requests.filter((r) => !r.path.includes("/interactions/") && !r.path.includes("/webhooks/"))) {
      const key = endpointOf(request.method, request.path);
      discordByEndpoint.set(key, (discordByEndpoint.get(key) ?? 0) + 1);
    }
    const usersGetPerWindow = PER_API_KEY_OWNER_PER_MINUTE["users.get"];
    const profileFloorMs = (MEMBERS / usersGetPerWindow) * WINDOW_MS;
    const discordFloorMs = (MEMBERS / DISCORD_MEMBER_EDITS_PER_SECOND) * 1000;
    const sorted = [...firstReplies].sort((a, b) => a - b);
    const usernameRequests = robloxByEndpoint.get("users POST /v1/usernames/users") ?? 0;
    const counts = world.roblox.counts();

    const lines = [
      `link burst: ${MEMBERS} members, ${CONCURRENCY} at a time, windows ÷ ${Number(args.scale)}`,
      `wall ${(wallMs / 1000).toFixed(2)} s; floor (profile reads) ${(profileFloorMs / 1000).toFixed(2)} s → ratio ${(wallMs / profileFloorMs).toFixed(3)}`,
      `Discord member-edit floor ${(discordFloorMs / 1000).toFixed(2)} s → ratio ${(wallMs / discordFloorMs).toFixed(3)}`,
      `first reply p50 ${(percentile(sorted, 50) / 1000).toFixed(3)} s, p99 ${(percentile(sorted, 99) / 1000).toFixed(3)} s, max ${(sorted.at(-1)! / 1000).toFixed(3)} s`,
      `username requests per link ${(usernameRequests / MEMBERS).toFixed(3)}; Roblox 429s ${counts.rateLimited} (Open Cloud) / ${counts.legacyRateLimited} (legacy)`,
      "Roblox requests per link by endpoint:",
      ...[...robloxByEndpoint].sort().map(([endpoint, count]) => `  ${endpoint}: ${(count / MEMBERS).toFixed(3)} (${count})`),
      "Discord REST requests per link by endpoint (interaction callbacks and webhooks left out):",
      ...[...discordByEndpoint].sort().map(([endpoint, count]) => `  ${endpoint}: ${(count / MEMBERS).toFixed(3)} (${count})`),
    ];
    process.stdout.write(`${lines.join("\n")}\n`);
  } finally {
    await bot.stop("SIGTERM");
    bot.cleanup();
    await Promise.allSettled([world.discord.close(), world.roblox.close()]);
    dir.cleanup();
  }
}

await main();
