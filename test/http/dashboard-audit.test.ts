// The dashboard's audit log (design §9: "the audit log (filter by member and action, paged)"), on the
// real bot process against the emulators, through a fetch-based browser: entries worded from their
// notes as /audit words them, filters by member (id, Roblox name) and action, Older/Newer keyset
// links that show each entry once, another guild's entries never, and a plain member's 403.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { openBotDatabase, type SqliteBotDatabase } from "../support/bot-database.ts";
import { Browser } from "../support/browser.ts";
import { seedCommunity, type Community } from "../support/community.ts";
import { signIn, startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { runCommand } from "../support/discord-user.ts";
import { eventually } from "../support/eventually.ts";

let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let community: Community;
let dashboard: DashboardBot;
let database: SqliteBotDatabase;
let otherGuildId: string;

const auditUrl = (query: Record<string, string> = {}) =>
  `${dashboard.publicUrl}/dashboard/guilds/${community.guildId}/audit${Object.keys(query).length > 0 ? `?${new URLSearchParams(query)}` : ""}`;

async function signedIn(userId: string): Promise<Browser> {
  const browser = new Browser();
  await signIn(browser, dashboard.publicUrl, userId);
  return browser;
}

const decode = (text: string) => text.replaceAll("&quot;", '"').replaceAll("&#34;", '"').replaceAll("&#39;", "'").replaceAll("&amp;", "&");
const textOf = (html: string) => decode(html.replace(/<[^>]+>/g, " ")).replace(/\s+/g, " ");
/** The reasons of the page's entries, in order ("entry 7" ...). */
const entryMarks = (html: string) => [...textOf(html).matchAll(/Reason: (entry \d+)/g)].map((match) => match[1]!);
const linkOf = (html: string, rel: "next" | "prev") => {
  const href = new RegExp(`<a rel="${rel}" href="([^"]+)"`).exec(html)?.[1];
  return href ? `${dashboard.publicUrl}${decode(href)}` : undefined;
};

beforeAll(async () => {
  discord = await startDiscordEmulator({ heartbeatIntervalMs: 1_000, rateLimits: { defaultBucket: { limit: 50, windowMs: 1000 } } });
  roblox = await startRobloxEmulator();
  community = seedCommunity(discord, roblox, { players: 2 });
  otherGuildId = discord.createGuild({ name: "Unrelated Guild" }).id;
  dashboard = await startDashboardBot(discord, roblox, { HOME_GUILD_IDS: community.guildId, ROBLOX_GROUP_ID: String(community.groupId) });
  database = openBotDatabase(join(dashboard.bot.dataDir, "rankbridge.sqlite"));

  // A real entry, written by the slash command: the owner imports the ladder.
  await eventually(() => discord.commands.global.some((command) => command.name === "ranks"), (registered) => registered, 20_000);
  await runCommand(discord, community.guildId, community.ownerDiscordId, "ranks", [{ name: "import", type: 1, options: [] }]);
  await eventually(async () => (await database.repositories.audit.listLatest(community.guildId, { action: "ranks.import" })).length, (n) => n === 1, 10_000);

  // 120 entries about the two players, some sharing a timestamp, older than the import; and look-alikes in another guild.
  const [alice, bob] = community.players;
  await database.repositories.members.link(community.guildId, alice!.discordId, { robloxUserId: alice!.robloxUserId, robloxUsername: alice!.robloxUsername, verifiedBy: "oauth" });
  const start = Date.now() - 86_400_000;
  for (let i = 0; i < 120; i++) {
    const entry = {
      actorId: community.adminDiscordId,
      action: i % 4 === 0 ? ("points.add" as const) : ("sync.member" as const),
      targetDiscordId: i % 2 ? bob!.discordId : alice!.discordId,
      before: { points: i },
      after: { points: i + 1 },
      reason: `entry ${i}`,
      createdAt: start + Math.floor(i / 3) * 1000,
    };
    await database.repositories.audit.append(community.guildId, entry);
    await database.repositories.audit.append(otherGuildId, { ...entry, reason: `foreign ${i}` });
  }
}, 60_000);
afterAll(async () => {
  database?.close();
  dashboard?.bot.cleanup();
  await discord?.close();
  await roblox?.close();
});

describe("the audit log page", () => {
  test("the newest entry comes first, worded as /audit words its note, with the filter form labelled", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const page = await admin.get(auditUrl());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain('<form method="get" action="/dashboard/guilds/');
    expect(html).toContain('<label for="audit-member">member</label>');
    expect(html).toContain('<label for="audit-action">action</label>');
    expect(html).toContain('aria-current="page">Audit log</a>');
    const text = textOf(html);
    const ranks = await database.repositories.ranks.list(community.guildId);
    // The import's note, worded as the log channel words it, by the owner (a Discord id: the page asks Discord nothing per entry).
    expect(text).toContain(`Ladder imported Discord user ${community.ownerDiscordId} — Imported`);
    expect(text).toContain(`Imported ${ranks.length} ranks from Roblox group ${community.groupId}`);
    expect(text.indexOf("Imported")).toBeLessThan(text.indexOf("Reason: entry 119"));
    // The viewer is named; a linked member by their Roblox name; kept values shown.
    expect(text).toContain("(you)");
    expect(text).toContain(`${community.players[0]!.robloxUsername} (Discord ${community.players[0]!.discordId})`);
    expect(text).toContain("points: 118 → 119");
    expect(text).not.toContain("foreign");
  });

  test("Older walks all 121 entries once, newest first, and Newer comes back", async () => {
    const admin = await signedIn(community.adminDiscordId);
    let html = await (await admin.get(auditUrl())).text();
    expect(linkOf(html, "prev")).toBeUndefined();
    const pages = [html];
    for (let next = linkOf(html, "next"); next; next = linkOf(html, "next")) {
      html = await (await admin.get(next)).text();
      pages.push(html);
    }
    expect(pages).toHaveLength(3);
    const seen = pages.flatMap(entryMarks);
    expect(seen).toEqual(Array.from({ length: 120 }, (_, i) => `entry ${119 - i}`));
    expect(textOf(pages[0]!)).toContain("Imported");
    // Newer from the last page is the middle page again.
    const back = await (await admin.get(linkOf(pages[2]!, "prev")!)).text();
    expect(entryMarks(back)).toEqual(entryMarks(pages[1]!));
  });

  test("filters by member (Roblox name or Discord id) and by action, kept on the paging links", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const [alice, bob] = community.players;
    const byName = await (await admin.get(auditUrl({ member: alice!.robloxUsername, action: "points.add" }))).text();
    // Alice's points entries: i even and i % 4 == 0 → 30 of them.
    expect(entryMarks(byName)).toEqual(Array.from({ length: 30 }, (_, k) => `entry ${116 - 4 * k}`));
    expect(byName).toContain('<option value="points.add" selected="">');
    expect(linkOf(byName, "next")).toBeUndefined();

    const byId = await admin.get(auditUrl({ member: bob!.discordId }));
    const first = await byId.text();
    expect(entryMarks(first)).toHaveLength(50);
    expect(entryMarks(first).every((mark) => Number(mark.split(" ")[1]) % 2 === 1)).toBe(true);
    const older = linkOf(first, "next")!;
    expect(older).toContain(`id=${bob!.discordId}`);
    expect(entryMarks(await (await admin.get(older)).text())).toEqual(Array.from({ length: 10 }, (_, k) => `entry ${19 - 2 * k}`));

    const nobody = await admin.get(auditUrl({ member: "nobody_by_this_name" }));
    expect(nobody.status).toBe(404);
    expect(textOf(await nobody.text())).toContain("No member of this server matches “nobody_by_this_name”");
  });

  test("another guild's entries never show, even with its member's id or a cursor of its own", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const [foreign] = await database.repositories.audit.listLatest(otherGuildId, { limit: 1 });
    const queries: Record<string, string>[] = [{ member: community.players[1]!.discordId }, { before: `${foreign!.createdAt}.${foreign!.id}` }, { after: "0.0" }];
    for (const query of queries) {
      const html = await (await admin.get(auditUrl(query))).text();
      expect(html).not.toContain("foreign");
    }
    // And its own pages are not this admin's: 403, as for any guild they don't manage.
    const theirs = await admin.get(`${dashboard.publicUrl}/dashboard/guilds/${otherGuildId}/audit`);
    expect(theirs.status).toBe(403);
    expect(await theirs.text()).not.toContain("foreign");
  });

  test("a plain member gets 403 and not a word of the guild, its name included", async () => {
    const player = await signedIn(community.players[1]!.discordId);
    const guildName = discord.guild(community.guildId)!.name;
    for (const url of [auditUrl(), auditUrl({ member: community.players[0]!.robloxUsername }), auditUrl({ action: "ranks.import" })]) {
      const page = await player.get(url);
      expect(page.status).toBe(403);
      const html = await page.text();
      expect(html).not.toContain(guildName);
      expect(html).not.toContain(community.players[0]!.robloxUsername);
      expect(html).not.toContain("entry 1");
    }
  });
});
