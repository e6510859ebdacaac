/**
 * `bun run sandbox`: the real bot (`bun src/main.ts`, a child process) against the local Discord and
 * Roblox emulators, with a seeded server and group. It prints where health and metrics are, runs a
 * short tour of the commands as a member and an admin would, prints each reply, and keeps running
 * until Ctrl-C. `SANDBOX_EXIT_AFTER_TOUR=1` stops after the tour (used by the tests).
 */
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { ApplicationCommandOptionType, type APIApplicationCommandInteractionDataOption } from "discord-api-types/v10";
import { startDiscordEmulator } from "../test/emulators/discord/index.ts";
import { defaultRoles, startRobloxEmulator } from "../test/emulators/roblox/index.ts";
import { seedCommunity } from "../test/support/community.ts";
import { Browser } from "../test/support/browser.ts";
import { freePort, signIn } from "../test/support/dashboard.ts";
import { linkByPhrase, runCommand } from "../test/support/discord-user.ts";

const root = join(import.meta.dir, "..");
const dataDir = join(root, "data", "sandbox");
rmSync(dataDir, { recursive: true, force: true });
mkdirSync(dataDir, { recursive: true });

const say = (line: string) => process.stdout.write(`${line}\n`);
const discord = await startDiscordEmulator({ recommendedShards: 2, maxConcurrency: 2, heartbeatIntervalMs: 5_000 });
const roblox = await startRobloxEmulator();
// The key may read the group's audit log, so rank changes made on the emulated website reach Discord through the change feed.
const community = seedCommunity(discord, roblox, { apiKeyScopes: ["group:read", "group:write", "legacy-group:manage"] });
say(`Discord emulator   ${discord.restBase}  (gateway ${discord.gatewayUrl})`);
say(`Roblox emulator    ${roblox.urlTemplate}`);
say(`Seeded server "${community.groupName}" (${community.guildId}) and Roblox group ${community.groupId} with ${community.players.length} players`);

// The dashboard's redirect URI must be known before the bot starts, so "any free port" is chosen here.
const httpPort = process.env.HTTP_PORT === "0" ? String(freePort()) : (process.env.HTTP_PORT ?? "8080");
const publicUrl = `http://127.0.0.1:${httpPort}`;
// As an operator registers it in the developer portal (docs/dashboard.md).
discord.oauth.addRedirectUri(`${publicUrl}/auth/discord/callback`);
const bot = Bun.spawn(["bun", "src/main.ts"], {
  cwd: root,
  env: {
    ...process.env,
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.restBase,
    ROBLOX_API_URL: roblox.urlTemplate,
    ROBLOX_API_KEY: community.apiKey,
    ROBLOX_GROUP_ID: String(community.groupId),
    // The seeded server is the operator's own: ROBLOX_GROUP_ID and the key act for it (design §10).
    HOME_GUILD_IDS: community.guildId,
    ENCRYPTION_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex"),
    DATABASE_PATH: join(dataDir, "rankbridge.sqlite"),
    HTTP_HOST: "127.0.0.1",
    HTTP_PORT: httpPort,
    // The web dashboard (design §9), signing in through the emulator's consent page.
    PUBLIC_URL: publicUrl,
    DISCORD_WEB_URL: discord.webUrl,
    DISCORD_CLIENT_SECRET: discord.oauth.clientSecret,
    LOG_LEVEL: process.env.LOG_LEVEL ?? "info",
  },
  stdout: "pipe",
  stderr: "inherit",
});

// The bot logs JSON; the sandbox shows each line as "level message" and keeps the URL it announces.
let healthUrl: string | undefined;
const logLevels: Record<number, string> = { 20: "debug", 30: "info", 40: "warn", 50: "error", 60: "fatal" };
void (async () => {
  let buffered = "";
  for await (const chunk of bot.stdout) {
    buffered += new TextDecoder().decode(chunk);
    for (let newline = buffered.indexOf("\n"); newline >= 0; newline = buffered.indexOf("\n")) {
      const line = buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
      try {
        const entry = JSON.parse(line) as { level: number; msg: string; url?: string };
        if (entry.msg === "health and metrics listening") healthUrl = entry.url;
        say(`  bot ${(logLevels[entry.level] ?? "log").padEnd(5)} ${entry.msg}`);
      } catch {
        say(`  bot ${line}`);
      }
    }
  }
})();

