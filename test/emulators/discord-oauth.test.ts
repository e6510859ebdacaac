// The Discord emulator's OAuth2 authorization-code grant, over real sockets: the consent page, the
// token exchange (client authentication, PKCE, single-use codes, redirect_uri), and what a user's
// bearer token may read. Answers are checked against Discord's OpenAPI document where it covers them.
import { afterEach, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { startDiscordEmulator, type DiscordEmulator } from "./discord/index.ts";

const running: DiscordEmulator[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((emulator) => emulator.close()));
});

const REDIRECT = "http://127.0.0.1:1/auth/discord/callback";
const VERIFIER = `${"v".repeat(20)}-verifier-of-forty-three-chars`;
const challengeOf = (verifier: string) => createHash("sha256").update(verifier).digest("base64url");

async function setUp() {
  const discord = await startDiscordEmulator({ heartbeatIntervalMs: 250, rateLimits: { defaultBucket: { limit: 100, windowMs: 1000 } } });
  running.push(discord);
  discord.oauth.addRedirectUri(REDIRECT);
  const guild = discord.createGuild({ name: "Clan" });
  const alice = discord.addMember(guild.id, { username: "alice" }).user;
  const other = discord.createGuild({ name: "Elsewhere" });
  return { discord, guild, other, alice };
}

function authorizeQuery(discord: DiscordEmulator, extra: Record<string, string> = {}): URLSearchParams {
  return new URLSearchParams({
    response_type: "code",
    client_id: discord.oauth.clientId,
    scope: "identify guilds",
    state: "state-123",
    redirect_uri: REDIRECT,
    code_challenge: challengeOf(VERIFIER),
    code_challenge_method: "S256",
    ...extra,
  });
}

/** Submits the consent form as the given user; returns where Discord sends the browser. */
async function consent(discord: DiscordEmulator, userId: string, decision: "authorize" | "deny", extra: Record<string, string> = {}): Promise<URL> {
  const form = authorizeQuery(discord, extra);
  form.set("user_id", userId);
  form.set("decision", decision);
  const response = await fetch(`${discord.webUrl}/oauth2/authorize`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: form,
  });
  expect(response.status).toBe(302);
  return new URL(response.headers.get("location")!);
}

function exchange(discord: DiscordEmulator, fields: Record<string, string>, basic = true): Promise<Response> {
  const credentials = Buffer.from(`${discord.oauth.clientId}:${discord.oauth.clientSecret}`).toString("base64");
  return fetch(`${discord.restBase}/v10/oauth2/token`, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...(basic ? { authorization: `Basic ${credentials}` } : {}) },
    body: new URLSearchParams({ grant_type: "authorization_code", redirect_uri: REDIRECT, code_verifier: VERIFIER, ...fields }),
  });
}

const SPEC_ID = "https://discord-openapi.invalid/spec.json";
let ajv: Ajv2020 | undefined;
function expectSchema(schema: string, value: unknown): void {
  if (!ajv) {
    ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    ajv.addSchema({ ...JSON.parse(readFileSync(join(import.meta.dir, "..", "specs", "discord-openapi.json"), "utf8")), $id: SPEC_ID });
  }
  const validate = ajv.getSchema(`${SPEC_ID}#/components/schemas/${schema}`)!;
  const ok = validate(value);
  expect({ schema, errors: ok ? [] : validate.errors }).toEqual({ schema, errors: [] });
}

