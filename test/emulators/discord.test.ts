// The Discord emulator, exercised over real sockets: raw fetch/WebSocket for the protocol details,
// and the real @discordjs/core + ws + rest stack for the end-to-end path a bot takes.
import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { Client, GatewayDispatchEvents, GatewayIntentBits, InteractionResponseType, MessageFlags } from "@discordjs/core";
import { REST } from "@discordjs/rest";
import { CompressionMethod, WebSocketManager, WebSocketShardEvents } from "@discordjs/ws";
import Ajv2020 from "ajv/dist/2020";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startDiscordEmulator, type DiscordEmulator, type DiscordEmulatorOptions } from "./discord/index.ts";
import { discordValidator } from "../support/openapi.ts";

// ---- helpers ---------------------------------------------------------------------------------------

const running: DiscordEmulator[] = [];
async function emulator(options: DiscordEmulatorOptions = {}): Promise<DiscordEmulator> {
  const emu = await startDiscordEmulator({ heartbeatIntervalMs: 250, ...options });
  running.push(emu);
  return emu;
}
afterEach(async () => {
  await Promise.all(running.splice(0).map((e) => e.close()));
});

/** A bare gateway client: every payload it receives, and the close code. */
class RawGateway {
  readonly received: any[] = [];
  private listeners: (() => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.onmessage = (e) => {
      this.received.push(JSON.parse(String(e.data)));
      for (const l of this.listeners.splice(0)) l();
    };
    this.closed = new Promise((resolve) => {
      ws.onclose = (e) => resolve({ code: e.code, reason: e.reason });
    });
  }

  static async open(url: string): Promise<RawGateway> {
    const ws = new WebSocket(`${url}?v=10&encoding=json`);
    const client = new RawGateway(ws);
    await new Promise<void>((resolve, reject) => {
      ws.onopen = () => resolve();
      ws.onerror = () => reject(new Error("websocket error"));
    });
    return client;
  }

  send(payload: unknown): void {
    this.ws.send(typeof payload === "string" ? payload : JSON.stringify(payload));
  }

  identify(token: string, extra: Record<string, unknown> = {}): void {
    this.send({ op: 2, d: { token, intents: GatewayIntentBits.Guilds | GatewayIntentBits.GuildMembers, properties: { os: "linux", browser: "t", device: "t" }, ...extra } });
  }

