import { afterAll, beforeAll, expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ComponentType, InteractionType } from "discord-api-types/v10";
import { createRepositories, openDatabase } from "../../src/db/index.ts";
import { startDiscordEmulator, type DiscordEmulator, type InjectedInteraction, type InjectInteractionInput } from "../emulators/discord/index.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { Browser } from "../support/browser.ts";
import { answerOf, linkByPhrase } from "../support/discord-user.ts";

/**
 * Finding 7 of the security review: the real bot process, logging at `trace`, is driven through the
 * paths that log errors carrying secrets: a Discord 4xx on an interaction callback, Roblox 401s (a
 * rejected guild key, revoked credentials during a sync), a refused OAuth code exchange, and alert
 * webhooks that refuse or cannot be reached. Each secret is a distinct random canary; no line the
 * process writes may contain any of them.
 */
const canary = (label: string) => `${label}-${crypto.randomUUID().replaceAll("-", "")}`;
const CANARIES = {
  discordToken: canary("discord-token"),
  robloxApiKey: canary("roblox-api-key"),
  robloxCookie: canary("roblox-cookie"),
  encryptionKey: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex"),
  oauthClientSecret: canary("oauth-client-secret"),
  guildApiKey: canary("guild-api-key"),
  rejectedGuildKey: canary("rejected-guild-key"),
  webhookToken: canary("webhook-token"),
  unreachableWebhookToken: canary("unreachable-webhook-token"),
  oauthCode: canary("oauth-code"),
  dashboardClientSecret: canary("dashboard-client-secret"),
  dashboardCode: canary("dashboard-code"),
};
const OAUTH_CLIENT_ID = "7290610397987934999";
/** Only registered with Roblox's emulator: the code exchange fails before any browser would get there. */
const PUBLIC_URL = "http://127.0.0.1:9";
const GROUP_ID = 5_150;
const RANKING_BOT = 51_501;

let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let bot: BotProcess;
let guilds: { id: string; ownerId: string }[];
const interactionTokens: string[] = [];

beforeAll(async () => {
  discord = await startDiscordEmulator({ token: CANARIES.discordToken, heartbeatIntervalMs: 1_000 });
  roblox = await startRobloxEmulator();
  roblox.addUser({ id: 51_500, name: "CanaryFounder" });
  roblox.addUser({ id: RANKING_BOT, name: "CanaryRankBot" });
  roblox.createGroup({ id: GROUP_ID, name: "Canaries", ownerId: 51_500, roles: defaultRoles(GROUP_ID) });
  roblox.setMembership(GROUP_ID, RANKING_BOT, defaultRoles(GROUP_ID).find((role) => role.name === "Ranking Bot")!.id);
  roblox.addApiKey(CANARIES.robloxApiKey, { ownerUserId: RANKING_BOT, scopes: ["group:read", "group:write"] });
  roblox.addApiKey(CANARIES.guildApiKey, { ownerUserId: RANKING_BOT, scopes: ["group:read", "group:write"], groups: [GROUP_ID] });
  roblox.addOAuthClient(OAUTH_CLIENT_ID, CANARIES.oauthClientSecret, [`${PUBLIC_URL}/oauth/callback`]);

  // Two servers whose sync alerts go to webhooks that fail: one refuses, one cannot be reached.
  guilds = [discord.createGuild({ name: "Canary Server" }), discord.createGuild({ name: "Unreachable Webhook" })];
  const dataDir = mkdtempSync(join(tmpdir(), "rankbridge-canaries-"));
  const database = openDatabase(join(dataDir, "rankbridge.sqlite"));
  const repositories = createRepositories(database.db);
  await repositories.guilds.upsert(guilds[0]!.id, { alertWebhookUrl: `${discord.restBase}/webhooks/4242/${CANARIES.webhookToken}` });
  await repositories.guilds.upsert(guilds[1]!.id, { alertWebhookUrl: `http://127.0.0.1:9/api/webhooks/4343/${CANARIES.unreachableWebhookToken}` });
  database.close();

  bot = BotProcess.start(
    {
      DISCORD_TOKEN: CANARIES.discordToken,
      DISCORD_API_URL: discord.restBase,
      ROBLOX_API_URL: roblox.urlTemplate,
      ROBLOX_API_KEY: CANARIES.robloxApiKey,
      ROBLOX_COOKIE: CANARIES.robloxCookie,
      ROBLOX_GROUP_ID: String(GROUP_ID),
      // The operator's own servers: they use ROBLOX_GROUP_ID and may write with the operator's key.
      HOME_GUILD_IDS: guilds.map((guild) => guild.id).join(","),
      ENCRYPTION_KEY: CANARIES.encryptionKey,
      ROBLOX_OAUTH_CLIENT_ID: OAUTH_CLIENT_ID,
      ROBLOX_OAUTH_CLIENT_SECRET: CANARIES.oauthClientSecret,
      PUBLIC_URL,
      // The dashboard (design §9), with a client secret Discord does not know: its code exchange is refused.
      DISCORD_CLIENT_SECRET: CANARIES.dashboardClientSecret,
      DISCORD_WEB_URL: discord.webUrl,
      LOG_LEVEL: "trace",
    },
    { dataDir },
  );
  const url = await bot.httpUrl();
  await eventually(() => fetch(`${url}/readyz`).then((r) => r.status), (status) => status === 200, 20_000);
}, 30_000);

afterAll(async () => {
  bot?.cleanup();
  await Promise.all([discord?.close(), roblox?.close()]);
});

