/**
 * What `createRankbridge` (src/app.ts) takes and returns: the options tests and benchmarks vary, the
 * process's surface, and the parts harnesses seed or observe. Kept apart so the composition root
 * is only composition.
 */
import type { API } from "@discordjs/core";
import type { APIInteraction } from "discord-api-types/v10";
import type { Hono } from "hono";
import type { DatabaseHandle, Repositories } from "./db/index.ts";
import type { SlashCommand } from "./discord/commands/types.ts";
import type { Gateway } from "./discord/gateway.ts";
import type { DiscordGuilds } from "./discord/guilds.ts";
import type { CooldownLimits } from "./discord/interactions/cooldowns.ts";
import type { DiscordRestOptions } from "./discord/rest.ts";
import type { HttpServer } from "./http/server.ts";
import type { Metrics } from "./observability/metrics.ts";
import type { RobloxClient, RobloxClientOptions } from "./roblox/client.ts";
import type { SecretBox } from "./security/secrets.ts";
import type { LinkingService } from "./services/linking.ts";
import type { MemberSyncService } from "./services/member-sync.ts";
import type { PendingWriteWorker, PendingWriteWorkerOptions } from "./services/pending-writes.ts";
import type { RankChangeService } from "./services/rank-changes.ts";
import type { SyncAlertsOptions } from "./sync/alerts.ts";
import type { BulkSync, BulkSyncOptions } from "./sync/bulk-sync.ts";
import type { MemberSnapshots } from "./sync/member-snapshots.ts";
import type { SyncScheduler } from "./sync/scheduler.ts";
import type { ChangeFeed } from "./sync/change-feed/feed.ts";

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
  /** One clock for every service that reads the time (link challenges, retries, syncs, snapshots). */
  now?: () => number;
  /** Uniform in [0, 1): link phrases, retry and schedule jitter. */
  random?: () => number;
  /** Per-member and per-guild budgets of the link and lookup commands. */
  cooldowns?: CooldownLimits;
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
   * The composed parts that the harnesses and benchmarks seed or observe where neither Discord nor
   * Roblox (the emulators) can show the state: the database, the metrics registry, the caches. The
   * process itself never reads this.
   */
  readonly parts: RankbridgeParts;
}

export interface RankbridgeParts {
  readonly database: DatabaseHandle;
  readonly repositories: Repositories;
  readonly metrics: Metrics;
  readonly secrets: SecretBox;
  /** The gateway connection; a harness without one emits dispatches on its manager. */
  readonly gateway: Gateway;
  /** The REST API through the one rate-limit authority for the bot token. */
  readonly api: API;
  /** The process-wide Roblox client (ROBLOX_API_KEY or ROBLOX_COOKIE). */
  readonly roblox: RobloxClient;
  readonly guilds: DiscordGuilds;
  readonly memberSnapshots: MemberSnapshots;
  readonly linking: LinkingService;
  readonly rankChanges: RankChangeService;
  readonly memberSync: MemberSyncService;
  readonly pendingWrites: PendingWriteWorker;
  readonly bulkSync: BulkSync;
  readonly scheduler: SyncScheduler;
  /** Undefined when ROBLOX_CHANGE_FEED_INTERVAL is off. */
  readonly changeFeed: ChangeFeed | undefined;
}
