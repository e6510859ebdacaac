// The web dashboard's sign-in, sessions and admin rule (design §9), on the real bot process against
// the Discord and Roblox emulators, through a fetch-based browser (cookies per origin, no redirects
// followed). test/e2e/dashboard-browser.test.ts drives the same flows in headless Chromium.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { DiscordEmulator } from "../emulators/discord/index.ts";
import type { RobloxEmulator } from "../emulators/roblox/index.ts";
import { eventually } from "../support/bot-process.ts";
import { Browser } from "../support/browser.ts";
import type { Community } from "../support/community.ts";
import { signIn, type DashboardBot, startCommunityDashboard, type CommunityDashboard } from "../support/dashboard.ts";
import { createInProcessBot, emulatorEnv } from "../support/in-process-bot.ts";
import { specProblems } from "../support/spec-check.ts";

let world: CommunityDashboard;
let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let community: Community;
let elsewhere: { id: string; name: string };
let dashboard: DashboardBot;

const sessionCookieOf = (browser: Browser, publicUrl: string) => browser.cookies(new URL(publicUrl).origin).get("rankbridge_session");
const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1];

beforeAll(async () => {
  world = await startCommunityDashboard({
    players: 3,
    seed: (discord, _roblox, community) => {
      // A second server where the officer is a plain member: never listed for them.
      const other = discord.createGuild({ name: "Unrelated Guild" });
      discord.addMember(other.id, { id: community.adminDiscordId });
      elsewhere = { id: other.id, name: other.name };
    },
  });
  ({ discord, roblox, community, dashboard } = world);
});
afterAll(async () => {
  await world?.stop();
});

describe("signing in", () => {
  test("an admin signs in with Discord and sees only the servers they may manage", async () => {
    const browser = new Browser();
    const login = await browser.get(`${dashboard.publicUrl}/auth/discord/login`);
    const authorize = new URL(login.headers.get("location")!);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(`${discord.webUrl}/oauth2/authorize`);
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: "code",
      client_id: discord.applicationId,
      scope: "identify guilds",
      redirect_uri: `${dashboard.publicUrl}/auth/discord/callback`,
      code_challenge_method: "S256",
    });
    expect(authorize.searchParams.get("state")).toMatch(/^[\w-]{43}$/);
    expect(authorize.searchParams.get("code_challenge")).toMatch(/^[\w-]{43}$/);

    const callback = await signIn(browser, dashboard.publicUrl, community.adminDiscordId);
    expect(callback.status).toBe(302);
    expect(callback.headers.get("location")).toBe(`${dashboard.publicUrl}/dashboard`);
    const cookie = callback.headers.getSetCookie().find((header) => header.startsWith("rankbridge_session="))!;
    expect(cookie).toContain("HttpOnly");
    expect(cookie).toContain("SameSite=Lax");
    expect(cookie).toContain("Path=/");
    // Served over http here: no Secure (the https case is below).
    expect(cookie).not.toContain("Secure");

    const page = await browser.get(`${dashboard.publicUrl}/dashboard`);
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(community.groupName);
    expect(html).toContain(`/dashboard/guilds/${community.guildId}`);
    expect(html).not.toContain(elsewhere.name);
    expect(html).toContain("Log out");
    const csp = page.headers.get("content-security-policy")!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain("unsafe-inline");
  });

  test("a wrong, reused or missing state, another browser's state, or Cancel signs no one in", async () => {
    const tokenRequestsBefore = discord.oauth.tokenRequests.length;
    const browser = new Browser();
    await browser.get(`${dashboard.publicUrl}/auth/discord/login`);
    for (const query of ["state=made-up&code=made-up", "code=made-up", "error=access_denied"]) {
      const answer = await browser.get(`${dashboard.publicUrl}/auth/discord/callback?${query}`);
      expect(answer.status).toBe(400);
      expect(await answer.text()).toContain("Log in with Discord");
      expect(sessionCookieOf(browser, dashboard.publicUrl)).toBeUndefined();
    }

    // The state of a sign-in started in browser A, brought to browser B with a real code.
    const a = new Browser();
    const login = await a.get(`${dashboard.publicUrl}/auth/discord/login`);
    const state = new URL(login.headers.get("location")!).searchParams.get("state")!;
    const b = new Browser();
    const stolen = await b.get(`${dashboard.publicUrl}/auth/discord/callback?state=${state}&code=any`);
    expect(stolen.status).toBe(403);
    expect(sessionCookieOf(b, dashboard.publicUrl)).toBeUndefined();
    // ...and the state is spent: A cannot use it any more either.
    const late = await a.get(`${dashboard.publicUrl}/auth/discord/callback?state=${state}&code=any`);
    expect(late.status).toBe(400);

    // Cancel on Discord's page comes back with error=access_denied and the right state: still no session.
    const c = new Browser();
    const started = new URL((await c.get(`${dashboard.publicUrl}/auth/discord/login`)).headers.get("location")!);
    const denied = await c.get(`${dashboard.publicUrl}/auth/discord/callback?error=access_denied&state=${started.searchParams.get("state")}`);
    expect(denied.status).toBe(400);
    expect(sessionCookieOf(c, dashboard.publicUrl)).toBeUndefined();
    // None of these reached Discord's token endpoint.
    expect(discord.oauth.tokenRequests.length).toBe(tokenRequestsBefore);
  });

  test("not signed in, /dashboard sends the browser to sign in and a guild page shows nothing", async () => {
    const browser = new Browser();
    const list = await browser.get(`${dashboard.publicUrl}/dashboard`);
    expect(list.status).toBe(302);
    expect(list.headers.get("location")).toBe(`${dashboard.publicUrl}/auth/discord/login`);
    const guild = await browser.get(`${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`);
    expect(guild.status).toBe(302);
  });
});