  /** First received payload matching `pred` (already received or arriving within the timeout). */
  async next(pred: (p: any) => boolean, timeoutMs = 3000): Promise<any> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.received.find(pred);
      if (found) return found;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.received.map((p) => p.t ?? p.op))}`);
      await Promise.race([new Promise<void>((r) => this.listeners.push(r)), Bun.sleep(left)]);
    }
  }

  dispatches(t: string): any[] {
    return this.received.filter((p) => p.op === 0 && p.t === t);
  }
}

async function ready(emu: DiscordEmulator, extra: Record<string, unknown> = {}): Promise<{ gw: RawGateway; readyPayload: any }> {
  const gw = await RawGateway.open(emu.gatewayUrl);
  gw.identify(emu.token, extra);
  const readyPayload = await gw.next((p) => p.t === "READY");
  return { gw, readyPayload };
}

/** Responses whose JSON the tests inspect freely. */
type JsonResponse = Omit<Response, "json"> & { json(): Promise<any> };

function api(emu: DiscordEmulator, path: string, init: RequestInit & { json?: unknown; auth?: boolean } = {}): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  if (init.auth !== false) headers.Authorization = `Bot ${emu.token}`;
  if (init.json !== undefined) headers["Content-Type"] = "application/json";
  return fetch(`${emu.restBase}/v10${path}`, { ...init, headers: { ...headers, ...(init.headers as Record<string, string>) }, body: init.json !== undefined ? JSON.stringify(init.json) : init.body });
}

const shardOf = (id: string, count: number) => Number((BigInt(id) >> 22n) % BigInt(count));

/** Response shapes checked against the official OpenAPI document's component schemas. */
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

// ---- snowflakes --------------------------------------------------------------------------------------

describe("ids", () => {
  test("are 17-19 digit snowflakes with Discord-epoch timestamps", async () => {
    const emu = await emulator();
    const g = emu.createGuild({ name: "G" });
    const role = emu.createRole(g.id, { name: "R" });
    const m = emu.addMember(g.id, { username: "alice" });
    for (const id of [g.id, role.id, m.user!.id, emu.botUserId, g.systemChannelId, emu.applicationId]) {
      expect(id).toMatch(/^\d{17,19}$/);
      const ms = Number(BigInt(id) >> 22n) + 1_420_070_400_000;
      expect(ms).toBeGreaterThan(Date.parse("2015-01-01"));
      expect(ms).toBeLessThanOrEqual(Date.now());
    }
    expect(emu.applicationId).toBe(emu.botUserId);
  });
});

// ---- gateway ------------------------------------------------------------------------------------------

describe("gateway", () => {
  test("HELLO, heartbeat ACK, IDENTIFY -> READY and GUILD_CREATE only for the shard's guilds", async () => {
    const emu = await emulator({ recommendedShards: 2, maxConcurrency: 2, heartbeatIntervalMs: 1234 });
    const guilds = Array.from({ length: 8 }, (_, i) => emu.createGuild({ name: `G${i}` }));
    const byShard = [0, 1].map((s) => guilds.filter((g) => shardOf(g.id, 2) === s).map((g) => g.id).sort());
    expect(byShard[0]!.length).toBeGreaterThan(0);
    expect(byShard[1]!.length).toBeGreaterThan(0);

    const gateway = await (await api(emu, "/gateway/bot")).json();
    expect(gateway).toEqual({ url: emu.gatewayUrl, shards: 2, session_start_limit: { total: 1000, remaining: 1000, reset_after: expect.any(Number), max_concurrency: 2 } });
    expectSchema("GatewayBotResponse", gateway);

    for (const shard of [0, 1]) {
      const gw = await RawGateway.open(emu.gatewayUrl);
      const hello = await gw.next((p) => p.op === 10);
      expect(hello.d.heartbeat_interval).toBe(1234);
      gw.send({ op: 1, d: null });
      await gw.next((p) => p.op === 11);
      gw.identify(emu.token, { shard: [shard, 2] });
      const r = await gw.next((p) => p.t === "READY");
      expect(r.s).toBe(1);
      expect(r.d).toMatchObject({
        v: 10,
        user: { id: emu.botUserId, bot: true },
        session_id: expect.any(String),
        resume_gateway_url: emu.gatewayUrl,
        shard: [shard, 2],
        application: { id: emu.applicationId, flags: expect.any(Number) },
      });
      expect(r.d.guilds.map((g: any) => g.id).sort()).toEqual(byShard[shard]);
      expect(r.d.guilds.every((g: any) => g.unavailable === true)).toBe(true);
      await gw.next(() => gw.dispatches("GUILD_CREATE").length === byShard[shard]!.length);
      const creates = gw.dispatches("GUILD_CREATE");
      expect(creates.map((c) => c.d.id).sort()).toEqual(byShard[shard]!);
      expect(creates.map((c) => c.s)).toEqual(creates.map((_, i) => i + 2));
      const gc = creates[0]!.d;
      expect(gc).toMatchObject({ unavailable: false, large: false, member_count: 2, joined_at: expect.any(String) });
      // Without GUILD_PRESENCES only the bot's own member is sent.
      expect(gc.members.map((m: any) => m.user.id)).toEqual([emu.botUserId]);
      expect(gc.roles.map((r: any) => r.name)).toEqual(["@everyone", "rankbridge"]);
      expect(gc.channels.length).toBe(1);
      gw.ws.close(1000);
    }
    expect(emu.gateway.identifies.map((i) => [i.shardId, i.shardCount, i.intents])).toEqual([
      [0, 2, 3],
      [1, 2, 3],
    ]);
    expect(emu.gateway.sessionStartRemaining).toBe(998);
  });

  test("close codes: 4004 bad token, 4010 invalid shard, 4003 before identify, 4005 identify twice, 4002 bad JSON, 4001 unknown op, 4014 disallowed intent", async () => {
    const emu = await emulator({ maxConcurrency: 16, privilegedIntents: { guildPresences: false } });
    const expectClose = async (act: (gw: RawGateway) => void, code: number) => {
      const gw = await RawGateway.open(emu.gatewayUrl);
      await gw.next((p) => p.op === 10);
      act(gw);
      expect((await gw.closed).code).toBe(code);
    };
    await expectClose((gw) => gw.identify("wrong-token"), 4004);
    await expectClose((gw) => gw.identify(emu.token, { shard: [2, 2] }), 4010);
    await expectClose((gw) => gw.send({ op: 8, d: { guild_id: "1", query: "", limit: 0 } }), 4003);
    await expectClose((gw) => gw.send("{not json"), 4002);
    await expectClose((gw) => gw.send({ op: 42, d: null }), 4001);
    await expectClose((gw) => gw.identify(emu.token, { intents: GatewayIntentBits.GuildPresences, shard: [1, 16] }), 4014);
    await expectClose((gw) => {
      gw.identify(emu.token, { shard: [2, 16] });
      setTimeout(() => gw.identify(emu.token, { shard: [2, 16] }), 50);
    }, 4005);
    // 120 payloads per 60 s per connection (heartbeats aside), then 4008.
    await expectClose((gw) => {
      gw.identify(emu.token, { shard: [3, 16] });
      for (let i = 0; i < 130; i++) gw.send({ op: 3, d: { since: null, activities: [], status: "online", afk: false } });
    }, 4008);
  });

  test("session_start_limit: each IDENTIFY uses one start; with none left IDENTIFY fails with 4004", async () => {
    const emu = await emulator({ sessionStartRemaining: 1, maxConcurrency: 4 });
    expect((await (await api(emu, "/gateway/bot")).json()).session_start_limit.remaining).toBe(1);
    await ready(emu, { shard: [0, 2] });
    expect((await (await api(emu, "/gateway/bot")).json()).session_start_limit.remaining).toBe(0);
    const gw = await RawGateway.open(emu.gatewayUrl);
    gw.identify(emu.token, { shard: [1, 2] });
    expect((await gw.closed).code).toBe(4004);
  });

  test("max_concurrency: a second IDENTIFY of the same rate_limit_key within 5 s gets op 9 d:false", async () => {
    const emu = await emulator({ recommendedShards: 2, maxConcurrency: 1 });
    const first = await ready(emu, { shard: [0, 2] });
    expect(first.readyPayload.d.shard).toEqual([0, 2]);
    const gw = await RawGateway.open(emu.gatewayUrl);
    gw.identify(emu.token, { shard: [1, 2] });
    const invalid = await gw.next((p) => p.op === 9);
    expect(invalid.d).toBe(false);
    expect(emu.gateway.identifies.length).toBe(1);
  });

  test("RESUME replays what was missed after seq, then RESUMED; unknown sessions and 1000-closed sessions get op 9", async () => {
    const emu = await emulator();
    const g = emu.createGuild({ name: "G" });
    const { gw, readyPayload } = await ready(emu);
    await gw.next((p) => p.t === "GUILD_CREATE");
    const sessionId = readyPayload.d.session_id;
    gw.ws.close(4000); // an abnormal drop keeps the session resumable
    await gw.closed;

    const alice = emu.addMember(g.id, { username: "alice" }); // s=3, buffered while disconnected
    const role = emu.createRole(g.id, { name: "Rank" }); // s=4 role create, s=5 bot role moved up
    emu.setMemberRoles(g.id, alice.user!.id, [role.id]); // s=6

    const again = await RawGateway.open(emu.gatewayUrl);
    await again.next((p) => p.op === 10);
    again.send({ op: 6, d: { token: emu.token, session_id: sessionId, seq: 2 } });
    const resumed = await again.next((p) => p.t === "RESUMED");
    const replayed = again.received.filter((p) => p.op === 0 && p.t !== "RESUMED");
    expect(replayed.map((p) => [p.s, p.t])).toEqual([
      [3, "GUILD_MEMBER_ADD"],
      [4, "GUILD_ROLE_CREATE"],
      [5, "GUILD_ROLE_UPDATE"],
      [6, "GUILD_MEMBER_UPDATE"],
    ]);
    expect(replayed[3].d).toMatchObject({ guild_id: g.id, roles: [role.id], user: { id: alice.user!.id } });
    expect(resumed.s).toBe(7);
    expect(emu.gateway.resumes).toEqual([expect.objectContaining({ sessionId, seq: 2, replayed: 4, shardId: 0 })]);

    // Live events keep flowing on the resumed connection.
    emu.removeMember(g.id, alice.user!.id);
    expect((await again.next((p) => p.t === "GUILD_MEMBER_REMOVE")).s).toBe(8);

    // A seq ahead of the session is invalid.
    again.ws.close(4000);
    await again.closed;
    const ahead = await RawGateway.open(emu.gatewayUrl);
    ahead.send({ op: 6, d: { token: emu.token, session_id: sessionId, seq: 99 } });
    expect((await ahead.closed).code).toBe(4007);

    const unknown = await RawGateway.open(emu.gatewayUrl);
    unknown.send({ op: 6, d: { token: emu.token, session_id: "nope", seq: 1 } });
    expect((await unknown.next((p) => p.op === 9)).d).toBe(false);

    // Closing with 1000 ends the session for good.
    const resumable = await RawGateway.open(emu.gatewayUrl);
    resumable.send({ op: 6, d: { token: emu.token, session_id: sessionId, seq: 8 } });
    await resumable.next((p) => p.t === "RESUMED");
    resumable.ws.close(1000);
    await resumable.closed;
    const late = await RawGateway.open(emu.gatewayUrl);
    late.send({ op: 6, d: { token: emu.token, session_id: sessionId, seq: 9 } });
    expect((await late.next((p) => p.op === 9)).d).toBe(false);
  });

  test("REQUEST_GUILD_MEMBERS: 1000-member chunks, nonce, not_found, and RATE_LIMITED on a repeat within 30 s", async () => {
    const emu = await emulator();
    const g = emu.createGuild({ name: "Big" });
    const ids = emu.addMembers(g.id, 2500);
    const { gw } = await ready(emu, { intents: GatewayIntentBits.Guilds | GatewayIntentBits.GuildMembers | GatewayIntentBits.GuildPresences, large_threshold: 250 });
    // A large guild arrives with member_count but only the bot's own member.
    const created = (await gw.next((p) => p.t === "GUILD_CREATE")).d;
    expect(created).toMatchObject({ large: true, member_count: 2502 });
    expect(created.members.map((m: any) => m.user.id)).toEqual([emu.botUserId]);
    gw.send({ op: 8, d: { guild_id: g.id, query: "", limit: 0, nonce: "all-1" } });
    await gw.next(() => gw.dispatches("GUILD_MEMBERS_CHUNK").length === 3);
    const chunks = gw.dispatches("GUILD_MEMBERS_CHUNK").map((p) => p.d);
    expect(chunks.map((c) => [c.chunk_index, c.chunk_count, c.members.length, c.nonce, c.guild_id])).toEqual([
      [0, 3, 1000, "all-1", g.id],
      [1, 3, 1000, "all-1", g.id],
      [2, 3, 502, "all-1", g.id], // 2500 + owner + bot
    ]);
    const seen = new Set(chunks.flatMap((c) => c.members.map((m: any) => m.user.id)));
    expect(seen.size).toBe(2502);
    for (const id of ids) expect(seen.has(id)).toBe(true);
    expectSchema("GuildMemberResponse", chunks[0].members[0]);

    gw.send({ op: 8, d: { guild_id: g.id, query: "", limit: 0, nonce: "all-2" } });
    const limited = await gw.next((p) => p.t === "RATE_LIMITED");
    expect(limited.d).toEqual({ opcode: 8, retry_after: expect.any(Number), meta: { guild_id: g.id, nonce: "all-2" } });
    expect(limited.d.retry_after).toBeGreaterThan(29);
    expect(limited.d.retry_after).toBeLessThanOrEqual(30);

    // Specific users are not limited; unknown ones come back in not_found.
    gw.send({ op: 8, d: { guild_id: g.id, user_ids: [ids[0], "80351110224678912"], nonce: "some" } });
    const some = await gw.next((p) => p.t === "GUILD_MEMBERS_CHUNK" && p.d.nonce === "some");
    expect(some.d.members.map((m: any) => m.user.id)).toEqual([ids[0]]);
    expect(some.d.not_found).toEqual(["80351110224678912"]);
    expect(some.d).toMatchObject({ chunk_index: 0, chunk_count: 1 });

    // All members without the GUILD_MEMBERS intent is refused.
    const { gw: noIntent } = await (async () => {
      emu.resetRateLimits();
      return ready(emu, { intents: GatewayIntentBits.Guilds });
    })();
    noIntent.send({ op: 8, d: { guild_id: g.id, query: "", limit: 0 } });
    expect((await noIntent.closed).code).toBe(4001);
  });

  test("member changes made over REST reach the owning shard as GUILD_MEMBER_UPDATE", async () => {
    const emu = await emulator();
    const g = emu.createGuild({ name: "G" });
    const rank = emu.createRole(g.id, { name: "Rank" });
    const m = emu.addMember(g.id, { username: "bob" });
    const { gw } = await ready(emu);
    expect((await api(emu, `/guilds/${g.id}/members/${m.user!.id}/roles/${rank.id}`, { method: "PUT" })).status).toBe(204);
    const update = await gw.next((p) => p.t === "GUILD_MEMBER_UPDATE");
    expect(update.d).toMatchObject({ guild_id: g.id, user: { id: m.user!.id }, roles: [rank.id] });
    // Adding a role the member already has changes nothing and sends nothing.
    await api(emu, `/guilds/${g.id}/members/${m.user!.id}/roles/${rank.id}`, { method: "PUT" });
    await Bun.sleep(50);
    expect(gw.dispatches("GUILD_MEMBER_UPDATE").length).toBe(1);
  });

  test("test controls: op 7, op 9, and server closes that keep (4000) or end (4009) the session", async () => {
    const emu = await emulator();
    const { gw } = await ready(emu);
    emu.gateway.sendReconnect(0);
    expect((await gw.next((p) => p.op === 7)).d).toBeNull();
    emu.gateway.sendInvalidSession(0, false);
    expect((await gw.next((p) => p.op === 9)).d).toBe(false);
    expect(emu.gateway.connections()).toEqual([expect.objectContaining({ identified: false })]);

    // The client may identify again on the same socket once its identify slot is free.
    emu.resetRateLimits();
    gw.identify(emu.token);
    const second = await gw.next((p) => p.t === "READY" && gw.dispatches("READY").length === 2);
    const sessionId = gw.dispatches("READY")[1].d.session_id;
    expect(second).toBeDefined();
    emu.gateway.closeShard(0, 4000);
    expect((await gw.closed).code).toBe(4000);
    const resumed = await RawGateway.open(emu.gatewayUrl);
    resumed.send({ op: 6, d: { token: emu.token, session_id: sessionId, seq: 1 } });
    await resumed.next((p) => p.t === "RESUMED");

    emu.gateway.closeShard(0, 4009);
    expect((await resumed.closed).code).toBe(4009);
    const refused = await RawGateway.open(emu.gatewayUrl);
    refused.send({ op: 6, d: { token: emu.token, session_id: sessionId, seq: 2 } });
    expect((await refused.next((p) => p.op === 9)).d).toBe(false);
  });
});

// ---- REST -----------------------------------------------------------------------------------------------

describe("REST", () => {
  test("rate-limit headers on every bucketed response, then a 429 with Discord's body and headers", async () => {
    const emu = await emulator({ rateLimits: { memberRoleBucket: { limit: 3, windowMs: 600 } } });
    const g = emu.createGuild({ name: "G" });
    const other = emu.createGuild({ name: "Other" });
    const role = emu.createRole(g.id, { name: "Rank" });
    const otherRole = emu.createRole(other.id, { name: "Rank" });
    const [a, b, c, d] = emu.addMembers(g.id, 4);
    const [o] = emu.addMembers(other.id, 1);

    const responses = [];
    for (const user of [a, b, c]) responses.push(await api(emu, `/guilds/${g.id}/members/${user}/roles/${role.id}`, { method: "PUT" }));
    expect(responses.map((r) => r.status)).toEqual([204, 204, 204]);
    expect(responses.map((r) => r.headers.get("x-ratelimit-remaining"))).toEqual(["2", "1", "0"]);
    const h = responses[0]!.headers;
    expect(h.get("x-ratelimit-limit")).toBe("3");
    expect(h.get("x-ratelimit-bucket")).toMatch(/^[0-9a-f]{32}$/);
    expect(Number(h.get("x-ratelimit-reset-after"))).toBeGreaterThan(0);
    expect(Number(h.get("x-ratelimit-reset-after"))).toBeLessThanOrEqual(0.6);
    expect(Number(h.get("x-ratelimit-reset")) * 1000).toBeGreaterThan(Date.now());

    const limited = await api(emu, `/guilds/${g.id}/members/${d}/roles/${role.id}`, { method: "PUT" });
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-scope")).toBe("user");
    expect(limited.headers.get("retry-after")).toBe("1");
    expect(limited.headers.get("x-ratelimit-bucket")).toBe(h.get("x-ratelimit-bucket"));
    const body = await limited.json();
    expect(body).toEqual({ message: "You are being rate limited.", retry_after: expect.any(Number), global: false, code: 0 });
    expect(body.retry_after).toBeGreaterThan(0);
    expect(body.retry_after).toBeLessThanOrEqual(0.6);
    expectSchema("RatelimitedResponse", body);
    expect(emu.memberRoleIds(g.id, d!)).toEqual([]);
    expect(emu.invalidRequests).toBe(1);

    // Buckets are per guild, and DELETE shares the PUT bucket.
    const elsewhere = await api(emu, `/guilds/${other.id}/members/${o}/roles/${otherRole.id}`, { method: "PUT" });
    expect(elsewhere.status).toBe(204);
    const del = await api(emu, `/guilds/${g.id}/members/${a}/roles/${role.id}`, { method: "DELETE" });
    expect(del.status).toBe(429);

    await Bun.sleep(Number(body.retry_after) * 1000 + 20);
    expect((await api(emu, `/guilds/${g.id}/members/${d}/roles/${role.id}`, { method: "PUT" })).status).toBe(204);
  });

  test("timeScale shortens every rate-limit window", async () => {
    const emu = await emulator({ timeScale: 0.1, rateLimits: { memberRoleBucket: { limit: 1, windowMs: 1000 } } });
    const g = emu.createGuild({ name: "G" });
    const role = emu.createRole(g.id, { name: "R" });
    const [a, b] = emu.addMembers(g.id, 2);
    const first = await api(emu, `/guilds/${g.id}/members/${a}/roles/${role.id}`, { method: "PUT" });
    expect(Number(first.headers.get("x-ratelimit-reset-after"))).toBeLessThanOrEqual(0.1);
    expect((await api(emu, `/guilds/${g.id}/members/${b}/roles/${role.id}`, { method: "PUT" })).status).toBe(429);
    await Bun.sleep(110);
    expect((await api(emu, `/guilds/${g.id}/members/${b}/roles/${role.id}`, { method: "PUT" })).status).toBe(204);
  });

  test("global limit per token with X-RateLimit-Global; interaction callbacks are exempt", async () => {
    const emu = await emulator({ rateLimits: { globalPerSecond: 4, defaultBucket: { limit: 100, windowMs: 1000 } } });
    const g = emu.createGuild({ name: "G" });
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await api(emu, `/guilds/${g.id}`)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const limited = await api(emu, "/users/@me");
    expect(limited.status).toBe(429);
    expect(limited.headers.get("x-ratelimit-global")).toBe("true");
    expect(limited.headers.get("x-ratelimit-scope")).toBe("global");
    expect(await limited.json()).toMatchObject({ global: true, message: "You are being rate limited." });
    const i = emu.injectInteraction({ guildId: g.id, userId: g.ownerId, commandName: "ping" });
    const cb = await api(emu, `/interactions/${i.id}/${i.token}/callback`, { method: "POST", auth: false, json: { type: 5 } });
    expect(cb.status).toBe(204);
  });

  test("hierarchy and permissions: 50013 above the bot, managed roles, no MANAGE_ROLES; admin doesn't bypass hierarchy", async () => {
    const emu = await emulator({ rateLimits: { memberRoleBucket: { limit: 100, windowMs: 1000 }, defaultBucket: { limit: 100, windowMs: 1000 } } });
    const g = emu.createGuild({ name: "G" });
    const bot = emu.role(g.id, g.botRoleId)!;
    const below = emu.createRole(g.id, { name: "Below" });
    const above = emu.createRole(g.id, { name: "Above", position: emu.role(g.id, g.botRoleId)!.position + 1 });
    const managed = emu.createRole(g.id, { name: "Booster", managed: true });
    // New roles go in at position 1 and push the others up.
    const pos = (id: string) => emu.role(g.id, id)!.position;
    expect(emu.roles(g.id).map((r) => r.name)).toEqual(["@everyone", "Booster", "Below", "rankbridge", "Above"]);
    expect(pos(g.botRoleId)).toBeGreaterThan(pos(below.id));
    expect(pos(above.id)).toBeGreaterThan(pos(g.botRoleId));
    expect(bot.managed).toBe(true);
    const [u] = emu.addMembers(g.id, 1);
    const put = (roleId: string) => api(emu, `/guilds/${g.id}/members/${u}/roles/${roleId}`, { method: "PUT" });

    expect((await put(below.id)).status).toBe(204);
    for (const roleId of [above.id, managed.id, g.botRoleId]) {
      const r = await put(roleId);
      expect(r.status).toBe(403);
      expect(await r.json()).toEqual({ message: "Missing Permissions", code: 50013 });
    }
    // PATCH replacing the set is checked only for the roles that change.
    emu.setMemberRoles(g.id, u!, [below.id, above.id]);
    const keep = await api(emu, `/guilds/${g.id}/members/${u}`, { method: "PATCH", json: { roles: [above.id] } });
    expect(keep.status).toBe(200);
    expect((await keep.json()).roles).toEqual([above.id]);
    const drop = await api(emu, `/guilds/${g.id}/members/${u}`, { method: "PATCH", json: { roles: [] } });
    expect(drop.status).toBe(403);

    // Administrator grants MANAGE_ROLES but not a higher place in the hierarchy.
    emu.updateRole(g.id, g.botRoleId, { permissions: 8n });
    expect((await put(above.id)).status).toBe(403);
    expect((await put(below.id)).status).toBe(204);
    // Without MANAGE_ROLES nothing can be assigned.
    emu.updateRole(g.id, g.botRoleId, { permissions: 1024n });
    expect((await put(below.id)).status).toBe(403);
    const created = await api(emu, `/guilds/${g.id}/roles`, { method: "POST", json: { name: "X" } });
    expect(created.status).toBe(403);
    expect(emu.invalidRequests).toBe(7);
  });

  test("unknown member 10007, unknown role 10011, unknown guild 10004, 401 without a valid token, 404/405 routes", async () => {
    const emu = await emulator({ rateLimits: { defaultBucket: { limit: 100, windowMs: 1000 } } });
    const g = emu.createGuild({ name: "G" });
    const role = emu.createRole(g.id, { name: "R" });
    const stranger = emu.createUser({ username: "stranger" });
    const [member] = emu.addMembers(g.id, 1);
    const expectError = async (res: Response, status: number, body: object) => {
      expect(res.status).toBe(status);
      const json = await res.json();
      expect(json).toEqual(body);
      expectSchema("Error", json);
    };
    await expectError(await api(emu, `/guilds/${g.id}/members/${stranger.id}/roles/${role.id}`, { method: "PUT" }), 404, { message: "Unknown Member", code: 10007 });
    await expectError(await api(emu, `/guilds/${g.id}/members/${stranger.id}`), 404, { message: "Unknown Member", code: 10007 });
    await expectError(await api(emu, `/guilds/${g.id}/members/${member}/roles/80351110224678912`, { method: "PUT" }), 404, { message: "Unknown Role", code: 10011 });
    await expectError(await api(emu, `/guilds/80351110224678912/roles`), 404, { message: "Unknown Guild", code: 10004 });
    await expectError(await api(emu, `/users/@me`, { auth: false }), 401, { message: "401: Unauthorized", code: 0 });
    await expectError(await api(emu, `/users/@me`, { headers: { Authorization: "Bot nope" }, auth: false }), 401, { message: "401: Unauthorized", code: 0 });
    await expectError(await api(emu, `/nothing/here`), 404, { message: "404: Not Found", code: 0 });
    await expectError(await api(emu, `/users/@me`, { method: "DELETE" }), 405, { message: "405: Method Not Allowed", code: 0 });
    expect(emu.invalidRequests).toBe(2);
  });

  test("members: paging with limit/after, PATCH replaces the role set, list needs the GUILD_MEMBERS intent", async () => {
    const emu = await emulator({ rateLimits: { defaultBucket: { limit: 100, windowMs: 1000 } } });
    const g = emu.createGuild({ name: "G" });
    emu.addMembers(g.id, 25);
    const all: string[] = [];
    let after = "0";
    for (;;) {
      const page = await (await api(emu, `/guilds/${g.id}/members?limit=10&after=${after}`)).json();
      if (page.length === 0) break;
      all.push(...page.map((m: any) => m.user.id));
      after = page.at(-1).user.id;
    }
    expect(all.length).toBe(27);
    expect([...all].sort((a, b) => (BigInt(a) < BigInt(b) ? -1 : 1))).toEqual(all);
    const bad = await api(emu, `/guilds/${g.id}/members?limit=1001`);
    expect(bad.status).toBe(400);
    expect(await bad.json()).toEqual({ message: "Invalid Form Body", code: 50035, errors: { limit: { _errors: [{ code: "NUMBER_TYPE_MAX", message: "int value should be less than or equal to 1000." }] } } });

    const [r1, r2, r3] = ["A", "B", "C"].map((name) => emu.createRole(g.id, { name }));
    const user = all.find((id) => id !== emu.botUserId && id !== g.ownerId)!;
    emu.setMemberRoles(g.id, user, [r1!.id, r2!.id]);
    const patched = await api(emu, `/guilds/${g.id}/members/${user}`, { method: "PATCH", json: { roles: [r2!.id, r3!.id] } });
    expect(patched.status).toBe(200);
    const body = await patched.json();
    expectSchema("GuildMemberResponse", body);
    expect(body.roles.sort()).toEqual([r2!.id, r3!.id].sort());
    expect(emu.memberRoleIds(g.id, user)!.sort()).toEqual([r2!.id, r3!.id].sort());

    emu.setPrivilegedIntents({ guildMembers: false });
    const denied = await api(emu, `/guilds/${g.id}/members?limit=10`);
    expect(denied.status).toBe(403);
    expect(await denied.json()).toEqual({ message: "Missing Access", code: 50001 });
  });

  test("responses match the OpenAPI schemas", async () => {
    const emu = await emulator({ rateLimits: { defaultBucket: { limit: 100, windowMs: 1000 } } });
    const g = emu.createGuild({ name: "G" });
    const [u] = emu.addMembers(g.id, 1);
    expectSchema("GuildWithCountsResponse", await (await api(emu, `/guilds/${g.id}?with_counts=true`)).json());
    for (const r of await (await api(emu, `/guilds/${g.id}/roles`)).json()) expectSchema("GuildRoleResponse", r);
    expectSchema("GuildRoleResponse", await (await api(emu, `/guilds/${g.id}/roles`, { method: "POST", json: { name: "New", permissions: "0" } })).json());
    expectSchema("GuildMemberResponse", await (await api(emu, `/guilds/${g.id}/members/${u}`)).json());
    expectSchema("UserPIIResponse", await (await api(emu, `/users/@me`)).json());
    expectSchema("UserResponse", await (await api(emu, `/users/${u}`)).json());
    expectSchema("PrivateApplicationResponse", await (await api(emu, `/applications/@me`)).json());
    for (const c of await (await api(emu, `/guilds/${g.id}/channels`)).json()) expectSchema("GuildChannelResponse", c);
    for (const mg of await (await api(emu, `/users/@me/guilds`)).json()) expectSchema("MyGuildResponse", mg);
    const dm = await (await api(emu, `/users/@me/channels`, { method: "POST", json: { recipient_id: u } })).json();
    expectSchema("PrivateChannelResponse", dm);
    expectSchema("MessageResponse", await (await api(emu, `/channels/${dm.id}/messages`, { method: "POST", json: { content: "hi" } })).json());
    expectSchema("MessageResponse", await (await api(emu, `/channels/${g.systemChannelId}/messages`, { method: "POST", json: { embeds: [{ title: "t" }] } })).json());
  });

  test("application commands: validation errors like Discord's, bulk overwrite keeps ids, commandWrites", async () => {
    const emu = await emulator({ rateLimits: { defaultBucket: { limit: 100, windowMs: 1000 } } });
    const g = emu.createGuild({ name: "G" });
    const path = `/applications/${emu.applicationId}/commands`;
    const invalid = await api(emu, path, {
      method: "PUT",
      json: [
        { name: "Sync", description: "x" },
        { name: "ok", description: "" },
        { name: "ok2", description: "d", options: [{ type: 3, name: "a", description: "a" }, { type: 3, name: "b", description: "b", required: true }] },
      ],
    });
    expect(invalid.status).toBe(400);
    const err = await invalid.json();
    // The spec types _errors[].code as an integer; the docs (reference#error-messages) and the API use strings.
    expectSchema("Error", err);
    expect(err).toEqual({
      message: "Invalid Form Body",
      code: 50035,
      errors: {
        "0": { name: { _errors: [{ code: "APPLICATION_COMMAND_INVALID_NAME", message: "Command name is invalid" }] } },
        "1": { description: { _errors: [{ code: "BASE_TYPE_BAD_LENGTH", message: "Must be between 1 and 100 in length." }] } },
        "2": { options: { "1": { required: { _errors: [{ code: "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID", message: "Required options must be placed before non-required options" }] } } } },
      },
    });
    expect(emu.commandWrites).toBe(0);

    const body = [
      { name: "sync", description: "Sync ranks", options: [{ type: 6, name: "member", description: "who" }] },
      { name: "link-roblox", description: "Link", options: [{ type: 3, name: "username", description: "name", required: true }] },
    ];
    const first = await (await api(emu, path, { method: "PUT", json: body })).json();
    for (const c of first) expectSchema("ApplicationCommandResponse", c);
    expect(first.map((c: any) => c.name)).toEqual(["sync", "link-roblox"]);
    const second = await (await api(emu, path, { method: "PUT", json: body.slice(0, 1) })).json();
    expect(second[0].id).toBe(first[0].id);
    expect(second[0].version).toBe(first[0].version);
    expect(emu.commands.global.map((c) => c.name)).toEqual(["sync"]);
    const guildCmd = await api(emu, `/applications/${emu.applicationId}/guilds/${g.id}/commands`, { method: "POST", json: { name: "dev", description: "d" } });
    expect(guildCmd.status).toBe(201);
    expect(emu.commands.guild.get(g.id)!.map((c) => c.guild_id)).toEqual([g.id]);
    expect(emu.commandWrites).toBe(3);
    const dup = await api(emu, path, { method: "PUT", json: [body[0], body[0]] });
    expect((await dup.json()).errors).toEqual({ _errors: [{ code: "APPLICATION_COMMANDS_DUPLICATE_NAME", message: "Application command names must be unique" }] });
  });

  test("DMs: open a channel, send, and 50007 when the user doesn't accept DMs", async () => {
    const emu = await emulator({ rateLimits: { defaultBucket: { limit: 100, windowMs: 1000 } } });
    const g = emu.createGuild({ name: "G" });
    const [open, closed] = emu.addMembers(g.id, 2);
    const stranger = emu.createUser({});
    const send = async (userId: string) => {
      const ch = await (await api(emu, `/users/@me/channels`, { method: "POST", json: { recipient_id: userId } })).json();
      return api(emu, `/channels/${ch.id}/messages`, { method: "POST", json: { content: `hello ${userId}` } });
    };
    expect((await send(open!)).status).toBe(200);
    expect(emu.dmMessages(open!).map((m) => m.content)).toEqual([`hello ${open}`]);
    emu.setDmsDisabled(closed!);
    const refused = await send(closed!);
    expect(refused.status).toBe(403);
    expect(await refused.json()).toEqual({ message: "Cannot send messages to this user", code: 50007 });
    expect((await send(stranger.id)).status).toBe(403); // shares no guild with the bot
    const empty = await api(emu, `/channels/${g.systemChannelId}/messages`, { method: "POST", json: { content: "" } });
    expect(await empty.json()).toEqual({ message: "Cannot send an empty message", code: 50006 });
    expect(emu.dmMessages(closed!)).toEqual([]);
  });

  test("kick: KICK_MEMBERS and the hierarchy first (50013, never the owner), then 204, GUILD_MEMBER_REMOVE and the reason in the audit log", async () => {
    const emu = await emulator({ rateLimits: { defaultBucket: { limit: 100, windowMs: 1000 } } });
    const g = emu.createGuild({ name: "G" });
    const below = emu.createRole(g.id, { name: "Below" });
    const above = emu.createRole(g.id, { name: "Above", position: emu.role(g.id, g.botRoleId)!.position + 1 });
    const [plain, high, other] = emu.addMembers(g.id, 3);
    emu.setMemberRoles(g.id, plain!, [below.id]);
    emu.setMemberRoles(g.id, high!, [above.id]);
    const { gw } = await ready(emu);
    const kick = (userId: string, reason?: string) =>
      api(emu, `/guilds/${g.id}/members/${userId}`, { method: "DELETE", headers: reason === undefined ? {} : { "X-Audit-Log-Reason": reason } });
    const missing = { message: "Missing Permissions", code: 50013 };

    // The default bot role has no KICK_MEMBERS.
    const noPermission = await kick(plain!);
    expect(noPermission.status).toBe(403);
    expect(await noPermission.json()).toEqual(missing);
    emu.updateRole(g.id, g.botRoleId, { permissions: (1n << 1n) | (1n << 28n) });
    for (const target of [high!, g.ownerId, emu.botUserId]) {
      const refused = await kick(target);
      expect(refused.status).toBe(403);
      expect(await refused.json()).toEqual(missing);
    }
    const unknown = await kick(emu.createUser({}).id);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toEqual({ message: "Unknown Member", code: 10007 });

    const kicked = await kick(plain!, encodeURIComponent("rankbridge: left the Roblox group (group lock: kick)"));
    expect(kicked.status).toBe(204);
    expect(emu.member(g.id, plain!)).toBeUndefined();
    const removed = await gw.next((p) => p.t === "GUILD_MEMBER_REMOVE");
    expect(removed.d).toMatchObject({ guild_id: g.id, user: { id: plain } });
    expect(emu.auditLog(g.id)).toEqual([
      { id: expect.any(String), actionType: 20, userId: emu.botUserId, targetId: plain!, reason: "rankbridge: left the Roblox group (group lock: kick)" },
    ]);
    // A reason longer than 512 characters is a form error, and nobody is kicked.
    const tooLong = await kick(other!, "x".repeat(513));
    expect(tooLong.status).toBe(400);
    expect((await tooLong.json()).code).toBe(50035);
    expect(emu.member(g.id, other!)).toBeDefined();
    // 401, 403 and 429 count toward Discord's invalid-request limit; 404 and 400 do not.
    expect(emu.invalidRequests).toBe(4);
    gw.ws.close();
  });

  test("failNext injects responses, setLatency delays them, requests are recorded decoded", async () => {
    const emu = await emulator();
    emu.failNext({ method: "GET", pathIncludes: "/users/@me" }, { status: 502, body: { message: "upstream" } }, 2);
    expect((await api(emu, "/users/@me")).status).toBe(502);
    expect((await api(emu, "/users/@me")).status).toBe(502);
    expect((await api(emu, "/users/@me")).status).toBe(200);
    emu.setLatency(120);
    const t0 = performance.now();
    await api(emu, "/gateway/bot");
    expect(performance.now() - t0).toBeGreaterThanOrEqual(110);
    const r = emu.requests.at(-1)!;
    expect(r).toMatchObject({ method: "GET", path: "/api/v10/gateway/bot", route: "GET /gateway/bot", status: 200, responseBody: expect.objectContaining({ shards: 1 }) });
  });
});

// ---- interactions ---------------------------------------------------------------------------------------

describe("interactions", () => {
  test("inject -> deferred callback -> edit @original (percent-encoded) -> follow-up", async () => {
    const emu = await emulator();
    const g = emu.createGuild({ name: "G" });
    const target = emu.addMember(g.id, { username: "target" });
    await api(emu, `/applications/${emu.applicationId}/commands`, { method: "PUT", json: [{ name: "sync", description: "d", options: [{ type: 6, name: "member", description: "m" }] }] });
    const { gw } = await ready(emu);
    const i = emu.injectInteraction({ guildId: g.id, userId: g.ownerId, commandName: "sync", options: [{ type: 6, name: "member", value: target.user!.id }] });
    expect(i.delivered).toBe(true);
    const dispatched = (await gw.next((p) => p.t === "INTERACTION_CREATE")).d;
    expect(dispatched).toMatchObject({
      id: i.id,
      token: i.token,
      type: 2,
      application_id: emu.applicationId,
      guild_id: g.id,
      channel_id: g.systemChannelId,
      version: 1,
      locale: "en-US",
      entitlements: [],
      authorizing_integration_owners: { "0": g.id },
      context: 0,
      app_permissions: expect.stringMatching(/^\d+$/),
      member: { user: { id: g.ownerId }, permissions: expect.stringMatching(/^\d+$/) },
      data: { name: "sync", type: 1, id: emu.commands.global[0]!.id },
    });
    expect(dispatched.data.resolved.users[target.user!.id].id).toBe(target.user!.id);
    expect(dispatched.data.resolved.members[target.user!.id].permissions).toMatch(/^\d+$/);

    const base = `/webhooks/${emu.applicationId}/${i.token}`;
    expect((await api(emu, `${base}/messages/%40original`, { auth: false })).status).toBe(404); // nothing yet
    const cb = await api(emu, `/interactions/${i.id}/${i.token}/callback`, { method: "POST", auth: false, json: { type: 5, data: { flags: 64 } } });
    expect(cb.status).toBe(204);
    const record = await i.waitForCallback(1000);
    expect(record).toMatchObject({ type: InteractionResponseType.DeferredChannelMessageWithSource, body: { type: 5, data: { flags: 64 } } });
    expect(i.messages[0]!.flags).toBe(MessageFlags.Ephemeral | MessageFlags.Loading);

    const again = await api(emu, `/interactions/${i.id}/${i.token}/callback`, { method: "POST", auth: false, json: { type: 4, data: { content: "x" } } });
    expect(again.status).toBe(400);
    expect(await again.json()).toEqual({ message: "Interaction has already been acknowledged.", code: 40060 });

    const edited = await api(emu, `${base}/messages/%40original`, { method: "PATCH", auth: false, json: { content: "Synced 1 member" } });
    expect(edited.status).toBe(200);
    const original = await edited.json();
    expectSchema("MessageResponse", original);
    expect(original).toMatchObject({ content: "Synced 1 member", flags: MessageFlags.Ephemeral, webhook_id: emu.applicationId, interaction_metadata: { id: i.id } });
    expect(emu.requests.at(-1)!.path).toBe(`/api/v10${base}/messages/@original`);

    const follow = await api(emu, base, { method: "POST", auth: false, json: { content: "details" } });
    expect(follow.status).toBe(200);
    const followUp = await follow.json();
    expect((await (await api(emu, `${base}/messages/${followUp.id}`, { auth: false })).json()).content).toBe("details");
    expect(i.messages.map((m) => m.content)).toEqual(["Synced 1 member", "details"]);
    expect((await i.waitForMessage((m) => m.content === "details", 100)).id).toBe(followUp.id);
    expect(emu.channelMessages(g.systemChannelId).map((m) => m.content)).toEqual(["Synced 1 member", "details"]);
    expect((await api(emu, `${base}/messages/%40original`, { method: "DELETE", auth: false })).status).toBe(204);
    expect(i.messages.map((m) => m.content)).toEqual(["details"]);
  });

  test("the first follow-up after a defer edits the loading message; with_response returns the callback response", async () => {
    const emu = await emulator();
    const g = emu.createGuild({ name: "G" });
    const i = emu.injectInteraction({ guildId: g.id, userId: g.ownerId, commandName: "list-ranks" });
    expect(i.delivered).toBe(false); // no gateway session connected
    const res = await api(emu, `/interactions/${i.id}/${i.token}/callback?with_response=true`, { method: "POST", auth: false, json: { type: 5 } });
    expect(res.status).toBe(200);
    const body = await res.json();
    expectSchema("InteractionCallbackResponse", body);
    expect(body.interaction).toMatchObject({ id: i.id, type: 2, response_message_loading: true, response_message_ephemeral: false });
    const follow = await (await api(emu, `/webhooks/${emu.applicationId}/${i.token}`, { method: "POST", auth: false, json: { content: "done", flags: 64 } })).json();
    expect(follow.id).toBe(body.interaction.response_message_id);
    expect(follow.flags).toBe(0);
    expect(i.messages.length).toBe(1);

    const j = emu.injectInteraction({ guildId: g.id, userId: g.ownerId, commandName: "list-ranks" });
    const reply = await (await api(emu, `/interactions/${j.id}/${j.token}/callback?with_response=true`, { method: "POST", auth: false, json: { type: 4, data: { content: "ladder" } } })).json();
    expectSchema("InteractionCallbackResponse", reply);
    expect(reply.resource).toMatchObject({ type: 4, message: { content: "ladder" } });
  });

  test("3 s window (shortened): a late ack is 404 Unknown interaction and the token dies; tokens expire after their TTL", async () => {
    const emu = await emulator({ interactionAckWindowMs: 100, interactionTokenTtlMs: 400 });
    const g = emu.createGuild({ name: "G" });
    const late = emu.injectInteraction({ guildId: g.id, userId: g.ownerId, commandName: "sync" });
    await Bun.sleep(150);
    const res = await api(emu, `/interactions/${late.id}/${late.token}/callback`, { method: "POST", auth: false, json: { type: 5 } });
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ message: "Unknown interaction", code: 10062 });
    const edit = await api(emu, `/webhooks/${emu.applicationId}/${late.token}/messages/%40original`, { method: "PATCH", auth: false, json: { content: "x" } });
    expect(edit.status).toBe(401);
    expect(await edit.json()).toEqual({ message: "Invalid Webhook Token", code: 50027 });

    const ok = emu.injectInteraction({ guildId: g.id, userId: g.ownerId, commandName: "sync" });
    expect((await api(emu, `/interactions/${ok.id}/${ok.token}/callback`, { method: "POST", auth: false, json: { type: 5 } })).status).toBe(204);
    expect((await api(emu, `/webhooks/${emu.applicationId}/${ok.token}/messages/%40original`, { method: "PATCH", auth: false, json: { content: "on time" } })).status).toBe(200);
    await Bun.sleep(450);
    const expired = await api(emu, `/webhooks/${emu.applicationId}/${ok.token}/messages/%40original`, { method: "PATCH", auth: false, json: { content: "too late" } });
    expect(expired.status).toBe(401);
    expect((await expired.json()).code).toBe(50027);
  });

  test("callback validation: wrong callback type for the interaction, empty message, components and autocomplete", async () => {
    const emu = await emulator();
    const g = emu.createGuild({ name: "G" });
    const cmd = emu.injectInteraction({ guildId: g.id, userId: g.ownerId, commandName: "sync" });
    const wrong = await api(emu, `/interactions/${cmd.id}/${cmd.token}/callback`, { method: "POST", auth: false, json: { type: 7, data: { content: "x" } } });
    expect(wrong.status).toBe(400);
    expect((await wrong.json()).code).toBe(50035);
    const empty = await api(emu, `/interactions/${cmd.id}/${cmd.token}/callback`, { method: "POST", auth: false, json: { type: 4, data: {} } });
    expect(await empty.json()).toEqual({ message: "Cannot send an empty message", code: 50006 });
    expect(cmd.callbacks).toEqual([]);

    const button = emu.injectInteraction({ guildId: g.id, userId: g.ownerId, type: 3, customId: "confirm-link" });
    expect(button.payload.data).toEqual({ custom_id: "confirm-link", component_type: 2 });
    expect(button.payload.message.components[0].components[0].custom_id).toBe("confirm-link");
    const update = await api(emu, `/interactions/${button.id}/${button.token}/callback`, { method: "POST", auth: false, json: { type: 7, data: { content: "Linked!", components: [] } } });
    expect(update.status).toBe(204);
    expect(button.messages).toEqual([expect.objectContaining({ id: button.payload.message.id, content: "Linked!", components: [] })]);

    const auto = emu.injectInteraction({ guildId: g.id, userId: g.ownerId, type: 4, commandName: "set-rank", options: [{ type: 3, name: "rank", value: "Ser", focused: true }] });
    const choices = await api(emu, `/interactions/${auto.id}/${auto.token}/callback`, { method: "POST", auth: false, json: { type: 8, data: { choices: [{ name: "Sergeant", value: "sergeant" }] } } });
    expect(choices.status).toBe(204);
    expect(auto.callbacks[0]!.data).toEqual({ choices: [{ name: "Sergeant", value: "sergeant" }] });
  });
});

// ---- the real discord.js stack ----------------------------------------------------------------------------

describe("@discordjs/core + ws + rest against the emulator", () => {
  let emu: DiscordEmulator;
  beforeAll(async () => {
    emu = await startDiscordEmulator({ heartbeatIntervalMs: 300, rateLimits: { memberRoleBucket: { limit: 5, windowMs: 300 } } });
  });
  afterAll(() => emu.close());

  test("READY over zlib-stream, member chunks, role edits within the bucket, an interaction, and a resume after op 7", async () => {
    const g = emu.createGuild({ name: "Clan" });
    const rank = emu.createRole(g.id, { name: "Sergeant" });
    const ids = emu.addMembers(g.id, 1200);

    const rest = new REST({ api: emu.restBase, offset: 0 }).setToken(emu.token);
    const manager = new WebSocketManager({
      token: emu.token,
      intents: GatewayIntentBits.Guilds | GatewayIntentBits.GuildMembers,
      rest,
      compression: CompressionMethod.ZlibNative,
    });
    const client = new Client({ rest, gateway: manager });
    const guildCreate = new Promise<any>((resolve) => client.once(GatewayDispatchEvents.GuildCreate, ({ data }) => resolve(data)));
    const readyEvent = new Promise<any>((resolve) => client.once(GatewayDispatchEvents.Ready, ({ data }) => resolve(data)));
    const heartbeat = new Promise<void>((resolve) => manager.once(WebSocketShardEvents.HeartbeatComplete, () => resolve()));
    await manager.connect();
    try {
      expect((await readyEvent).application.id).toBe(emu.applicationId);
      expect((await guildCreate).id).toBe(g.id);
      await heartbeat;
      expect(emu.gateway.connections()[0]).toMatchObject({ compress: true, identified: true, shardId: 0 });

      const members = await client.requestGuildMembers({ guild_id: g.id, query: "", limit: 0 });
      expect(members.members.length).toBe(1202);

      // 12 role adds through one per-guild bucket of 5 per 300 ms: waits, but no 429.
      const t0 = performance.now();
      await Promise.all(ids.slice(0, 12).map((id) => client.api.guilds.addRoleToMember(g.id, id, rank.id, { reason: "rank sync" })));
      expect(performance.now() - t0).toBeGreaterThanOrEqual(500);
      expect(emu.requests.filter((r) => r.status === 429).length).toBe(0);
      expect(ids.slice(0, 12).every((id) => emu.memberRoleIds(g.id, id)!.includes(rank.id))).toBe(true);
      const roleRequest = emu.requests.find((r) => r.method === "PUT" && r.path.includes("/roles/"))!;
      expect(roleRequest.headers["x-audit-log-reason"]).toBe("rank%20sync");

      client.once(GatewayDispatchEvents.InteractionCreate, async ({ data, api }) => {
        await api.interactions.defer(data.id, data.token, { flags: MessageFlags.Ephemeral });
        await api.interactions.editReply(data.application_id, data.token, { content: "Working on it" });
        await api.interactions.followUp(data.application_id, data.token, { content: "Done" });
      });
      const interaction = emu.injectInteraction({ guildId: g.id, userId: ids[0]!, commandName: "sync" });
      expect(interaction.delivered).toBe(true);
      expect((await interaction.waitForCallback(2000)).type).toBe(InteractionResponseType.DeferredChannelMessageWithSource);
      await interaction.waitForMessage((m) => m.content === "Done", 2000);
      expect(interaction.messages.map((m) => [m.content, Number(m.flags)])).toEqual([
        ["Working on it", MessageFlags.Ephemeral],
        ["Done", 0],
      ]);

      // op 7: the library reconnects and resumes; events sent meanwhile arrive.
      const resumed = new Promise<void>((resolve) => manager.once(WebSocketShardEvents.Resumed, () => resolve()));
      emu.gateway.sendReconnect(0);
      await resumed;
      expect(emu.gateway.resumes.length).toBe(1);
      expect(emu.gateway.identifies.length).toBe(1);
      const update = new Promise<any>((resolve) => client.once(GatewayDispatchEvents.GuildMemberUpdate, ({ data }) => resolve(data)));
      emu.setMemberRoles(g.id, ids[20]!, [rank.id]);
      expect((await update).roles).toEqual([rank.id]);

      // Everything the library sent is valid for Discord's OpenAPI document.
      const validator = discordValidator();
      for (const r of emu.requests) {
        expect({ req: `${r.method} ${r.path}`, errors: validator.validate({ method: r.method, url: r.path, headers: r.headers, body: r.body }).errors }).toEqual({
          req: `${r.method} ${r.path}`,
          errors: [],
        });
      }
    } finally {
      await manager.destroy();
    }
  }, 20_000);
});
