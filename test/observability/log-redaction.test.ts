import { describe, expect, test } from "bun:test";
import { DiscordAPIError, HTTPError } from "@discordjs/rest";
import { loadConfig } from "../../src/config/env.ts";
import { LogRedactor, REDACTED } from "../../src/observability/log-redaction.ts";
import { createLogger } from "../../src/observability/logger.ts";

/** A logger writing parsed lines, and the raw text to search for leaks. */
function capture(secrets: string[] = []) {
  const text: string[] = [];
  const logger = createLogger({ level: "trace", secrets, destination: { write: (line: string) => void text.push(line) } });
  return { logger, text: () => text.join(""), lines: () => text.join("").trim().split("\n").map((line) => JSON.parse(line)) };
}

const INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OkxlYWtlZFRva2Vu";
const WEBHOOK_TOKEN = "Wh0oK-tok3n_abcdefghijklmnopqrstuvwxyz0123456789";

describe("LogRedactor", () => {
  test("secret keys are hidden at any depth, in any spelling", () => {
    const redacted = new LogRedactor().redact({
      a: { b: { c: { d: { "x-api-key": "k1", headers: { Authorization: "Bot abc", cookie: ".ROBLOSECURITY=c" } } } } },
      list: [{ apiKey: "k2" }, { nested: [{ client_secret: "s1", codeVerifier: "v1", ".ROBLOSECURITY": "c2" }] }],
      config: { robloxOAuth: { clientId: "123", clientSecret: "s2", publicUrl: "https://bot.example" }, discordToken: "t" },
    }) as any;
    expect(redacted.a.b.c.d["x-api-key"]).toBe(REDACTED);
    expect(redacted.a.b.c.d.headers).toEqual({ Authorization: REDACTED, cookie: REDACTED });
    expect(redacted.list[0].apiKey).toBe(REDACTED);
    expect(redacted.list[1].nested[0]).toEqual({ client_secret: REDACTED, codeVerifier: REDACTED, ".ROBLOSECURITY": REDACTED });
    // The config's real shape: the OAuth secret sits under robloxOAuth, which pino's fixed paths missed.
    expect(redacted.config.robloxOAuth).toEqual({ clientId: "123", clientSecret: REDACTED, publicUrl: "https://bot.example" });
    expect(redacted.config.discordToken).toBe(REDACTED);
  });

  test("an OAuth code is hidden; Discord's and Roblox's error codes are kept", () => {
    const redacted = new LogRedactor().redact({ oauth: { code: "mXk2Qp9-zLw8" }, discord: { code: 50013 }, roblox: { code: "NOT_FOUND" }, legacy: { code: "4" } }) as any;
    expect(redacted).toEqual({ oauth: { code: REDACTED }, discord: { code: 50013 }, roblox: { code: "NOT_FOUND" }, legacy: { code: "4" } });
  });

  test("URLs lose interaction and webhook tokens and secret query parameters, wherever the text is", () => {
    const redactor = new LogRedactor();
    expect(redactor.text(`POST https://discord.com/api/v10/interactions/123/${INTERACTION_TOKEN}/callback?with_response=true`)).toBe(
      `POST https://discord.com/api/v10/interactions/123/${REDACTED}/callback?with_response=true`,
    );
    expect(redactor.text(`https://discord.com/api/webhooks/456/${WEBHOOK_TOKEN}`)).toBe(`https://discord.com/api/webhooks/456/${REDACTED}`);
    expect(redactor.text(`/webhooks/789/${WEBHOOK_TOKEN}/messages/@original`)).toBe(`/webhooks/789/${REDACTED}/messages/@original`);
    expect(redactor.text("https://bot.example/oauth/callback?code=abc123&state=s7ate")).toBe(
      `https://bot.example/oauth/callback?code=${REDACTED}&state=${REDACTED}`,
    );
    expect(redactor.text("grant_type=authorization_code&code=abc&code_verifier=xyz&client_secret=shh")).toBe(
      `grant_type=authorization_code&code=${REDACTED}&code_verifier=${REDACTED}&client_secret=${REDACTED}`,
    );
    expect(redactor.text("cookie: .ROBLOSECURITY=_|WARNING:-DO-NOT-SHARE|_ABCDEF; path=/")).toBe(`cookie: .ROBLOSECURITY=${REDACTED}; path=/`);
    expect(redactor.text("Authorization: Bot MTIzNDU2Nzg5.abcdef.ghijklmnop")).toBe(`Authorization: Bot ${REDACTED}`);
    expect(redactor.text('{"access_token":"at-1","token_type":"Bearer","refresh_token":"rt\\"2","scope":"openid"}')).toBe(
      `{"access_token":"${REDACTED}","token_type":"Bearer","refresh_token":"${REDACTED}","scope":"openid"}`,
    );
    // Prose is left alone.
    expect(redactor.text("Bot permissions are missing for the webhooks feature")).toBe("Bot permissions are missing for the webhooks feature");
  });

  test("the process's own secret values are removed from any text, including error messages and stacks", () => {
    const redactor = new LogRedactor(["the-bot-token-value-1234", undefined, "short"]);
    const error = new Error("request with the-bot-token-value-1234 failed");
    const redacted = redactor.redact({ err: error, note: "short stays: too short to search for" }) as any;
    expect(redacted.err.message).toBe(`request with ${REDACTED} failed`);
    expect(redacted.err.stack).not.toContain("the-bot-token-value-1234");
    expect(redacted.note).toBe("short stays: too short to search for");
  });

  test("errors become plain objects: own fields and causes walked; cycles, Headers, Maps and bytes handled", () => {
    const cause = new Error(`GET /webhooks/1/${WEBHOOK_TOKEN}`);
    const error = Object.assign(new Error("outer", { cause }), { request: { headers: new Headers({ "x-api-key": "hidden-key" }) } });
    const loop: any = { name: "loop" };
    loop.self = loop;
    const oddKey = Object.create(null);
    const redacted = new LogRedactor().redact({ err: error, loop, map: new Map([["token", "t"]]), odd: new Map([[oddKey, 1]]), bytes: new Uint8Array(32) }) as any;
    expect(redacted.odd).toEqual({ "[object Object]": 1 });
    expect(new LogRedactor().redact({ at: new Date(Number.NaN) })).toEqual({ at: "Invalid Date" });
    expect(redacted.err.type).toBe("Error");
    expect(redacted.err.request.headers).toEqual({ "x-api-key": REDACTED });
    expect(redacted.err.cause.message).toBe(`GET /webhooks/1/${REDACTED}`);
    expect(redacted.loop.self).toBe("[circular]");
    expect(redacted.map).toEqual({ token: REDACTED });
    expect(redacted.bytes).toBe("[32 bytes]");
  });
});