describe("who may manage a guild", () => {
  test("a plain member gets 403 with no word of the guild, the same page as for a guild that does not exist", async () => {
    const browser = new Browser();
    await signIn(browser, dashboard.publicUrl, community.players[0]!.discordId);
    const list = await (await browser.get(`${dashboard.publicUrl}/dashboard`)).text();
    expect(list).not.toContain(community.groupName);

    const refused = await browser.get(`${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`);
    expect(refused.status).toBe(403);
    const body = await refused.text();
    expect(body).not.toContain(community.groupName);
    expect(body).not.toContain(community.guildId);
    const unknown = await browser.get(`${dashboard.publicUrl}/dashboard/guilds/123456789012345678`);
    expect(unknown.status).toBe(403);
    expect(await unknown.text()).toBe(body);
    const garbage = await browser.get(`${dashboard.publicUrl}/dashboard/guilds/not-a-guild`);
    expect(garbage.status).toBe(403);
  });

  test("the owner and a Manage Roles officer see the overview; rights taken away in Discord are refused within 60 s", async () => {
    const owner = new Browser();
    await signIn(owner, dashboard.publicUrl, community.ownerDiscordId);
    const ownerPage = await owner.get(`${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`);
    expect(ownerPage.status).toBe(200);
    const html = await ownerPage.text();
    expect(html).toContain(community.groupName);
    expect(html).toContain(String(community.groupId));
    expect(html).toContain("Pending Roblox writes");

    const officer = new Browser();
    await signIn(officer, dashboard.publicUrl, community.adminDiscordId);
    const guildUrl = `${dashboard.publicUrl}/dashboard/guilds/${community.guildId}`;
    expect((await officer.get(guildUrl)).status).toBe(200);

    // The officer loses the Officers role (Manage Roles) in Discord; the session itself is untouched.
    const officersRole = discord.roleByName(community.guildId, "Officers")!.id;
    const kept = discord.memberRoleIds(community.guildId, community.adminDiscordId)!.filter((id) => id !== officersRole);
    const takenAt = Date.now();
    discord.setMemberRoles(community.guildId, community.adminDiscordId, kept);
    const status = await eventually(() => officer.get(guildUrl).then((r) => r.status), (s) => s === 403, 60_000, 200);
    expect(status).toBe(403);
    expect(Date.now() - takenAt).toBeLessThan(60_000);
    expect(await (await officer.get(`${dashboard.publicUrl}/dashboard`)).text()).not.toContain(community.groupName);
    discord.setMemberRoles(community.guildId, community.adminDiscordId, [...kept, officersRole]);
  }, 70_000);
});

