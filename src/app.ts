/**
 * The composition of the bot: which services exist, how they are wired and which gateway events
 * feed what. Built once by `main.ts` for the real process and by the in-process test harnesses, so
 * what the tests drive is what runs (design §5: clients are built once and passed in).
 *
 * `createRankbridge` only builds: it opens the database but sends no request, listens on no port
 * and starts no timer. `start()` brings the process up, `stop()` takes it down; exiting and signals
 * are `main.ts`'s business.
 */
import { Client, GatewayDispatchEvents } from "@discordjs/core";
import type { REST } from "@discordjs/rest";
import type { Hono } from "hono";
import { ConfigError, type Config } from "./config/env.ts";
import { createRepositories, openDatabase, type DatabaseHandle, type Repositories } from "./db/index.ts";
import type { CommandDependencies } from "./discord/commands/dependencies.ts";
import { featureCommands } from "./discord/commands/ladder-and-settings.ts";
import { linkingCommands } from "./discord/commands/linking.ts";
import { pingCommand } from "./discord/commands/ping.ts";
import { rankChangeCommands } from "./discord/commands/rank-changes.ts";
import { syncCommands } from "./discord/commands/sync-commands.ts";
import type { SlashCommand } from "./discord/commands/types.ts";
import { createGateway, type Gateway } from "./discord/gateway.ts";
import { DiscordGuilds } from "./discord/guilds.ts";
import { InteractionRouter, RESTARTING_MESSAGE } from "./discord/interactions/router.ts";
import { gatewayMemberRoles } from "./discord/member-chunks.ts";
import { registerCommands } from "./discord/register.ts";
import { createDiscordRest, type DiscordRestOptions } from "./discord/rest.ts";
import { retryWhileUnreachable } from "./discord/startup-retry.ts";
import { createHttpApp } from "./http/app.ts";
import { shutDown } from "./lifecycle/shutdown.ts";
import { oauthRoutes } from "./http/oauth-callback.ts";
import { startHttpServer, type HttpServer } from "./http/server.ts";
import type { Logger } from "./observability/logger.ts";
import { createMetrics, type Metrics } from "./observability/metrics.ts";
import { RobloxClient, type RobloxClientOptions } from "./roblox/client.ts";
import { verifyRobloxCredentials, type RobloxCredentialReport } from "./roblox/verify.ts";
import { SecretBox } from "./security/secrets.ts";
import { AuditTrail } from "./services/audit-trail.ts";
import { DiscordAuditLogChannel } from "./discord/audit-log-channel.ts";
import { bindReviewLogger } from "./services/bind-review.ts";
import { GuildContexts } from "./services/guild-context.ts";
import { LinkingService } from "./services/linking.ts";
import { MemberSyncService } from "./services/member-sync.ts";
import { PendingWriteWorker, type PendingWriteWorkerOptions } from "./services/pending-writes.ts";
import { RankChangeService } from "./services/rank-changes.ts";
import { SyncAlerts, type SyncAlertsOptions } from "./sync/alerts.ts";
import { BulkSync, type BulkSyncOptions } from "./sync/bulk-sync.ts";
import type { MemberRolesPort } from "./sync/member-roles.ts";
import { MemberSnapshots } from "./sync/member-snapshots.ts";
import { guildOnShards, SyncScheduler } from "./sync/scheduler.ts";

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
}

/** The slash commands, feature by feature, in registration order. */
export interface CommandsByFeature {
  ping: SlashCommand[];
  linking: SlashCommand[];
  ladderAndSettings: SlashCommand[];
  rankChanges: SlashCommand[];
  sync: SlashCommand[];
}

