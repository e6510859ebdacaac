// The binds page in headless Chromium against the real bot process and the emulators: an admin
// opens Binds from the tabs, fills /binds add-rank-role's fields by their labels, presses "Add bind"
// with the keyboard, reads the preview (its figure is the one the sync's planner computes), presses
// "Save"; the bind is in /binds list and in the audit log with the web user as actor. Takes
// docs/dashboard/binds-preview.png (with UPDATE_DOCS_SCREENSHOTS=1).
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser } from "playwright-core";
import type { DiscordEmulator } from "../emulators/discord/index.ts";
import type { RobloxEmulator } from "../emulators/roblox/index.ts";
import type { SqliteBotDatabase } from "../support/bot-database.ts";
import type { Community } from "../support/community.ts";
import { type DashboardBot, startCommunityDashboard, type CommunityDashboard } from "../support/dashboard.ts";
import { plannedFor, storeLadderAndLinks } from "../support/dashboard-binds.ts";
import { describeWithChromium, expectReadable, haveChromium, launchChromium, person, SCREENSHOTS, signInAs } from "../support/dashboard-browser.ts";
import { runCommand } from "../support/discord-user.ts";
import { eventually } from "../support/eventually.ts";

let world: CommunityDashboard;
let discord: DiscordEmulator;
let community: Community;
let dashboard: DashboardBot;
let database: SqliteBotDatabase;
let browser: Browser;
let veterans: string;

beforeAll(async () => {
  if (!haveChromium) return;
  world = await startCommunityDashboard({
    players: 6,
    seed: (discord, _roblox, community) => {
      veterans = discord.createRole(community.guildId, { name: "Veterans" }).id;
    },
  });
  ({ discord, community, dashboard, database } = world);
  await storeLadderAndLinks(database.repositories, community);
  await eventually(() => discord.commands.global.some((command) => command.name === "binds"), (registered) => registered, 20_000);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await world?.stop();
});

describeWithChromium("the binds page in Chromium", () => {
  test("an admin adds a rank bind by keyboard: the preview's count is the planner's; Save stores it, /binds list shows it, the audit log names the web user", async () => {
    const { context, page, cspErrors } = await person(browser);
    await signInAs(page, { publicUrl: dashboard.publicUrl, discordWebUrl: discord.webUrl }, community.adminDiscordId);
    await page.goto(`${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`);
    await page.getByRole("navigation", { name: "Server pages" }).getByRole("link", { name: "Binds" }).click();
    await page.waitForURL(/\/binds$/);
    expect(await page.getByRole("link", { name: "Binds" }).getAttribute("aria-current")).toBe("page");

    // The fields are found by their labels, /binds add-rank-role's option names.
    const form = page.locator("#add-rank-role");
    await form.getByLabel("rank", { exact: true }).selectOption({ label: "Recruit (Rank 1)" });
    const role = form.getByLabel("role", { exact: true });
    await role.selectOption({ label: "Veterans" });
    await role.press("Tab");
    const addBind = form.getByRole("button", { name: "Add bind" });
    expect(await addBind.evaluate((element) => element === (element.ownerDocument as { activeElement: unknown }).activeElement)).toBe(true);
    // Focus is visible where the keyboard is.
    expect(await page.evaluate("getComputedStyle(document.activeElement).outlineStyle")).toBe("solid");
    await page.keyboard.press("Enter");
    await page.waitForURL(/\/binds\/preview\/add-rank-role$/);

    const preview = page.getByRole("region", { name: "Preview" });
    const gain = Number(await preview.locator(`td[data-role="${veterans}"][data-effect="gain"]`).textContent());
    const lose = Number(await preview.locator(`td[data-role="${veterans}"][data-effect="lose"]`).textContent());
    // What the sync's planner gives and takes with the bind as if stored: the preview's figures.
    const recruit = await database.repositories.ranks.findByName(community.guildId, "Recruit");
    const bind = { kind: "rank", rankId: recruit!.id, origin: { kind: "stored", id: 0, rankRole: false }, roleIds: [veterans] } as const;
    expect(await plannedFor(database.repositories, discord, community, veterans, [bind])).toEqual({ add: gain, remove: lose });
    expect(gain).toBe(community.players.filter((player) => player.rankName === "Recruit").length);
    await expectReadable(page, "main p, main th, main td, button, label, .hint");
    // Tall enough for the preview and its Save button.
    await page.setViewportSize({ width: 1000, height: 800 });
    await page.screenshot({ path: join(SCREENSHOTS, "binds-preview.png") });
    expect(await database.repositories.binds.list(community.guildId)).not.toContainEqual(expect.objectContaining({ roleIds: [veterans] }));

    await preview.getByRole("button", { name: "Save" }).click();
    await page.waitForURL(/\?done=added#binds-list$/);
    expect(await page.locator("#binds-list [role=status]").textContent()).toContain("Bind saved.");
    // Stored now, as /binds add-rank-role stores it.
    expect(await database.repositories.binds.list(community.guildId)).toContainEqual(expect.objectContaining({ kind: "rank", rankId: recruit!.id, roleIds: [veterans] }));

    const listed = await runCommand(discord, community.guildId, community.adminDiscordId, "binds", [{ name: "list", type: 1, options: [] }]);
    expect(JSON.stringify(listed.answer)).toContain(`<@&${veterans}>`);
    const [entry] = await database.repositories.audit.listLatest(community.guildId, { limit: 1, action: "binds.add" });
    expect(entry).toMatchObject({ actorId: community.adminDiscordId, after: { kind: "rank", rank: "Recruit", roleIds: [veterans] } });
    // And on the dashboard's own audit log, filtered to binds added: the web user made it.
    await page.getByRole("navigation", { name: "Server pages" }).getByRole("link", { name: "Audit log" }).click();
    await page.getByLabel("action").selectOption("binds.add");
    await page.getByRole("button", { name: "Filter" }).click();
    const row = page.locator("tbody tr").first();
    expect(await row.locator("td").nth(1).textContent()).toContain("Bind added");
    expect(await row.locator("td").nth(2).textContent()).toContain("(you)");
    expect(cspErrors).toEqual([]);
    await context.close();
  }, 60_000);
});
