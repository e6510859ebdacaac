// The dashboard's settings page (design §9: "settings (§3.1 and the sync interval)"), on the real bot
// process against the emulators, through a fetch-based browser. One rule, two surfaces: a setting saved
// on the web is the one /config show reports and leaves the audit entry /config would, with the web
// user as the actor; a refusal is the command's, and changes nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApplicationCommandOptionType, ChannelType } from "discord-api-types/v10";
import { join } from "node:path";
import { auditEntryDetail } from "../../src/discord/views/audit-notes.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { openBotDatabase, type SqliteBotDatabase } from "../support/bot-database.ts";
import { Browser } from "../support/browser.ts";
import { eventually } from "../support/eventually.ts";
import { seedCommunity, type Community } from "../support/community.ts";
import { signIn, startDashboardBot, type DashboardBot } from "../support/dashboard.ts";

let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let community: Community;
let dashboard: DashboardBot;
let database: SqliteBotDatabase;
let elsewhereChannelId: string;

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
const settingsUrl = () => `${dashboard.publicUrl}/dashboard/guilds/${community.guildId}/settings`;

async function signedIn(userId: string): Promise<{ browser: Browser; csrf: string }> {
  const browser = new Browser();
  await signIn(browser, dashboard.publicUrl, userId);
  const page = await browser.get(`${dashboard.publicUrl}/dashboard`);
  return { browser, csrf: csrfOf(await page.text()) };
}

/** Posts one setting's form as the page does (from the dashboard's own origin). */
function save(session: { browser: Browser; csrf: string }, setting: string, fields: Record<string, string>): Promise<Response> {
  return session.browser.post(`${settingsUrl()}/${setting}`, { csrf: session.csrf, ...fields }, { origin: dashboard.publicUrl });
}

const configEntries = async () =>
  (await database.repositories.audit.listLatest(community.guildId, { limit: 50, action: "config" })).map((row) => ({
    actorId: row.actorId,
    before: row.before,
    after: row.after,
    detail: auditEntryDetail(row),
  }));

async function configShow(): Promise<string> {
  const interaction = discord.injectInteraction({
    guildId: community.guildId,
    userId: community.adminDiscordId,
    commandName: "config",
    options: [{ type: ApplicationCommandOptionType.Subcommand, name: "show", options: [] }] as never,
  });
  return JSON.stringify((await interaction.waitForCallback(5_000)).body);
}

beforeAll(async () => {
  discord = await startDiscordEmulator({ heartbeatIntervalMs: 1_000, rateLimits: { defaultBucket: { limit: 50, windowMs: 1000 } } });
  roblox = await startRobloxEmulator();
  community = seedCommunity(discord, roblox, { players: 2 });
  const other = discord.createGuild({ name: "Unrelated Guild" });
  elsewhereChannelId = discord.createChannel(other.id, "elsewhere-logs").id;
  discord.createChannel(community.guildId, "voice-room", ChannelType.GuildVoice);
  dashboard = await startDashboardBot(discord, roblox, { HOME_GUILD_IDS: community.guildId, ROBLOX_GROUP_ID: String(community.groupId) });
  database = openBotDatabase(join(dashboard.bot.dataDir, "rankbridge.sqlite"));
});
afterAll(async () => {
  database?.close();
  dashboard?.bot.cleanup();
  await discord?.close();
  await roblox?.close();
});