export interface Rankbridge {
  readonly config: Config;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly database: DatabaseHandle;
  readonly repositories: Repositories;
  readonly secrets: SecretBox;
  /** The one REST instance: the single rate-limit authority for the bot token. */
  readonly rest: REST;
  /** The process-wide Roblox client (ROBLOX_API_KEY or ROBLOX_COOKIE). */
  readonly roblox: RobloxClient;
  /** Every Roblox client built so far (the process-wide one first), for a harness to close. */
  readonly robloxClients: readonly RobloxClient[];
  readonly gateway: Gateway;
  readonly client: Client;
  readonly memberSnapshots: MemberSnapshots;
  readonly guilds: DiscordGuilds;
  readonly audit: AuditTrail;
  readonly contexts: GuildContexts;
  readonly linking: LinkingService;
  readonly pendingWrites: PendingWriteWorker;
  readonly rankChanges: RankChangeService;
  readonly memberSync: MemberSyncService;
  readonly bulkSync: BulkSync;
  readonly scheduler: SyncScheduler;
  readonly dependencies: CommandDependencies;
  readonly commandsByFeature: CommandsByFeature;
  readonly commands: readonly SlashCommand[];
  readonly router: InteractionRouter;
  /** Health, readiness, metrics and the OAuth callback; served by `start()`. */
  readonly httpApp: Hono;
  /** The listening server once `start()` got that far. */
  readonly http: HttpServer | undefined;
  /**
   * Background work (retries, scheduled syncs, resumed runs) is done only for guilds on this
   * process's shards (SHARD_IDS) of `shardCount`; until this is called, for none.
   * @throws ConfigError when a SHARD_IDS entry is not below the shard count
   */
  ownShards(shardCount: number): void;
  /** The Discord half of `start()`: /gateway/bot, `ownShards`, command registration, gateway connect. */
  connect(): Promise<void>;
  /** Brings the process up; rejects when it cannot (ConfigError, DiscordTokenRejectedError, ...). */
  start(): Promise<void>;
  /** Graceful shutdown; never rejects (errors are logged) and runs once however often it is called. */
  stop(reason: string): Promise<void>;
}

