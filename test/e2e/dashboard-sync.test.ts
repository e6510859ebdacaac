// The Sync page in headless Chromium against the real bot process and the emulators: an admin opens
// it from the tabs, presses "Dry run" and reads the changes a sync would make, then "Sync now" and
// watches the page (reloading itself, no script) reach done, with the emulator's member edits being
// exactly the members the dry run listed. Takes docs/dashboard/sync-dry-run.png and sync.png.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { openBotDatabase, type SqliteBotDatabase } from "../support/bot-database.ts";
import { startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { describeWithChromium, expectReadable, haveChromium, launchChromium, person, SCREENSHOTS, signInAs } from "../support/dashboard-browser.ts";
import { createWorld, disagreements, seedDatabase, type World } from "../sync/support/world.ts";

let world: World;
let dashboard: DashboardBot;
let database: SqliteBotDatabase;
let browser: Browser;

const memberEdits = () => world.discord.requests.filter((request) => request.route === "PATCH /guilds/:guild_id/members/:user_id");

/** Waits, across the page's own reloads, until the run shown has ended; returns its state. */
async function untilEnded(page: Page): Promise<string | null> {
  const state = page.locator('#run-state:is([data-state="done"], [data-state="failed"], [data-state="paused"])');
  await state.waitFor({ timeout: 30_000 });
  return state.getAttribute("data-state");
}

beforeAll(async () => {
  if (!haveChromium) return;
  world = await createWorld({ groupSize: 40, guildSize: 24, linked: 16, mismatchedShare: 0.5, timeScale: 0.1, robloxWindowMs: 1_000 });
  dashboard = await startDashboardBot(world.discord, world.roblox, { ROBLOX_API_KEY: world.apiKey });
  database = openBotDatabase(join(dashboard.bot.dataDir, "rankbridge.sqlite"));
  await seedDatabase(database.repositories, world);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  database?.close();
  dashboard?.bot.cleanup();
  await world?.close();
});

describeWithChromium("the sync page in Chromium", () => {
  test("Dry run shows the would-be changes; Sync now reaches done by itself and edits exactly those members", async () => {
    const { context, page, cspErrors } = await person(browser);
    await signInAs(page, { publicUrl: dashboard.publicUrl, discordWebUrl: world.discord.webUrl }, world.ownerId);
    await page.goto(`${dashboard.publicUrl}/dashboard/guilds/${world.guildId}`);
    await page.getByRole("navigation", { name: "Server pages" }).getByRole("link", { name: "Sync" }).click();
    await page.waitForURL(/\/sync$/);
    expect(await page.getByText("No sync has run in this server yet.").count()).toBe(1);

    const edits = memberEdits().length;
    await page.getByRole("button", { name: "Dry run" }).click();
    await page.waitForURL(/notice=dry-run/);
    expect(await untilEnded(page)).toBe("done");
    expect(await page.locator("#run-title").textContent()).toContain("(dry run)");
    const listed = await page.locator("#run-changes tbody tr th .sync-member-id").allTextContents();
    expect(listed.map((text) => text.replace("Discord", "").trim()).sort()).toEqual([...world.mismatched].sort());
    // Each line names the rank roles it gives or takes.
    const added = await page.locator("#run-changes tbody tr td:nth-of-type(2)").allTextContents();
    const rankNames = new Set(world.ladder.map((rank) => rank.name));
    expect(added.some((text) => rankNames.has(text.split(", ")[0]!))).toBe(true);
    expect(memberEdits().length).toBe(edits);
    await page.screenshot({ path: join(SCREENSHOTS, "sync-dry-run.png"), fullPage: true });

    await page.getByRole("button", { name: "Sync now" }).click();
    await page.waitForURL(/notice=(started|attached)/);
    expect(await untilEnded(page)).toBe("done");
    expect(await page.locator("#run-title").textContent()).not.toContain("(dry run)");
    expect(await page.locator("#run-state").textContent()).toBe(`Done: ${world.linked.length} of ${world.linked.length} members checked`);
    expect(await page.locator("#run-changed").textContent()).toBe(String(world.mismatched.size));
    // The emulator saw one edit per member the dry run listed, and no other.
    const edited = memberEdits()
      .slice(edits)
      .map((request) => request.path.split("/").at(-1));
    expect(edited.sort()).toEqual([...world.mismatched].sort());
    expect(disagreements(world)).toEqual([]);
    await page.screenshot({ path: join(SCREENSHOTS, "sync.png"), fullPage: false });

    await expectReadable(page, "[role=status], .hint, label, button, th, td");
    expect(cspErrors).toEqual([]);
    await context.close();
  }, 60_000);
});