describe("changes need the session's CSRF token and the dashboard's origin", () => {
  test("a logout without the token, or from another origin, is refused and the session lives on", async () => {
    const browser = new Browser();
    await signIn(browser, dashboard.publicUrl, community.ownerDiscordId);
    const csrf = csrfOf(await (await browser.get(`${dashboard.publicUrl}/dashboard`)).text())!;
    expect(csrf).toMatch(/^[\w-]{43}$/);
    const origin = { origin: new URL(dashboard.publicUrl).origin };

    const attempts: [Record<string, string>, Record<string, string>][] = [
      [{}, origin],
      [{ csrf: "not-the-token" }, origin],
      [{ csrf }, { origin: "https://attacker.invalid" }],
      [{ csrf }, {}],
    ];
    for (const [form, headers] of attempts) {
      const refused = await browser.post(`${dashboard.publicUrl}/auth/logout`, form, headers);
      expect(refused.status).toBe(403);
      expect((await browser.get(`${dashboard.publicUrl}/dashboard`)).status).toBe(200);
    }
  });

  test("logout ends the session server-side: the old cookie signs no one in", async () => {
    const browser = new Browser();
    await signIn(browser, dashboard.publicUrl, community.ownerDiscordId);
    const stolenCookie = sessionCookieOf(browser, dashboard.publicUrl)!.split(";")[0]!;
    const csrf = csrfOf(await (await browser.get(`${dashboard.publicUrl}/dashboard`)).text())!;
    const out = await browser.post(`${dashboard.publicUrl}/auth/logout`, { csrf }, { origin: new URL(dashboard.publicUrl).origin });
    expect(out.status).toBe(303);
    expect(out.headers.get("location")).toBe(`${dashboard.publicUrl}/dashboard/logged-out`);
    expect(sessionCookieOf(browser, dashboard.publicUrl)).toBeUndefined();

    const replayed = await fetch(`${dashboard.publicUrl}/dashboard`, { redirect: "manual", headers: { cookie: `rankbridge_session=${stolenCookie}` } });
    expect(replayed.status).toBe(302);
    expect(replayed.headers.get("location")).toBe(`${dashboard.publicUrl}/auth/discord/login`);
  });

  test("what the bot sent Discord conforms to Discord's OpenAPI document (the token exchange is not in it)", () => {
    expect(discord.requestsTo({ method: "GET", pathIncludes: "/users/@me/guilds" }).some((r) => r.headers.authorization?.startsWith("Bearer "))).toBe(true);
    expect(discord.oauth.tokenRequests.some((r) => r.status === 200)).toBe(true);
    expect(specProblems({ discord })).toEqual([]);
  });

  test("the client secret and the codes never reach the logs", () => {
    const logs = JSON.stringify(dashboard.bot.logs);
    expect(logs).toContain("dashboard sign-in");
    expect(logs).not.toContain(discord.oauth.clientSecret);
  });
});

describe("configuration", () => {
  test("without DISCORD_CLIENT_SECRET the dashboard's routes answer 404", async () => {
    const harness = createInProcessBot({ env: { ...emulatorEnv(discord, roblox), PUBLIC_URL: "http://127.0.0.1:1" } });
    try {
      for (const path of ["/dashboard", "/auth/discord/login", "/auth/discord/callback?state=x&code=y", "/dashboard/guilds/123456789012345678"]) {
        expect((await harness.bot.httpApp.request(path)).status).toBe(404);
      }
      expect((await harness.bot.httpApp.request("/auth/logout", { method: "POST" })).status).toBe(404);
    } finally {
      await harness.close();
    }
  });

  test("behind https the cookies are Secure and __Host- prefixed; the client id defaults to the bot's application", async () => {
    const harness = createInProcessBot({
      env: { ...emulatorEnv(discord, roblox), PUBLIC_URL: "https://dashboard.example", DISCORD_CLIENT_SECRET: "s3cret", DISCORD_WEB_URL: discord.webUrl },
    });
    try {
      const login = await harness.bot.httpApp.request("/auth/discord/login");
      expect(login.status).toBe(302);
      const cookie = login.headers.getSetCookie()[0]!;
      expect(cookie).toStartWith("__Host-rankbridge_dashboard_signin=");
      expect(cookie).toContain("Secure");
      expect(cookie).toContain("HttpOnly");
      const authorize = new URL(login.headers.get("location")!);
      expect(authorize.searchParams.get("client_id")).toBe(discord.applicationId);
      expect(authorize.searchParams.get("redirect_uri")).toBe("https://dashboard.example/auth/discord/callback");
    } finally {
      await harness.close();
    }
  });
});
