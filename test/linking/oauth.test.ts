import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { ButtonStyle } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
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

/** "Sign in with Roblox": the button's authorize URL, Roblox's redirect, and our Hono callback on a real port. */
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

  /** Runs /link-roblox and returns the "Sign in with Roblox" URL it offers. */
  async function signInUrl(w: World, memberId: string, username: string): Promise<URL> {
    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(username)));
    const [signIn, confirm] = buttonsOf(reply);
    expect(signIn).toMatchObject({ style: ButtonStyle.Link, label: "Sign in with Roblox" });
    expect(confirm?.custom_id).toBe("link-roblox:confirm");
    return new URL(signIn!.url!);
  }

  /** What the browser does: follow Roblox's redirect to our callback. */
  async function signIn(authorize: URL): Promise<{ callbackUrl: string; response: Response; html: string }> {
    const redirect = await fetch(authorize, { redirect: "manual" });
    expect(redirect.status).toBe(302);
    const callbackUrl = redirect.headers.get("location")!;
    const response = await fetch(callbackUrl);
    return { callbackUrl, response, html: await response.text() };
  }

  const tokenRequests = () => roblox.requests.filter((r) => r.method === "POST" && r.path === "/oauth/v1/token");

  test("authorize → callback through the Hono app → linked, with PKCE and the rank role set", async () => {
    const w = await fresh();
    const player = robloxPlayer(roblox, { roleId: ROLE.corporal });
    const memberId = w.addMember([w.rankRole.recruit]);

    const authorize = await signInUrl(w, memberId, player.name);
    expect(`${authorize.origin}${authorize.pathname}`).toBe(roblox.url("apis", "/oauth/v1/authorize"));
    const query = Object.fromEntries(authorize.searchParams);
    expect(query).toMatchObject({
      client_id: OAUTH_CLIENT.id,
      redirect_uri: `${w.http.url}/oauth/callback`,
      scope: "openid profile",
      response_type: "code",
      code_challenge_method: "S256",
    });
    expect(query.state!.length).toBeGreaterThanOrEqual(43);
    expect(w.repositories.members.get(w.guildId, memberId)?.robloxUserId ?? null).toBeNull();

    roblox.oauthApprove(player.id);
    const { callbackUrl, response, html } = await signIn(authorize);
    expect(callbackUrl.startsWith(`${w.http.url}/oauth/callback?`)).toBe(true);
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/html");
    expect(html).toContain("Linked! You can close this tab and return to Discord.");
    expect(html).toContain("E2 | Corporal (Rank 10)");

    expect(w.repositories.members.get(w.guildId, memberId)).toMatchObject({
      robloxUserId: player.id,
      robloxUsername: player.name,
      verifiedBy: "oauth",
    });
    expect(discord.memberRoleIds(w.guildId, memberId)).toEqual([w.rankRole.corporal]);
    expect(w.repositories.audit.listForMember(w.guildId, memberId).map((e) => [e.action, e.outcome])).toEqual([["link", "ok"]]);

    // client_secret_post with the PKCE verifier whose S256 hash was sent to authorize.
    const [token] = tokenRequests();
    const form = new URLSearchParams(String(token!.body));
    expect(form.get("grant_type")).toBe("authorization_code");
    expect(form.get("client_secret")).toBe(OAUTH_CLIENT.secret);
    expect(createHash("sha256").update(form.get("code_verifier")!).digest("base64url")).toBe(query.code_challenge!);
    expect(token!.headers.authorization).toBeUndefined();

    // The callback URL works once: a replay links nobody and sends nothing to Roblox.
    const replay = await fetch(callbackUrl);
    expect(replay.status).toBe(400);
    expect(await replay.text()).toContain("already used");
    expect(tokenRequests()).toHaveLength(1);
    expectRequestsMatchSpecs(w);
  });

  test("a forged or unknown state is refused before anything is sent to Roblox", async () => {
    const w = await fresh();
    const player = robloxPlayer(roblox);
    const memberId = w.addMember();
    const authorize = await signInUrl(w, memberId, player.name);
    roblox.oauthApprove(player.id);

    // A real code from Roblox, delivered with a state rankbridge never issued.
    const redirect = await fetch(authorize, { redirect: "manual" });
    const code = new URL(redirect.headers.get("location")!).searchParams.get("code")!;
    const forged = await fetch(`${w.http.url}/oauth/callback?code=${encodeURIComponent(code)}&state=${"A".repeat(43)}`);
    expect(forged.status).toBe(400);
    expect(await forged.text()).toContain("one rankbridge handed out");
    const missing = await fetch(`${w.http.url}/oauth/callback?code=${encodeURIComponent(code)}`);
    expect(missing.status).toBe(400);

    expect(tokenRequests()).toHaveLength(0);
    expect(w.repositories.members.get(w.guildId, memberId)?.robloxUserId ?? null).toBeNull();
  });

  test("an expired sign-in, a cancelled one, and an account outside the group each get their own page", async () => {
    const w = await fresh();
    const memberId = w.addMember();

    const outsider = robloxPlayer(roblox, { roleId: null });
    roblox.oauthApprove(outsider.id);
    const notInGroup = await signIn(await signInUrl(w, memberId, robloxPlayer(roblox).name));
    expect(notInGroup.response.status).toBe(403);
    expect(notInGroup.html).toContain(`href="https://www.roblox.com/communities/${GROUP_ID}"`);

    roblox.oauthApprove(null);
    const cancelled = await signIn(await signInUrl(w, memberId, robloxPlayer(roblox).name));
    expect(cancelled.response.status).toBe(400);
    expect(cancelled.html).toContain("cancelled");

    const player = robloxPlayer(roblox);
    roblox.oauthApprove(player.id);
    const authorize = await signInUrl(w, memberId, player.name);
    w.clock.now += 15 * 60_000 + 1;
    const expired = await signIn(authorize);
    expect(expired.response.status).toBe(410);
    expect(expired.html).toContain("expired");

    expect(w.repositories.members.get(w.guildId, memberId)?.robloxUserId ?? null).toBeNull();
    expect(discord.memberRoleIds(w.guildId, memberId)).toEqual([]);
  });
});