describe("the consent page", () => {
  test("lists the emulator's users to sign in as, with the authorize request carried in the form", async () => {
    const { discord, alice } = await setUp();
    const response = await fetch(`${discord.webUrl}/oauth2/authorize?${authorizeQuery(discord)}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain(`value="${alice.id}"`);
    expect(html).toContain("alice");
    expect(html).toContain('name="state" value="state-123"');
    expect(html).not.toContain(`id="user-${discord.botUserId}"`);
  });

  test("authorize sends the browser back with a code and the state; cancel with error=access_denied", async () => {
    const { discord, alice } = await setUp();
    const granted = await consent(discord, alice.id, "authorize");
    expect(`${granted.origin}${granted.pathname}`).toBe(REDIRECT);
    expect(granted.searchParams.get("code")).toMatch(/^[\w-]{20,}$/);
    expect(granted.searchParams.get("state")).toBe("state-123");

    const denied = await consent(discord, alice.id, "deny");
    expect(denied.searchParams.get("error")).toBe("access_denied");
    expect(denied.searchParams.get("state")).toBe("state-123");
    expect(denied.searchParams.has("code")).toBe(false);
  });

  test("an unregistered redirect_uri, an unknown client or an unknown scope is an error page, never a redirect", async () => {
    const { discord } = await setUp();
    const refused: Record<string, string>[] = [{ redirect_uri: "https://attacker.invalid/cb" }, { client_id: "123456789012345678" }, { scope: "identify admin" }];
    for (const extra of refused) {
      const response = await fetch(`${discord.webUrl}/oauth2/authorize?${authorizeQuery(discord, extra)}`, { redirect: "manual" });
      expect(response.status).toBe(400);
      expect(response.headers.get("location")).toBeNull();
    }
  });
});

describe("the token exchange", () => {
  test("a code with its PKCE verifier gives a bearer token for the scopes granted, once", async () => {
    const { discord, alice } = await setUp();
    const code = (await consent(discord, alice.id, "authorize")).searchParams.get("code")!;
    const first = await exchange(discord, { code });
    expect(first.status).toBe(200);
    const token = (await first.json()) as Record<string, unknown>;
    expect(token).toMatchObject({ token_type: "Bearer", expires_in: 604800, scope: "identify guilds" });
    expect(typeof token.access_token).toBe("string");

    const again = await exchange(discord, { code });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ error: "invalid_grant", error_description: 'Invalid "code" in request.' });
  });

  test("client credentials may come in the form instead of Basic auth; a wrong secret is invalid_client", async () => {
    const { discord, alice } = await setUp();
    const code = (await consent(discord, alice.id, "authorize")).searchParams.get("code")!;
    const wrong = await exchange(discord, { code, client_id: discord.oauth.clientId, client_secret: "not-the-secret" }, false);
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ error: "invalid_client" });
    const code2 = (await consent(discord, alice.id, "authorize")).searchParams.get("code")!;
    const right = await exchange(discord, { code: code2, client_id: discord.oauth.clientId, client_secret: discord.oauth.clientSecret }, false);
    expect(right.status).toBe(200);
  });

  test("a wrong verifier, a missing verifier or another redirect_uri spends the code and gets invalid_grant", async () => {
    const { discord, alice } = await setUp();
    const cases: [Record<string, string>, string][] = [
      [{ code_verifier: `${VERIFIER}x` }, 'Invalid "code_verifier" in request.'],
      [{ code_verifier: "" }, 'Invalid "code_verifier" in request.'],
      [{ redirect_uri: "http://127.0.0.1:1/elsewhere" }, 'Invalid "redirect_uri" in request.'],
    ];
    for (const [fields, description] of cases) {
      const code = (await consent(discord, alice.id, "authorize")).searchParams.get("code")!;
      const response = await exchange(discord, { code, ...fields });
      expect(response.status).toBe(400);
      expect(await response.json()).toEqual({ error: "invalid_grant", error_description: description });
      // The failed attempt spent it: the right verifier no longer works either.
      expect((await exchange(discord, { code })).status).toBe(400);
    }
    const unsupported = await exchange(discord, { grant_type: "password", code: "x" });
    expect(await unsupported.json()).toEqual({ error: "unsupported_grant_type" });
  });
});

describe("a user's bearer token", () => {
  async function tokenFor(discord: DiscordEmulator, userId: string, scope = "identify guilds"): Promise<string> {
    const code = (await consent(discord, userId, "authorize", { scope })).searchParams.get("code")!;
    return ((await (await exchange(discord, { code })).json()) as { access_token: string }).access_token;
  }
  const get = (discord: DiscordEmulator, path: string, token: string) =>
    fetch(`${discord.restBase}/v10${path}`, { headers: { authorization: `Bearer ${token}` } });

  test("reads the user (identify) and only the guilds they are in (guilds), as the spec describes them", async () => {
    const { discord, guild, alice } = await setUp();
    const token = await tokenFor(discord, alice.id);
    const me = await get(discord, "/users/@me", token);
    expect(me.status).toBe(200);
    const user = await me.json();
    expect(user).toMatchObject({ id: alice.id, username: "alice" });
    expectSchema("UserPIIResponse", user);

    const guilds = (await (await get(discord, "/users/@me/guilds", token)).json()) as { id: string; owner: boolean }[];
    expect(guilds.map((g) => g.id)).toEqual([guild.id]);
    expect(guilds[0]!.owner).toBe(false);
    for (const entry of guilds) expectSchema("MyGuildResponse", entry);
  });

  test("without the guilds scope cannot list guilds; an unknown token reads nothing", async () => {
    const { discord, alice } = await setUp();
    const token = await tokenFor(discord, alice.id, "identify");
    expect((await get(discord, "/users/@me", token)).status).toBe(200);
    expect((await get(discord, "/users/@me/guilds", token)).status).toBe(401);
    expect((await get(discord, "/users/@me", "made-up-token")).status).toBe(401);
    // A bearer token is not a bot token: bot-only routes refuse it.
    expect((await get(discord, "/oauth2/applications/@me", token)).status).toBe(401);
  });

  test("GET /oauth2/applications/@me gives the bot its application (the default client id)", async () => {
    const { discord } = await setUp();
    const response = await fetch(`${discord.restBase}/v10/oauth2/applications/@me`, { headers: { authorization: `Bot ${discord.token}` } });
    const application = (await response.json()) as { id: string; redirect_uris: string[] };
    expect(application.id).toBe(discord.oauth.clientId);
    expect(application.redirect_uris).toEqual([REDIRECT]);
    expectSchema("PrivateApplicationResponse", application);
  });
});
