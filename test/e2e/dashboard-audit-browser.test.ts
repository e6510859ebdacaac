// The audit log and the overview's run chart in headless Chromium against the real bot process and
// the emulators: an admin opens "Audit log" from the tabs, reads entries the slash commands wrote,
// filters by member and action with the labelled fields, pages Older and Newer with the keyboard
// alone (focus visible), and sees the last sync runs charted on the overview. Both pages obey their
// own CSP and contrast. Takes docs/dashboard/audit.png and docs/dashboard/overview-runs.png.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { openBotDatabase, type SqliteBotDatabase } from "../support/bot-database.ts";
import { seedCommunity, type Community } from "../support/community.ts";
import { startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { describeWithChromium, expectReadable, haveChromium, launchChromium, person, SCREENSHOTS, signInAs } from "../support/dashboard-browser.ts";
import { linkByPhrase, runCommand } from "../support/discord-user.ts";
import { eventually } from "../support/eventually.ts";

let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let community: Community;
let dashboard: DashboardBot;
let database: SqliteBotDatabase;
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  discord = await startDiscordEmulator({ heartbeatIntervalMs: 1_000, rateLimits: { defaultBucket: { limit: 50, windowMs: 1000 } } });
  roblox = await startRobloxEmulator();
  community = seedCommunity(discord, roblox, { players: 2 });
  dashboard = await startDashboardBot(discord, roblox, { HOME_GUILD_IDS: community.guildId, ROBLOX_GROUP_ID: String(community.groupId) });
  database = openBotDatabase(join(dashboard.bot.dataDir, "rankbridge.sqlite"));
  // Entries the bot writes itself: the ladder import and a member's link.
  await eventually(() => discord.commands.global.some((command) => command.name === "ranks"), (registered) => registered, 20_000);
  await runCommand(discord, community.guildId, community.ownerDiscordId, "ranks", [{ name: "import", type: 1, options: [] }]);
  await linkByPhrase(discord, roblox, community.guildId, community.players[0]!);
  // Older history, enough for three pages: points given to the second player a day ago.
  const dayAgo = Date.now() - 86_400_000;
  for (let i = 0; i < 110; i++) {
    await database.repositories.audit.append(community.guildId, {
      actorId: community.adminDiscordId,
      action: "points.add",
      targetDiscordId: community.players[1]!.discordId,
      before: { points: i },
      after: { points: i + 1 },
      reason: `drill ${i}`,
      createdAt: dayAgo + i * 1000,
    });
  }
  // Sync runs for the overview's chart: a day apart, the last a dry run.
  for (let i = 0; i < 12; i++) {
    const started = await database.repositories.syncRuns.start(community.guildId, { trigger: "background", dryRun: i === 11 });
    if (!started.ok) throw new Error("a run is already running");
    await database.repositories.syncRuns.finish(community.guildId, started.run.id, { status: "done", total: 40, updated: (i * 3) % 7, errors: i % 4 === 0 ? 1 : 0, inSync: 30 });
    // Back-dated, a day apart, each taking a while (the repository stamps now, a real run takes time).
    const startedAt = dayAgo - (12 - i) * 86_400_000;
    database.database.sqlite.run("UPDATE sync_runs SET started_at = ?, finished_at = ? WHERE id = ?", [startedAt, startedAt + 20_000 + i * 7_000, started.run.id]);
  }
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  database?.close();
  dashboard?.bot.cleanup();
  await discord?.close();
  await roblox?.close();
});

const auditUrl = () => `${dashboard.publicUrl}/dashboard/guilds/${community.guildId}/audit`;

/** Tabs forward until the focused element's text is `text` (at most `limit` presses); fails otherwise. */
async function tabTo(page: Page, text: string, limit = 200): Promise<void> {
  for (let i = 0; i < limit; i++) {
    await page.keyboard.press("Tab");
    // (Scripts run in the page are strings: this project's types have no DOM.)
    if (((await page.evaluate("document.activeElement.textContent")) as string).trim() === text) return;
  }
  throw new Error(`the keyboard never reached "${text}"`);
}

async function focusIsVisible(page: Page): Promise<boolean> {
  const focused = (await page.evaluate("(() => { const s = getComputedStyle(document.activeElement); return { outline: s.outlineStyle, width: s.outlineWidth }; })()")) as {
    outline: string;
    width: string;
  };
  return focused.outline !== "none" && focused.width !== "0px";
}

/** The drills on the page, in order ("drill 7" ...). */
const marks = async (page: Page) =>
  (await page.locator("table.audit .audit-line").allTextContents()).filter((line) => line.startsWith("Reason: drill")).map((line) => line.slice("Reason: ".length));

