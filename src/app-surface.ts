/**
 * What `createRankbridge` (src/app.ts) takes and returns: the options tests and benchmarks vary, the
 * process's surface, and the parts harnesses drive or observe. Kept apart so the composition root
 * is only composition.
 */
import type { Cluster } from "./cluster/index.ts";
import type { API } from "@discordjs/core";
import type { APIInteraction } from "discord-api-types/v10";
import type { Hono } from "hono";
import type { SlashCommand } from "./discord/commands/types.ts";
import type { Gateway } from "./discord/gateway.ts";
import type { DiscordGuilds } from "./discord/guilds.ts";
import type { CooldownLimits } from "./discord/interactions/cooldowns.ts";
import type { DiscordRestOptions } from "./discord/rest.ts";
import type { HttpServer } from "./http/server.ts";
import type { Metrics } from "./observability/metrics.ts";
import type { RobloxClient, RobloxClientOptions } from "./roblox/client.ts";
import type { MemberSyncService } from "./services/member-sync.ts";
import type { PendingWriteWorker, PendingWriteWorkerOptions } from "./services/pending-writes.ts";
import type { SyncAlertsOptions } from "./sync/alerts.ts";
import type { BulkSync, BulkSyncOptions } from "./sync/bulk-sync.ts";
import type { MemberSnapshots } from "./sync/member-snapshots.ts";
import type { SyncScheduler } from "./sync/scheduler.ts";
import type { SyncRequests, SyncRequestsOptions } from "./sync/sync-requests.ts";
import type { ChangeFeed } from "./sync/change-feed/feed.ts";
import type { GroupMembershipsPort } from "./sync/group-memberships.ts";
import type { DashboardAccess } from "./services/dashboard-access.ts";

/**
 * What tests and benchmarks vary; production passes only `onFatal`. A field left out keeps the
 * component's own default, as in production.
 */
export interface RankbridgeOptions {
  /** The host's reaction to a gateway close code reconnecting cannot fix (the gateway has logged it). */
  onFatal?: (message: string, code: number) => void;
  /** An emulator sends exact reset times (offset 0) and may scale its windows (global limit). */
  discordRest?: Pick<DiscordRestOptions, "offsetMs" | "globalRequestsPerSecond">;
  /** Applied to every Roblox client built: the process-wide one and each guild API key's. */
  roblox?: Pick<RobloxClientOptions, "retry" | "rateLimits" | "rolesCacheTtlMs">;
  /** How long a guild's full member list is reused (MemberSnapshots' `ttlMs`). */
  memberSnapshotTtlMs?: number;
  bulkSync?: Pick<BulkSyncOptions, "tuning" | "pacer">;
  /** How sync alerts reach a guild's webhook. */
  alertFetch?: SyncAlertsOptions["fetch"];
  pendingWrites?: Pick<PendingWriteWorkerOptions, "pollIntervalMs" | "backoff">;
  /** How often the dashboard's queued sync requests are read (cluster only). */
  syncRequests?: Pick<SyncRequestsOptions, "pollIntervalMs" | "staleClaimMs">;
  /** One clock for every service that reads the time (link challenges, retries, syncs, snapshots). */
  now?: () => number;
  /** Uniform in [0, 1): link phrases, retry and schedule jitter. */
  random?: () => number;
  /** Per-member and per-guild budgets of the link and lookup commands. */
  cooldowns?: CooldownLimits;
  /** How long the dashboard reuses a member's roles (at most, and by default, 60 s). */
  dashboardMemberTtlMs?: number;
}

/** The slash commands, feature by feature, in registration order. */
export interface CommandsByFeature {
  ping: SlashCommand[];
  linking: SlashCommand[];
  ladderAndSettings: SlashCommand[];
  rankChanges: SlashCommand[];
  sync: SlashCommand[];
}

/**
 * The process's handle on the bot: bring it up, take it down, and the entry points a host (or a
 * harness standing in for the gateway) feeds. Everything else stays inside the composition.
 */
export interface Rankbridge {
  /** Brings the process up; rejects when it cannot (ConfigError, DiscordTokenRejectedError, ...). */
  start(): Promise<void>;
  /** Graceful shutdown; never rejects (errors are logged) and runs once however often it is called. */
  stop(reason: string): Promise<void>;
  /** The Discord half of `start()`: /gateway/bot, `ownShards`, command registration, gateway connect. */
  connect(): Promise<void>;
  /**
   * Background work is done only for guilds on this process's shards (SHARD_IDS) of `shardCount`;
   * until this is called (by `connect`), for none.
   * @throws ConfigError when a SHARD_IDS entry is not below the shard count
   */
  ownShards(shardCount: number): void;
  /** Runs an interaction as INTERACTION_CREATE does; resolves when its handler finished. */
  handleInteraction(interaction: APIInteraction, shardId?: number): Promise<void>;
  /** Health, readiness, metrics and the OAuth callback; served by `start()`. */
  readonly httpApp: Hono;
  /** The listening server once `start()` got that far. */
  readonly http: HttpServer | undefined;
  /** The slash commands, feature by feature, as they are registered with Discord. */
  readonly commands: CommandsByFeature;
  /**
   * Test-only surface: what the harnesses drive or observe that neither the emulators nor the
   * database file show (the process itself never reads it). Rows are not here: harnesses seed and
   * read them through their own connection to the bot's database file (test/support/bot-database.ts).
   */
  readonly parts: RankbridgeParts;
}

export interface RankbridgeParts {
  /** Gauges a test reads between steps, and a second worker built in a test shares (GET /metrics serves the same registry). */
  readonly metrics: Metrics;
  /** The gateway manager: a harness without a connection delivers on it what a shard would. */
  readonly gateway: Gateway;
  /** The bot's REST client: registering the command definitions, and the sync benchmark's member-by-member baseline. */
  readonly api: API;
  /** The process-wide Roblox client (ROBLOX_API_KEY or ROBLOX_COOKIE), for that baseline: the same limits as the bot's. */
  readonly roblox: RobloxClient;
  /** The bot's view of guilds and members, watched where only it shows that a gateway event arrived. */
  readonly guilds: DiscordGuilds;
  readonly memberSnapshots: MemberSnapshots;
  /**
   * Services tests call directly where a command's reply would hide what they assert: a one-member
   * sync's result, the retry worker's start, stop and single pass, a run started, resumed, held or
   * decided, and the schedule.
   */
  readonly memberSync: MemberSyncService;
  readonly pendingWrites: PendingWriteWorker;
  readonly bulkSync: BulkSync;
  readonly scheduler: SyncScheduler;
  /** The dashboard's "Sync now" / "Dry run": acted on here, or queued for the process of the guild's shard. */
  readonly syncRequests: SyncRequests;
  /** What the processes share (REDIS_URL): leases for work that runs once, the Roblox budgets. */
  readonly cluster: Cluster;
  /** Roles linked users hold in any Roblox groups (the guild's own and others), for binds. */
  readonly groupMemberships: GroupMembershipsPort;
  /** Undefined when ROBLOX_CHANGE_FEED_INTERVAL is off. */
  readonly changeFeed: ChangeFeed | undefined;
  /** Who may manage which guild on the web dashboard. */
  readonly dashboardAccess: DashboardAccess;
}
