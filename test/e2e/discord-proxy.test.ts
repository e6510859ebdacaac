import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { InteractionResponseType } from "discord-api-types/v10";
import { createDiscordRest } from "../../src/discord/rest.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";

/**
 * `bun run discord-proxy` as a real process in front of the Discord emulator (design §8): the bot's
 * REST goes through it, it learns the buckets from the emulator's X-RateLimit-* headers and answers
 * 429 itself instead of letting a request reach Discord only to be refused, and the bot's REST retries
 * those 429s until the request goes through.
 */

/** Each route bucket of the emulator: 2 requests per window; the window is long enough to see. */
const BUCKET = { limit: 2, windowMs: 1500 };

function startProxy(emulator: DiscordEmulator, env: Record<string, string> = {}): BotProcess {
  return BotProcess.start({ DISCORD_API_URL: emulator.restBase, DISCORD_PROXY_PORT: "0", ...env }, { command: ["bun", "run", "discord-proxy"] });
}

async function stopped(proxy: BotProcess): Promise<void> {
  if (proxy.process.exitCode !== null) return;
  proxy.process.kill("SIGTERM");
  await Promise.race([proxy.exited, Bun.sleep(5_000)]);
}

async function proxyUrl(proxy: BotProcess): Promise<string> {
  return String((await proxy.waitForLog("discord proxy listening")).url);
}

