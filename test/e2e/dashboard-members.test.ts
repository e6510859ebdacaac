// The member lookup in headless Chromium against the real bot process and the emulators: an admin
// opens Members from the tabs, types a member's Roblox name into the labelled field with the
// keyboard, and reads why the member's rank role is not given (it is above the bot's role, and how
// to fix that). The page obeys its own CSP and contrast. Takes docs/dashboard/members.png.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { seedCommunity, type Community } from "../support/community.ts";
import { startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { describeWithChromium, expectReadable, haveChromium, launchChromium, person, SCREENSHOTS, signInAs } from "../support/dashboard-browser.ts";
import { linkByPhrase, runCommand } from "../support/discord-user.ts";
import { eventually } from "../support/eventually.ts";

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
  // The ladder by slash command; the first player is a Colonel on Roblox, and the Colonel role sits above the bot's.
  await eventually(() => discord.commands.global.some((command) => command.name === "ranks"), (registered) => registered, 20_000);
  await runCommand(discord, community.guildId, community.ownerDiscordId, "ranks", [{ name: "import", type: 1, options: [] }]);
  const player = community.players[0]!;
  roblox.setMembership(community.groupId, player.robloxUserId, defaultRoles(community.groupId).find((role) => role.name === "Colonel")!.id);
  const botRole = discord.role(community.guildId, discord.member(community.guildId, discord.botUserId)!.roles[0]!)!;
  discord.updateRole(community.guildId, community.rankRoles.get("Colonel")!, { position: botRole.position + 1 });
  await linkByPhrase(discord, roblox, community.guildId, player);
  browser = await launchChromium();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  dashboard?.bot.cleanup();
  await discord?.close();
  await roblox?.close();
});

describeWithChromium("the member lookup in Chromium", () => {
  test("an admin looks up a member whose bound role is above the bot's role and reads why they don't hold it", async () => {
    const { context, page, cspErrors } = await person(browser);
    const player = community.players[0]!;
    await signInAs(page, { publicUrl: dashboard.publicUrl, discordWebUrl: discord.webUrl }, community.adminDiscordId);
    await page.goto(`${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`);
    await page.getByRole("navigation", { name: "Server pages" }).getByRole("link", { name: "Members" }).click();
    await page.waitForURL(/\/members$/);
    expect(await page.getByRole("link", { name: "Members" }).getAttribute("aria-current")).toBe("page");

    // The field is found by its label, the option name of /verify-rank and /sync; Enter submits the GET form.
    const field = page.getByLabel("member");
    await field.fill(player.robloxUsername.toLowerCase());
    await field.press("Tab");
    // (Scripts run in the page are strings: this project's types have no DOM.)
    expect(await page.evaluate("document.activeElement.textContent")).toBe("Look up");
    expect(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/members\?member=/);

    expect(await page.getByRole("heading", { level: 3, name: /legionnaire1/ }).isVisible()).toBe(true);
    const colonel = page.getByRole("row", { name: /^Colonel / });
    const row = (await colonel.textContent())!.replace(/\s+/g, " ");
    expect(row).toContain("rank Colonel (its own role): matches");
    expect(row).toContain("Should be added, but the bot can't:");
    expect(row).toContain('Move the rankbridge role above "Colonel" in Server Settings → Roles.');
    // The screenshot starts at the member's name, so the facts and the answer are both in view.
    await page.evaluate("document.getElementById('member-name').scrollIntoView()");
    await page.screenshot({ path: join(SCREENSHOTS, "members.png"), fullPage: false });

    await expectReadable(page, "main dt, main dd, main th, main td, main li, label, button, .hint");
    expect(cspErrors).toEqual([]);
    await context.close();
  }, 30_000);
});
