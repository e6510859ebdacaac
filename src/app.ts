/**
 * The composition root: which services exist and how they are wired. Gateway events are wired in
 * src/discord/gateway-events.ts; start, readiness and stop live in src/lifecycle/. Built once by `main.ts` for the real process and by the in-process test harnesses, so
 * what the tests drive is what runs (design §5: clients are built once and passed in).
 *
 * `createRankbridge` only builds: it opens the database but sends no request, listens on no port
 * and starts no timer. `start()` brings the process up, `stop()` takes it down; exiting and signals
 * are `main.ts`'s business.
 *
 * Over 300 lines on purpose: every object the bot runs is built here once, in dependency order, so
 * the order stays visible in one place; each line only constructs and passes in.
 */
import { hostname } from "node:os";
import { Client } from "@discordjs/core";
import { createCluster } from "./cluster/index.ts";
import type { Config } from "./config/env.ts";
import { openStore } from "./db/store.ts";
import { featureCommands } from "./discord/commands/ladder-and-settings.ts";
import { linkingCommands } from "./discord/commands/linking.ts";
import { pingCommand } from "./discord/commands/ping.ts";
import { rankChangeCommands } from "./discord/commands/rank-changes.ts";
import { syncCommands } from "./discord/commands/sync-commands.ts";
import type { SlashCommand } from "./discord/commands/types.ts";
import { createGateway } from "./discord/gateway.ts";
import { wireGatewayEvents } from "./discord/gateway-events.ts";
import { retryWhileUnreachable } from "./discord/startup-retry.ts";
import { DiscordGuilds } from "./discord/guilds.ts";
import { Cooldowns } from "./discord/interactions/cooldowns.ts";
import { InteractionRouter, RESTARTING_MESSAGE } from "./discord/interactions/router.ts";
import { gatewayMemberRoles } from "./discord/member-chunks.ts";
import { discordLadderImport } from "./discord/rank-roles.ts";
import { createDiscordRest } from "./discord/rest.ts";
import { createHttpApp } from "./http/app.ts";
import { createDashboard } from "./http/dashboard/index.ts";
import { oauthRoutes } from "./http/oauth-callback.ts";
import type { HttpServer } from "./http/server.ts";
import { Readiness } from "./lifecycle/readiness.ts";
import { ShardOwnership } from "./lifecycle/shard-ownership.ts";
import { shutDown } from "./lifecycle/shutdown.ts";
import { connectDiscord, startUp } from "./lifecycle/startup.ts";
import type { Logger } from "./observability/logger.ts";
import { createMetrics } from "./observability/metrics.ts";
import { RobloxClient } from "./roblox/client.ts";
import { RobloxUrls } from "./roblox/urls.ts";
import { scopedToGuild } from "./services/guild-scope.ts";
import { SecretBox } from "./security/secrets.ts";
import { AuditTrail } from "./services/audit-trail.ts";
import { DiscordAuditLogChannel } from "./discord/audit-log-channel.ts";
import { DiscordSyncMessages } from "./discord/sync-messages.ts";
import { discordRunWording } from "./discord/views/run-wording.ts";
import { bindReviewLogger } from "./services/bind-review.ts";
import { GuildContexts } from "./services/guild-context.ts";
import { GroupLockKicker } from "./services/group-lock.ts";
import { BindPreviews } from "./services/bind-preview.ts";
import { BindService } from "./services/binds.ts";
import { GuildSettingsService } from "./services/guild-settings.ts";
import { SettingChanges } from "./services/setting-changes.ts";
import { DiscordLogChannels } from "./discord/log-channels.ts";
import { Points } from "./services/points.ts";
import { RankBinds } from "./services/rank-binds.ts";
import { RankEdits } from "./services/rank-edits.ts";
import { LadderImportService } from "./services/ladder-import.ts";
import { LinkingService } from "./services/linking.ts";
import { MemberSyncService } from "./services/member-sync.ts";
import { PendingWriteWorker } from "./services/pending-writes.ts";
import { RankChangeService } from "./services/rank-changes.ts";
import { SyncAlerts } from "./sync/alerts.ts";
import { BulkSync } from "./sync/bulk-sync.ts";
import { GroupMembershipReader } from "./sync/group-memberships.ts";
import type { MemberRolesPort } from "./sync/member-roles.ts";
import { MemberSnapshots } from "./sync/member-snapshots.ts";
import { SyncScheduler } from "./sync/scheduler.ts";
import { SyncRequests } from "./sync/sync-requests.ts";
import { OwnWrites } from "./sync/change-feed/own-writes.ts";
import { composeChangeFeed } from "./lifecycle/change-feed.ts";
import type { CommandsByFeature, Rankbridge, RankbridgeOptions } from "./app-surface.ts";

