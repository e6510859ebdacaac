// The gateway WebSocket (docs: events/gateway, events/gateway-events, topics/opcodes-and-status-codes):
// HELLO, heartbeats, IDENTIFY (token, shard, intents, max_concurrency), READY + GUILD_CREATE per guild of
// the shard, sequence numbers, RESUME with replay, REQUEST_GUILD_MEMBERS chunking with the 30 s
// all-members limit, the 120/60 s send limit, close codes and optional zlib-stream transport compression.
import zlib from "node:zlib";
import type { Server, ServerWebSocket } from "bun";
import {
  GatewayDispatchEvents,
  GatewayIntentBits,
  GatewayOpcodes,
} from "discord-api-types/v10";
import { shardForGuild } from "./snowflake.ts";
import type { DiscordState, GuildRec, StateEvent } from "./state.ts";
import type { ConnectionInfo, IdentifyRecord, MemberRequestRecord, ResumeRecord } from "./types.ts";
import { applicationFlags, type PrivilegedIntents } from "./users.ts";

export interface ConnData {
  id: number;
  openedAt: number;
  compress: boolean;
  reject?: { code: number; reason: string };
  identified: boolean;
  session?: Session;
  sendWindowStart: number;
  sendCount: number;
  deflate?: zlib.Deflate;
  sendChain: Promise<void>;
  closed: boolean;
  /** Close code the server chose (decides whether the session survives). */
  serverCloseCode?: number;
}

interface Session {
  id: string;
  shardId: number;
  shardCount: number;
  intents: number;
  largeThreshold: number;
  seq: number;
  conn: ServerWebSocket<ConnData> | null;
  /** Sent dispatches kept for RESUME replay (bounded). */
  buffer: { s: number; text: string }[];
  bufferBytes: number;
  invalid: boolean;
}

export interface GatewayOptions {
  token: string;
  heartbeatIntervalMs: number;
  /** All-members chunks a second at most; undefined: as fast as the client reads. */
  memberChunksPerSecond?: number;
  maxConcurrency: number;
  timeScale: number;
  sessionStartTotal: number;
  sessionStartRemaining: number;
  privileged: () => PrivilegedIntents;
  url: () => string;
}

const ALL_INTENTS = Object.values(GatewayIntentBits).filter((v): v is number => typeof v === "number").reduce((a, b) => a | b, 0);
const MAX_PAYLOAD_BYTES = 4096;
const SEND_LIMIT = 120;
const SEND_WINDOW_MS = 60_000;
const IDENTIFY_WINDOW_MS = 5_000;
const IDENTIFY_SKEW_MS = 25;
const ALL_MEMBERS_WINDOW_MS = 30_000;
const CHUNK_SIZE = 1000;
const MAX_GUILDS_PER_SHARD = 2500;
const REPLAY_MAX_ENTRIES = 10_000;
const REPLAY_MAX_BYTES = 64 * 1024 * 1024;
/** Member chunks wait while more than this is queued for the client (about eight chunks). */
const STREAM_BUFFER_BYTES = 4 * 1024 * 1024;

/** Close codes after which Discord won't let the session be resumed. */
const NON_RESUMABLE = new Set([4003, 4004, 4007, 4009, 4010, 4011, 4012, 4013, 4014]);

export const CLOSE_REASONS: Record<number, string> = {
  4000: "Unknown error.",
  4001: "Unknown opcode.",
  4002: "Error while decoding payload.",
  4003: "Not authenticated.",
  4004: "Authentication failed.",
  4005: "Already authenticated.",
  4007: "Invalid seq.",
  4008: "Rate limited.",
  4009: "Session timed out.",
  4010: "Invalid shard.",
  4011: "Sharding required.",
  4012: "Invalid API version.",
  4013: "Invalid intent(s).",
  4014: "Disallowed intent(s).",
};

const PRIVILEGED = {
  guildMembers: GatewayIntentBits.GuildMembers,
  guildPresences: GatewayIntentBits.GuildPresences,
  messageContent: GatewayIntentBits.MessageContent,
} as const;

