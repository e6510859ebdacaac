/**
 * Design §10, finding 4 of the security review: "Sign in with Roblox" links the Roblox account only
 * to the Discord account of the person at that browser. An attacker who gets a victim to approve
 * the attacker's own sign-in must not end up with the victim's Roblox account (nor move it off the
 * victim). Real Hono server, Discord and Roblox emulators over real sockets; two `Browser`s are two
 * people.
 */
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { Browser, formFields } from "../support/browser.ts";
import { buttonsOf, createWorld, replyOf, ROLE, robloxPlayer, seedRoblox, usernameOption, type World } from "../linking/world.ts";

let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let world: World | undefined;

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

async function scene() {
  world = await createWorld(discord, roblox, { oauth: true });
  const w = world as World & { http: NonNullable<World["http"]> };
  const attacker = w.addMember();
  const victim = w.addMember();
  // The victim's Roblox account, linked to the victim already (the attack would move it).
  const victimRoblox = robloxPlayer(roblox, { roleId: ROLE.corporal });
  await w.repositories.members.link(w.guildId, victim, { robloxUserId: victimRoblox.id, robloxUsername: victimRoblox.name, verifiedBy: "oauth" });
  const reply = replyOf(await w.command(attacker, "link-roblox", usernameOption(robloxPlayer(roblox).name)));
  const start = new URL(buttonsOf(reply)[0]!.url!);
  const tokenRequests = () => roblox.requests.filter((r) => r.method === "POST" && r.path === "/oauth/v1/token");
  const linkOf = async (discordId: string) => (await w.repositories.members.get(w.guildId, discordId))?.robloxUserId ?? null;
  return { w, attacker, victim, victimRoblox, start, tokenRequests, linkOf };
}

describe("Sign in with Roblox is bound to the browser", () => {
  test("the attacker's authorize URL approved in the victim's browser links nothing: the callback lacks the cookie", async () => {
    const { w, attacker, victim, victimRoblox, start, tokenRequests, linkOf } = await scene();
    // The attacker opens their own sign-in (binding it to their browser) and copies Roblox's URL:
    // where the bot's start page sends them (a bot without a start page puts it on the button).
    const attackerBrowser = new Browser();
    const authorize = start.pathname.endsWith("/oauth/start") ? (await attackerBrowser.get(start)).headers.get("location")! : start.toString();

    // The victim, signed in to Roblox, approves it in their own browser.
    roblox.oauthApprove(victimRoblox.id);
    const victimBrowser = new Browser();
    const callback = (await victimBrowser.get(authorize)).headers.get("location")!;
    const landed = await victimBrowser.get(callback);
    expect(landed.status).toBe(403);
    expect(await landed.text()).toContain("This sign-in was started in another browser, so nothing was linked.");

    expect(tokenRequests()).toHaveLength(0); // the code was never even exchanged
    expect(await linkOf(attacker)).toBeNull();
    expect(await linkOf(victim)).toBe(victimRoblox.id);
    expect(await w.repositories.audit.listForMember(w.guildId, attacker)).toHaveLength(0);
  });

  test("the attacker's start link opened by the victim names the attacker's account, and without the victim's confirmation nothing is linked", async () => {
    const { w, attacker, victim, victimRoblox, start, linkOf } = await scene();
    roblox.oauthApprove(victimRoblox.id);
    const victimBrowser = new Browser();
    const authorize = (await victimBrowser.get(start)).headers.get("location")!;
    const page = await victimBrowser.get((await victimBrowser.get(authorize)).headers.get("location")!);
    const html = await page.text();
    expect(page.status).toBe(200);
    const attackerUser = discord.user(attacker)!;
    expect(html).toContain(`to the Discord account ${attackerUser.global_name ?? attackerUser.username} (@${attackerUser.username})`);
    expect(html).toContain("Only confirm if that Discord account is yours.");
    expect(await linkOf(attacker)).toBeNull();

    // The attacker can't take the sign-in back to their own browser now, nor confirm it there.
    const attackerBrowser = new Browser();
    expect((await attackerBrowser.get(start)).status).toBe(403);
    const forged = await attackerBrowser.post(`${w.http!.url}/oauth/confirm`, formFields(html));
    expect(forged.status).toBe(403);
    // Nor can a page elsewhere post the form in the victim's name without its token.
    const noToken = await victimBrowser.post(`${w.http!.url}/oauth/confirm`, { state: formFields(html).state! });
    expect(noToken.status).toBe(403);
    expect(await noToken.text()).toContain("didn&#39;t come from the sign-in page");

    expect(await linkOf(attacker)).toBeNull();
    expect(await linkOf(victim)).toBe(victimRoblox.id);
  });

  test("a confirmation without the sign-in cookie (a cross-site form post) links nothing", async () => {
    const { w, attacker, victimRoblox, start, linkOf } = await scene();
    roblox.oauthApprove(victimRoblox.id);
    const browser = new Browser();
    const authorize = (await browser.get(start)).headers.get("location")!;
    const html = await (await browser.get((await browser.get(authorize)).headers.get("location")!)).text();
    // SameSite=Lax keeps the cookie off another site's POST: the same form, without it.
    const crossSite = await fetch(`${w.http!.url}/oauth/confirm`, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(formFields(html)).toString(),
    });
    expect(crossSite.status).toBe(403);
    expect(await linkOf(attacker)).toBeNull();
  });
});
