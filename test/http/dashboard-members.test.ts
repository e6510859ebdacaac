// The dashboard's member lookup (design §9: "Discord or Roblox name → link, ranks, roles, and for each
// managed role the bind that gives or removes it and what blocks the change"), on the real bot
// process against the emulators, through a fetch-based browser. Only the guild's admins may look,
// and only at the guild's own members.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { openBotDatabase, type SqliteBotDatabase } from "../support/bot-database.ts";
import { Browser } from "../support/browser.ts";
import { seedCommunity, type Community } from "../support/community.ts";
import { signIn, startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { linkByPhrase, runCommand } from "../support/discord-user.ts";
import { eventually } from "../support/eventually.ts";

let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let community: Community;
let dashboard: DashboardBot;
let database: SqliteBotDatabase;
let outsider: { discordId: string; robloxUsername: string };

const membersUrl = (query: Record<string, string> = {}) =>
  `${dashboard.publicUrl}/dashboard/guilds/${community.guildId}/members${Object.keys(query).length > 0 ? `?${new URLSearchParams(query)}` : ""}`;

async function signedIn(userId: string): Promise<Browser> {
  const browser = new Browser();
  await signIn(browser, dashboard.publicUrl, userId);
  return browser;
}

/** The page's text without tags (entities decoded as the page uses them). */
const textOf = (html: string) =>
  html
    .replace(/<[^>]+>/g, " ")
    .replaceAll("&quot;", '"')
    .replaceAll("&#34;", '"')
    .replaceAll("&#39;", "'")
    .replaceAll("&amp;", "&")
    .replace(/\s+/g, " ");

beforeAll(async () => {
  discord = await startDiscordEmulator({ heartbeatIntervalMs: 1_000, rateLimits: { defaultBucket: { limit: 50, windowMs: 1000 } } });
  roblox = await startRobloxEmulator();
  community = seedCommunity(discord, roblox, { players: 2 });
  // A member of another guild the bot is in, linked there: never to be found from this guild.
  const other = discord.createGuild({ name: "Unrelated Guild" });
  const stranger = discord.addMember(other.id, { username: "legion_stranger" });
  outsider = { discordId: stranger.user.id, robloxUsername: "LegionStranger" };
  dashboard = await startDashboardBot(discord, roblox, { HOME_GUILD_IDS: community.guildId, ROBLOX_GROUP_ID: String(community.groupId) });
  database = openBotDatabase(join(dashboard.bot.dataDir, "rankbridge.sqlite"));
  await database.repositories.members.link(other.id, outsider.discordId, { robloxUserId: 99_001, robloxUsername: outsider.robloxUsername, verifiedBy: "oauth" });

  // The owner imports the ladder; the first player is a Colonel on Roblox, and the Colonel role is moved above the bot's.
  await eventually(() => discord.commands.global.some((command) => command.name === "ranks"), (registered) => registered, 20_000);
  await runCommand(discord, community.guildId, community.ownerDiscordId, "ranks", [{ name: "import", type: 1, options: [] }]);
  const colonel = defaultRoles(community.groupId).find((role) => role.name === "Colonel")!;
  const player = community.players[0]!;
  roblox.setMembership(community.groupId, player.robloxUserId, colonel.id);
  const botRole = discord.role(community.guildId, discord.member(community.guildId, discord.botUserId)!.roles[0]!)!;
  discord.updateRole(community.guildId, community.rankRoles.get("Colonel")!, { position: botRole.position + 1 });
  await linkByPhrase(discord, roblox, community.guildId, player);
}, 60_000);
afterAll(async () => {
  database?.close();
  dashboard?.bot.cleanup();
  await discord?.close();
  await roblox?.close();
});

describe("the member lookup page", () => {
  test("an admin looks a member up by Roblox name and reads why they don't hold their rank's role: it is above the bot's", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const empty = await admin.get(membersUrl());
    expect(empty.status).toBe(200);
    const form = await empty.text();
    // A GET form, its field labelled with the slash command's option name.
    expect(form).toContain('<form method="get" action="/dashboard/guilds/');
    expect(form).toContain('<label for="member-query">member</label>');
    expect(form).toContain('id="member-query" name="member"');

    const player = community.players[0]!;
    const page = await eventually(
      async () => textOf(await (await admin.get(membersUrl({ member: player.robloxUsername.toUpperCase() }))).text()),
      (text) => text.includes("Move the"),
      10_000,
    );
    expect(page).toContain(`${player.robloxUsername}`);
    expect(page).toContain(`id ${player.robloxUserId}`);
    expect(page).toContain("Colonel (Roblox rank number");
    // The Colonel row: given by the rank's bind, which matches; not held; blocked by the role order, with the fix.
    expect(page).toMatch(/Colonel rank Colonel \(its own role\): matches Yes No Should be added, but the bot can't: Move the \S+ role above "Colonel"/);
  });

  test("several matches are a list to pick from; picking one explains that member; a Discord id finds them too", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const list = await admin.get(membersUrl({ member: "legion" }));
    expect(list.status).toBe(200);
    const html = await list.text();
    for (const player of community.players) expect(html).toContain(`&amp;id=${player.discordId}"`);
    expect(html).toContain(`&amp;id=${community.adminDiscordId}"`);
    expect(html).not.toContain(outsider.discordId);

    const picked = textOf(await (await admin.get(membersUrl({ member: "legion", id: community.players[1]!.discordId }))).text());
    expect(picked).toContain("Not linked");
    const byId = textOf(await (await admin.get(membersUrl({ member: community.players[0]!.discordId }))).text());
    expect(byId).toContain(community.players[0]!.robloxUsername);
  });

  test("a member of another guild is never found: not by Discord name, Roblox name or id", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const queries: Record<string, string>[] = [{ member: "legion_stranger" }, { member: outsider.robloxUsername }, { member: outsider.discordId }, { id: outsider.discordId }];
    for (const query of queries) {
      const page = await admin.get(membersUrl(query));
      expect({ query, status: page.status }).toEqual({ query, status: 404 });
      const html = await page.text();
      expect(html).toContain("No member of this server matches");
      expect(html).not.toContain("Unrelated Guild");
    }
  });

  test("Check on Roblox now: the explanation follows Roblox's answer, nothing is stored, and a second check waits", async () => {
    const player = community.players[0]!;
    const roles = defaultRoles(community.groupId);
    roblox.setMembership(community.groupId, player.robloxUserId, roles.find((role) => role.name === "Recruit")!.id);
    try {
      const admin = await signedIn(community.adminDiscordId);
      const html = await (await admin.get(membersUrl({ member: player.robloxUsername }))).text();
      const csrf = /name="csrf" value="([^"]+)"/.exec(html)![1]!;
      expect(html).toContain("Check on Roblox now");
      const checked = await admin.post(membersUrl().replace(/members$/, "members/roblox-check"), { csrf, id: player.discordId, member: player.robloxUsername }, { origin: dashboard.publicUrl });
      expect(checked.status).toBe(200);
      const text = textOf(await checked.text());
      expect(text).toContain("Roblox rank (now) Recruit (Roblox rank number 1)");
      expect(text).toMatch(/Recruit rank Recruit \(its own role\): matches Yes No Will be added at the next sync\./);
      expect(text).not.toContain("Move the");
      // Nothing stored: the stored rank is still the Colonel.
      expect((await database.repositories.members.get(community.guildId, player.discordId))!.rankId).not.toBeNull();
      expect(text).toContain("Roblox rank (stored) Colonel");

      const again = await admin.post(membersUrl().replace(/members$/, "members/roblox-check"), { csrf, id: player.discordId, member: "" }, { origin: dashboard.publicUrl });
      expect(again.status).toBe(429);
      expect(textOf(await again.text())).toContain("try again after");
      // Without the CSRF token: refused before anything is read.
      const forged = await admin.post(membersUrl().replace(/members$/, "members/roblox-check"), { id: player.discordId }, { origin: dashboard.publicUrl });
      expect(forged.status).toBe(403);
    } finally {
      roblox.setMembership(community.groupId, player.robloxUserId, roles.find((role) => role.name === "Colonel")!.id);
    }
  });

  test("a plain member gets 403 and not a word of the guild, its name included", async () => {
    const player = await signedIn(community.players[1]!.discordId);
    for (const url of [membersUrl(), membersUrl({ member: community.players[0]!.robloxUsername }), membersUrl({ id: community.players[0]!.discordId })]) {
      const page = await player.get(url);
      expect(page.status).toBe(403);
      const html = await page.text();
      expect(html).not.toContain(community.groupName);
      expect(html).not.toContain(community.players[0]!.robloxUsername);
    }
    // Nor may they spend the guild's Roblox budget: the check is refused with the same page.
    const csrf = /name="csrf" value="([^"]+)"/.exec(await (await player.get(`${dashboard.publicUrl}/dashboard`)).text())![1]!;
    const checked = await player.post(membersUrl().replace(/members$/, "members/roblox-check"), { csrf, id: community.players[0]!.discordId }, { origin: dashboard.publicUrl });
    expect(checked.status).toBe(403);
    expect(await checked.text()).not.toContain(community.groupName);
  });
});