export class Gateway {
  /** Events to lose, by type, and how many more of each (loseEvents). */
  private readonly lostEvents = new Map<string, number>();
  readonly identifies: IdentifyRecord[] = [];
  readonly resumes: ResumeRecord[] = [];
  readonly memberRequests: MemberRequestRecord[] = [];
  private readonly sessions = new Map<string, Session>();
  private readonly conns = new Set<ServerWebSocket<ConnData>>();
  private readonly lastIdentifyByKey = new Map<number, number>();
  private readonly lastAllMembers = new Map<string, number>();
  private nextConnId = 1;
  sessionStartRemaining: number;

  constructor(
    private readonly state: DiscordState,
    private readonly opts: GatewayOptions,
  ) {
    this.sessionStartRemaining = opts.sessionStartRemaining;
  }

  // ---- HTTP side -----------------------------------------------------------------------------------

  upgrade(req: Request, server: Server<ConnData>): Response | undefined {
    const url = new URL(req.url);
    const v = url.searchParams.get("v");
    const encoding = url.searchParams.get("encoding");
    const data: ConnData = {
      id: this.nextConnId++,
      openedAt: Date.now(),
      compress: url.searchParams.get("compress") === "zlib-stream",
      identified: false,
      sendWindowStart: Date.now(),
      sendCount: 0,
      sendChain: Promise.resolve(),
      closed: false,
    };
    if (v !== null && v !== "10" && v !== "9") data.reject = { code: 4012, reason: CLOSE_REASONS[4012]! };
    else if (encoding !== null && encoding !== "json") data.reject = { code: 4002, reason: CLOSE_REASONS[4002]! };
    if (server.upgrade(req, { data })) return undefined;
    return new Response("Expected a WebSocket upgrade", { status: 400 });
  }

  /** Body of GET /gateway/bot. */
  gatewayBot(shards: number): Record<string, unknown> {
    return {
      url: this.opts.url(),
      shards,
      session_start_limit: {
        total: this.opts.sessionStartTotal,
        remaining: Math.max(0, this.sessionStartRemaining),
        reset_after: 86_400_000,
        max_concurrency: this.opts.maxConcurrency,
      },
    };
  }

  // ---- WebSocket handlers --------------------------------------------------------------------------

  readonly websocket = {
    open: (ws: ServerWebSocket<ConnData>) => {
      this.conns.add(ws);
      if (ws.data.reject) return this.close(ws, ws.data.reject.code, ws.data.reject.reason);
      if (ws.data.compress) ws.data.deflate = zlib.createDeflate({ chunkSize: 65535 });
      this.send(ws, { op: GatewayOpcodes.Hello, d: { heartbeat_interval: this.opts.heartbeatIntervalMs, _trace: ['["gateway-emulator",{"micros":0}]'] }, s: null, t: null });
    },
    message: (ws: ServerWebSocket<ConnData>, message: string | Buffer) => {
      this.onMessage(ws, message);
    },
    close: (ws: ServerWebSocket<ConnData>, code: number) => {
      this.onClose(ws, code);
    },
    // Member chunks for large guilds are big; never drop frames under backpressure.
    backpressureLimit: 2 ** 31,
    closeOnBackpressureLimit: false,
    idleTimeout: 0,
    maxPayloadLength: 1024 * 1024,
  };

  private onClose(ws: ServerWebSocket<ConnData>, code: number): void {
    const d = ws.data;
    d.closed = true;
    this.conns.delete(ws);
    d.deflate?.close();
    const s = d.session;
    if (!s || s.conn !== ws) return;
    s.conn = null;
    const serverCode = d.serverCloseCode;
    // A client closing with 1000/1001 ends its session (docs: gateway#disconnecting).
    if (serverCode !== undefined ? NON_RESUMABLE.has(serverCode) : code === 1000 || code === 1001) s.invalid = true;
    if (s.invalid) this.sessions.delete(s.id);
  }

