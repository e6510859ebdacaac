// The web dashboard in a real headless Chromium (Debian's `chromium`, driven by playwright-core),
// against the real bot process and the Discord and Roblox emulators: signing in through Discord's
// consent page, the admin rule, CSRF and origin checks, a wrong state, rights taken away, logout.
// It also takes the screenshots of docs/dashboard.md (written there with UPDATE_DOCS_SCREENSHOTS=1).
//
// Without Chromium the file is skipped, except in CI (CI=true), where .ci/run installs it and a
// missing browser is a failure.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { seedCommunity, type Community } from "../support/community.ts";
import { startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { describeWithChromium, expectReadable, haveChromium, launchChromium, person as freshPerson, SCREENSHOTS, signInAs as signInAt } from "../support/dashboard-browser.ts";
import { runCommand } from "../support/discord-user.ts";
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
  community = seedCommunity(discord, roblox, { players: 3 });
  dashboard = await startDashboardBot(discord, roblox, { HOME_GUILD_IDS: community.guildId, ROBLOX_GROUP_ID: String(community.groupId) });
  // The owner imports the ladder by slash command, so the overview has one to show.
  await eventually(() => discord.commands.global.some((command) => command.name === "ranks"), (registered) => registered, 20_000);
  await runCommand(discord, community.guildId, community.ownerDiscordId, "ranks", [{ name: "import", type: 1, options: [] }]);
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  dashboard?.bot.cleanup();
  await discord?.close();
  await roblox?.close();
});

const person = () => freshPerson(browser);
const signInAs = (page: Page, userId: string, screenshot?: string) => signInAt(page, { publicUrl: dashboard.publicUrl, discordWebUrl: discord.webUrl }, userId, screenshot);

const guildUrl = () => `${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`;

