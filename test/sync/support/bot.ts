/**
 * The bot as the real process composes it (src/app.ts), connected to the emulators over real
 * sockets: the real REST instance, a @discordjs/core Client on a WebSocketManager (member chunks
 * come from `requestGuildMembersIterator`), the real Roblox client, database, router and commands.
 */
import { GatewayDispatchEvents, type API } from "@discordjs/core";
import { WebSocketShardEvents } from "@discordjs/ws";
import type { DatabaseHandle, Repositories } from "../../../src/db/index.ts";
import type { DiscordGuilds } from "../../../src/discord/guilds.ts";
import type { Logger } from "../../../src/observability/logger.ts";
import type { RobloxClient } from "../../../src/roblox/client.ts";
import type { ApiClass } from "../../../src/roblox/limits.ts";
import type { RetryOptions } from "../../../src/roblox/transport.ts";
import type { BulkSync, BulkSyncTuning } from "../../../src/sync/bulk-sync.ts";
import type { MemberSnapshots } from "../../../src/sync/member-snapshots.ts";
import { DEFAULT_SYNC_DISCORD_REQUESTS_PER_SECOND, RequestPacer } from "../../../src/sync/pacer.ts";
import type { SyncScheduler } from "../../../src/sync/scheduler.ts";
import { createInProcessBot, type LogLine } from "../../support/in-process-bot.ts";
import type { World } from "./world.ts";

export type { LogLine } from "../../support/in-process-bot.ts";

export interface BotEndpoints {
  discordApiUrl: string;
  discordToken: string;
  robloxUrlTemplate: string;
  robloxApiKey: string;
  groupId: number;
}

/** Where a world's emulators answer, and the group and key the bot acts with there. */
export function endpointsOf(world: Pick<World, "discord" | "roblox" | "apiKey" | "groupId">): BotEndpoints {
  return {
    discordApiUrl: world.discord.restBase,
    discordToken: world.discord.token,
    robloxUrlTemplate: world.roblox.urlTemplate,
    robloxApiKey: world.apiKey,
    groupId: world.groupId,
  };
}

export interface SyncBotOptions extends BotEndpoints {
  databasePath: string;
  /** PostgreSQL instead of the SQLite file (DATABASE_URL). */
  databaseUrl?: string;
  /** Discord windows are multiplied by this in the emulator; the sync's own pacing follows. */
  timeScale: number;
  syncInterval?: string;
  tuning?: Partial<BulkSyncTuning>;
  /** Also print log lines (child processes). */
  echoLogs?: boolean;
  logLevel?: string;
  /** Start the scheduler (background sync). Default false. */
  schedule?: boolean;
  alertFetch?: (url: string, init: RequestInit) => Promise<Response>;
  /** Per-minute Roblox limits to assume before the first response says otherwise. */
  robloxPerMinute?: Partial<Record<ApiClass, number>>;
  /** Roblox retries (quick ones keep fault tests short); the production defaults when absent. */
  robloxRetry?: RetryOptions;
  /** How long a member-roles snapshot is reused; the production default when absent. */
  memberSnapshotTtlMs?: number;
  /**
   * The REST client and sync pacer exactly as in production (no emulator-only offset); only with
   * `timeScale` 1, since the production limits are Discord's unscaled ones.
   */
  productionRest?: boolean;
}

export interface SyncBot {
  readonly bulkSync: BulkSync;
  readonly scheduler: SyncScheduler;
  readonly repositories: Repositories;
  readonly database: DatabaseHandle | undefined;
  /** What GET /metrics answers: the bot's metrics as a scraper reads them. */
  metricsText(): Promise<string>;
  readonly guilds: DiscordGuilds;
  readonly roblox: RobloxClient;
  readonly api: API;
  readonly memberSnapshots: MemberSnapshots;
  readonly logs: LogLine[];
  readonly logger: Logger;
  /** Resolves with the guild id once its GUILD_CREATE arrived. */
  guildReady(guildId: string): Promise<void>;
  close(): Promise<void>;
}

export async function startSyncBot(options: SyncBotOptions): Promise<SyncBot> {
  if (options.productionRest && options.timeScale !== 1) throw new RangeError("productionRest needs timeScale 1: production limits are not scaled");
  const inProcess = createInProcessBot({
    env: {
      DISCORD_TOKEN: options.discordToken,
      DISCORD_API_URL: options.discordApiUrl,
      ROBLOX_API_URL: options.robloxUrlTemplate,
      ROBLOX_API_KEY: options.robloxApiKey,
      ROBLOX_GROUP_ID: String(options.groupId),
      DATABASE_PATH: options.databasePath,
      ...(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}),
      SYNC_INTERVAL: options.syncInterval ?? "6h",
    },
    logLevel: options.logLevel ?? "info",
    echoLogs: options.echoLogs,
    options: {
      ...(options.productionRest ? {} : { discordRest: { offsetMs: 0, globalRequestsPerSecond: Math.round(50 / options.timeScale) } }),
      roblox: {
        ...(options.robloxPerMinute ? { rateLimits: { perMinute: options.robloxPerMinute } } : {}),
        ...(options.robloxRetry ? { retry: options.robloxRetry } : {}),
      },
      memberSnapshotTtlMs: options.memberSnapshotTtlMs,
      alertFetch: options.alertFetch,
      bulkSync: {
        // The emulator's windows are scaled, so the sync's share of the global limit is scaled alike.
        ...(options.productionRest ? {} : { pacer: new RequestPacer(DEFAULT_SYNC_DISCORD_REQUESTS_PER_SECOND / options.timeScale) }),
        tuning: options.tuning,
      },
    },
  });
  const { bot, logs, logger } = inProcess;

  const seenGuilds = new Set<string>();
  const guildWaiters = new Map<string, (() => void)[]>();
  bot.parts.gateway.manager.on(WebSocketShardEvents.Dispatch, (payload) => {
    if (payload.t !== GatewayDispatchEvents.GuildCreate) return;
    const guildId = payload.d.id;
    seenGuilds.add(guildId);
    for (const wake of guildWaiters.get(guildId) ?? []) wake();
    guildWaiters.delete(guildId);
  });

  // Only the Discord half of start(): the tests run, resume and schedule syncs themselves, and
  // count the Roblox requests a run makes (start() would also check the credentials).
  await bot.connect();
  if (options.schedule) await bot.parts.scheduler.start();

  return {
    bulkSync: bot.parts.bulkSync,
    scheduler: bot.parts.scheduler,
    // The harness's own connection to the bot's database file.
    repositories: inProcess.storage.repositories,
    // Undefined when the bot runs on PostgreSQL (DATABASE_URL): the bench then reads through `repositories`.
    database: inProcess.storage.database,
    metricsText: async () => (await bot.httpApp.request("/metrics")).text(),
    guilds: bot.parts.guilds,
    roblox: bot.parts.roblox,
    api: bot.parts.api,
    memberSnapshots: bot.parts.memberSnapshots,
    logs,
    logger,
    guildReady(guildId) {
      if (seenGuilds.has(guildId)) return Promise.resolve();
      return new Promise((resolve) => guildWaiters.set(guildId, [...(guildWaiters.get(guildId) ?? []), resolve]));
    },
    close: () => inProcess.close(),
  };
}