describe("createLogger", () => {
  test("DiscordAPIError and HTTPError are logged without the interaction token, the request body's secrets or the URL's", () => {
    const { logger, text, lines } = capture();
    const url = `https://discord.com/api/v10/interactions/1234567890/${INTERACTION_TOKEN}/callback`;
    const apiError = new DiscordAPIError({ code: 10062, message: "Unknown interaction" }, 10062, 404, "POST", url, {
      body: { type: 4, data: { content: "hi", token: "nested-token-value" }, headers: { authorization: "Bot secret.value.here" } },
    });
    const httpError = new HTTPError(502, "Bad Gateway", "PATCH", `https://discord.com/api/v10/webhooks/99/${WEBHOOK_TOKEN}/messages/@original`, {
      body: { content: "x" },
    });
    logger.error({ err: apiError }, "could not reply");
    logger.warn(httpError);
    expect(text()).not.toContain(INTERACTION_TOKEN);
    expect(text()).not.toContain(WEBHOOK_TOKEN);
    expect(text()).not.toContain("nested-token-value");
    expect(text()).not.toContain("secret.value.here");
    const [first, second] = lines();
    expect(first.err.type).toBe("DiscordAPIError");
    expect(first.err.status).toBe(404);
    expect(first.err.code).toBe(10062);
    expect(first.err.url).toBe(`https://discord.com/api/v10/interactions/1234567890/${REDACTED}/callback`);
    expect(first.err.requestBody.json.data).toEqual({ content: "hi", token: REDACTED });
    expect(second.err.type).toBe("HTTPError");
    expect(second.err.url).toContain(`/webhooks/99/${REDACTED}/messages`);
  });

  test("messages, format arguments and child bindings are redacted too", () => {
    const { logger, text } = capture(["operator-api-key-0001"]);
    const child = logger.child({ request: { headers: { "x-api-key": "bound-key-value" } } });
    child.info(`calling https://x/webhooks/5/${WEBHOOK_TOKEN} with %s`, "operator-api-key-0001");
    expect(text()).not.toContain(WEBHOOK_TOKEN);
    expect(text()).not.toContain("operator-api-key-0001");
    expect(text()).not.toContain("bound-key-value");
    expect(text()).toContain(REDACTED);
  });

  test("the whole configuration can be logged: every secret setting is hidden", () => {
    const config = loadConfig({
      DISCORD_TOKEN: "cfg-discord-token-value",
      ROBLOX_API_KEY: "cfg-roblox-api-key-value",
      ROBLOX_COOKIE: "cfg-roblox-cookie-value",
      ROBLOX_OAUTH_CLIENT_ID: "42",
      ROBLOX_OAUTH_CLIENT_SECRET: "cfg-oauth-client-secret",
      PUBLIC_URL: "https://bot.example",
      ENCRYPTION_KEY: "ab".repeat(32),
      DATABASE_PATH: ":memory:",
    });
    // No value registered: the keys alone must hide them.
    const { logger, text } = capture();
    logger.info({ config }, "configuration");
    for (const secret of ["cfg-discord-token-value", "cfg-roblox-api-key-value", "cfg-roblox-cookie-value", "cfg-oauth-client-secret"]) {
      expect(text()).not.toContain(secret);
    }
    expect(text()).toContain('"clientId":"42"');
  });
});