describeWithChromium("the dashboard in Chromium", () => {
  test("an admin signs in with Discord, sees their server and its overview; the pages obey their own CSP", async () => {
    const { context, page, cspErrors } = await person();
    await signInAs(page, community.adminDiscordId, "consent.png");
    await expect(page.getByRole("heading", { name: "Your servers" }).isVisible()).resolves.toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, "servers.png") });

    await page.getByRole("link", { name: community.groupName }).click();
    await page.waitForURL(guildUrl());
    expect(await page.getByRole("heading", { level: 1 }).textContent()).toBe(community.groupName);
    const main = await page.textContent("main");
    expect(main).toContain(String(community.groupId));
    // The ladder the slash command imported shows here too: one store, two surfaces.
    expect(main).toContain("Colonel");
    await page.screenshot({ path: join(SCREENSHOTS, "overview.png"), fullPage: true });

    // The keyboard reaches the controls and shows where it is (a visible outline).
    await page.keyboard.press("Tab");
    await page.keyboard.press("Tab");
    // (Scripts run in the page are strings: this project's types have no DOM.)
    const focused = (await page.evaluate(
      "(() => { const style = getComputedStyle(document.activeElement); return { outline: style.outlineStyle, width: style.outlineWidth }; })()",
    )) as { outline: string; width: string };
    expect(focused.outline).not.toBe("none");
    expect(focused.width).not.toBe("0px");
    // Text, links, table cells and buttons keep WCAG AA contrast (4.5:1).
    await expectReadable(page, "main p, main dt, main dd, main th, main td, a, button, header span");
    expect(cspErrors).toEqual([]);
    await context.close();
  }, 60_000);

  test("a plain member gets 403 and not a word of the server, its name included", async () => {
    const { context, page } = await person();
    await signInAs(page, community.players[0]!.discordId);
    expect(await page.textContent("main")).not.toContain(community.groupName);
    const response = await page.goto(guildUrl());
    expect(response?.status()).toBe(403);
    const html = await page.content();
    expect(html).not.toContain(community.groupName);
    expect(html).not.toContain(community.guildId);
    await page.screenshot({ path: join(SCREENSHOTS, "forbidden.png") });
    await context.close();
  }, 60_000);

  test("a POST without the CSRF token, or from another origin, is refused with 403 and changes nothing", async () => {
    const { context, page } = await person();
    await signInAs(page, community.ownerDiscordId);

    // Same origin, the token removed from the Log out form.
    await page.evaluate(`document.querySelector('form[action="/auth/logout"] input[name="csrf"]').remove()`);
    expect(await page.locator('form[action="/auth/logout"] input[name="csrf"]').count()).toBe(0);
    const [withoutToken] = await Promise.all([page.waitForResponse((r) => r.url().endsWith("/auth/logout")), page.getByRole("button", { name: "Log out" }).click()]);
    expect(withoutToken.status()).toBe(403);
    await page.waitForURL(`${dashboard.publicUrl}/auth/logout`);
    expect(await page.textContent("main")).toContain("nothing changed");
    expect((await page.goto(`${dashboard.publicUrl}/dashboard`))?.status()).toBe(200);

    // Another origin on the same site (127.0.0.1, another port: the SameSite=Lax cookie still goes
    // along) posts the real token, as if it had learned it: the browser's Origin gives it away.
    const token = await page.getAttribute('input[name="csrf"]', "value");
    const forged = `<!doctype html><title>elsewhere</title><form method="post" action="${dashboard.publicUrl}/auth/logout"><input type="hidden" name="csrf" value="${token}"><button>Win a prize</button></form>`;
    const attacker = Bun.serve({ hostname: "127.0.0.1", port: 0, fetch: () => new Response(forged, { headers: { "content-type": "text/html" } }) });
    try {
      await page.goto(`http://127.0.0.1:${attacker.port}/`);
      const [crossSite] = await Promise.all([
        page.waitForResponse((r) => r.url().endsWith("/auth/logout")),
        page.getByRole("button", { name: "Win a prize" }).click(),
      ]);
      expect(crossSite.status()).toBe(403);
      expect(await crossSite.text()).toContain("did not come from the dashboard&#39;s own pages");
      await page.waitForURL(`${dashboard.publicUrl}/auth/logout`);
    } finally {
      void attacker.stop(true);
    }
    expect((await page.goto(`${dashboard.publicUrl}/dashboard`))?.status()).toBe(200);
    expect(page.url()).toBe(`${dashboard.publicUrl}/dashboard`);
    await context.close();
  }, 60_000);

  test("a wrong state signs no one in", async () => {
    const { context, page } = await person();
    await page.goto(`${dashboard.publicUrl}/auth/discord/login`);
    expect(page.url()).toStartWith(`${discord.webUrl}/oauth2/authorize?`);
    const response = await page.goto(`${dashboard.publicUrl}/auth/discord/callback?state=not-the-state&code=not-a-code`);
    expect(response?.status()).toBe(400);
    expect(await page.getByRole("link", { name: "Log in with Discord" }).isVisible()).toBe(true);
    await page.screenshot({ path: join(SCREENSHOTS, "sign-in-refused.png") });
    expect((await context.cookies(dashboard.publicUrl)).map((cookie) => cookie.name)).not.toContain("rankbridge_session");
    await page.goto(`${dashboard.publicUrl}/dashboard`);
    expect(page.url()).toStartWith(`${discord.webUrl}/oauth2/authorize?`);
    await context.close();
  }, 60_000);

  test("rights taken away in Discord are refused within 60 s", async () => {
    const { context, page } = await person();
    await signInAs(page, community.adminDiscordId);
    expect((await page.goto(guildUrl()))?.status()).toBe(200);
    const officersRole = discord.roleByName(community.guildId, "Officers")!.id;
    const kept = discord.memberRoleIds(community.guildId, community.adminDiscordId)!.filter((id) => id !== officersRole);
    const takenAt = Date.now();
    discord.setMemberRoles(community.guildId, community.adminDiscordId, kept);
    let status = 200;
    while (status !== 403 && Date.now() - takenAt < 60_000) {
      await Bun.sleep(250);
      status = (await page.goto(guildUrl()))?.status() ?? 0;
    }
    expect(status).toBe(403);
    expect(Date.now() - takenAt).toBeLessThan(60_000);
    discord.setMemberRoles(community.guildId, community.adminDiscordId, [...kept, officersRole]);
    await context.close();
  }, 70_000);

  test("Log out ends the session server-side: the cookie, kept, signs no one in", async () => {
    const { context, page } = await person();
    await signInAs(page, community.ownerDiscordId);
    const [session] = (await context.cookies(dashboard.publicUrl)).filter((cookie) => cookie.name === "rankbridge_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");

    await page.getByRole("button", { name: "Log out" }).click();
    await page.waitForURL(`${dashboard.publicUrl}/dashboard/logged-out`);
    expect(await page.getByRole("link", { name: "Log in with Discord" }).isVisible()).toBe(true);
    await expectReadable(page, "main p, a");
    await page.screenshot({ path: join(SCREENSHOTS, "logged-out.png") });

    // Someone who copied the cookie before logout: it opens nothing.
    const copy = await browser.newContext();
    await copy.addCookies([session!]);
    const replay = await copy.newPage();
    await replay.goto(`${dashboard.publicUrl}/dashboard`);
    expect(replay.url()).toStartWith(`${discord.webUrl}/oauth2/authorize?`);
    await copy.close();
    await context.close();
  }, 60_000);
});
