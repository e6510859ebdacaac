import type {
  APIApplicationCommandInteractionDataOption,
  APIInteractionDataResolved,
  APIMessage,
  ComponentType,
  InteractionResponseType,
  InteractionType,
  ApplicationCommandType,
  APIModalSubmissionComponent,
} from "discord-api-types/v10";

export interface BucketConfig {
  limit: number;
  windowMs: number;
}

export interface DiscordEmulatorOptions {
  /** Port to listen on (127.0.0.1). 0 (default) picks a free one. */
  port?: number;
  /** Bot token the emulator accepts (REST `Authorization: Bot <token>` and gateway IDENTIFY). */
  token?: string;
  /** `shards` returned by GET /gateway/bot. Default 1. */
  recommendedShards?: number;
  /** `session_start_limit.max_concurrency`; also enforced on IDENTIFY. Default 1. */
  maxConcurrency?: number;
  /** `session_start_limit.remaining` (decremented per IDENTIFY; at 0 IDENTIFY fails with 4004). Default 1000. */
  sessionStartRemaining?: number;
  /** HELLO heartbeat_interval. Default 41250. */
  heartbeatIntervalMs?: number;
  /**
   * All-members chunks sent a second at most. Default: as fast as the client reads them. Discord
   * does not document its pace; reports put it near ten a second (a 330,000-member guild in about
   * 33 s, discord.py PR #7932).
   */
  memberChunksPerSecond?: number;
  rateLimits?: {
    /** Global REST limit per token per second. Default 50. */
    globalPerSecond?: number;
    /** PUT/DELETE /guilds/{g}/members/{u}/roles/{r}, per guild. Default 10 per 1000 ms. */
    memberRoleBucket?: BucketConfig;
    /** PATCH /guilds/{g}/members/{u}, per guild. Default 10 per 1000 ms. */
    memberPatchBucket?: BucketConfig;
    /** Every other route, per (route, top-level resource). Default 5 per 1000 ms. */
    defaultBucket?: BucketConfig;
  };
  /** Multiplies every rate-limit window (REST buckets, global, gateway op 8 / identify / send limits). Default 1. */
  timeScale?: number;
  /** Added to every REST response (half before handling, half after). Default 0. */
  latencyMs?: number;
  /** Time allowed for the initial interaction callback. Default 3000. */
  interactionAckWindowMs?: number;
  /** Lifetime of an interaction token for follow-ups and edits. Default 15 min. */
  interactionTokenTtlMs?: number;
  /**
   * Privileged intents enabled "in the developer portal". Requesting a disabled one on IDENTIFY closes
   * with 4014; GET /guilds/{id}/members answers 403 50001 without GUILD_MEMBERS. Default: all enabled.
   */
  privilegedIntents?: { guildMembers?: boolean; guildPresences?: boolean; messageContent?: boolean };
  /** Keep every REST request in `requests` (turn off for very long benchmarks). Default true. */
  recordRequests?: boolean;
  /** Seed for the ids of seeded users and guilds (deterministic across runs). Default 1. */
  seed?: number;
}

export interface RecordedRequest {
  method: string;
  /** Decoded path as sent, e.g. /api/v10/webhooks/1/tok/messages/@original */
  path: string;
  /** Route template, e.g. "PUT /guilds/:guild_id/members/:user_id/roles/:role_id" (undefined when unmatched). */
  route?: string;
  query: Record<string, string>;
  headers: Record<string, string>;
  body: unknown;
  status: number;
  responseBody: unknown;
  at: number;
}

export interface FailMatch {
  method?: string;
  pathIncludes?: string;
  /** Share of matching requests that fail (0..1, drawn from a seeded generator). Default 1. */
  rate?: number;
  /** Fail every matching request until this time (epoch ms): an outage. `times` is then ignored. */
  untilMs?: number;
}

export interface FailResponse {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface IdentifyRecord {
  shardId: number;
  shardCount: number;
  intents: number;
  at: number;
  largeThreshold?: number;
  compress: boolean;
}

/** One REQUEST_GUILD_MEMBERS (op 8) for every member (`query: ""`, `limit: 0`). */
export interface MemberRequestRecord {
  shardId: number;
  guildId: string;
  /** Answered with RATE_LIMITED (within the guild's 30 s window) instead of chunks. */
  rateLimited: boolean;
  at: number;
  /** A request by `user_ids` (how many), not for every member; never rate limited. */
  userIds?: number;
}

export interface ResumeRecord {
  shardId: number;
  sessionId: string;
  seq: number;
  replayed: number;
  at: number;
}

export interface ConnectionInfo {
  connectionId: number;
  identified: boolean;
  shardId?: number;
  shardCount?: number;
  sessionId?: string;
  intents?: number;
  seq?: number;
  compress: boolean;
  openedAt: number;
}

export interface CallbackRecord {
  type: InteractionResponseType;
  data?: any;
  /** The whole request body ({type, data}). */
  body: any;
  withResponse: boolean;
  at: number;
  /** ms between dispatch of INTERACTION_CREATE and this callback. */
  elapsedMs: number;
}

export interface InjectInteractionInput {
  guildId: string;
  userId: string;
  type?: InteractionType;
  channelId?: string;
  commandName?: string;
  commandType?: ApplicationCommandType;
  options?: APIApplicationCommandInteractionDataOption[];
  /** Merged over what the emulator resolves itself from USER/ROLE/CHANNEL/MENTIONABLE option values. */
  resolved?: APIInteractionDataResolved;
  targetId?: string;
  customId?: string;
  componentType?: ComponentType;
  values?: string[];
  /** Message the component was on: an emulator message id (e.g. an earlier reply) or a full message. */
  message?: string | APIMessage;
  /** Modal submit components. */
  components?: APIModalSubmissionComponent[];
  /** Overrides the member's computed permissions (bigint or decimal string). */
  memberPermissions?: bigint | string;
  locale?: string;
}

export interface InjectedInteraction {
  id: string;
  token: string;
  /** Whether INTERACTION_CREATE reached at least one connected session. */
  delivered: boolean;
  /** The dispatched payload. */
  payload: any;
  callbacks: CallbackRecord[];
  /** Original response and follow-ups as they stand now (edits applied, deleted ones removed). */
  readonly messages: APIMessage[];
  waitForCallback(timeoutMs?: number): Promise<CallbackRecord>;
  waitForMessage(predicate: (m: APIMessage) => boolean, timeoutMs?: number): Promise<APIMessage>;
}

export interface EmulatedGuild {
  id: string;
  name: string;
  ownerId: string;
  everyoneRoleId: string;
  /** The bot's managed role ("rankbridge"), MANAGE_ROLES, positioned above every role created later. */
  botRoleId: string;
  /** The guild's "general" text channel. */
  systemChannelId: string;
}
