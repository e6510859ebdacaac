/**
 * The emulators' fault plans (issue 18): spoiled bodies, rates and outages on Roblox; rates and
 * outages on Discord REST. The gateway's own faults (close codes, op 7, op 9) are tested with the
 * gateway in discord.test.ts.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "./discord/index.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "./roblox/index.ts";

const G = 7;
let rbx: RobloxEmulator;
let discord: DiscordEmulator;

beforeAll(async () => {
  // Limits far above what the tests send: every status seen is the fault plan's.
  rbx = await startRobloxEmulator({ rateLimits: { perMinute: { "groups.memberships": 1_000_000, "groups.get": 1_000_000 } } });
  rbx.addUser({ id: 1, name: "Owner" });
  rbx.createGroup({ id: G, name: "Army", ownerId: 1, roles: defaultRoles(G) });
  rbx.bulkSeed(G, 40);
  rbx.addApiKey("key", { ownerUserId: 1, scopes: ["group:read"] });
  discord = await startDiscordEmulator();
});
afterAll(async () => {
  await rbx.close();
  await discord.close();
});

const memberships = () => fetch(`${rbx.url("apis", `/cloud/v2/groups/${G}/memberships`)}?maxPageSize=20`, { headers: { "x-api-key": "key" } });

describe("Roblox fault plans", () => {
  test("spoiled bodies keep the status: truncated, a field dropped, lists emptied or halved", async () => {
    const whole = (await (await memberships()).json()) as { groupMemberships: unknown[]; nextPageToken: string };
    expect(whole.groupMemberships).toHaveLength(20);

    rbx.failures.inject({ pathIncludes: "/memberships", mangle: "truncate" });
    const truncated = await memberships();
    expect(truncated.status).toBe(200);
    await expect(truncated.clone().json()).rejects.toThrow();

    rbx.failures.inject({ pathIncludes: "/memberships", mangle: { dropField: "groupMemberships" } });
    const dropped = (await (await memberships()).json()) as Record<string, unknown>;
    expect(dropped).not.toHaveProperty("groupMemberships");
    expect(dropped).toHaveProperty("nextPageToken");

    rbx.failures.inject({ pathIncludes: "/memberships", mangle: "empty-lists" });
    expect(((await (await memberships()).json()) as typeof whole).groupMemberships).toEqual([]);

    rbx.failures.inject({ pathIncludes: "/memberships", mangle: "partial-lists" });
    expect(((await (await memberships()).json()) as typeof whole).groupMemberships).toHaveLength(10);
    expect(rbx.failures.pending).toBe(0);
  });

  test("a rate fails about that share of the requests, the same ones on every run", async () => {
    rbx.failures.clear();
    rbx.failures.inject({ pathIncludes: "/memberships", status: 503, rate: 0.25, times: Infinity });
    const first: number[] = [];
    for (let i = 0; i < 200; i++) first.push((await memberships()).status);
    rbx.failures.clear();
    rbx.failures.inject({ pathIncludes: "/memberships", status: 503, rate: 0.25, times: Infinity });
    const second: number[] = [];
    for (let i = 0; i < 200; i++) second.push((await memberships()).status);
    rbx.failures.clear();
    const failed = first.filter((status) => status === 503).length;
    expect(failed).toBeGreaterThan(30);
    expect(failed).toBeLessThan(70);
    expect(second).toEqual(first);
  });

  test("an outage answers every request until it ends", async () => {
    rbx.failures.inject({ status: 503, untilMs: Date.now() + 150 });
    expect((await memberships()).status).toBe(503);
    expect((await fetch(rbx.url("groups", `/v1/groups/${G}`))).status).toBe(503);
    await Bun.sleep(200);
    expect((await memberships()).status).toBe(200);
    expect(rbx.failures.pending).toBe(0);
  });
});

describe("Discord fault plans", () => {
  const me = () => fetch(`${discord.restBase}/v10/users/@me`, { headers: { authorization: `Bot ${discord.token}` } });

  test("a rate of 5xx, and an outage that ends", async () => {
    discord.failNext({ method: "GET", pathIncludes: "/users/@me", rate: 0.5 }, { status: 502 }, Infinity);
    const statuses: number[] = [];
    for (let i = 0; i < 60; i++) statuses.push((await me()).status);
    // The rest are answered as usual (200, or the route's own 429 once its bucket is spent).
    expect(statuses.filter((status) => status === 502).length).toBeGreaterThan(15);
    expect(statuses.filter((status) => status !== 502).length).toBeGreaterThan(15);

    // The rate rule stays; an outage placed after it catches what the rate lets through, until it ends.
    discord.failNext({ method: "GET", pathIncludes: "/users/@me", untilMs: Date.now() + 150 }, { status: 503 });
    const during: number[] = [];
    for (let i = 0; i < 10; i++) during.push((await me()).status);
    expect(during.every((status) => status >= 500)).toBe(true);
  });
});

describe("gateway drops", () => {
  test("a dropped connection closes without a close frame (1006) and the session can be resumed", async () => {
    const open = async () => {
      const ws = new WebSocket(`${discord.gatewayUrl}?v=10&encoding=json`);
      const received: { op: number; t?: string; s?: number; d?: { session_id?: string } }[] = [];
      ws.onmessage = (event) => received.push(JSON.parse(String(event.data)));
      const closed = new Promise<number>((resolve) => (ws.onclose = (event) => resolve(event.code)));
      await new Promise<void>((resolve) => (ws.onopen = () => resolve()));
      const next = async (match: (p: (typeof received)[number]) => boolean) => {
        for (let i = 0; i < 150 && !received.some(match); i++) await Bun.sleep(20);
        return received.find(match);
      };
      return { ws, closed, next };
    };
    const first = await open();
    first.ws.send(JSON.stringify({ op: 2, d: { token: discord.token, intents: 1, properties: { os: "linux", browser: "t", device: "t" } } }));
    const ready = await first.next((p) => p.t === "READY");
    expect(ready).toBeDefined();
    discord.gateway.dropShard(0);
    expect(await first.closed).toBe(1006);

    const again = await open();
    again.ws.send(JSON.stringify({ op: 6, d: { token: discord.token, session_id: ready!.d!.session_id, seq: ready!.s } }));
    expect(await again.next((p) => p.t === "RESUMED")).toBeDefined();
    again.ws.close(1000);
  });

  test("lost events never reach the client, not even on resume", async () => {
    const guild = discord.createGuild({ name: "Lost events" });
    const role = discord.createRole(guild.id, { name: "Rank" });
    discord.resetRateLimits();
    const ws = new WebSocket(`${discord.gatewayUrl}?v=10&encoding=json`);
    const received: { t?: string; d?: { role?: { id: string } } }[] = [];
    ws.onmessage = (event) => received.push(JSON.parse(String(event.data)));
    await new Promise<void>((resolve) => (ws.onopen = () => resolve()));
    ws.send(JSON.stringify({ op: 2, d: { token: discord.token, intents: 1, properties: { os: "linux", browser: "t", device: "t" } } }));
    for (let i = 0; i < 100 && !received.some((p) => p.t === "GUILD_CREATE"); i++) await Bun.sleep(20);
    discord.gateway.loseEvents(GatewayDispatchEvents.GuildRoleUpdate, 1);
    discord.updateRole(guild.id, role.id, { name: "Renamed once" });
    discord.updateRole(guild.id, role.id, { name: "Renamed twice" });
    for (let i = 0; i < 50 && !received.some((p) => p.t === "GUILD_ROLE_UPDATE"); i++) await Bun.sleep(20);
    const updates = received.filter((p) => p.t === "GUILD_ROLE_UPDATE");
    expect(updates).toHaveLength(1);
    expect(updates[0]!.d).toMatchObject({ role: { id: role.id, name: "Renamed twice" } });
    ws.close(1000);
  });
});

