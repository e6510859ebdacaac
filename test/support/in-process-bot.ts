/**
 * The bot as src/app.ts composes it for the real process, run inside the test process against the
 * emulators: configured from an environment as an operator would write it, with its logs captured.
 * A harness that does not connect a gateway uses `standIn` and `dispatch` for what the connection
 * would have told the bot, and `handle` to run an interaction as INTERACTION_CREATE would. Rows are
 * seeded and read through `storage`, the harness's own connection to the bot's database file.
 */
import { WebSocketShardEvents } from "@discordjs/ws";
import { type ApplicationFlags, GatewayDispatchEvents, GatewayOpcodes, type APIInteraction, type APIRole, type GatewayDispatchPayload } from "discord-api-types/v10";
import { createRankbridge, type Rankbridge, type RankbridgeOptions } from "../../src/app.ts";
import { loadConfig, secretValues, type Config } from "../../src/config/env.ts";
import { createLogger, type Logger } from "../../src/observability/logger.ts";
import { openBotDatabase, openBotPostgres, temporaryDatabasePath, type BotDatabase } from "./bot-database.ts";

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

export interface InProcessBotOptions {
  /** The environment as an operator sets it; the database is a new temporary file and HTTP on a free local port unless given. */
  env: Record<string, string | undefined>;
  logLevel?: string;
  /** Also print each log line (a child process whose output is read by its parent). */
  echoLogs?: boolean;
  options?: RankbridgeOptions;
}

export interface InProcessBot {
  readonly bot: Rankbridge;
  readonly config: Config;
  readonly logger: Logger;
  /** The harness's own connection to the database file the bot opened. */
  readonly storage: BotDatabase;
  /** Every log line, parsed, oldest first. */
  readonly logs: LogLine[];
  /** The same lines as they were written. */
  readonly logText: string[];
  /**
   * For a harness that does not connect: what READY says (the bot's user id) and what /gateway/bot
   * decides (one shard, so this process does every guild's background work).
   */
  standIn(botUserId: string): void;
  /** A gateway event, delivered as a shard delivers it: through the core Client to the app's handlers. */
  dispatch(payload: Omit<GatewayDispatchPayload, "op" | "s">, shardId?: number): void;
  /** GUILD_ROLE_UPDATE for each of `roles`. */
  rolesUpdated(guildId: string, roles: readonly APIRole[]): void;
  /** Runs an interaction as INTERACTION_CREATE does; resolves when its handler finished. */
  handle(interaction: APIInteraction, shardId?: number): Promise<void>;
  /** The bot's graceful stop; once however often it is called. */
  close(): Promise<void>;
}

/** The settings that point the bot at the emulators. */
export function emulatorEnv(discord: { restBase: string; token: string }, roblox: { urlTemplate: string }): Record<string, string> {
  return { DISCORD_TOKEN: discord.token, DISCORD_API_URL: discord.restBase, ROBLOX_API_URL: roblox.urlTemplate };
}

export function createInProcessBot({ env, logLevel = "info", echoLogs = false, options }: InProcessBotOptions): InProcessBot {
  const logs: LogLine[] = [];
  const logText: string[] = [];
  const logger = createLogger({
    level: logLevel,
    secrets: secretValues(env),
    destination: {
      write(text: string) {
        logText.push(text);
        for (const line of text.split("\n")) {
          if (!line) continue;
          logs.push(JSON.parse(line) as LogLine);
          if (echoLogs) process.stdout.write(`${line}\n`);
        }
      },
    },
  });
  const temporary = env.DATABASE_PATH ? undefined : temporaryDatabasePath();
  const config = loadConfig({ HTTP_HOST: "127.0.0.1", HTTP_PORT: "0", ...env, DATABASE_PATH: env.DATABASE_PATH ?? temporary?.path });
  const bot = createRankbridge(config, logger, options);
  // Opened after the bot, which created and migrated the file (PostgreSQL: migrated when the bot starts or connects).
  const storage = config.databaseUrl ? openBotPostgres(config.databaseUrl) : openBotDatabase(config.databasePath);

  const dispatch = (payload: Omit<GatewayDispatchPayload, "op" | "s">, shardId = 0) => {
    bot.parts.gateway.manager.emit(WebSocketShardEvents.Dispatch, { op: GatewayOpcodes.Dispatch, s: 0, ...payload } as GatewayDispatchPayload, shardId);
  };
  let closing: Promise<void> | undefined;

  return {
    bot,
    config,
    logger,
    storage,
    logs,
    logText,
    standIn(botUserId) {
      // READY names the bot's user; only the user id is read from it.
      const user = { id: botUserId, username: "rankbridge", discriminator: "0000", global_name: null, avatar: null, bot: true };
      dispatch({
        t: GatewayDispatchEvents.Ready,
        d: { v: 10, user, guilds: [], session_id: "stand-in", resume_gateway_url: "ws://127.0.0.1", application: { id: botUserId, flags: 0 as ApplicationFlags, flags_new: "0" } },
      });
      bot.ownShards(1);
    },
    dispatch,
    rolesUpdated(guildId, roles) {
      for (const role of roles) dispatch({ t: GatewayDispatchEvents.GuildRoleUpdate, d: { guild_id: guildId, role } });
    },
    handle: (interaction, shardId = 0) => bot.handleInteraction(interaction, shardId),
    close() {
      closing ??= (async () => {
        // Stopping also closes the Roblox clients' limiters.
        await bot.stop("test finished");
        await storage.close();
        temporary?.remove();
      })();
      return closing;
    },
  };
}
