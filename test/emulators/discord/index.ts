/**
 * Discord emulator: REST under /api/v10 and the gateway WebSocket at /gateway on one Bun.serve port,
 * reproducing Discord's documented behaviour (developer docs + the official OpenAPI document), not what
 * any particular bot sends.
 *
 *   const emu = await startDiscordEmulator({ heartbeatIntervalMs: 500 });
 *   // bot: DISCORD_TOKEN=emu.token DISCORD_API_URL=emu.restBase  (gateway URL comes from /gateway/bot)
 *   const g = emu.createGuild({ name: "Clan" });
 *   const rank = emu.createRole(g.id, { name: "Sergeant" });        // below the bot's role
 *   const m = emu.addMember(g.id, { username: "alice", roles: [rank.id] });
 *   const i = emu.injectInteraction({ guildId: g.id, userId: m.user.id, commandName: "sync" });
 *   await i.waitForCallback(); await i.waitForMessage((msg) => msg.content.includes("done"), 5000);
 *   await emu.close();
 *
 * OAuth2 (oauth.ts): the consent page at {webUrl}/oauth2/authorize lists the emulator's users to pick
 * from; oauth.{clientId, clientSecret, addRedirectUri, tokenRequests}.
 *
 * Options (DiscordEmulatorOptions, see types.ts): port (0), token (unique per emulator),
 * recommendedShards (1), maxConcurrency (1), sessionStartRemaining (1000), heartbeatIntervalMs (41250),
 * rateLimits { globalPerSecond 50, memberRoleBucket 10/1000ms per guild, memberPatchBucket 10/1000ms per
 * guild, defaultBucket 5/1000ms per route+resource }, timeScale (1; multiplies every rate-limit window),
 * latencyMs (0), interactionAckWindowMs (3000), interactionTokenTtlMs (15 min), privilegedIntents (all
 * enabled), recordRequests (true), seed (1).
 *
 * DiscordEmulator:
 *   restBase "http://127.0.0.1:PORT/api", gatewayUrl "ws://127.0.0.1:PORT/gateway", token,
 *   applicationId (= botUserId, as for every app created since 2019), botUserId
 *   Seeding:  createGuild, createRole, updateRole, deleteRole, createChannel, createUser, addMember,
 *             addMembers (bulk, silent), removeMember, setMemberRoles, setMemberNick, setDmsDisabled,
 *             setPrivilegedIntents. Helpers that change members/roles emit the matching gateway events.
 *   Reading:  guild (ids + memberCount), roles, role, roleByName, member, members, memberRoleIds, user, channelMessages,
 *             dmMessages, auditLog (kicks with their reason), commands {global, guild}, commandWrites, requests, requestsTo, invalidRequests
 *   Interactions: injectInteraction(input) -> { id, token, delivered, payload, callbacks, messages,
 *             waitForCallback(ms), waitForMessage(pred, ms) }; setInteractionWindows
 *   Gateway:  gateway.{identifies, resumes, memberRequests, connections(), closeShard(id, code, reason?),
 *             dropShard(id), loseEvents(type, times?), sendReconnect(id), sendInvalidSession(id, resumable), sessionStartRemaining}
 *   Faults:   setLatency(ms), failNext({method?, pathIncludes?}, {status, body?, headers?}, times = 1)
 *   Upkeep:   resetCounters() (requests, invalidRequests, commandWrites, identifies, resumes, memberRequests),
 *             resetRateLimits() (REST buckets, identify and op 8 windows), close()
 *
 * Behaviour: see the per-file headers (gateway.ts, rest.ts, ratelimit.ts, guilds.ts, permissions.ts,
 * commands.ts, interactions.ts, messages.ts). Not modelled: channel permission overwrites, presences,
 * voice, reading audit logs over REST, ETF encoding, zstd compression, heartbeat timeouts, the 200 command creates/day.
 *
 * Where the docs are silent we chose: adding/removing a managed role -> 403 50013; an unknown role in
 * PATCH member `roles` -> 404 10011; assigning @everyone -> 400 50028; op 8 for all members without the
 * GUILD_MEMBERS intent -> close 4001; a follow-up before any callback -> 404 10015; heartbeats don't
 * count toward the 120/60 s send limit (tests shrink the interval); 429 bodies carry `code: 0` (the
 * OpenAPI Error schema requires it) and Retry-After is rounded up to whole seconds as in the docs.
 */