describe("the settings page", () => {
  test("an admin saves each setting on the web: stored, shown by /config show, audited as the web user in /config's words", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const page = await admin.browser.get(settingsUrl());
    expect(page.status).toBe(200);
    const html = await page.text();
    // Fields are named and labelled after the slash command's options.
    for (const [id, option] of [
      ["verified-role-role", "role"],
      ["nickname-template", "template"],
      ["group-lock-mode", "mode"],
      ["min-account-age-days", "days"],
      ["sync-interval-duration", "duration"],
      ["log-channel-channel", "channel"],
    ]) {
      expect(html).toContain(`<label for="${id}">${option}</label>`);
      expect(html).toContain(`id="${id}" name="${option}"`);
    }
    // Only the guild's own text channels are offered for the log.
    expect(html).toContain(`value="${community.channelId}"`);
    expect(html).not.toContain(elsewhereChannelId);
    expect(html).not.toContain("voice-room");

    const verified = discord.createRole(community.guildId, { name: "Verified" }).id;
    // The bot learns of a new role from the gateway's GUILD_ROLE_CREATE: once the page offers it, it is known.
    await eventually(async () => (await (await admin.browser.get(settingsUrl())).text()).includes(`value="${verified}"`), (offered) => offered, 5_000);
    const saves: [string, Record<string, string>][] = [
      ["verified-role", { role: verified }],
      ["nickname", { template: "[{rank}] {roblox-username}" }],
      ["group-lock", { mode: "remove-roles" }],
      ["min-account-age", { days: "30" }],
      ["sync-interval", { duration: "12h" }],
      ["log-channel", { channel: community.channelId }],
    ];
    for (const [setting, fields] of saves) {
      const saved = await save(admin, setting, fields);
      expect({ setting, status: saved.status, location: saved.headers.get("location") }).toEqual({
        setting,
        status: 303,
        location: `/dashboard/guilds/${community.guildId}/settings?saved=${setting}#${setting}`,
      });
    }

    const stored = await database.repositories.guilds.get(community.guildId);
    expect(stored).toMatchObject({
      verifiedRoleId: verified,
      nicknameTemplate: "[{rank}] {roblox-username}",
      groupLockMode: "remove-roles",
      minAccountAgeDays: 30,
      syncIntervalMs: 12 * 3_600_000,
      logChannelId: community.channelId,
    });
    const shown = await configShow();
    expect(shown).toContain(`<@&${verified}>`);
    expect(shown).toContain("[{rank}] {roblox-username}");
    expect(shown).toContain("remove-roles");
    expect(shown).toContain("30 days");
    expect(shown).toContain("12h");
    // Saving the log channel proved the bot can post there, as /config log-channel does.
    expect(discord.channelMessages(community.channelId).some((message) => message.content.includes(`set by <@${community.adminDiscordId}>`))).toBe(true);

    const entries = await configEntries();
    expect(entries.slice(0, 6).reverse()).toEqual([
      { actorId: community.adminDiscordId, before: { verifiedRoleId: null }, after: { verifiedRoleId: verified }, detail: `Verified role set to ${verified}` },
      { actorId: community.adminDiscordId, before: { nicknameTemplate: null }, after: { nicknameTemplate: "[{rank}] {roblox-username}" }, detail: "Nickname template set to [{rank}] {roblox-username}" },
      { actorId: community.adminDiscordId, before: { groupLockMode: null }, after: { groupLockMode: "remove-roles" }, detail: "Group lock set to remove-roles" },
      { actorId: community.adminDiscordId, before: { minAccountAgeDays: 0 }, after: { minAccountAgeDays: 30 }, detail: "Minimum Roblox account age set to 30 days" },
      { actorId: community.adminDiscordId, before: { syncIntervalMs: null }, after: { syncIntervalMs: 43_200_000 }, detail: "Sync interval set to 12h" },
      { actorId: community.adminDiscordId, before: { logChannelId: null }, after: { logChannelId: community.channelId }, detail: `Log channel set to ${community.channelId}` },
    ]);

    // The page shows what was saved, and says so.
    const after = await (await admin.browser.get(`${settingsUrl()}?saved=nickname`)).text();
    expect(after).toContain('value="[{rank}] {roblox-username}"');
    expect(after).toContain(`<option value="${verified}" selected="">Verified</option>`);
    expect(after).toContain('role="status"');
  });

  test("a value /config refuses is refused on the web with the same reason, and nothing changes", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const before = await database.repositories.guilds.get(community.guildId);
    const entriesBefore = (await configEntries()).length;
    const bot = discord.roleByName(community.guildId, "rankbridge") ?? discord.roles(community.guildId).find((role) => role.managed);
    const highRole = discord.createRole(community.guildId, { name: "Above The Bot" });
    discord.updateRole(community.guildId, highRole.id, { position: (bot?.position ?? 1) + 5 });
    // Known with its new position once the page lists it first (roles are listed highest first).
    const firstOffered = async () => /<select id="unverified-role-role" name="role"><option value="" (?:selected="")?>None<\/option><option value="(\d+)"/.exec(await (await admin.browser.get(settingsUrl())).text())?.[1];
    expect(await eventually(firstOffered, (id) => id === highRole.id, 5_000)).toBe(highRole.id);

    const refusals: [string, Record<string, string>, string][] = [
      ["nickname", { template: "{roblox-name} the great" }, "{roblox-name} isn&#39;t a placeholder rankbridge knows"],
      ["nickname", { template: "   " }, "Give a template, or &quot;off&quot; to stop setting nicknames"],
      ["group-lock", { mode: "ban" }, "The mode must be one of: off, remove-roles, kick"],
      ["min-account-age", { days: "5000" }, "from 0 (off) to 3650"],
      ["min-account-age", { days: "-1" }, "from 0 (off) to 3650"],
      ["sync-interval", { duration: "1m" }, "Nothing was changed"],
      ["sync-interval", { duration: "soon" }, "Nothing was changed"],
      ["log-channel", { channel: elsewhereChannelId }, "Pick a text channel of this server for the log"],
      ["unverified-role", { role: community.guildId }, "@everyone can&#39;t be given by a bind"],
      ["unverified-role", { role: highRole.id }, "role above &quot;Above The Bot&quot;"],
      ["unverified-role", { role: before!.verifiedRoleId! }, "one role can&#39;t be both"],
    ];
    for (const [setting, fields, reason] of refusals) {
      const refused = await save(admin, setting, fields);
      const text = await refused.text();
      expect({ setting, fields, status: refused.status, reason: text.includes(reason), alert: text.includes('role="alert"') }).toEqual({
        setting,
        fields,
        status: 422,
        reason: true,
        alert: true,
      });
    }
    expect(await database.repositories.guilds.get(community.guildId)).toEqual(before);
    expect((await configEntries()).length).toBe(entriesBefore);
  });

  test("a plain member gets 403 naming nothing of the guild, a POST without the CSRF token changes nothing, and an unknown setting is 404", async () => {
    const before = await database.repositories.guilds.get(community.guildId);
    const player = await signedIn(community.players[0]!.discordId);
    const page = await player.browser.get(settingsUrl());
    expect(page.status).toBe(403);
    expect(await page.text()).not.toContain(community.groupName);
    const posted = await save(player, "nickname", { template: "{roblox-id}" });
    expect(posted.status).toBe(403);
    expect(await posted.text()).not.toContain(community.groupName);

    const admin = await signedIn(community.adminDiscordId);
    const noToken = await admin.browser.post(`${settingsUrl()}/nickname`, { template: "{roblox-id}" }, { origin: dashboard.publicUrl });
    expect(noToken.status).toBe(403);
    const otherOrigin = await admin.browser.post(`${settingsUrl()}/nickname`, { csrf: admin.csrf, template: "{roblox-id}" }, { origin: "https://evil.example" });
    expect(otherOrigin.status).toBe(403);
    expect(await database.repositories.guilds.get(community.guildId)).toEqual(before);

    expect((await save(admin, "admin-role", { role: community.guildId })).status).toBe(404);
  });

  test("a setting changed with /config shows on the page", async () => {
    const interaction = discord.injectInteraction({
      guildId: community.guildId,
      userId: community.adminDiscordId,
      commandName: "config",
      options: [{ type: ApplicationCommandOptionType.Subcommand, name: "nickname", options: [{ type: ApplicationCommandOptionType.String, name: "template", value: "{display-name}" }] }] as never,
    });
    await interaction.waitForCallback(5_000);
    const admin = await signedIn(community.adminDiscordId);
    expect(await (await admin.browser.get(settingsUrl())).text()).toContain('value="{display-name}"');
  });
});
