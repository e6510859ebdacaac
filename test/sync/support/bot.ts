/**
 * The bot's sync stack wired as `main.ts` wires it, against the emulators over real sockets: the
 * real REST instance, a real @discordjs/core Client on a WebSocketManager (member chunks come from
 * `requestGuildMembersIterator`), the real Roblox client, database, router and commands.
 */
import { Client, GatewayDispatchEvents, type API } from "@discordjs/core";
import { loadConfig } from "../../../src/config/env.ts";
import { createRepositories, openDatabase, type DatabaseHandle, type Repositories } from "../../../src/db/index.ts";
import { syncCommands } from "../../../src/discord/commands/sync-commands.ts";
import type { CommandDependencies } from "../../../src/discord/commands/dependencies.ts";
import { createGateway } from "../../../src/discord/gateway.ts";
import { DiscordGuilds } from "../../../src/discord/guilds.ts";
import { InteractionRouter } from "../../../src/discord/interactions/router.ts";
import { createDiscordRest } from "../../../src/discord/rest.ts";
import { createLogger, type Logger } from "../../../src/observability/logger.ts";
import { createMetrics, type Metrics } from "../../../src/observability/metrics.ts";
import { RobloxClient } from "../../../src/roblox/client.ts";
import type { ApiClass } from "../../../src/roblox/limits.ts";
import { SecretBox } from "../../../src/security/secrets.ts";
import { AuditTrail } from "../../../src/services/audit-trail.ts";
import { GuildContexts } from "../../../src/services/guild-context.ts";
import { MemberSyncService } from "../../../src/services/member-sync.ts";
import { SyncAlerts } from "../../../src/sync/alerts.ts";
import { BulkSync, type BulkSyncTuning } from "../../../src/sync/bulk-sync.ts";
import type { MemberRolesPort } from "../../../src/sync/member-roles.ts";
import { MemberSnapshots } from "../../../src/sync/member-snapshots.ts";
import { DEFAULT_SYNC_DISCORD_REQUESTS_PER_SECOND, RequestPacer } from "../../../src/sync/pacer.ts";
import { SyncScheduler } from "../../../src/sync/scheduler.ts";

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface BotEndpoints {
  discordApiUrl: string;
  discordToken: string;
  robloxUrlTemplate: string;
  robloxApiKey: string;
  groupId: number;
}

export interface SyncBotOptions extends BotEndpoints {
  databasePath: string;
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
  /** How long a member-roles snapshot is reused; default as in main.ts. */
  memberSnapshotTtlMs?: number;
}

export interface SyncBot {
  readonly bulkSync: BulkSync;
  readonly scheduler: SyncScheduler;
  readonly repositories: Repositories;
  readonly database: DatabaseHandle;
  readonly metrics: Metrics;
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
  const logs: LogLine[] = [];
  const logger = createLogger({
    level: options.logLevel ?? "info",
    destination: {
      write(text: string) {
        for (const line of text.split("\n")) {
          if (!line) continue;
          logs.push(JSON.parse(line) as LogLine);
          if (options.echoLogs) process.stdout.write(`${line}\n`);
        }
      },
    },
  });
  const config = loadConfig({
    DISCORD_TOKEN: options.discordToken,
    DISCORD_API_URL: options.discordApiUrl,
    ROBLOX_API_URL: options.robloxUrlTemplate,
    ROBLOX_API_KEY: options.robloxApiKey,
    ROBLOX_GROUP_ID: String(options.groupId),
    DATABASE_PATH: options.databasePath,
    SYNC_INTERVAL: options.syncInterval ?? "6h",
  });
  const metrics = createMetrics();
  const database = openDatabase(options.databasePath);
  const repositories = createRepositories(database.db);

  const rest = createDiscordRest({ apiUrl: config.discordApiUrl, token: config.discordToken!, metrics, logger, offsetMs: 0, globalRequestsPerSecond: Math.round(50 / options.timeScale) });
  const gateway = createGateway({
    token: config.discordToken!,
    rest,
    shardCount: undefined,
    shardIds: undefined,
    strategy: "simple",
    metrics,
    logger,
    onFatal: (message) => logger.fatal(message),
  });
  const client = new Client({ rest, gateway: gateway.manager });
  const fetchMemberRoles: MemberRolesPort = async function* (guildId) {
    for await (const chunk of client.requestGuildMembersIterator({ guild_id: guildId, query: "", limit: 0 })) {
      yield chunk.members.map((member) => ({ userId: member.user.id, roleIds: member.roles }));
    }
  };
  const memberSnapshots = new MemberSnapshots(fetchMemberRoles, {
    logger: logger.child({ component: "member-snapshots" }),
    ...(options.memberSnapshotTtlMs !== undefined ? { ttlMs: options.memberSnapshotTtlMs } : {}),
  });
  const guilds = new DiscordGuilds(client.api, memberSnapshots);
  const roblox = new RobloxClient({
    apiKey: config.robloxApiKey,
    urlTemplate: config.robloxApiUrl,
    metrics,
    logger,
    ...(options.robloxPerMinute ? { rateLimits: { perMinute: options.robloxPerMinute } } : {}),
  });
  const contexts = new GuildContexts({
    repositories,
    defaultGroupId: config.robloxGroupId,
    defaultRoblox: roblox,
    robloxForApiKey: (apiKey) => new RobloxClient({ apiKey, urlTemplate: config.robloxApiUrl, metrics, logger }),
    secrets: new SecretBox(undefined),
    logger,
  });
  const audit = new AuditTrail(repositories, client.api, logger);

