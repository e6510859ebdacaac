// The settings page in headless Chromium against the real bot process and the emulators: an admin
// reaches it by keyboard from the overview, saves a setting with the keyboard, reads a refusal, and
// the page obeys its own CSP and contrast. Takes docs/dashboard/settings.png.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { seedCommunity, type Community } from "../support/community.ts";
import { startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { describeWithChromium, expectReadable, haveChromium, launchChromium, person, SCREENSHOTS, signInAs } from "../support/dashboard-browser.ts";

let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let community: Community;
let dashboard: DashboardBot;
let browser: Browser;

beforeAll(async () => {
  if (!haveChromium) return;
  discord = await startDiscordEmulator({ heartbeatIntervalMs: 1_000, rateLimits: { defaultBucket: { limit: 50, windowMs: 1000 } } });
  roblox = await startRobloxEmulator();
  community = seedCommunity(discord, roblox, { players: 2 });
  dashboard = await startDashboardBot(discord, roblox, { HOME_GUILD_IDS: community.guildId, ROBLOX_GROUP_ID: String(community.groupId) });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  dashboard?.bot.cleanup();
  await discord?.close();
  await roblox?.close();
});

describeWithChromium("the settings page in Chromium", () => {
  test("an admin opens Settings from the tabs, saves a nickname template with the keyboard, and reads a refusal", async () => {
    const { context, page, cspErrors } = await person(browser);
    await signInAs(page, { publicUrl: dashboard.publicUrl, discordWebUrl: discord.webUrl }, community.adminDiscordId);
    await page.goto(`${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`);
    await page.getByRole("navigation", { name: "Server pages" }).getByRole("link", { name: "Settings" }).click();
    await page.waitForURL(/\/settings$/);
    expect(await page.getByRole("link", { name: "Settings" }).getAttribute("aria-current")).toBe("page");

    // The field is found by its label, the option name of /config nickname.
    const template = page.getByLabel("template");
    await template.fill("[{rank}] {roblox-username}");
    await template.press("Tab");
    const save = page.locator("#nickname").getByRole("button", { name: "Save" });
    // (Page scripts as strings: this project type-checks without the DOM's types.)
    expect(await page.evaluate("`${document.activeElement.closest('section').id}: ${document.activeElement.textContent}`")).toBe("nickname: Save");
    // Focus is visible where the keyboard is.
    expect(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");
    await save.press("Enter");
    await page.waitForURL(/saved=nickname/);
    expect(await page.locator("#nickname [role=status]").textContent()).toBe("Saved.");
    expect(await page.getByLabel("template").inputValue()).toBe("[{rank}] {roblox-username}");
    await page.screenshot({ path: join(SCREENSHOTS, "settings.png"), fullPage: false });

    // (The number field's own min and max stop 9999 in the browser; a duration is checked only by the bot.)
    await page.getByLabel("duration").fill("1m");
    await page.locator("#sync-interval").getByRole("button", { name: "Save" }).click();
    const alert = page.locator("#sync-interval [role=alert]");
    expect(await alert.textContent()).toContain("Nothing was changed.");
    expect(await page.getByLabel("duration").inputValue()).toBe("1m");
    await expectReadable(page, "[role=alert], [role=status], .hint, label, button");
    expect(cspErrors).toEqual([]);
    await context.close();
  }, 30_000);
});
