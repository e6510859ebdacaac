/**
 * Bringing the process up, in the order that loses nothing: the health endpoints first (so a
 * supervisor sees the process), then Discord (/gateway/bot decides the shards this process owns,
 * commands are registered, shards connect), and only then the work a previous process left
 * (pending Roblox writes, an interrupted sync), which needs the shards for member chunks.
 */
import type { Client } from "@discordjs/core";
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from "discord-api-types/v10";
import type { Hono } from "hono";
import type { Gateway } from "../discord/gateway.ts";
import { registerCommands, type KeyValueStore } from "../discord/register.ts";
import { retryWhileUnreachable } from "../discord/startup-retry.ts";
import { startHttpServer, type HttpServer } from "../http/server.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import type { RobloxClient } from "../roblox/client.ts";
import { verifyRobloxCredentials } from "../roblox/verify.ts";
import type { Readiness } from "./readiness.ts";
import type { ShardOwnership } from "./shard-ownership.ts";

export interface DiscordConnection {
  gateway: Gateway;
  client: Client;
  shards: ShardOwnership;
  /** SHARD_COUNT when the operator set it, else Discord's recommendation. */
  shardCount: number | undefined;
  commandDefinitions: readonly RESTPostAPIChatInputApplicationCommandsJSONBody[];
  devGuildId: string | undefined;
  commandStore: KeyValueStore;
  logger: Logger;
}

/** /gateway/bot, shard ownership, command registration, gateway connect; each retried while Discord is unreachable. */
export async function connectDiscord(parts: DiscordConnection): Promise<void> {
  const { gateway, client, logger } = parts;
  const gatewayInfo = await retryWhileUnreachable("fetching /gateway/bot", () => gateway.manager.fetchGatewayInformation(), logger);
  parts.shards.own(parts.shardCount ?? gatewayInfo.shards);

  const application = await retryWhileUnreachable("reading the application", () => client.api.applications.getCurrent(), logger);
  await retryWhileUnreachable(
    "registering slash commands",
    () =>
      registerCommands({
        api: client.api,
        applicationId: application.id,
        definitions: [...parts.commandDefinitions],
        devGuildId: parts.devGuildId,
        store: parts.commandStore,
        logger,
      }),
    logger,
  );

  await gateway.manager.connect();
}

export interface StartupParts {
  /** The store made ready (PostgreSQL: connected and migrated) before anything reads it. */
  prepareStore(): Promise<void>;
  connectDiscord(): Promise<void>;
  /** `listening` hears of the server as soon as it listens, so a stop during the rest of start-up closes it. */
  http: { app: Hono; host: string; port: number; listening(server: HttpServer): void };
  roblox: { client: RobloxClient; groupId: number | undefined };
  readiness: Readiness;
  /** Design §10: a guild whose stored key cannot be used is reported (logs, /readyz) before anyone runs a command. */
  checkStoredKeys(): Promise<unknown>;
  /** Work a previous process left; started once the shards are connected. */
  background: {
    pendingWrites: { start(): void };
    scheduler: { start(): void };
    /** Absent when ROBLOX_CHANGE_FEED_INTERVAL is off. */
    changeFeed?: { start(): void };
    /** The dashboard's sync requests queued by other processes (only in a cluster). */
    syncRequests?: { start(): void };
    resumeUnfinishedSyncs(): Promise<unknown>;
  };
  metrics: Metrics;
  logger: Logger;
}

/** Brings the process up; rejects when it cannot (ConfigError, DiscordTokenRejectedError, ...). */
export async function startUp(parts: StartupParts): Promise<void> {
  const { logger } = parts;
  await parts.prepareStore();
  // Start-up check of the Roblox credentials: informative, it never blocks the bot (design: keep running with what works).
  void verifyRobloxCredentials(parts.roblox.client, parts.roblox.groupId, { logger, metrics: parts.metrics }).then((report) =>
    parts.readiness.recordRobloxCheck(report),
  );
  void parts.checkStoredKeys().catch((error) => logger.error({ err: error }, "could not check the guilds' stored Roblox keys"));

  const http = startHttpServer(parts.http.app, parts.http.host, parts.http.port);
  parts.http.listening(http);
  logger.info({ url: http.url }, "health and metrics listening");

  await parts.connectDiscord();
  parts.background.pendingWrites.start();
  parts.background.scheduler.start();
  parts.background.changeFeed?.start();
  parts.background.syncRequests?.start();
  void parts.background.resumeUnfinishedSyncs().catch((error) => logger.error({ err: error }, "could not resume unfinished syncs"));
}
