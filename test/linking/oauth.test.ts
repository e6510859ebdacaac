import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { ButtonStyle } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { Browser, formFields } from "../support/browser.ts";
import {
  buttonsOf,
  createWorld,
  expectRequestsMatchSpecs,
  GROUP_ID,
  OAUTH_CLIENT,
  replyOf,
  ROLE,
  robloxPlayer,
  seedRoblox,
  usernameOption,
  type World,
} from "./world.ts";

/** "Sign in with Roblox": the bot's start page, Roblox's authorize and redirect, our callback and confirmation, on real ports. */
describe("Sign in with Roblox", () => {
  let discord: DiscordEmulator;
  let roblox: RobloxEmulator;
  let world: World;

  beforeAll(async () => {
    [discord, roblox] = await Promise.all([startDiscordEmulator({ timeScale: 0.1 }), startRobloxEmulator()]);
    seedRoblox(roblox);
  });
  afterAll(async () => {
    await Promise.all([discord.close(), roblox.close()]);
  });
  afterEach(async () => {
    roblox.oauthApprove(null);
    await world?.close();
  });

  async function fresh(): Promise<World & { http: NonNullable<World["http"]> }> {
    world = await createWorld(discord, roblox, { oauth: true });
    discord.resetCounters();
    roblox.requests.length = 0;
    return world as World & { http: NonNullable<World["http"]> };
  }

  /** Runs /link-roblox and returns the "Sign in with Roblox" URL it offers (the bot's own start page). */
  async function signInUrl(w: World, memberId: string, username: string): Promise<URL> {
    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(username)));
    const [signIn, confirm] = buttonsOf(reply);
    expect(signIn).toMatchObject({ style: ButtonStyle.Link, label: "Sign in with Roblox" });
    expect(confirm?.custom_id).toBe("link-roblox:confirm");
    return new URL(signIn!.url!);
  }

  /**
   * What the member's browser does: open the bot's start link (which sets the sign-in cookie and
   * sends it to Roblox), approve at Roblox, and follow Roblox's redirect back to our callback.
   */
  async function signIn(start: URL, browser = new Browser()): Promise<{ authorize: URL; callbackUrl: string; response: Response; html: string; browser: Browser }> {
    const started = await browser.get(start);
    expect(started.status).toBe(302);
    const authorize = new URL(started.headers.get("location")!);
    const redirect = await browser.get(authorize);
    expect(redirect.status).toBe(302);
    const callbackUrl = redirect.headers.get("location")!;
    const response = await browser.get(callbackUrl);
    return { authorize, callbackUrl, response, html: await response.text(), browser };
  }

  /** Presses "Yes, link it" on the confirmation page. */
  async function confirm(w: World & { http: { url: string } }, browser: Browser, html: string): Promise<{ response: Response; html: string }> {
    const response = await browser.post(`${w.http.url}/oauth/confirm`, formFields(html));
    return { response, html: await response.text() };
  }

  const tokenRequests = () => roblox.requests.filter((r) => r.method === "POST" && r.path === "/oauth/v1/token");

  test("start → authorize → callback → confirmation page → linked, with PKCE and the rank role set", async () => {
    const w = await fresh();
    const player = robloxPlayer(roblox, { roleId: ROLE.corporal, displayName: "Corporal Sunshine" });
    const memberId = w.addMember([w.rankRole.recruit]);

    // The button leads to the bot's own start page, never straight to Roblox (design §10).
    const start = await signInUrl(w, memberId, player.name);
    expect(`${start.origin}${start.pathname}`).toBe(`${w.http.url}/oauth/start`);
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();

    roblox.oauthApprove(player.id);
    const { authorize, callbackUrl, response, html, browser } = await signIn(start);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(roblox.url("apis", "/oauth/v1/authorize"));
    const query = Object.fromEntries(authorize.searchParams);
    expect(query).toMatchObject({
      client_id: OAUTH_CLIENT.id,
      redirect_uri: `${w.http.url}/oauth/callback`,
      scope: "openid profile",
      response_type: "code",
      code_challenge_method: "S256",
      state: start.searchParams.get("state"),
    });
    expect(query.state!.length).toBeGreaterThanOrEqual(43);
    const [cookie] = [...browser.cookies(w.http.url).values()];
    expect(cookie).toMatch(/HttpOnly/i);
    expect(cookie).toMatch(/SameSite=Lax/i);

    // The callback links nothing: it names who would receive the link and asks.
    expect(callbackUrl.startsWith(`${w.http.url}/oauth/callback?`)).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(response.headers.get("x-frame-options")).toBe("DENY");
    expect(html).toContain(`You signed in to Roblox as ${player.name}.`);
    expect(html).toContain(`in the server &#34;${discord.guild(w.guildId)?.name ?? ""}`);
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();

    const action = /<form method="post" action="([^"]+)">/.exec(html)?.[1];
    expect(new URL(action!, callbackUrl).toString()).toBe(`${w.http.url}/oauth/confirm`);
    const confirmed = await confirm(w, browser, html);
    expect(confirmed.response.status).toBe(200);
    expect(confirmed.html).toContain("Linked! You can close this tab and return to Discord.");
    expect(confirmed.html).toContain("E2 | Corporal (Rank 10)");

    expect(await w.repositories.members.get(w.guildId, memberId)).toMatchObject({
      robloxUserId: player.id,
      robloxUsername: player.name,
      // Sign in with Roblox's userinfo gives the display name (nickname); stored for {display-name}.
      robloxDisplayName: "Corporal Sunshine",
      verifiedBy: "oauth",
    });
    expect(discord.memberRoleIds(w.guildId, memberId)).toEqual([w.rankRole.corporal]);
    expect((await w.repositories.audit.listForMember(w.guildId, memberId)).map((e) => [e.action, e.outcome])).toEqual([["link", "ok"]]);

    // client_secret_post with the PKCE verifier whose S256 hash was sent to authorize.
    const [token] = tokenRequests();
    const form = new URLSearchParams(String(token!.body));
    expect(form.get("grant_type")).toBe("authorization_code");
    expect(form.get("client_secret")).toBe(OAUTH_CLIENT.secret);
    expect(createHash("sha256").update(form.get("code_verifier")!).digest("base64url")).toBe(query.code_challenge!);
    expect(token!.headers.authorization).toBeUndefined();

    // The callback URL works once: a replay links nobody and sends nothing to Roblox.
    const replay = await browser.get(callbackUrl);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("already used");
    expect(tokenRequests()).toHaveLength(1);
    expectRequestsMatchSpecs(w);
  });

  test("a forged or unknown state is refused before anything is sent to Roblox", async () => {
    const w = await fresh();
    const player = robloxPlayer(roblox);
    const memberId = w.addMember();
    const start = await signInUrl(w, memberId, player.name);
    roblox.oauthApprove(player.id);

    // A real code from Roblox, delivered with a state rankbridge never issued.
    const browser = new Browser();
    const authorize = new URL((await browser.get(start)).headers.get("location")!);
    const redirect = await browser.get(authorize);
    const code = new URL(redirect.headers.get("location")!).searchParams.get("code")!;
    const forged = await browser.get(`${w.http.url}/oauth/callback?code=${encodeURIComponent(code)}&state=${"A".repeat(43)}`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain("one rankbridge handed out");
    const missing = await browser.get(`${w.http.url}/oauth/callback?code=${encodeURIComponent(code)}`);
    expect(missing.status).toBe(400);
    const forgedStart = await new Browser().get(`${w.http.url}/oauth/start?state=${"B".repeat(43)}`);
    expect(forgedStart.status).toBe(400);

    expect(tokenRequests()).toHaveLength(0);
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();
  });

  test("an expired sign-in, a cancelled one, and an account outside the group each get their own page", async () => {
    const w = await fresh();
    const memberId = w.addMember();

    const outsider = robloxPlayer(roblox, { roleId: null });
    roblox.oauthApprove(outsider.id);
    const signedIn = await signIn(await signInUrl(w, memberId, robloxPlayer(roblox).name));
    const notInGroup = await confirm(w, signedIn.browser, signedIn.html);
    expect(notInGroup.response.status).toBe(403);
    expect(notInGroup.html).toContain(`href="https://www.roblox.com/communities/${GROUP_ID}"`);

    roblox.oauthApprove(null);
    const cancelled = await signIn(await signInUrl(w, memberId, robloxPlayer(roblox).name));
    expect(cancelled.response.status).toBe(400);
    expect(cancelled.html).toContain("cancelled");

    const player = robloxPlayer(roblox);
    roblox.oauthApprove(player.id);
    const start = await signInUrl(w, memberId, player.name);
    w.clock.now += 15 * 60_000 + 1;
    const expired = await new Browser().get(start);
    expect(expired.status).toBe(410);
    expect(await expired.text()).toContain("expired");

    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();
    expect(discord.memberRoleIds(w.guildId, memberId)).toEqual([]);
  });
});
