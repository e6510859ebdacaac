import { Client, GatewayDispatchEvents } from "@discordjs/core";
import { ConfigError, loadConfig, type Config } from "./config/env.ts";
import { createRepositories, openDatabase } from "./db/index.ts";
import type { CommandDependencies } from "./discord/commands/dependencies.ts";
import { featureCommands } from "./discord/commands/ladder-and-settings.ts";
import { linkingCommands } from "./discord/commands/linking.ts";
import { syncCommands } from "./discord/commands/sync-commands.ts";
import { rankChangeCommands } from "./discord/commands/rank-changes.ts";
import { pingCommand } from "./discord/commands/ping.ts";
import type { SlashCommand } from "./discord/commands/types.ts";
import { createGateway } from "./discord/gateway.ts";
import { DiscordGuilds } from "./discord/guilds.ts";
import { InteractionRouter } from "./discord/interactions/router.ts";
import { registerCommands } from "./discord/register.ts";
import { createDiscordRest } from "./discord/rest.ts";
import { DiscordTokenRejectedError, retryWhileUnreachable } from "./discord/startup-retry.ts";
import { createHttpApp } from "./http/app.ts";
import { oauthRoutes } from "./http/oauth-callback.ts";
import { startHttpServer } from "./http/server.ts";
import { createLogger, type Logger } from "./observability/logger.ts";
import { createMetrics } from "./observability/metrics.ts";
import { RobloxClient } from "./roblox/client.ts";
import { verifyRobloxCredentials, type RobloxCredentialReport } from "./roblox/verify.ts";
import { SecretBox } from "./security/secrets.ts";
import { AuditTrail } from "./services/audit-trail.ts";
import { GuildContexts } from "./services/guild-context.ts";
import { LinkingService } from "./services/linking.ts";
import { MemberSyncService } from "./services/member-sync.ts";
import { PendingWriteWorker } from "./services/pending-writes.ts";
import { RankChangeService } from "./services/rank-changes.ts";
import { SyncAlerts } from "./sync/alerts.ts";
import { BulkSync } from "./sync/bulk-sync.ts";
import type { MemberRolesPort } from "./sync/member-roles.ts";
import { MemberSnapshots } from "./sync/member-snapshots.ts";
import { guildOnShards, SyncScheduler } from "./sync/scheduler.ts";

/** Exit codes an operator (or a supervisor) can act on. */
export const ExitCode = { ok: 0, fatal: 1, config: 78 } as const;

/** Graceful shutdown must finish within this budget (container stop grace periods are usually 10 s). */
const SHUTDOWN_BUDGET_MS = 9_000;

