/**
 * The real bot process with the web dashboard on (design §9), against the emulators: a port chosen
 * up front so PUBLIC_URL is known before start, the redirect URI registered with the Discord
 * emulator as an operator registers it in the developer portal.
 */
import { join } from "node:path";
import { type DiscordEmulator, startDiscordEmulator } from "../emulators/discord/index.ts";
import { type RobloxEmulator, startRobloxEmulator } from "../emulators/roblox/index.ts";
import { openBotDatabase, type SqliteBotDatabase } from "./bot-database.ts";
import { BotProcess, eventually } from "./bot-process.ts";
import { type Community, seedCommunity } from "./community.ts";
import type { Browser } from "./browser.ts";

/** A port free right now on 127.0.0.1. */
export function freePort(): number {
  const probe = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response() });
  const port = probe.port!;
  void probe.stop(true);
  return port;
}

export interface DashboardBot {
  bot: BotProcess;
  publicUrl: string;
}

export async function startDashboardBot(
  discord: DiscordEmulator,
  roblox: RobloxEmulator,
  env: Record<string, string> = {},
): Promise<DashboardBot> {
  const port = freePort();
  const publicUrl = `http://127.0.0.1:${port}`;
  discord.oauth.addRedirectUri(`${publicUrl}/auth/discord/callback`);
  const bot = BotProcess.start({
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.restBase,
    DISCORD_WEB_URL: discord.webUrl,
    DISCORD_CLIENT_SECRET: discord.oauth.clientSecret,
    ROBLOX_API_URL: roblox.urlTemplate,
    PUBLIC_URL: publicUrl,
    HTTP_PORT: String(port),
    ...env,
  });
  const url = await bot.httpUrl();
  const ready = await eventually(() => fetch(`${url}/readyz`).then((r) => r.status), (status) => status === 200, 20_000);
  if (ready !== 200) throw new Error(`the bot did not become ready (${ready}):\n${bot.stderr}`);
  return { bot, publicUrl };
}

/**
 * Signs in as a person at a fetch-based browser: "Log in with Discord", pick the user on Discord's
 * consent page, Authorize. Returns the callback's answer (a redirect to /dashboard when it worked).
 */
export async function signIn(browser: Browser, publicUrl: string, userId: string): Promise<Response> {
  const login = await browser.get(`${publicUrl}/auth/discord/login`);
  if (login.status !== 302) throw new Error(`login answered ${login.status}`);
  const consentUrl = new URL(login.headers.get("location")!);
  const consent = await browser.get(consentUrl);
  const fields: Record<string, string> = {};
  for (const match of (await consent.text()).matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) fields[match[1]!] = match[2]!.replaceAll("&#38;", "&").replaceAll("&#34;", '"');
  const granted = await browser.post(new URL("/oauth2/authorize", consentUrl), { ...fields, user_id: userId, decision: "authorize" });
  if (granted.status !== 302) throw new Error(`consent answered ${granted.status}`);
  return browser.get(granted.headers.get("location")!);
}

/** A seeded community (test/support/community.ts) with the bot running its dashboard, and the test's own connection to the bot's database. */
export interface CommunityDashboard {
  discord: DiscordEmulator;
  roblox: RobloxEmulator;
  community: Community;
  dashboard: DashboardBot;
  database: SqliteBotDatabase;
  /** Stops the bot and the emulators and closes the database connection. */
  stop(): Promise<void>;
}

export interface CommunityDashboardOptions {
  /** Players in the community (default 3). */
  players?: number;
  /** Seeding done before the bot starts: other guilds, roles, Roblox users. */
  seed?: (discord: DiscordEmulator, roblox: RobloxEmulator, community: Community) => void;
}

/**
 * The world most dashboard tests start from: the Discord emulator (Discord's default rate limits,
 * a quick heartbeat), the Roblox emulator, a seeded community whose guild is the operator's home
 * guild on its group, and the real bot process with the dashboard on.
 */
export async function startCommunityDashboard(options: CommunityDashboardOptions = {}): Promise<CommunityDashboard> {
  const discord = await startDiscordEmulator({ heartbeatIntervalMs: 1_000, rateLimits: { defaultBucket: { limit: 50, windowMs: 1000 } } });
  const roblox = await startRobloxEmulator();
  const community = seedCommunity(discord, roblox, { players: options.players ?? 3 });
  options.seed?.(discord, roblox, community);
  const dashboard = await startDashboardBot(discord, roblox, { HOME_GUILD_IDS: community.guildId, ROBLOX_GROUP_ID: String(community.groupId) });
  const database = openBotDatabase(join(dashboard.bot.dataDir, "rankbridge.sqlite"));
  return {
    discord,
    roblox,
    community,
    dashboard,
    database,
    async stop() {
      database.close();
      dashboard.bot.cleanup();
      await discord.close();
      await roblox.close();
    },
  };
}