import type { Server } from "bun";
import {
  type GatewayDispatchEvents,
  ChannelType,
  type APIApplicationCommand,
  type APIChannel,
  type APIGuildMember,
  type APIMessage,
  type APIRole,
  type APIUser,
} from "discord-api-types/v10";
import { CommandStore, commandRoutes } from "./commands.ts";
import { Gateway, type ConnData } from "./gateway.ts";
import { guildRoutes } from "./guilds.ts";
import { InteractionStore } from "./interactions.ts";
import { messageRoutes } from "./messages.ts";
import { RateLimiter } from "./ratelimit.ts";
import { RestServer } from "./rest.ts";
import type { RouteDef } from "./router.ts";
import { DiscordState, roleJSON, type AuditLogRec, type GuildRec } from "./state.ts";
import type {
  ConnectionInfo,
  DiscordEmulatorOptions,
  EmulatedGuild,
  FailMatch,
  FailResponse,
  IdentifyRecord,
  InjectInteractionInput,
  MemberRequestRecord,
  InjectedInteraction,
  RecordedRequest,
  ResumeRecord,
} from "./types.ts";
import { OAuthServer } from "./oauth.ts";
import { userRoutes, type PrivilegedIntents } from "./users.ts";

export type * from "./types.ts";
export { DISCORD_EPOCH, shardForGuild, snowflakeTimestamp } from "./snowflake.ts";

export interface DiscordEmulator {
  readonly restBase: string;
  /** The browser-facing origin (`DISCORD_WEB_URL`): the OAuth2 consent page is `{webUrl}/oauth2/authorize`. */
  readonly webUrl: string;
  /** The application's OAuth2 client, as the developer portal's OAuth2 page shows it. */
  readonly oauth: {
    readonly clientId: string;
    readonly clientSecret: string;
    /** Registers a redirect URI (the portal's "Redirects" list); authorize refuses any other. */
    addRedirectUri(uri: string): void;
    /** Every POST /oauth2/token, with its status and RFC 6749 error code. */
    readonly tokenRequests: readonly { grantType: string | undefined; status: number; error?: string }[];
  };
  readonly gatewayUrl: string;
  readonly token: string;
  readonly applicationId: string;
  readonly botUserId: string;

  createGuild(input: { name: string; id?: string; ownerId?: string }): EmulatedGuild;
  createRole(
    guildId: string,
    input: { name: string; position?: number; permissions?: bigint | string; color?: number; hoist?: boolean; mentionable?: boolean; managed?: boolean },
  ): APIRole;
  updateRole(guildId: string, roleId: string, patch: { name?: string; permissions?: bigint | string; position?: number }): APIRole;
  deleteRole(guildId: string, roleId: string): void;
  createChannel(guildId: string, name: string, type?: ChannelType): APIChannel;
  createUser(input?: { id?: string; username?: string; globalName?: string | null; bot?: boolean }): APIUser;
  addMember(guildId: string, input?: { id?: string; username?: string; roles?: string[]; nick?: string | null; bot?: boolean }, opts?: { silent?: boolean }): APIGuildMember;
  /** Seeds many members quickly without gateway events; returns their user ids. */
  addMembers(guildId: string, count: number, input?: { usernamePrefix?: string; roles?: string[] | ((index: number) => string[]) }): string[];
  removeMember(guildId: string, userId: string): boolean;
  setMemberRoles(guildId: string, userId: string, roleIds: string[]): APIGuildMember;
  /** The member changes their own nickname in the client (Change Nickname): GUILD_MEMBER_UPDATE follows. */
  setMemberNick(guildId: string, userId: string, nick: string | null): APIGuildMember;
  setDmsDisabled(userId: string, disabled?: boolean): void;
  setPrivilegedIntents(intents: Partial<PrivilegedIntents>): void;

  guild(guildId: string): (EmulatedGuild & { memberCount: number }) | undefined;
  roles(guildId: string): APIRole[];
  role(guildId: string, roleId: string): APIRole | undefined;
  roleByName(guildId: string, name: string): APIRole | undefined;
  member(guildId: string, userId: string): APIGuildMember | undefined;
  members(guildId: string): APIGuildMember[];
  memberRoleIds(guildId: string, userId: string): string[] | undefined;
  user(userId: string): APIUser | undefined;
  channelMessages(channelId: string): APIMessage[];
  dmMessages(userId: string): APIMessage[];
  /** The guild's audit log entries written through the API (kicks, with the X-Audit-Log-Reason), oldest first. */
  auditLog(guildId: string): AuditLogRec[];

  injectInteraction(input: InjectInteractionInput): InjectedInteraction;
  setInteractionWindows(windows: { ackWindowMs?: number; tokenTtlMs?: number }): void;