let stopping = false;
async function stop(exitCode: number) {
  if (stopping) return;
  stopping = true;
  say("Stopping the bot...");
  bot.kill("SIGTERM");
  const botExit = await bot.exited;
  await discord.close();
  await roblox.close();
  say(`Sandbox stopped (bot exit code ${botExit}).`);
  process.exit(exitCode || botExit);
}
process.on("SIGINT", () => void stop(0));
process.on("SIGTERM", () => void stop(0));
void bot.exited.then((code) => {
  if (!stopping) {
    say(`The bot exited unexpectedly with code ${code}.`);
    void stop(1);
  }
});

async function waitUntil(check: () => boolean | Promise<boolean>, timeoutMs: number, what: string) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await Bun.sleep(100);
  }
}

function registered(name: string) {
  return discord.commands.global.some((c) => c.name === name);
}

async function run(
  label: string,
  userId: string,
  commandName: string,
  options: APIApplicationCommandInteractionDataOption[] = [],
  timeoutMs = 30_000,
) {
  if (!registered(commandName)) {
    say(`\n(skipping /${commandName}: not registered by this build)`);
    return undefined;
  }
  say(`\n> ${label}`);
  const { text } = await runCommand(discord, community.guildId, userId, commandName, options, timeoutMs);
  say(text.replace(/^/gm, "  | "));
}

try {
  await waitUntil(() => healthUrl !== undefined, 15_000, "the bot's HTTP server");
  await waitUntil(async () => (await fetch(`${healthUrl}/readyz`)).status === 200, 30_000, "every shard to be ready");
  say(`\nrankbridge is ready. Health ${healthUrl}/healthz · readiness ${healthUrl}/readyz · metrics ${healthUrl}/metrics`);
  say(`Dashboard ${publicUrl}/dashboard: "Log in with Discord" opens the emulator's consent page; pick an account there.`);

  const admin = community.adminDiscordId;
  const player = community.players[0]!;
  const user = (name: string, value: string) => ({ name, type: ApplicationCommandOptionType.User as const, value });
  const robloxRoleIdByName = new Map(defaultRoles(community.groupId).map((role) => [role.name, role.id]));

  await run("/ping (any member)", player.discordId, "ping");
  // The owner sets the ladder up: binds obey the rank ceiling, and an officer holds no rank until it exists.
  await run("/ranks import (the server owner imports the Roblox roles into the ladder)", community.ownerDiscordId, "ranks", [
    { name: "import", type: ApplicationCommandOptionType.Subcommand, options: [] },
  ]);
  await run("/list-ranks", player.discordId, "list-ranks");

  for (const linking of community.players.slice(0, 3)) {
    say(`\n> /link-roblox username:${linking.robloxUsername}`);
    const { started, phrase, confirmed } = await linkByPhrase(discord, roblox, community.guildId, linking);
    say(started.replace(/^/gm, "  | "));
    say(`  (the player puts "${phrase}" in their Roblox About text and presses the button)`);
    say(confirmed.replace(/^/gm, "  | "));
  }

  await run(`/verify-rank member:${player.robloxUsername}`, admin, "verify-rank", [user("member", player.discordId)]);
  await run(`/promote member:${player.robloxUsername}`, admin, "promote", [user("member", player.discordId)]);
  roblox.setMembership(community.groupId, community.players[1]!.robloxUserId, robloxRoleIdByName.get("Sergeant")!);
  say(`\n(someone changes ${community.players[1]!.robloxUsername}'s rank directly in Roblox)`);
  await run("/sync dry-run:true (the whole server, plan only)", admin, "sync", [
    { name: "dry-run", type: ApplicationCommandOptionType.Boolean as const, value: true },
  ]);
  await run("/sync (the whole server)", admin, "sync");
  await run("/sync-status", admin, "sync-status");

  // The officer signs in to the web dashboard as a browser would (the emulator's consent page).
  const browser = new Browser();
  const signedIn = await signIn(browser, publicUrl, admin);
  const guilds = signedIn.status === 302 ? await (await browser.get(`${publicUrl}/dashboard`)).text() : "";
  say(`\n> the officer signs in to the dashboard`);
  say(
    guilds.includes(`/dashboard/guilds/${community.guildId}`)
      ? `  | Signed in to the dashboard; it lists "${community.groupName}": ${publicUrl}/dashboard/guilds/${community.guildId}`
      : `  | Dashboard sign-in failed (callback answered ${signedIn.status})`,
  );

  say(`\nTour done. The bot keeps running: dashboard ${publicUrl}/dashboard, health ${healthUrl}/healthz, metrics ${healthUrl}/metrics. Press Ctrl-C to stop.`);
  if (process.env.SANDBOX_EXIT_AFTER_TOUR === "1") await stop(0);
} catch (error) {
  say(`Sandbox tour failed: ${(error as Error).message}`);
  await stop(1);
}