function inject(input: InjectInteractionInput): InjectedInteraction {
  const injected = discord.injectInteraction(input);
  interactionTokens.push(injected.token);
  return injected;
}

const loggedWith = (pattern: RegExp) => bot.logs.filter((line) => pattern.test(JSON.stringify(line))).length;

test("no line the bot writes carries a secret, at trace level, through every path that logs an error", async () => {
  const [guild, unreachable] = guilds as [{ id: string; ownerId: string }, { id: string; ownerId: string }];
  const member = discord.addMember(guild.id, { username: "member" }).user.id;

  // A Discord 4xx on the interaction callback.
  discord.failNext({ method: "POST", pathIncludes: "/callback" }, { status: 404, body: { message: "Unknown interaction", code: 10062 } });
  inject({ guildId: guild.id, userId: member, commandName: "list-ranks" });
  await bot.waitForLog("command failed");

  // A guild key Roblox rejects (401), then one it accepts, stored encrypted.
  for (const apiKey of [CANARIES.rejectedGuildKey, CANARIES.guildApiKey]) {
    const input = { type: ComponentType.TextInput, id: 2, custom_id: "api-key", value: apiKey };
    const submitted = inject({ guildId: guild.id, userId: guild.ownerId, type: InteractionType.ModalSubmit, customId: "config:api-key", components: [{ type: ComponentType.Label, id: 1, component: input }] as never });
    await answerOf(submitted);
  }

  // Sign in with Roblox, with a code the token endpoint refuses.
  // The member's browser starts at the bot (PUBLIC_URL stands for the port the process listens on).
  const link = inject({ guildId: guild.id, userId: member, commandName: "link-roblox", options: [{ name: "username", type: 3, value: "CanaryRankBot" }] });
  const signIn = JSON.stringify((await answerOf(link)).components ?? []).match(/"url":"([^"]+)"/)?.[1];
  expect(signIn).toStartWith(PUBLIC_URL);
  const botUrl = await bot.httpUrl();
  const browser = new Browser();
  const toRoblox = await browser.get(signIn!.replace(PUBLIC_URL, botUrl));
  const state = new URL(toRoblox.headers.get("location")!).searchParams.get("state")!;
  const callback = await browser.get(`${botUrl}/oauth/callback?code=${CANARIES.oauthCode}&state=${encodeURIComponent(state)}`);
  expect(callback.status).toBeGreaterThanOrEqual(400);

  // Sign in to the dashboard: Discord refuses the client secret at the code exchange (401 invalid_client).
  const login = await new Browser().get(`${botUrl}/auth/discord/login`);
  const dashboardState = new URL(login.headers.get("location")!).searchParams.get("state")!;
  const cookie = login.headers.getSetCookie()[0]!.split(";")[0]!;
  const refused = await fetch(`${botUrl}/auth/discord/callback?code=${CANARIES.dashboardCode}&state=${dashboardState}`, { headers: { cookie } });
  expect(refused.status).toBe(502);

  // A ladder and a linked member in both servers, then every credential revoked: each sync is
  // refused by Roblox (401) and alerts through a webhook that fails.
  const recruit = defaultRoles(GROUP_ID).find((role) => role.rank === 1)!;
  for (const [index, target] of [guild, unreachable].entries()) {
    await answerOf(inject({ guildId: target.id, userId: target.ownerId, commandName: "ranks", options: [{ name: "import", type: 1, options: [] }] }));
    const player = { discordId: discord.addMember(target.id, { username: `player${index}` }).user.id, robloxUserId: 51_510 + index, robloxUsername: `CanaryPlayer${index}` };
    roblox.addUser({ id: player.robloxUserId, name: player.robloxUsername });
    roblox.setMembership(GROUP_ID, player.robloxUserId, recruit.id);
    expect((await linkByPhrase(discord, roblox, target.id, player)).confirmed).toContain("linked");
  }
  roblox.removeApiKey(CANARIES.guildApiKey);
  roblox.removeApiKey(CANARIES.robloxApiKey);
  for (const target of [guild, unreachable]) inject({ guildId: target.id, userId: target.ownerId, commandName: "sync" });
  await bot.waitForLog("the alert webhook refused the alert");
  await bot.waitForLog("could not deliver the alert");
  expect(await bot.stop()).toBe(0);

  // The paths above logged their errors, with what an operator needs...
  expect(loggedWith(/Unknown interaction/)).toBeGreaterThan(0);
  expect(loggedWith(/Roblox OAuth endpoint refused/)).toBe(1);
  expect(loggedWith(/dashboard sign-in: Discord refused or failed/)).toBe(1);
  expect(loggedWith(/"status":401/)).toBeGreaterThan(0);
  // ...and no line carries a secret.
  const written = [...bot.logs.map((line) => JSON.stringify(line)), bot.stderr];
  // Every interaction and webhook token the bot used, as Discord's emulator saw them in its paths.
  const tokens = discord.requests.flatMap((request) => /\/(?:interactions|webhooks)\/\d+\/([^/]+)/.exec(request.path)?.[1] ?? []);
  expect(tokens.length).toBeGreaterThan(interactionTokens.length);
  const secrets = [...Object.values(CANARIES), ...interactionTokens, ...tokens];
  const leaks = written.flatMap((line) => secrets.filter((secret) => line.includes(secret)).map((secret) => ({ secret, line: line.slice(0, 300) })));
  expect(leaks).toEqual([]);
}, 60_000);