describe("bun run discord-proxy", () => {
  let emulator: DiscordEmulator;
  let proxy: BotProcess | undefined;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    emulator = await startDiscordEmulator({ heartbeatIntervalMs: 500, rateLimits: { defaultBucket: BUCKET } });
  });
  const cleanupsAfter: (() => Promise<void> | void)[] = [];
  afterAll(() => emulator.close());
  afterEach(async () => {
    while (cleanupsAfter.length) await cleanupsAfter.pop()!();
    bot?.cleanup();
    // SIGTERM, not cleanup()'s SIGKILL: `bun run` passes SIGTERM on to the proxy it started, while
    // a SIGKILL would end `bun run` alone and leave the proxy running.
    if (proxy) await stopped(proxy);
    proxy?.cleanup();
    bot = proxy = undefined;
    emulator.resetCounters();
    emulator.resetRateLimits();
  });

  test("the bot's REST goes through the proxy: commands registered, a command answered, and the token never logged", async () => {
    const guild = emulator.createGuild({ name: "Proxied" });
    proxy = startProxy(emulator, { LOG_LEVEL: "debug" });
    const api = await proxyUrl(proxy);
    bot = BotProcess.start({ DISCORD_TOKEN: emulator.token, DISCORD_API_URL: api });
    const health = await bot.httpUrl();
    expect(await eventually(() => fetch(`${health}/readyz`).then((r) => r.status), (s) => s === 200, 20_000)).toBe(200);

    const interaction = emulator.injectInteraction({ guildId: guild.id, userId: guild.ownerId, commandName: "ping" });
    const callback = await interaction.waitForCallback(5_000);
    expect(callback.body).toMatchObject({ type: InteractionResponseType.ChannelMessageWithSource });

    // The proxy forwarded the bot's requests: the command registration and the interaction's answer.
    const forwarded = () => proxy!.logs.filter((l) => l.msg === "discord proxy request").map((l) => `${l.method} ${l.route} ${l.status}`);
    await proxy.waitForLog((l) => l.msg === "discord proxy request" && String(l.route).endsWith("/callback"));
    expect(forwarded()).toContain("GET /gateway/bot 200");
    expect(forwarded().some((r) => /^PUT \/applications\/\d+\/commands 200$/.test(r))).toBe(true);
    expect(forwarded()).toContain(`POST /interactions/${interaction.id}/[redacted]/callback 204`);
    expect(emulator.requests.some((r) => r.path === `/api/v10/interactions/${interaction.id}/${interaction.token}/callback`)).toBe(true);

    const proxyOutput = JSON.stringify(proxy.logs) + proxy.stderr;
    expect(proxyOutput).not.toContain(emulator.token);
    expect(proxyOutput).not.toContain(interaction.token);

    expect(await bot.stop("SIGTERM")).toBe(0);
    expect(await proxy.stop("SIGTERM")).toBe(0);
    expect(proxy.logs.map((l) => l.msg)).toContain("discord proxy stopped");
  }, 40_000);

  test("learns a bucket from the emulator's headers and answers 429 with Retry-After itself, without reaching the emulator", async () => {
    const guild = emulator.createGuild({ name: "Buckets" });
    proxy = startProxy(emulator);
    const api = await proxyUrl(proxy);
    const get = () => fetch(`${api}/v10/guilds/${guild.id}/roles`, { headers: { authorization: `Bot ${emulator.token}` } });

    const first = await get();
    const second = await get();
    const third = await get();
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    // The proxy keeps the bucket's state to itself (its callers must not track it a second time).
    expect(second.headers.get("x-ratelimit-remaining")).toBeNull();
    const retryAfter = Number(third.headers.get("retry-after"));
    expect(retryAfter).toBeGreaterThan(0);
    expect(retryAfter).toBeLessThanOrEqual(BUCKET.windowMs / 1000 + 0.1);

    const roleReads = emulator.requestsTo({ method: "GET", pathIncludes: `/guilds/${guild.id}/roles` });
    expect(roleReads.map((r) => r.status)).toEqual([200, 200]);
    expect(emulator.invalidRequests).toBe(0);

    // Once the window Discord announced is over, the request goes through again.
    await Bun.sleep(retryAfter * 1000 + 50);
    expect((await get()).status).toBe(200);
  }, 20_000);

  test("a 429 from the emulator (a bucket used by another client) is passed on, and the proxy then refuses the spent bucket itself", async () => {
    const guild = emulator.createGuild({ name: "Shared bucket" });
    const direct = (base: string) => fetch(`${base}/v10/guilds/${guild.id}/channels`, { headers: { authorization: `Bot ${emulator.token}` } });
    // Another client used the whole bucket straight at the emulator: the proxy cannot know.
    expect([(await direct(emulator.restBase)).status, (await direct(emulator.restBase)).status]).toEqual([200, 200]);

    proxy = startProxy(emulator);
    const api = await proxyUrl(proxy);
    const viaProxy = [await direct(api), await direct(api), await direct(api)];
    expect(viaProxy.map((r) => r.status)).toEqual([429, 429, 429]);
    for (const refused of viaProxy) expect(Number(refused.headers.get("retry-after"))).toBeGreaterThan(0);
    // @discordjs/rest keys a bucket by the hash Discord names in X-RateLimit-Bucket: the first request
    // ran under a placeholder, the second under the hash the 429 named, with no state yet, so it reaches
    // the emulator too. From then on the proxy knows the bucket is spent and answers itself.
    const reached = emulator.requestsTo({ method: "GET", pathIncludes: `/guilds/${guild.id}/channels` });
    expect(reached.map((r) => r.status)).toEqual([200, 200, 429, 429]);
    expect(emulator.invalidRequests).toBe(2);
  }, 20_000);

  test("the bot's REST client retries the proxy's 429s: every request succeeds and the emulator refuses none", async () => {
    const guild = emulator.createGuild({ name: "Retries" });
    proxy = startProxy(emulator);
    const api = await proxyUrl(proxy);
    const logger = createLogger({ level: "silent" });
    const rest = createDiscordRest({ apiUrl: api, token: emulator.token, metrics: createMetrics(), logger });

    const started = performance.now();
    const results = await Promise.all(Array.from({ length: 5 }, () => rest.get(`/guilds/${guild.id}/roles`)));
    const elapsed = performance.now() - started;

    expect(results).toHaveLength(5);
    for (const roles of results) expect(Array.isArray(roles)).toBe(true);
    const reads = emulator.requestsTo({ method: "GET", pathIncludes: `/guilds/${guild.id}/roles` });
    expect(reads.map((r) => r.status)).toEqual([200, 200, 200, 200, 200]);
    expect(emulator.invalidRequests).toBe(0);
    // 5 requests at 2 a window: the last pair waits for the third window.
    expect(elapsed).toBeGreaterThanOrEqual(2 * BUCKET.windowMs - 100);
    rest.clearHashSweeper();
    rest.clearHandlerSweeper();
  }, 20_000);

  test("two bot processes' REST clients share the global limit through the proxy: together they stay under 50 a second", async () => {
    // The proxy's global window is its own estimate: it starts when the proxy sends the window's first
    // request, Discord's when that request arrives. When that first request is slower than later ones
    // by more than the 1 ms margin (a loaded machine), a request can land in Discord's previous
    // window. This emulator's windows are 5% shorter so the test measures the sharing, not the
    // machine's scheduling (docs/cluster.md).
    const discord = await startDiscordEmulator({ timeScale: 0.95 });
    cleanupsAfter.push(() => discord.close());
    // 2 x 40 requests, each on a bucket of its own (one guild each), so only the global limit applies.
    const guilds = Array.from({ length: 80 }, (_, i) => discord.createGuild({ name: `Global ${i}` }).id);
    const refusedRoleReads = () => discord.requests.filter((r) => r.route === "GET /guilds/:guild_id/roles" && r.status === 429).length;
    const burst = async (api: string) => {
      const clients = [0, 1].map(() => createDiscordRest({ apiUrl: api, token: discord.token, metrics: createMetrics(), logger: createLogger({ level: "silent" }) }));
      try {
        await Promise.all(guilds.map((id, i) => clients[i % 2]!.get(`/guilds/${id}/roles`)));
      } finally {
        for (const c of clients) {
          c.clearHashSweeper();
          c.clearHandlerSweeper();
        }
      }
    };

    // Without the proxy each client believes it has 50 a second to itself: Discord refuses the rest.
    await burst(discord.restBase);
    expect(refusedRoleReads()).toBeGreaterThanOrEqual(20);
    discord.resetCounters();
    discord.resetRateLimits();

    proxy = startProxy(discord);
    await burst(await proxyUrl(proxy));
    expect(refusedRoleReads()).toBe(0);
    expect(discord.requests.filter((r) => r.route === "GET /guilds/:guild_id/roles" && r.status === 200)).toHaveLength(80);
    expect(discord.invalidRequests).toBe(0);
  }, 30_000);

  test("SIGTERM: a request in flight is still answered, then the proxy exits 0", async () => {
    const guild = emulator.createGuild({ name: "Draining" });
    proxy = startProxy(emulator);
    const api = await proxyUrl(proxy);
    emulator.setLatency(800);
    try {
      const inFlight = fetch(`${api}/v10/guilds/${guild.id}/roles`, { headers: { authorization: `Bot ${emulator.token}` } });
      await Bun.sleep(200);
      proxy.process.kill("SIGTERM");
      expect((await inFlight).status).toBe(200);
      expect(await proxy.exited).toBe(0);
      expect(proxy.logs.map((l) => l.msg)).toEqual(expect.arrayContaining(["discord proxy stopping", "discord proxy stopped"]));
    } finally {
      emulator.setLatency(0);
    }
  }, 20_000);

  test("Discord unreachable: the caller gets 502, not an empty success", async () => {
    const closed = Bun.listen({ hostname: "127.0.0.1", port: 0, socket: { data() {} } });
    const deadPort = closed.port;
    closed.stop(true);
    proxy = BotProcess.start({ DISCORD_API_URL: `http://127.0.0.1:${deadPort}/api`, DISCORD_PROXY_PORT: "0" }, { command: ["bun", "run", "discord-proxy"] });
    const api = await proxyUrl(proxy);
    const response = await fetch(`${api}/v10/users/@me`, { headers: { authorization: "Bot not-a-real-token" } });
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ message: "the proxy could not reach Discord" });
    expect(proxy.logs.map((l) => l.msg)).toContain("discord proxy: upstream request failed");
    expect(JSON.stringify(proxy.logs)).not.toContain("not-a-real-token");
  }, 20_000);

  test("a bad configuration exits 78 naming every problem", async () => {
    proxy = BotProcess.start(
      { DISCORD_API_URL: "ftp://discord.example/api", DISCORD_PROXY_PORT: "99999", LOG_LEVEL: "loud" },
      { command: ["bun", "run", "discord-proxy"] },
    );
    expect(await proxy.exited).toBe(78);
    expect(proxy.stderr).toContain("DISCORD_API_URL must be an http(s) URL");
    expect(proxy.stderr).toContain("DISCORD_PROXY_PORT must be a TCP port");
    expect(proxy.stderr).toContain("LOG_LEVEL must be one of");
  }, 20_000);
});