  readonly commands: { global: APIApplicationCommand[]; guild: Map<string, APIApplicationCommand[]> };
  /** PUT/POST requests that wrote application commands. */
  readonly commandWrites: number;
  readonly requests: RecordedRequest[];
  requestsTo(match: FailMatch): RecordedRequest[];
  /** 401, 403 and 429 (non-shared) responses: what counts toward Discord's 10,000 per 10 min ban. */
  readonly invalidRequests: number;

  readonly gateway: {
    readonly identifies: IdentifyRecord[];
    readonly resumes: ResumeRecord[];
    /** All-members op 8 requests, rate-limited or not. */
    readonly memberRequests: MemberRequestRecord[];
    readonly sessionStartRemaining: number;
    connections(): ConnectionInfo[];
    closeShard(shardId: number, code: number, reason?: string): void;
    /** Drops the connection without a close frame (1006); the session stays resumable. */
    dropShard(shardId: number): void;
    /** The next `times` dispatches of an event type are lost (never sent, never replayed). */
    loseEvents(t: GatewayDispatchEvents, times?: number): void;
    sendReconnect(shardId: number): void;
    sendInvalidSession(shardId: number, resumable: boolean): void;
  };

  setLatency(ms: number): void;
  failNext(match: FailMatch, response: FailResponse, times?: number): void;
  resetCounters(): void;
  resetRateLimits(): void;
  close(): Promise<void>;
}