describeWithChromium("the audit log in Chromium", () => {
  test("an admin reads the log, filters by member and action, and pages Older and Newer with the keyboard", async () => {
    const { context, page, cspErrors } = await person(browser);
    const player = community.players[0]!;
    await signInAs(page, { publicUrl: dashboard.publicUrl, discordWebUrl: discord.webUrl }, community.adminDiscordId);
    await page.goto(`${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`);
    await page.getByRole("navigation", { name: "Server pages" }).getByRole("link", { name: "Audit log" }).click();
    await page.waitForURL(/\/audit$/);
    expect(await page.getByRole("link", { name: "Audit log" }).getAttribute("aria-current")).toBe("page");

    // Newest first: the link, worded as /audit and the log channel word it, then the import.
    const table = page.getByRole("table", { name: "Entries, newest first" });
    const firstRow = await table.locator("tbody tr").first().textContent();
    expect(firstRow).toContain("Linked");
    expect(firstRow).toContain(`linked to Roblox ${player.robloxUsername}`);
    expect(await table.textContent()).toContain("Imported 14 ranks from Roblox group");
    await page.screenshot({ path: join(SCREENSHOTS, "audit.png"), fullPage: false });

    // The filters, found by their labels; Enter in the member field submits the GET form.
    await page.getByLabel("action").selectOption("link");
    const member = page.getByLabel("member");
    await member.fill(player.robloxUsername.toLowerCase());
    await member.press("Enter");
    await page.waitForURL(/action=link/);
    const rows = table.locator("tbody tr");
    expect(await rows.count()).toBe(1);
    expect(await rows.first().textContent()).toContain(`linked to Roblox ${player.robloxUsername}`);
    expect(await page.getByLabel("action").inputValue()).toBe("link");

    // Paging by keyboard alone: 110 drills and the two entries above make three pages.
    await page.goto(auditUrl());
    const first = await marks(page);
    await tabTo(page, "Older →");
    expect(await focusIsVisible(page)).toBe(true);
    await page.keyboard.press("Enter");
    await page.waitForURL(/before=/);
    const second = await marks(page);
    expect(second).toHaveLength(50);
    expect(second[0]).toBe(`drill ${109 - first.length}`);
    await tabTo(page, "Older →");
    const secondUrl = page.url();
    await page.keyboard.press("Enter");
    await page.waitForURL((url) => url.search.includes("before=") && url.href !== secondUrl);
    const third = await marks(page);
    expect([...first, ...second, ...third]).toEqual(Array.from({ length: 110 }, (_, i) => `drill ${109 - i}`));
    expect(await page.getByRole("link", { name: "Older →" }).count()).toBe(0);
    await tabTo(page, "← Newer");
    await page.keyboard.press("Enter");
    await page.waitForURL(/after=/);
    expect(await marks(page)).toEqual(second);

    await expectReadable(page, "main p, main td, main th, main label, a, button");
    expect(cspErrors).toEqual([]);
    await context.close();
  }, 90_000);

  test("the overview shows members out of agreement and the last runs as a chart with a table, within the CSP", async () => {
    const { context, page, cspErrors } = await person(browser);
    await signInAs(page, { publicUrl: dashboard.publicUrl, discordWebUrl: discord.webUrl }, community.adminDiscordId);
    await page.goto(`${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`);
    // What the last finished run found (ours, or the bot's own run if it ran since), from the store.
    const runs = (await database.repositories.syncRuns.listLatest(community.guildId, 30)).filter((run) => run.status !== "running");
    const last = runs[0]!;
    const found = last.updated + last.errors + last.skipped;
    expect(await page.textContent("main")).toContain(last.dryRun ? `${found} of ${last.total} at the dry run of` : `${found - last.updated} of ${last.total} after the sync of`);
    const count = (await database.repositories.syncRuns.listLatest(community.guildId, 30)).length;
    expect(count).toBeGreaterThanOrEqual(12);
    const chart = page.getByRole("img", { name: `Members changed and failures in the last ${count} sync runs` });
    expect(await chart.isVisible()).toBe(true);
    expect(await page.getByRole("img", { name: `Duration of the last ${count} sync runs` }).isVisible()).toBe(true);
    // The table alternative opens from the keyboard.
    await tabTo(page, "The same runs as a table");
    expect(await focusIsVisible(page)).toBe(true);
    await page.keyboard.press("Enter");
    const table = page.getByRole("table", { name: `The last ${count} sync runs, newest first` });
    expect(await table.isVisible()).toBe(true);
    expect(await table.locator("tbody tr").count()).toBe(count);
    await chart.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(SCREENSHOTS, "overview-runs.png"), fullPage: true });
    await expectReadable(page, "main dd, main td, main th, summary");
    expect(cspErrors).toEqual([]);
    await context.close();
  }, 60_000);
});