/** Builds every client once and hands it to the features that use it. */
export async function start(config: Config, logger: Logger): Promise<void> {
  const metrics = createMetrics();
  const database = openDatabase(config.databasePath);
  const repositories = createRepositories(database.db);
  const secrets = new SecretBox(config.encryptionKey);

  const rest = createDiscordRest({ apiUrl: config.discordApiUrl, token: config.discordToken!, metrics, logger });
  const robloxClient = (credentials: { apiKey?: string; cookie?: string }) =>
    new RobloxClient({ ...credentials, urlTemplate: config.robloxApiUrl, metrics, logger: logger.child({ component: "roblox" }) });
  const roblox = robloxClient({ apiKey: config.robloxApiKey, cookie: config.robloxCookie });

  let shuttingDown = false;
  const shutdown = async (reason: string, exitCode: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ reason }, "shutting down");
    const forced = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      process.exit(exitCode || ExitCode.fatal);
    }, SHUTDOWN_BUDGET_MS);
    forced.unref();
    try {
      scheduler.stop();
      await router.drain();
      await bulkSync.stop(3_000); // an unfinished run stays "running" and resumes at the next start
      await pendingWrites.stop();
      await gateway.destroy(reason);
      await http.stop();
      database.close();
    } catch (error) {
      logger.error({ err: error }, "error during shutdown");
    }
    logger.info({ exitCode }, "stopped");
    logger.flush();
    process.exit(exitCode);
  };

  const gateway = createGateway({
    token: config.discordToken!,
    rest,
    shardCount: config.shardCount,
    shardIds: config.shardIds,
    strategy: config.shardingStrategy,
    metrics,
    logger,
    onFatal: (message) => void shutdown(message, ExitCode.fatal),
  });
  const client = new Client({ rest, gateway: gateway.manager });
  // Members' roles come from gateway member chunks (1000 a chunk), not a REST call per member.
  const fetchMemberRoles: MemberRolesPort = async function* (guildId) {
    for await (const { members } of client.requestGuildMembersIterator({ guild_id: guildId, query: "", limit: 0 })) {
      yield members.map((member) => ({ userId: member.user.id, roleIds: member.roles }));
    }
  };
  // Discord sends a guild's full member list once per 30 s: a run soon after another reuses it,
  // kept current by member events and by our own edits (through DiscordGuilds).
  const memberSnapshots = new MemberSnapshots(fetchMemberRoles, { logger: logger.child({ component: "member-snapshots" }) });
  const guilds = new DiscordGuilds(client.api, memberSnapshots);
  const audit = new AuditTrail(repositories, client.api, logger);
  const contexts = new GuildContexts({
    repositories,
    defaultGroupId: config.robloxGroupId,
    defaultRoblox: roblox,
    robloxForApiKey: (apiKey) => robloxClient({ apiKey }),
    secrets,
    logger,
  });
  const linking = new LinkingService({
    repositories,
    contexts,
    guilds,
    audit,
    logger,
    oauth: config.robloxOAuth && { ...config.robloxOAuth, urlTemplate: config.robloxApiUrl },
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
    alerts: new SyncAlerts({ logger }),
    ownsGuild: (guildId) => ownsGuild(guildId),
  });
  const scheduler = new SyncScheduler({
    bulkSync,
    repositories,
    defaultIntervalMs: config.syncIntervalMs,
    ownsGuild: (guildId) => ownsGuild(guildId),
    logger,
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
  const commands: SlashCommand[] = [
    pingCommand(dependencies),
    ...linkingCommands(dependencies, linking),
    ...featureCommands(dependencies),
    ...rankChangeCommands(dependencies, { rankChanges, memberSync }),
    ...syncCommands(dependencies, { bulkSync, scheduler, memberSync }),
  ];
  const router = new InteractionRouter({ commands, metrics, logger });

  // Guild owners and roles come from the gateway, so the hierarchy pre-checks cost no request.
  client.on(GatewayDispatchEvents.Ready, ({ data }) => {
    guilds.botUserId = data.user.id;
    // A new session, not a resume: member events may have been missed.
    memberSnapshots.invalidateAll();
  });
  client.on(GatewayDispatchEvents.GuildCreate, ({ data }) => {
    guilds.remember(data);
    scheduler.addGuild(data.id);
  });
  client.on(GatewayDispatchEvents.GuildUpdate, ({ data }) => guilds.remember(data));
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
    memberSnapshots.observeUpdate(data.guild_id, data.user.id, data.roles);
    bulkSync.observeMemberUpdate(data.guild_id, data.user.id, data.roles);
  });
  client.on(GatewayDispatchEvents.GuildMemberRemove, ({ data }) => {
    memberSnapshots.observeRemove(data.guild_id, data.user.id);
    bulkSync.observeMemberRemove(data.guild_id, data.user.id);
  });
  client.on(GatewayDispatchEvents.GuildRoleCreate, ({ data }) => guilds.rememberRole(data.guild_id, data.role));
  client.on(GatewayDispatchEvents.GuildRoleUpdate, ({ data }) => guilds.rememberRole(data.guild_id, data.role));
  client.on(GatewayDispatchEvents.GuildRoleDelete, ({ data }) => {
    guilds.forgetRole(data.guild_id, data.role_id);
    // Discord takes the role off its members without a member event each.
    memberSnapshots.invalidate(data.guild_id);
  });
  client.on(GatewayDispatchEvents.InteractionCreate, ({ data, api, shardId }) => {
    void router.handle(data, api, shardId);
  });

  // Start-up check of the Roblox credentials: informative, it never blocks the bot (design: keep running with what works).
  let robloxReport: RobloxCredentialReport | { pending: true } = { pending: true };
  void verifyRobloxCredentials(roblox, config.robloxGroupId, { logger, metrics }).then((report) => {
    robloxReport = report;
  });

  const app = createHttpApp({
    metrics,
    readiness: async () => {
      const shards = await gateway.shardStates();
      const databaseOk = database.ping();
      return {
        ready: shards.length > 0 && shards.every((s) => s.ready) && databaseOk,
        shards,
        database: { ok: databaseOk },
        roblox: robloxReport,
      };
    },
    routes: oauthRoutes(linking),
  });
  const http = startHttpServer(app, config.httpHost, config.httpPort);
  logger.info({ url: http.url }, "health and metrics listening");

  process.once("SIGTERM", () => void shutdown("SIGTERM", ExitCode.ok));
  process.once("SIGINT", () => void shutdown("SIGINT", ExitCode.ok));

  const gatewayInfo = await retryWhileUnreachable("fetching /gateway/bot", () => gateway.manager.fetchGatewayInformation(), logger);
  const shardCount = config.shardCount ?? gatewayInfo.shards;
  if (config.shardIds?.some((id) => id >= shardCount)) {
    throw new ConfigError([
      { variable: "SHARD_IDS", message: `shard ids must be below the shard count (${shardCount}); got ${config.shardIds.join(",")}` },
    ]);
  }
  ownsGuild = guildOnShards(config.shardIds, shardCount);

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
  // Work left by a previous process (pending Roblox writes, an interrupted sync) resumes now that
  // the shards, which member chunks need, are connected.
  pendingWrites.start();
  scheduler.start();
  void bulkSync.resumeUnfinished().catch((error) => logger.error({ err: error }, "could not resume unfinished syncs"));
}

function printConfigProblems(error: ConfigError): void {
  process.stderr.write("rankbridge: the configuration is invalid:\n");
  for (const problem of error.problems) process.stderr.write(`  ${problem.variable} ${problem.message}\n`);
}

if (import.meta.main) {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    printConfigProblems(error);
    process.exit(ExitCode.config);
  }
  const logger = createLogger({ level: config.logLevel });
  // An unexpected error in one handler must not take the whole bot (every guild) down.
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection"));
  process.on("uncaughtException", (error) => logger.error({ err: error }, "uncaught exception"));

  start(config, logger).catch((error) => {
    if (error instanceof ConfigError) {
      printConfigProblems(error);
      process.exit(ExitCode.config);
    }
    if (error instanceof DiscordTokenRejectedError) logger.fatal(error.message);
    else logger.fatal({ err: error }, "rankbridge could not start");
    logger.flush();
    process.exit(ExitCode.fatal);
  });
}