export type { CommandsByFeature, Rankbridge, RankbridgeOptions, RankbridgeParts } from "./app-surface.ts";

/** Builds every client once and hands it to the features that use it. */
export function createRankbridge(config: Config, logger: Logger, options: RankbridgeOptions = {}): Rankbridge {
  const { now, random } = options;
  const metrics = createMetrics();
  // SQLite at DATABASE_PATH, or PostgreSQL at DATABASE_URL (connected and migrated at start).
  const database = openStore(config, { onMigrationWait: () => logger.info("another process is migrating the database; waiting for it") });
  const { repositories } = database;
  const secrets = new SecretBox(config.encryptionKey);
  // What the processes of the bot share (REDIS_URL); in-process when unset.
  const cluster = createCluster(config, logger);

  const rest = createDiscordRest({ apiUrl: config.discordApiUrl, token: config.discordToken!, metrics, logger, ...options.discordRest });
  const robloxClients: RobloxClient[] = [];
  // Every rank write any client sends, so the change feed does not echo our own writes back.
  const ownWrites = new OwnWrites(now);
  const robloxClient = (credentials: { apiKey?: string; cookie?: string }) => {
    const client = new RobloxClient({
      ...credentials,
      urlTemplate: config.robloxApiUrl,
      metrics,
      onRankWritten: ownWrites.record,
      logger: logger.child({ component: "roblox" }),
      ...options.roblox,
      rateLimits: { ...options.roblox?.rateLimits, shared: cluster.robloxBudget(credentials) },
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
    sessions: cluster.gatewaySessions,
    buildIdentifyThrottler: cluster.buildIdentifyThrottler,
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
  // Other groups' memberships for binds (issue 11), through each guild's own Roblox access.
  const groupMemberships = new GroupMembershipReader(async (guildId) =>
    scopedToGuild((await contexts.accessFor(guildId, await repositories.guilds.get(guildId))).read, guildId),
  );
  const linking = new LinkingService({
    repositories,
    contexts,
    guilds,
    audit,
    logger,
    groupMemberships,
    oauth: config.robloxOAuth && { ...config.robloxOAuth, apisBase: new RobloxUrls(config.robloxApiUrl).base("apis") },
    now,
    random,
  });

  const shards = new ShardOwnership(config.shardIds, { onOwn: (ids, count) => metrics.reportShards(ids, count) });
  const pendingWrites = new PendingWriteWorker({
    repositories,
    contexts,
    audit,
    logger,
    metrics,
    // Any process retries any guild's due writes, each claimed by one (docs/cluster.md).
    claimantName: `${hostname()} pid ${process.pid}`,
    ...options.pendingWrites,
    now,
    random,
  });
  const rankChanges = new RankChangeService({ repositories, guilds, contexts, audit, logger, robloxWrites: pendingWrites, groupMemberships });
  const memberSync = new MemberSyncService({ repositories, guilds, contexts, audit, logger, groupMemberships });
  const bulkSync = new BulkSync({
    repositories,
    contexts,
    guilds,
    messages: new DiscordSyncMessages(client.api),
    wording: discordRunWording,
    memberRoles: memberSnapshots.port,
    groupMemberships,
    audit,
    metrics,
    logger,
    alerts: new SyncAlerts({ logger, fetch: options.alertFetch }),
    kicker: new GroupLockKicker({ writer: guilds, audit, logger: logger.child({ component: "group-lock" }) }),
    ownsGuild: shards.owns,
    ...options.bulkSync,
    now,
  });
  metrics.readMemberStateFrom(() => [
    ...memberSnapshots.sizes().map((size) => ({ ...size, holder: "snapshot" as const })),
    ...bulkSync.memberStateSizes().map((size) => ({ ...size, holder: "run" as const })),
  ]);
  // The dashboard's "Sync now": run here, or queued for the process of the guild's shard (design §8).
  const syncRequests = new SyncRequests({
    repositories,
    bulkSync,
    // One process runs every shard: nothing is ever queued (its queue is not even read).
    ownsGuild: config.shardIds ? shards.owns : () => true,
    processName: `shards ${config.shardIds?.join(",") ?? "all"} pid ${process.pid}`,
    logger: logger.child({ component: "sync-requests" }),
    now,
    ...options.syncRequests,
  });
  const scheduler = new SyncScheduler({
    bulkSync,
    repositories,
    defaultIntervalMs: config.syncIntervalMs,
    ownsGuild: shards.owns,
    leases: cluster.leases,
    logger,
    now,
    random,
  });

  // Design §3.2: changes made on Roblox, read from each bound group's audit log every interval.
  const { feed: changeFeed, readiness: changeFeedReadiness } = composeChangeFeed({
    ...{ intervalMs: config.changeFeedIntervalMs, repositories, contexts, ownWrites, bulkSync, ownsGuild: shards.owns, metrics, logger, now },
    // With Redis one process reads each group for the cluster; without, each reads with a cursor of its own shard set.
    ...{ relay: cluster.feedRelay(shards.scope), cursorScope: shards.scope },
    apply: { memberSync, memberRoles: memberSnapshots.port },
  });
  const ladderImport = new LadderImportService({
    settings: repositories.guilds,
    ranks: repositories.ranks,
    contexts,
    discord: discordLadderImport(client.api, guilds),
    audit,
  });
  const rankBinds = new RankBinds({ ranks: repositories.ranks, discord: guilds, audit });
  const rankEdits = new RankEdits({ ranks: repositories.ranks, audit });
  const points = new Points({ members: repositories.members, ranks: repositories.ranks, audit });
  const settings = new GuildSettingsService({ guilds: repositories.guilds, secrets, audit });
  const bindService = new BindService({ binds: repositories.binds, ranks: repositories.ranks, guilds: repositories.guilds, discord: guilds, contexts, audit });
  const logChannels = new DiscordLogChannels(client.api);
  const settingChanges = new SettingChanges({ guilds: repositories.guilds, settings, binds: bindService, discord: guilds, logChannels });
  // Each command's own dependency type says what it may use; it is given no more.
  const commandsByFeature: CommandsByFeature = {
    ping: [pingCommand({ shardLatencyMs: gateway.latencyMs })],
    linking: linkingCommands(linking),
    ladderAndSettings: featureCommands({
      config,
      repositories,
      guilds,
      contexts,
      secrets,
      ladderImport,
      rankBinds,
      rankEdits,
      points,
      settings,
      settingChanges,
      binds: bindService,
    }),
    rankChanges: rankChangeCommands({ repositories, guilds, contexts, audit, rankChanges, memberSync }),
    sync: syncCommands({ config, repositories, guilds }, { bulkSync, scheduler, memberSync, changeFeed: changeFeed?.status }),
  };
  const commands: SlashCommand[] = Object.values(commandsByFeature).flat();
  const router = new InteractionRouter({ commands, metrics, logger, cooldowns: new Cooldowns(options.cooldowns), claimOnce: cluster.claimInteraction });

  // What a bind added or removed on the dashboard would change, from stored state and the member roles the sync reads.
  const bindPreviews = new BindPreviews({ repositories, contexts, memberRoles: memberSnapshots.port });
  // The web dashboard (design §9): admin-gate's rule from members' current roles, and its pages.
  const dashboard = createDashboard({ config, api: client.api, repositories, guilds, overview: { contexts, scheduler }, settings: { botStanding: (guildId) => guilds.botStanding(guildId), textChannels: (guildId) => logChannels.textChannels(guildId), changes: settingChanges }, binds: { binds: bindService, previews: bindPreviews }, members: { guilds, groupIdOf: (guildId, settings) => contexts.groupIdOf(guildId, settings), memberSync }, sync: { requests: syncRequests }, logger: logger.child({ component: "dashboard" }), now, memberTtlMs: options.dashboardMemberTtlMs });
  wireGatewayEvents(client, {
    guilds,
    memberSnapshots,
    bulkSync,
    scheduler,
    changeFeed,
    roleDeleted: (guildId, roleId) => bindService.roleDeleted(guildId, roleId),
    reviewBinds: bindReviewLogger({ repositories, guilds, logger }),
    guildsOnShard: async (shardId) =>
      (await retryWhileUnreachable("listing the bot's guilds", () => guilds.listGuildIds(), logger)).filter((guildId) => shards.shardOf(guildId) === shardId),
    interactions: router,
    dashboardAccess: dashboard.access,
    logger,
  });

  const readiness = new Readiness({
    shardStates: () => gateway.shardStates(),
    database,
    redis: cluster.redis,
    unusableGuildKeys: () => contexts.unusableKeyCount,
    changeFeed: changeFeedReadiness,
  });
  const httpApp = createHttpApp({ metrics, readiness: () => readiness.report(), routes: [oauthRoutes(linking), dashboard.routes] });
  let http: HttpServer | undefined;

  const connect = async () => {
    // Command registration reads the store: it is ready first (a no-op after start's own call).
    await database.prepare();
    await connectDiscord({
      gateway,
      client,
      shards,
      shardCount: config.shardCount,
      commandDefinitions: commands.map((c) => c.definition),
      devGuildId: config.discordDevGuildId,
      commandStore: repositories.meta,
      logger,
    });
  };

  let started = false;
  const start = async () => {
    if (started) throw new Error("rankbridge was already started");
    started = true;
    await startUp({
      prepareStore: () => database.prepare(),
      connectDiscord: connect,
      http: {
        app: httpApp,
        host: config.httpHost,
        port: config.httpPort,
        listening: (server) => {
          http = server;
        },
      },
      roblox: { client: roblox, groupId: config.robloxGroupId },
      readiness,
      checkStoredKeys: () => contexts.checkStoredKeys(),
      // Another process's dashboard queues requests only when the shards are split between processes.
      background: { pendingWrites, scheduler, changeFeed, syncRequests: config.shardIds ? syncRequests : undefined, resumeUnfinishedSyncs: () => bulkSync.resumeUnfinished() },
      metrics,
      logger,
    });
  };

  let stopping: Promise<void> | undefined;
  const stop = (reason: string) => {
    stopping ??= shutDown(
      { router, scheduler, syncRequests, bulkSync, pendingWrites, changeFeed, robloxClients, gateway, http, cluster, database, logger },
      { reason, graceMs: config.shutdownGraceMs, restartMessage: RESTARTING_MESSAGE },
    ).catch((error: unknown) => logger.error({ err: error }, "error during shutdown"));
    return stopping;
  };

  return {
    start,
    stop,
    connect,
    ownShards: (shardCount) => shards.own(shardCount),
    handleInteraction: (interaction, shardId = 0) => router.handle(interaction, client.api, shardId),
    httpApp,
    get http() {
      return http;
    },
    commands: commandsByFeature,
    parts: {
      metrics,
      gateway,
      api: client.api,
      roblox,
      guilds,
      memberSnapshots,
      memberSync,
      pendingWrites,
      bulkSync,
      scheduler,
      syncRequests,
      cluster,
      groupMemberships,
      changeFeed,
      dashboardAccess: dashboard.access,
    },
  };
}