/** Builds every client once and hands it to the features that use it. */
export function createRankbridge(config: Config, logger: Logger, options: RankbridgeOptions = {}): Rankbridge {
  const { now, random } = options;
  const metrics = createMetrics();
  const database = openDatabase(config.databasePath);
  const repositories = createRepositories(database.db);
  const secrets = new SecretBox(config.encryptionKey);

  const rest = createDiscordRest({ apiUrl: config.discordApiUrl, token: config.discordToken!, metrics, logger, ...options.discordRest });
  const robloxClients: RobloxClient[] = [];
  const robloxClient = (credentials: { apiKey?: string; cookie?: string }) => {
    const client = new RobloxClient({
      ...credentials,
      urlTemplate: config.robloxApiUrl,
      metrics,
      logger: logger.child({ component: "roblox" }),
      ...options.roblox,
    });
    robloxClients.push(client);
    return client;
  };
  const roblox = robloxClient({ apiKey: config.robloxApiKey, cookie: config.robloxCookie });
  metrics.learnedRateSources.push(() => roblox.learnedRates());

  const gateway = createGateway({
    token: config.discordToken!,
    rest,
    shardCount: config.shardCount,
    shardIds: config.shardIds,
    strategy: config.shardingStrategy,
    metrics,
    logger,
    onFatal: (message, code) => options.onFatal?.(message, code),
  });
  const client = new Client({ rest, gateway: gateway.manager });
  // Members' roles come from gateway member chunks (1000 a chunk), not a REST call per member, and
  // only the members a sync wants are kept from them.
  const fetchMemberRoles: MemberRolesPort = gatewayMemberRoles(client);
  // Discord sends a guild's full member list once per 30 s: a run soon after another reuses it,
  // kept current by member events and by our own edits (through DiscordGuilds).
  const memberSnapshots = new MemberSnapshots(fetchMemberRoles, {
    logger: logger.child({ component: "member-snapshots" }),
    ttlMs: options.memberSnapshotTtlMs,
    now,
  });
  const guilds = new DiscordGuilds(client.api, memberSnapshots);
  const audit = new AuditTrail(repositories, new DiscordAuditLogChannel(client.api), logger);
  const contexts = new GuildContexts({
    repositories,
    defaultGroupId: config.robloxGroupId,
    homeGuildIds: config.homeGuildIds,
    defaultRoblox: roblox,
    robloxForApiKey: (apiKey) => robloxClient({ apiKey }),
    secrets,
    logger,
    now,
  });
  const linking = new LinkingService({
    repositories,
    contexts,
    guilds,
    audit,
    logger,
    oauth: config.robloxOAuth && { ...config.robloxOAuth, urlTemplate: config.robloxApiUrl },
    now,
    random,
  });

  // Background work (retries, scheduled syncs) is done only for guilds on this process's shards;
  // the shard count is known once /gateway/bot has answered.
  let ownsGuild: (guildId: string) => boolean = () => false;
  const pendingWrites = new PendingWriteWorker({
    repositories,
    contexts,
    audit,
    logger,
    metrics,
    ownsGuild: (guildId) => ownsGuild(guildId),
    ...options.pendingWrites,
    now,
    random,
  });
  const rankChanges = new RankChangeService({ repositories, guilds, contexts, audit, logger, robloxWrites: pendingWrites });
  const memberSync = new MemberSyncService({ repositories, guilds, contexts, audit, logger });
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
    alerts: new SyncAlerts({ logger, fetch: options.alertFetch }),
    ownsGuild: (guildId) => ownsGuild(guildId),
    ...options.bulkSync,
    now,
  });
  metrics.readMemberStateFrom(() => [
    ...memberSnapshots.sizes().map((size) => ({ ...size, holder: "snapshot" as const })),
    ...bulkSync.memberStateSizes().map((size) => ({ ...size, holder: "run" as const })),
  ]);
  const scheduler = new SyncScheduler({
    bulkSync,
    repositories,
    defaultIntervalMs: config.syncIntervalMs,
    ownsGuild: (guildId) => ownsGuild(guildId),
    logger,
    now,
    random,
  });

  const dependencies: CommandDependencies = {
    config,
    logger,
    metrics,
    repositories,
    guilds,
    contexts,
    secrets,
    audit,
    shardLatencyMs: gateway.latencyMs,
  };
  const commandsByFeature: CommandsByFeature = {
    ping: [pingCommand(dependencies)],
    linking: linkingCommands(dependencies, linking),
    ladderAndSettings: featureCommands(dependencies),
    rankChanges: rankChangeCommands(dependencies, { rankChanges, memberSync }),
    sync: syncCommands(dependencies, { bulkSync, scheduler, memberSync }),
  };
  const commands: SlashCommand[] = Object.values(commandsByFeature).flat();
  const router = new InteractionRouter({ commands, metrics, logger });

  // Guild owners and roles come from the gateway, so the hierarchy pre-checks cost no request.
  client.on(GatewayDispatchEvents.Ready, ({ data }) => {
    guilds.botUserId = data.user.id;
    // A new session, not a resume: member events may have been missed.
    memberSnapshots.invalidateAll();
  });
  // Design §10: binds of privileged roles made before the rule (or by someone who may no longer) are logged, not deleted.
  const reviewBinds = bindReviewLogger({ repositories, guilds, logger });
  client.on(GatewayDispatchEvents.GuildCreate, ({ data }) => {
    guilds.remember(data);
    // A new session (after op 9) brings the roles as they are now: a running sync follows them.
    bulkSync.observeRolesChanged(data.id);
    scheduler.addGuild(data.id);
    void reviewBinds(data.id);
  });
  client.on(GatewayDispatchEvents.GuildUpdate, ({ data }) => {
    guilds.remember(data, "gateway GUILD_UPDATE");
    bulkSync.observeRolesChanged(data.id);
  });
  client.on(GatewayDispatchEvents.GuildDelete, ({ data }) => {
    // Removed, or an outage during which member events may be missed.
    memberSnapshots.invalidate(data.id);
    if (data.unavailable) return; // an outage, not a removal: the guild comes back with GUILD_CREATE
    guilds.forget(data.id);
    scheduler.removeGuild(data.id);
  });
  client.on(GatewayDispatchEvents.GuildMemberAdd, ({ data }) => {
    memberSnapshots.observeAdd(data.guild_id, data.user.id, data.roles);
    bulkSync
      .onMemberJoin(data.guild_id, { userId: data.user.id, roleIds: data.roles })
      .catch((error) => logger.warn({ err: error, guildId: data.guild_id }, "could not give a joining member their rank"));
  });
  client.on(GatewayDispatchEvents.GuildMemberUpdate, ({ data }) => {
    guilds.observeMemberUpdate(data.guild_id, data.user.id, data.roles);
    memberSnapshots.observeUpdate(data.guild_id, data.user.id, data.roles);
    bulkSync.observeMemberUpdate(data.guild_id, data.user.id, data.roles);
  });
  client.on(GatewayDispatchEvents.GuildMemberRemove, ({ data }) => {
    memberSnapshots.observeRemove(data.guild_id, data.user.id);
    bulkSync.observeMemberRemove(data.guild_id, data.user.id);
  });
  client.on(GatewayDispatchEvents.GuildRoleCreate, ({ data }) => guilds.rememberRole(data.guild_id, data.role));
  client.on(GatewayDispatchEvents.GuildRoleUpdate, ({ data }) => {
    guilds.rememberRole(data.guild_id, data.role);
    // A role moved above the bot mid-sync: the edits not sent yet are judged again at once.
    bulkSync.observeRolesChanged(data.guild_id);
  });
  client.on(GatewayDispatchEvents.GuildRoleDelete, ({ data }) => {
    guilds.forgetRole(data.guild_id, data.role_id);
    bulkSync.observeRolesChanged(data.guild_id);
    // Discord takes the role off its members without a member event each.
    memberSnapshots.invalidate(data.guild_id);
  });
  client.on(GatewayDispatchEvents.InteractionCreate, ({ data, api, shardId }) => {
    void router.handle(data, api, shardId);
  });

  let robloxReport: RobloxCredentialReport | { pending: true } = { pending: true };
  const httpApp = createHttpApp({
    metrics,
    readiness: async () => {
      const shards = await gateway.shardStates();
      const databaseOk = database.ping();
      return {
        ready: shards.length > 0 && shards.every((s) => s.ready) && databaseOk,
        shards,
        database: { ok: databaseOk },
        roblox: robloxReport,
        // Design §10: a guild whose stored key cannot be used is an error for that guild, not for the process.
        guildCredentials: { unusable: contexts.unusableKeyCount },
      };
    },
    routes: oauthRoutes(linking),
  });
  let http: HttpServer | undefined;

  const ownShards = (shardCount: number) => {
    if (config.shardIds?.some((id) => id >= shardCount)) {
      throw new ConfigError([
        { variable: "SHARD_IDS", message: `shard ids must be below the shard count (${shardCount}); got ${config.shardIds.join(",")}` },
      ]);
    }
    ownsGuild = guildOnShards(config.shardIds, shardCount);
  };

  const connect = async () => {
    const gatewayInfo = await retryWhileUnreachable("fetching /gateway/bot", () => gateway.manager.fetchGatewayInformation(), logger);
    ownShards(config.shardCount ?? gatewayInfo.shards);

    const application = await retryWhileUnreachable("reading the application", () => client.api.applications.getCurrent(), logger);
    await retryWhileUnreachable(
      "registering slash commands",
      () =>
        registerCommands({
          api: client.api,
          applicationId: application.id,
          definitions: commands.map((c) => c.definition),
          devGuildId: config.discordDevGuildId,
          store: repositories.meta,
          logger,
        }),
      logger,
    );

    await gateway.manager.connect();
  };

  let started = false;
  const start = async () => {
    if (started) throw new Error("rankbridge was already started");
    started = true;
    // Start-up check of the Roblox credentials: informative, it never blocks the bot (design: keep running with what works).
    void verifyRobloxCredentials(roblox, config.robloxGroupId, { logger, metrics }).then((report) => {
      robloxReport = report;
    });

    // Design §10: a guild whose stored key cannot be used is reported (logs, /readyz) before anyone runs a command.
    void contexts.checkStoredKeys().catch((error) => logger.error({ err: error }, "could not check the guilds' stored Roblox keys"));

    http = startHttpServer(httpApp, config.httpHost, config.httpPort);
    logger.info({ url: http.url }, "health and metrics listening");

    await connect();
    // Work left by a previous process (pending Roblox writes, an interrupted sync) resumes now that
    // the shards, which member chunks need, are connected.
    pendingWrites.start();
    scheduler.start();
    void bulkSync.resumeUnfinished().catch((error) => logger.error({ err: error }, "could not resume unfinished syncs"));
  };

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) => {
    stopping ??= shutDown(
      { router, scheduler, bulkSync, pendingWrites, robloxClients, gateway, http, database, logger },
      { reason, graceMs: config.shutdownGraceMs, restartMessage: RESTARTING_MESSAGE },
    ).catch((error: unknown) => logger.error({ err: error }, "error during shutdown"));
    return stopping;
  };

  return {
    config,
    logger,
    metrics,
    database,
    repositories,
    secrets,
    rest,
    roblox,
    robloxClients,
    gateway,
    client,
    memberSnapshots,
    guilds,
    audit,
    contexts,
    linking,
    pendingWrites,
    rankChanges,
    memberSync,
    bulkSync,
    scheduler,
    dependencies,
    commandsByFeature,
    commands,
    router,
    httpApp,
    get http() {
      return http;
    },
    ownShards,
    connect,
    start,
    stop,
  };
}