  private onMessage(ws: ServerWebSocket<ConnData>, raw: string | Buffer): void {
    const d = ws.data;
    if (d.closed || d.serverCloseCode !== undefined) return;
    const text = typeof raw === "string" ? raw : raw.toString("utf8");
    if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) {
      this.close(ws, 4002);
      return;
    }
    let payload: { op?: unknown; d?: any };
    try {
      payload = JSON.parse(text);
    } catch {
      this.close(ws, 4002);
      return;
    }
    if (typeof payload !== "object" || payload === null || typeof payload.op !== "number") {
      this.close(ws, 4002);
      return;
    }
    const op = payload.op;
    if (op !== GatewayOpcodes.Heartbeat) {
      const now = Date.now();
      if (now - d.sendWindowStart >= SEND_WINDOW_MS * this.opts.timeScale) {
        d.sendWindowStart = now;
        d.sendCount = 0;
      }
      if (++d.sendCount > SEND_LIMIT) {
        this.close(ws, 4008);
        return;
      }
    }
    switch (op) {
      case GatewayOpcodes.Heartbeat:
        this.send(ws, { op: GatewayOpcodes.HeartbeatAck, d: null, s: null, t: null });
        return;
      case GatewayOpcodes.Identify:
        this.identify(ws, payload.d);
        return;
      case GatewayOpcodes.Resume:
        this.resume(ws, payload.d);
        return;
      case GatewayOpcodes.RequestGuildMembers:
        if (!d.identified) {
          this.close(ws, 4003);
          return;
        }
        return void this.requestGuildMembers(ws, payload.d);
      case GatewayOpcodes.PresenceUpdate:
      case GatewayOpcodes.VoiceStateUpdate:
      case GatewayOpcodes.RequestSoundboardSounds:
        if (!d.identified) {
          this.close(ws, 4003);
          return;
        }
        return;
      default:
        this.close(ws, 4001);
        return;
    }
  }

  // ---- IDENTIFY / RESUME ---------------------------------------------------------------------------

  private tokenOk(token: unknown): boolean {
    return typeof token === "string" && (token === this.opts.token || token === `Bot ${this.opts.token}`);
  }

  private identify(ws: ServerWebSocket<ConnData>, d: any): void {
    const conn = ws.data;
    if (conn.identified) {
      this.close(ws, 4005);
      return;
    }
    if (typeof d !== "object" || d === null) {
      this.close(ws, 4002);
      return;
    }
    if (!this.tokenOk(d.token)) {
      this.close(ws, 4004);
      return;
    }
    const intents = d.intents;
    if (typeof intents !== "number" || !Number.isInteger(intents) || intents < 0 || (intents & ~ALL_INTENTS) !== 0) {
      this.close(ws, 4013);
      return;
    }
    const privileged = this.opts.privileged();
    for (const [key, bit] of Object.entries(PRIVILEGED)) {
      if (intents & bit && !privileged[key as keyof PrivilegedIntents]) {
        this.close(ws, 4014);
        return;
      }
    }
    const shard = d.shard ?? [0, 1];
    if (
      !Array.isArray(shard) || shard.length !== 2 || !Number.isInteger(shard[0]) || !Number.isInteger(shard[1]) ||
      shard[1] < 1 || shard[0] < 0 || shard[0] >= shard[1]
    ) {
      this.close(ws, 4010);
      return;
    }
    const [shardId, shardCount] = shard as [number, number];
    const guilds = this.guildsOfShard(shardId, shardCount);
    if (guilds.length > MAX_GUILDS_PER_SHARD) {
      this.close(ws, 4011);
      return;
    }
    // max_concurrency: one IDENTIFY per rate_limit_key (shard_id % max_concurrency) per 5 s.
    const now = Date.now();
    const key = shardId % this.opts.maxConcurrency;
    const last = this.lastIdentifyByKey.get(key);
    // The client times its window from when it sent; we see both IDENTIFYs a little late, so allow a
    // few ms of skew rather than punish a client that waits exactly 5 s.
    if (last !== undefined && now - last < IDENTIFY_WINDOW_MS * this.opts.timeScale - IDENTIFY_SKEW_MS) {
      this.send(ws, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
      return;
    }
    // Running out of session starts resets the token; further IDENTIFYs fail authentication.
    if (this.sessionStartRemaining <= 0) {
      this.close(ws, 4004);
      return;
    }
    this.sessionStartRemaining--;
    this.lastIdentifyByKey.set(key, now);
    const largeThreshold = Number.isInteger(d.large_threshold) ? Math.min(250, Math.max(50, d.large_threshold)) : 50;
    this.identifies.push({ shardId, shardCount, intents, at: now, largeThreshold, compress: conn.compress });

    // Sessions of this shard nobody is connected to can't be resumed usefully any more.
    for (const s of this.sessions.values()) if (s.shardId === shardId && s.shardCount === shardCount && !s.conn) this.sessions.delete(s.id);
    const session: Session = {
      id: Buffer.from(crypto.getRandomValues(new Uint8Array(16))).toString("hex"),
      shardId,
      shardCount,
      intents,
      largeThreshold,
      seq: 0,
      conn: ws,
      buffer: [],
      bufferBytes: 0,
      invalid: false,
    };
    this.sessions.set(session.id, session);
    conn.identified = true;
    conn.session = session;

    const bot = this.state.botUser;
    this.dispatch(session, GatewayDispatchEvents.Ready, {
      v: 10,
      user_settings: {},
      user: { ...this.state.userJSON(bot), verified: true, mfa_enabled: false, email: null },
      guilds: guilds.map((g) => ({ id: g.id, unavailable: true })),
      guild_join_requests: [],
      presences: [],
      private_channels: [],
      relationships: [],
      session_id: session.id,
      session_type: "normal",
      resume_gateway_url: this.opts.url(),
      shard: [shardId, shardCount],
      application: { id: this.state.applicationId, flags: applicationFlags(privileged) },
      geo_ordered_rtc_regions: ["us-east", "us-central"],
      auth: {},
      _trace: ['["gateway-emulator",{"micros":0}]'],
    });
    if (intents & GatewayIntentBits.Guilds) {
      for (const g of guilds) this.dispatch(session, GatewayDispatchEvents.GuildCreate, this.guildCreate(g, session));
    }
  }

  private resume(ws: ServerWebSocket<ConnData>, d: any): void {
    const conn = ws.data;
    if (conn.identified) {
      this.close(ws, 4005);
      return;
    }
    if (typeof d !== "object" || d === null) {
      this.close(ws, 4002);
      return;
    }
    if (!this.tokenOk(d.token)) {
      this.close(ws, 4004);
      return;
    }
    const session = typeof d.session_id === "string" ? this.sessions.get(d.session_id) : undefined;
    const invalid = () => this.send(ws, { op: GatewayOpcodes.InvalidSession, d: false, s: null, t: null });
    if (!session || session.invalid) {
      invalid();
      return;
    }
    const seq = typeof d.seq === "number" ? d.seq : 0;
    if (seq > session.seq) {
      this.close(ws, 4007);
      return;
    }
    const oldest = session.buffer[0]?.s ?? session.seq + 1;
    if (seq < oldest - 1) { // replay no longer possible
      invalid();
      return;
    }
    const previous = session.conn;
    if (previous && previous !== ws) {
      // The new connection takes the session over; the old one is told its session is gone.
      previous.data.session = undefined;
      session.conn = null;
      this.close(previous, 4009);
    }
    session.conn = ws;
    conn.identified = true;
    conn.session = session;
    let replayed = 0;
    for (const entry of session.buffer) {
      if (entry.s > seq) {
        this.sendText(ws, entry.text);
        replayed++;
      }
    }
    this.resumes.push({ shardId: session.shardId, sessionId: session.id, seq, replayed, at: Date.now() });
    this.dispatch(session, GatewayDispatchEvents.Resumed, { _trace: ['["gateway-emulator",{"micros":0}]'] });
  }

  // ---- REQUEST_GUILD_MEMBERS -----------------------------------------------------------------------

  /**
   * Every member, 1000 a chunk, built one chunk at a time from the guild's member map (a 1M-member
   * guild is never copied), and paced by the socket: while the client has not taken what was sent,
   * no further chunk is built, as Discord's gateway streams a large guild.
   */
  private async streamAllMembers(ws: ServerWebSocket<ConnData>, session: Session, guild: GuildRec, nonce: string | undefined, presences: boolean): Promise<void> {
    const chunkCount = Math.max(1, Math.ceil(guild.members.size / CHUNK_SIZE));
    const ids = guild.members.keys();
    for (let i = 0; i < chunkCount; i++) {
      if (session.invalid) return;
      const slice: string[] = [];
      while (slice.length < CHUNK_SIZE) {
        const next = ids.next();
        if (next.done) break;
        slice.push(next.value);
      }
      this.dispatch(session, GatewayDispatchEvents.GuildMembersChunk, {
        guild_id: guild.id,
        members: slice.flatMap((id) => {
          const member = guild.members.get(id);
          return member ? [this.state.memberJSON(member)] : [];
        }),
        chunk_index: i,
        chunk_count: chunkCount,
        ...(presences ? { presences: [] } : {}),
        ...(nonce !== undefined ? { nonce } : {}),
      });
      await Bun.sleep(this.opts.memberChunksPerSecond ? 1000 / this.opts.memberChunksPerSecond : 0);
      while (!ws.data.closed && ws.data.session === session && ws.getBufferedAmount() > STREAM_BUFFER_BYTES) await Bun.sleep(1);
    }
  }

  private async requestGuildMembers(ws: ServerWebSocket<ConnData>, d: any): Promise<void> {
    const session = ws.data.session!;
    if (typeof d !== "object" || d === null || typeof d.guild_id !== "string") return this.close(ws, 4001);
    const guild = this.state.guilds.get(d.guild_id);
    // Requests for guilds this shard doesn't hold get no answer.
    if (!guild || shardForGuild(guild.id, session.shardCount) !== session.shardId) return;
    const nonce = typeof d.nonce === "string" && Buffer.byteLength(d.nonce) <= 32 ? d.nonce : undefined;
    const presences = d.presences === true && (session.intents & GatewayIntentBits.GuildPresences) !== 0;
    let members: string[];
    let notFound: string[] | undefined;
    if (d.user_ids !== undefined && d.user_ids !== null) {
      const ids: unknown[] = Array.isArray(d.user_ids) ? d.user_ids : [d.user_ids];
      const wanted = ids.filter((x): x is string => typeof x === "string").slice(0, 100);
      members = wanted.filter((id) => guild.members.has(id));
      notFound = wanted.filter((id) => !guild.members.has(id));
      this.memberRequests.push({ shardId: session.shardId, guildId: guild.id, rateLimited: false, at: Date.now(), userIds: wanted.length });
    } else if (typeof d.query === "string") {
      if (typeof d.limit !== "number" || !Number.isInteger(d.limit) || d.limit < 0) return this.close(ws, 4001);
      if (d.query === "" && d.limit === 0) {
        if (!(session.intents & GatewayIntentBits.GuildMembers)) return this.close(ws, 4001);
        // Changelog 2025-08: one all-members request per guild per 30 s, else RATE_LIMITED.
        const now = Date.now();
        const windowMs = ALL_MEMBERS_WINDOW_MS * this.opts.timeScale;
        const last = this.lastAllMembers.get(guild.id);
        const rateLimited = last !== undefined && now - last < windowMs;
        this.memberRequests.push({ shardId: session.shardId, guildId: guild.id, rateLimited, at: now });
        if (rateLimited) {
          this.dispatch(session, GatewayDispatchEvents.RateLimited, {
            opcode: GatewayOpcodes.RequestGuildMembers,
            retry_after: Number(((windowMs - (now - last)) / 1000).toFixed(3)),
            meta: { guild_id: guild.id, ...(nonce !== undefined ? { nonce } : {}) },
          });
          return;
        }
        this.lastAllMembers.set(guild.id, now);
        return this.streamAllMembers(ws, session, guild, nonce, presences);
      } else {
        const q = d.query.toLowerCase();
        const limit = d.limit === 0 ? 100 : Math.min(d.limit, 100);
        members = [];
        for (const m of guild.members.values()) {
          if (members.length >= limit) break;
          const u = this.state.user(m.userId);
          if (u.username.toLowerCase().startsWith(q) || m.nick?.toLowerCase().startsWith(q)) members.push(m.userId);
        }
      }
    } else return this.close(ws, 4001);

    const chunkCount = Math.max(1, Math.ceil(members.length / CHUNK_SIZE));
    for (let i = 0; i < chunkCount; i++) {
      if (session.invalid) return;
      const slice = members.slice(i * CHUNK_SIZE, (i + 1) * CHUNK_SIZE);
      this.dispatch(session, GatewayDispatchEvents.GuildMembersChunk, {
        guild_id: guild.id,
        members: slice.map((id) => this.state.memberJSON(guild.members.get(id)!)),
        chunk_index: i,
        chunk_count: chunkCount,
        ...(i === 0 && notFound?.length ? { not_found: notFound } : {}),
        ...(presences ? { presences: [] } : {}),
        ...(nonce !== undefined ? { nonce } : {}),
      });
      // Let other sockets and REST requests through between chunks.
      if (chunkCount > 1) await Bun.sleep(0);
    }
  }

  // ---- dispatching ---------------------------------------------------------------------------------

  private guildsOfShard(shardId: number, shardCount: number): GuildRec[] {
    const out: GuildRec[] = [];
    for (const g of this.state.guilds.values()) if (g.ts % shardCount === shardId) out.push(g);
    return out;
  }

  private guildCreate(g: GuildRec, session: Session): Record<string, unknown> {
    const large = g.members.size > session.largeThreshold;
    // Without GUILD_PRESENCES, or when large, only the bot's own member is included.
    const full = !large && (session.intents & GatewayIntentBits.GuildPresences) !== 0;
    const members = full ? [...g.members.values()] : [g.members.get(this.state.botUser.id)!];
    return {
      ...this.state.guildJSON(g, false),
      joined_at: g.joinedAt,
      large,
      unavailable: false,
      member_count: g.members.size,
      voice_states: [],
      members: members.map((m) => this.state.memberJSON(m)),
      channels: g.channelIds.map((id) => {
        const { guild_id: _g, ...ch } = this.state.channelJSON(this.state.channels.get(id)!) as unknown as Record<string, unknown>;
        return ch;
      }),
      threads: [],
      presences: [],
      stage_instances: [],
      guild_scheduled_events: [],
      soundboard_sounds: [],
      embedded_activities: [],
      lazy: true,
      application_command_counts: {},
      hub_type: null,
      latest_onboarding_question_id: null,
    };
  }

  /** Routes a state change to the sessions that own its guild (DMs: shard 0) and have the intent. */
  onStateEvent = (ev: StateEvent): number => this.dispatchToGuild(ev.guildId, ev.t, ev.d, ev.intent);

  dispatchToGuild(guildId: string | null, t: GatewayDispatchEvents, d: unknown, intent: number): number {
    const guild = guildId ? this.state.guilds.get(guildId) : undefined;
    if (guildId && !guild) return 0;
    const lost = this.lostEvents.get(t) ?? 0;
    if (lost > 0) {
      // Lost for every session, for good (not even replayed on resume): clients' caches go stale.
      this.lostEvents.set(t, lost - 1);
      return 0;
    }
    let delivered = 0;
    for (const s of this.sessions.values()) {
      if (s.invalid) continue;
      const shard = guild ? guild.ts % s.shardCount : 0;
      if (shard !== s.shardId) continue;
      if (intent !== 0 && (s.intents & intent) === 0) continue;
      const data = t === GatewayDispatchEvents.GuildCreate && d === null && guild ? this.guildCreate(guild, s) : d;
      this.dispatch(s, t, data);
      if (s.conn) delivered++;
    }
    return delivered;
  }

  private dispatch(session: Session, t: GatewayDispatchEvents, d: unknown): void {
    const s = ++session.seq;
    const text = JSON.stringify({ op: GatewayOpcodes.Dispatch, t, s, d });
    session.buffer.push({ s, text });
    session.bufferBytes += text.length;
    while (session.buffer.length > REPLAY_MAX_ENTRIES || session.bufferBytes > REPLAY_MAX_BYTES) {
      session.bufferBytes -= session.buffer.shift()!.text.length;
    }
    if (session.conn) this.sendText(session.conn, text);
  }

  private send(ws: ServerWebSocket<ConnData>, payload: unknown): void {
    this.sendText(ws, JSON.stringify(payload));
  }

  private sendText(ws: ServerWebSocket<ConnData>, text: string): void {
    const d = ws.data;
    if (d.closed || d.serverCloseCode !== undefined) return;
    const deflate = d.deflate;
    if (!deflate) {
      ws.send(text);
      return;
    }
    // zlib-stream: one deflate context per connection, each payload ends with a Z_SYNC_FLUSH (00 00 ff ff).
    d.sendChain = d.sendChain.then(
      () =>
        new Promise<void>((resolve) => {
          const chunks: Buffer[] = [];
          const onData = (c: Buffer) => chunks.push(c);
          deflate.on("data", onData);
          deflate.write(text);
          deflate.flush(zlib.constants.Z_SYNC_FLUSH, () => {
            deflate.off("data", onData);
            if (!d.closed) ws.send(Buffer.concat(chunks));
            resolve();
          });
        }),
    );
  }

  private close(ws: ServerWebSocket<ConnData>, code: number, reason = CLOSE_REASONS[code] ?? ""): void {
    if (ws.data.closed || ws.data.serverCloseCode !== undefined) return;
    ws.data.serverCloseCode = code;
    // Let queued compressed frames go out first.
    void ws.data.sendChain.then(() => {
      if (!ws.data.closed) ws.close(code, reason);
    });
  }

  // ---- test controls -------------------------------------------------------------------------------

  private connsOfShard(shardId: number): ServerWebSocket<ConnData>[] {
    return [...this.conns].filter((ws) => ws.data.session?.shardId === shardId);
  }

  connections(): ConnectionInfo[] {
    return [...this.conns].map((ws) => ({
      connectionId: ws.data.id,
      identified: ws.data.identified,
      shardId: ws.data.session?.shardId,
      shardCount: ws.data.session?.shardCount,
      sessionId: ws.data.session?.id,
      intents: ws.data.session?.intents,
      seq: ws.data.session?.seq,
      compress: ws.data.compress,
      openedAt: ws.data.openedAt,
    }));
  }

  closeShard(shardId: number, code: number, reason?: string): void {
    for (const ws of this.connsOfShard(shardId)) this.close(ws, code, reason ?? CLOSE_REASONS[code] ?? "");
  }

  /** The next `times` dispatches of event `t` never reach any session (Discord has lost events). */
  loseEvents(t: GatewayDispatchEvents, times = 1): void {
    this.lostEvents.set(t, (this.lostEvents.get(t) ?? 0) + times);
  }

  /**
   * Drops the shard's TCP connection without a close frame (the client sees 1006, as when a network
   * path dies). The session stays resumable.
   */
  dropShard(shardId: number): void {
    for (const ws of this.connsOfShard(shardId)) ws.terminate();
  }

  sendReconnect(shardId: number): void {
    for (const ws of this.connsOfShard(shardId)) this.send(ws, { op: GatewayOpcodes.Reconnect, d: null, s: null, t: null });
  }

  sendInvalidSession(shardId: number, resumable: boolean): void {
    for (const ws of this.connsOfShard(shardId)) {
      this.send(ws, { op: GatewayOpcodes.InvalidSession, d: resumable, s: null, t: null });
      if (!resumable) {
        const s = ws.data.session!;
        s.invalid = true;
        this.sessions.delete(s.id);
        ws.data.identified = false;
        ws.data.session = undefined;
      }
    }
  }

  /** Forget the identify and op 8 windows (between test phases). */
  resetLimits(): void {
    this.lastIdentifyByKey.clear();
    this.lastAllMembers.clear();
  }

  closeAll(): void {
    for (const ws of this.conns) {
      ws.data.closed = true;
      ws.close(1001, "Emulator shutting down");
    }
    this.conns.clear();
  }
}
