import { Client, GatewayDispatchEvents } from "@discordjs/core";
import { ConfigError, loadConfig, type Config } from "./config/env.ts";
import { openDatabase } from "./db/client.ts";
import { createMetaRepository } from "./db/repositories/meta.ts";
import { pingCommand } from "./discord/commands/ping.ts";
import type { SlashCommand } from "./discord/commands/types.ts";
import { createGateway } from "./discord/gateway.ts";
import { InteractionRouter } from "./discord/interactions/router.ts";
import { registerCommands } from "./discord/register.ts";
import { createDiscordRest } from "./discord/rest.ts";
import { DiscordTokenRejectedError, retryWhileUnreachable } from "./discord/startup-retry.ts";
import { createHttpApp } from "./http/app.ts";
import { startHttpServer } from "./http/server.ts";
import { createLogger, type Logger } from "./observability/logger.ts";
import { createMetrics } from "./observability/metrics.ts";

/** Exit codes an operator (or a supervisor) can act on. */
export const ExitCode = { ok: 0, fatal: 1, config: 78 } as const;

/** Graceful shutdown must finish within this budget (container stop grace periods are usually 10 s). */
const SHUTDOWN_BUDGET_MS = 9_000;

export async function start(config: Config, logger: Logger): Promise<void> {
  const metrics = createMetrics();
  const database = openDatabase(config.databasePath);
  const meta = createMetaRepository(database.db);

  const rest = createDiscordRest({ apiUrl: config.discordApiUrl, token: config.discordToken!, metrics, logger });

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
      await router.drain();
      await gateway.manager.destroy({ reason });
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

  const commands: SlashCommand[] = [pingCommand({ shardLatencyMs: gateway.latencyMs })];
  const router = new InteractionRouter({ commands, metrics, logger });
  client.on(GatewayDispatchEvents.InteractionCreate, ({ data, api, shardId }) => {
    void router.handle(data, api, shardId);
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
      };
    },
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

  const application = await retryWhileUnreachable("reading the application", () => client.api.applications.getCurrent(), logger);
  await retryWhileUnreachable("registering slash commands", () => registerCommands({
    api: client.api,
    applicationId: application.id,
    definitions: commands.map((c) => c.definition),
    devGuildId: config.discordDevGuildId,
    store: meta,
    logger,
  }), logger);

  await gateway.manager.connect();
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