  const bulkSync = new BulkSync({
    repositories,
    database: database.db,
    contexts,
    guilds,
    api: client.api,
    memberRoles: memberSnapshots.port,
    audit,
    metrics,
    logger,
    alerts: new SyncAlerts({ logger, ...(options.alertFetch ? { fetch: options.alertFetch } : {}) }),
    // The emulator's windows are scaled, so the sync's share of the global limit is scaled alike.
    pacer: new RequestPacer(DEFAULT_SYNC_DISCORD_REQUESTS_PER_SECOND / options.timeScale),
    tuning: options.tuning,
  });
  const scheduler = new SyncScheduler({ bulkSync, repositories, defaultIntervalMs: config.syncIntervalMs, ownsGuild: () => true, logger });
  const memberSync = new MemberSyncService({ repositories, guilds, contexts, audit, logger });
  const deps: CommandDependencies = {
    config,
    logger,
    metrics,
    repositories,
    guilds,
    contexts,
    secrets: new SecretBox(undefined),
    audit,
    shardLatencyMs: gateway.latencyMs,
  };
  const router = new InteractionRouter({ commands: syncCommands(deps, { bulkSync, scheduler, memberSync }), metrics, logger });

  const seenGuilds = new Set<string>();
  const guildWaiters = new Map<string, (() => void)[]>();
  client.on(GatewayDispatchEvents.Ready, ({ data }) => {
    guilds.botUserId = data.user.id;
    memberSnapshots.invalidateAll();
  });
  client.on(GatewayDispatchEvents.GuildCreate, ({ data }) => {
    guilds.remember(data);
    scheduler.addGuild(data.id);
    seenGuilds.add(data.id);
    for (const wake of guildWaiters.get(data.id) ?? []) wake();
    guildWaiters.delete(data.id);
  });
  client.on(GatewayDispatchEvents.GuildRoleCreate, ({ data }) => guilds.rememberRole(data.guild_id, data.role));
  client.on(GatewayDispatchEvents.GuildRoleUpdate, ({ data }) => guilds.rememberRole(data.guild_id, data.role));
  client.on(GatewayDispatchEvents.GuildRoleDelete, ({ data }) => {
    guilds.forgetRole(data.guild_id, data.role_id);
    memberSnapshots.invalidate(data.guild_id);
  });
  client.on(GatewayDispatchEvents.GuildMemberAdd, ({ data }) => {
    memberSnapshots.observeAdd(data.guild_id, data.user.id, data.roles);
    void bulkSync.onMemberJoin(data.guild_id, { userId: data.user.id, roleIds: data.roles }).catch((error) => logger.error({ err: error }, "join sync failed"));
  });
  client.on(GatewayDispatchEvents.GuildMemberUpdate, ({ data }) => {
    memberSnapshots.observeUpdate(data.guild_id, data.user.id, data.roles);
    bulkSync.observeMemberUpdate(data.guild_id, data.user.id, data.roles);
  });
  client.on(GatewayDispatchEvents.GuildMemberRemove, ({ data }) => {
    memberSnapshots.observeRemove(data.guild_id, data.user.id);
    bulkSync.observeMemberRemove(data.guild_id, data.user.id);
  });
  client.on(GatewayDispatchEvents.InteractionCreate, ({ data, api, shardId }) => void router.handle(data, api, shardId));

  await gateway.manager.connect();
  if (options.schedule) scheduler.start();

  return {
    bulkSync,
    scheduler,
    repositories,
    database,
    metrics,
    guilds,
    roblox,
    api: client.api,
    memberSnapshots,
    logs,
    logger,
    guildReady(guildId) {
      if (seenGuilds.has(guildId)) return Promise.resolve();
      return new Promise((resolve) => guildWaiters.set(guildId, [...(guildWaiters.get(guildId) ?? []), resolve]));
    },
    async close() {
      scheduler.stop();
      await bulkSync.stop();
      await router.drain();
      await gateway.manager.destroy();
      await roblox.close();
      database.close();
    },
  };
}