export async function startDiscordEmulator(options: DiscordEmulatorOptions = {}): Promise<DiscordEmulator> {
  // A token of its own per emulator, as every bot has its own: a bot left running by an earlier test
  // that reaches this emulator on a reused port is refused (401, close 4004) instead of taking sessions.
  const token = options.token ?? `emulator-token-${crypto.randomUUID()}`;
  const timeScale = options.timeScale ?? 1;
  const rl = options.rateLimits ?? {};
  const privileged: PrivilegedIntents = {
    guildMembers: options.privilegedIntents?.guildMembers ?? true,
    guildPresences: options.privilegedIntents?.guildPresences ?? true,
    messageContent: options.privilegedIntents?.messageContent ?? true,
  };
  const urls = { http: "", ws: "" };

  const state = new DiscordState(options.seed ?? 1);
  const limiter = new RateLimiter(rl.globalPerSecond ?? 50, timeScale);
  const commands = new CommandStore(state);
  const gateway = new Gateway(state, {
    token,
    heartbeatIntervalMs: options.heartbeatIntervalMs ?? 41_250,
    memberChunksPerSecond: options.memberChunksPerSecond,
    maxConcurrency: options.maxConcurrency ?? 1,
    timeScale,
    sessionStartTotal: 1000,
    sessionStartRemaining: options.sessionStartRemaining ?? 1000,
    privileged: () => privileged,
    url: () => urls.ws,
  });
  state.listener = gateway.onStateEvent;
  const interactions = new InteractionStore(
    state,
    commands,
    { ackWindowMs: options.interactionAckWindowMs ?? 3000, tokenTtlMs: options.interactionTokenTtlMs ?? 15 * 60_000 },
    (guildId, t, d, intent) => gateway.dispatchToGuild(guildId, t, d, intent),
  );
  const oauth = new OAuthServer(state);
  const rest = new RestServer(limiter, {
    token,
    bearer: (accessToken) => oauth.bearer(accessToken),
    latencyMs: options.latencyMs ?? 0,
    recordRequests: options.recordRequests ?? true,
    buckets: {
      memberRole: rl.memberRoleBucket ?? { limit: 10, windowMs: 1000 },
      memberPatch: rl.memberPatchBucket ?? { limit: 10, windowMs: 1000 },
      default: rl.defaultBucket ?? { limit: 5, windowMs: 1000 },
    },
  });
  const gatewayRoutes: RouteDef[] = [
    { method: "GET", pattern: "/gateway", auth: "none", bucket: "default", global: true, handler: () => ({ status: 200, body: { url: urls.ws } }) },
    {
      method: "GET",
      pattern: "/gateway/bot",
      auth: "bot",
      bucket: "default",
      global: true,
      handler: () => ({ status: 200, body: gateway.gatewayBot(options.recommendedShards ?? 1) }),
    },
  ];
  rest.addRoutes([
    ...gatewayRoutes,
    ...userRoutes(state, () => privileged, () => [...oauth.redirectUris]),
    {
      method: "POST",
      pattern: "/oauth2/token",
      auth: "none",
      bucket: "default",
      global: false,
      handler: (req) => oauth.token(formFields(req.body), req.headers.get("authorization")),
    },
    ...guildRoutes(state, { guildMembersIntent: () => privileged.guildMembers }),
    ...commandRoutes(state, commands),
    ...messageRoutes(state),
    ...interactions.routes(),
  ]);

  const server: Server<ConnData> = Bun.serve<ConnData>({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    fetch(req, srv) {
      const { pathname } = new URL(req.url);
      if (pathname === "/gateway" || pathname === "/gateway/") return gateway.upgrade(req, srv);
      // The browser side of OAuth2 lives on the web origin (DISCORD_WEB_URL), not under /api.
      if (pathname === "/oauth2/authorize") return oauth.handleAuthorize(req);
      return rest.handle(req);
    },
    websocket: gateway.websocket,
  });
  urls.http = `http://127.0.0.1:${server.port}`;
  urls.ws = `ws://127.0.0.1:${server.port}/gateway`;

  const guildOf = (guildId: string): GuildRec => {
    const g = state.guilds.get(guildId);
    if (!g) throw new Error(`unknown guild ${guildId}`);
    return g;
  };
  const toPerms = (p: bigint | string | undefined) => (p === undefined ? undefined : BigInt(p));
  const emulatedGuild = (g: GuildRec): EmulatedGuild => ({
    id: g.id,
    name: g.name,
    ownerId: g.ownerId,
    everyoneRoleId: g.id,
    botRoleId: g.botRoleId,
    systemChannelId: g.systemChannelId,
  });

  return {
    restBase: `${urls.http}/api`,
    webUrl: urls.http,
    oauth: {
      get clientId() {
        return oauth.clientId;
      },
      clientSecret: oauth.clientSecret,
      addRedirectUri: (uri) => void oauth.redirectUris.add(uri),
      get tokenRequests() {
        return oauth.tokenRequests;
      },
    },
    gatewayUrl: urls.ws,
    token,
    applicationId: state.applicationId,
    botUserId: state.botUser.id,

    createGuild: (input) => emulatedGuild(state.createGuild(input)),
    createRole(guildId, input) {
      const { permissions, ...rest } = input;
      return roleJSON(state.createRole(guildOf(guildId), { ...rest, permissions: toPerms(permissions) }));
    },
    updateRole(guildId, roleId, patch) {
      const g = guildOf(guildId);
      const role = g.roles.get(roleId);
      if (!role) throw new Error(`unknown role ${roleId}`);
      if (patch.name !== undefined) role.name = patch.name;
      if (patch.permissions !== undefined) role.permissions = BigInt(patch.permissions);
      const moved = patch.position !== undefined && role.id !== g.id ? state.moveRole(g, role, patch.position) : [];
      state.emitRoleUpdate(g, role);
      for (const r of moved) if (r !== role) state.emitRoleUpdate(g, r);
      return roleJSON(role);
    },
    deleteRole(guildId, roleId) {
      const g = guildOf(guildId);
      const role = g.roles.get(roleId);
      if (role) state.deleteRole(g, role);
    },
    createChannel: (guildId, name, type = ChannelType.GuildText) => state.channelJSON(state.createGuildChannel(guildOf(guildId), name, type)),
    createUser: (input = {}) => state.userJSON(state.createUser(input)),
    addMember: (guildId, input = {}, opts = {}) => state.memberJSON(state.addMember(guildOf(guildId), input, opts.silent)),
    addMembers(guildId, count, input = {}) {
      const g = guildOf(guildId);
      const ids: string[] = [];
      const prefix = input.usernamePrefix ?? "member";
      for (let i = 0; i < count; i++) {
        const roles = typeof input.roles === "function" ? input.roles(i) : input.roles;
        ids.push(state.addMember(g, { username: `${prefix}${g.members.size}`, roles }, true).userId);
      }
      return ids;
    },
    removeMember: (guildId, userId) => state.removeMember(guildOf(guildId), userId),
    setMemberNick(guildId, userId, nick) {
      const g = guildOf(guildId);
      const m = g.members.get(userId);
      if (!m) throw new Error(`${userId} is not a member of ${guildId}`);
      if (m.nick !== nick) {
        m.nick = nick;
        state.emitMemberUpdate(g, m);
      }
      return state.memberJSON(m);
    },
    setMemberRoles(guildId, userId, roleIds) {
      const g = guildOf(guildId);
      const m = g.members.get(userId);
      if (!m) throw new Error(`${userId} is not a member of ${guildId}`);
      for (const r of roleIds) if (!g.roles.has(r)) throw new Error(`unknown role ${r}`);
      state.setMemberRoles(g, m, roleIds);
      return state.memberJSON(m);
    },
    setDmsDisabled(userId, disabled = true) {
      state.user(userId).dmsDisabled = disabled;
    },
    setPrivilegedIntents(p) {
      Object.assign(privileged, p);
    },

    guild: (guildId) => {
      const g = state.guilds.get(guildId);
      return g ? { ...emulatedGuild(g), memberCount: g.members.size } : undefined;
    },
    roles: (guildId) => state.sortedRoles(guildOf(guildId)).map(roleJSON),
    role: (guildId, roleId) => {
      const r = state.guilds.get(guildId)?.roles.get(roleId);
      return r ? roleJSON(r) : undefined;
    },
    roleByName: (guildId, name) => {
      const r = [...guildOf(guildId).roles.values()].find((x) => x.name === name);
      return r ? roleJSON(r) : undefined;
    },
    member: (guildId, userId) => {
      const m = state.guilds.get(guildId)?.members.get(userId);
      return m ? state.memberJSON(m) : undefined;
    },
    members: (guildId) => [...guildOf(guildId).members.values()].map((m) => state.memberJSON(m)),
    memberRoleIds: (guildId, userId) => {
      const m = state.guilds.get(guildId)?.members.get(userId);
      return m ? [...m.roles] : undefined;
    },
    user: (userId) => {
      const u = state.users.get(userId);
      return u ? state.userJSON(u) : undefined;
    },
    auditLog: (guildId) => guildOf(guildId).auditLog.map((entry) => ({ ...entry })),
    channelMessages: (channelId) => [...(state.channels.get(channelId)?.messages.values() ?? [])],
    dmMessages: (userId) => {
      const id = state.dmByUser.get(userId);
      return id ? [...state.channels.get(id)!.messages.values()] : [];
    },

    injectInteraction: (input) => interactions.inject(input),
    setInteractionWindows(w) {
      interactions.setWindows(
        w.ackWindowMs ?? options.interactionAckWindowMs ?? 3000,
        w.tokenTtlMs ?? options.interactionTokenTtlMs ?? 15 * 60_000,
      );
    },

    get commands() {
      const guild = new Map<string, APIApplicationCommand[]>();
      for (const [id, m] of commands.guild) guild.set(id, [...m.values()]);
      return { global: [...commands.global.values()], guild };
    },
    get commandWrites() {
      return commands.writes;
    },
    get requests() {
      return rest.requests;
    },
    requestsTo: (match) =>
      rest.requests.filter(
        (r) => (!match.method || r.method === match.method.toUpperCase()) && (!match.pathIncludes || r.path.includes(match.pathIncludes)),
      ),
    get invalidRequests() {
      return rest.invalidRequests;
    },

    gateway: {
      get identifies() {
        return gateway.identifies;
      },
      get resumes() {
        return gateway.resumes;
      },
      get memberRequests() {
        return gateway.memberRequests;
      },
      get sessionStartRemaining() {
        return gateway.sessionStartRemaining;
      },
      connections: () => gateway.connections(),
      closeShard: (shardId, code, reason) => gateway.closeShard(shardId, code, reason),
      dropShard: (shardId) => gateway.dropShard(shardId),
      loseEvents: (t, times) => gateway.loseEvents(t, times),
      sendReconnect: (shardId) => gateway.sendReconnect(shardId),
      sendInvalidSession: (shardId, resumable) => gateway.sendInvalidSession(shardId, resumable),
    },

    setLatency(ms) {
      rest.opts.latencyMs = ms;
    },
    failNext(match, response, times = 1) {
      rest.failNext(match, response, times);
    },
    resetCounters() {
      rest.requests.length = 0;
      rest.invalidRequests = 0;
      commands.writes = 0;
      gateway.identifies.length = 0;
      gateway.resumes.length = 0;
      gateway.memberRequests.length = 0;
    },
    resetRateLimits() {
      limiter.reset();
      gateway.resetLimits();
    },
    async close() {
      gateway.closeAll();
      await server.stop(true);
    },
  };
}

/** The urlencoded body as the REST server parsed it: string fields only. */
function formFields(body: unknown): Record<string, string> {
  const fields: Record<string, string> = {};
  if (body && typeof body === "object") for (const [name, value] of Object.entries(body)) if (typeof value === "string") fields[name] = value;
  return fields;
}
