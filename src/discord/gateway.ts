import type { REST } from "@discordjs/rest";
import {
  CloseCodes,
  type IIdentifyThrottler,
  type SessionInfo,
  SimpleShardingStrategy,
  WebSocketManager,
  WebSocketShardEvents,
  WorkerShardingStrategy,
} from "@discordjs/ws";
import { GatewayCloseCodes, GatewayIntentBits } from "discord-api-types/v10";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";

/** Guilds and guild members: the rank roles live on members. GUILD_MEMBERS is privileged. */
export const GATEWAY_INTENTS = GatewayIntentBits.Guilds | GatewayIntentBits.GuildMembers;

/** Close codes after which @discordjs/ws gives up: the process cannot fix them by reconnecting. */
const FATAL_CLOSE_CODES = new Map<number, string>([
  [GatewayCloseCodes.AuthenticationFailed, "Discord rejected DISCORD_TOKEN (close 4004 Authentication failed): check the bot token"],
  [GatewayCloseCodes.InvalidShard, "Discord rejected the shard (close 4010 Invalid shard): check SHARD_COUNT and SHARD_IDS"],
  [GatewayCloseCodes.ShardingRequired, "Discord requires more shards (close 4011 Sharding required): raise SHARD_COUNT"],
  [GatewayCloseCodes.InvalidAPIVersion, "Discord rejected the gateway version (close 4012)"],
  [GatewayCloseCodes.InvalidIntents, "Discord rejected the intents (close 4013 Invalid intents)"],
  [
    GatewayCloseCodes.DisallowedIntents,
    "Discord refused the Server Members intent (close 4014): enable it for the bot in the developer portal",
  ],
]);

export type ShardState = "connecting" | "ready" | "resuming" | "closed";

export interface GatewayOptions {
  token: string;
  rest: REST;
  shardCount: number | undefined;
  shardIds: number[] | undefined;
  strategy: "simple" | "workers";
  metrics: Metrics;
  logger: Logger;
  /** Called once when a close code means the process must stop. */
  onFatal: (message: string, code: number) => void;
  /**
   * Sessions shared with the process that replaces this one (REDIS_URL): the replacement RESUMEs.
   * Unset: @discordjs/ws keeps them in memory, and a stop ends them.
   */
  sessions?: SharedSessionStore;
  /** IDENTIFY pacing shared by every process of the bot; unset: this process alone. */
  buildIdentifyThrottler?: (manager: WebSocketManager) => Promise<IIdentifyThrottler>;
}

export interface SharedSessionStore {
  retrieveSessionInfo(shardId: number): Promise<SessionInfo | null>;
  updateSessionInfo(shardId: number, info: SessionInfo | null): Promise<void>;
  /** From now on sessions are kept for the next process, never cleared. */
  keepForReplacement(): Promise<void>;
}

export interface Gateway {
  manager: WebSocketManager;
  /** Per-shard state of the shards this process owns. */
  shardStates(): Promise<{ id: number; status: ShardState; ready: boolean }[]>;
  /** Last heartbeat round trip of a shard in milliseconds. */
  latencyMs(shardId: number): number | undefined;
  /** Closes every shard on purpose (shutdown): their closes are not reported as problems. */
  destroy(reason: string): Promise<void>;
}

export function createGateway(options: GatewayOptions): Gateway {
  const { metrics, logger } = options;
  const states = new Map<number, ShardState>();
  const latencies = new Map<number, number>();
  let destroying = false;
  // Until a shard has said HELLO the manager may not know its shard ids, and asking would send a
  // request to Discord: readiness probes must never cost a REST call.
  let connected = false;

  const manager = new WebSocketManager({
    token: options.token,
    intents: GATEWAY_INTENTS,
    rest: options.rest,
    shardCount: options.shardCount ?? null,
    shardIds: options.shardIds ?? null,
    ...(options.sessions && {
      retrieveSessionInfo: (shardId: number) => options.sessions!.retrieveSessionInfo(shardId),
      updateSessionInfo: (shardId: number, info: SessionInfo | null) => options.sessions!.updateSessionInfo(shardId, info),
    }),
    ...(options.buildIdentifyThrottler && { buildIdentifyThrottler: options.buildIdentifyThrottler }),
    buildStrategy: (m) =>
      options.strategy === "workers"
        ? new WorkerShardingStrategy(m, { shardsPerWorker: 1 })
        : new SimpleShardingStrategy(m),
  });

  const setState = (shardId: number, state: ShardState) => {
    states.set(shardId, state);
    metrics.shardStatus.set({ shard: String(shardId) }, state === "ready" ? 1 : 0);
  };

  manager.on(WebSocketShardEvents.Hello, () => {
    connected = true;
  });
  manager.on(WebSocketShardEvents.Ready, (data, shardId) => {
    setState(shardId, "ready");
    logger.info({ shard: shardId, guilds: data.guilds.length, user: data.user.username }, "shard ready");
  });
  manager.on(WebSocketShardEvents.Resumed, (shardId) => {
    setState(shardId, "ready");
    logger.info({ shard: shardId }, "shard resumed");
  });
  manager.on(WebSocketShardEvents.HeartbeatComplete, ({ latency }, shardId) => {
    latencies.set(shardId, latency);
    metrics.shardLatency.set({ shard: String(shardId) }, latency / 1000);
  });
  manager.on(WebSocketShardEvents.Closed, (code, shardId) => {
    setState(shardId, "closed");
    if (destroying) return;
    const fatal = FATAL_CLOSE_CODES.get(code);
    if (fatal) {
      logger.fatal({ shard: shardId, code }, fatal);
      options.onFatal(fatal, code);
    } else {
      logger.warn({ shard: shardId, code }, "shard connection closed; reconnecting");
    }
  });
  manager.on(WebSocketShardEvents.Error, (error, shardId) => {
    logger.error({ shard: shardId, err: error }, "shard error");
  });
  manager.on(WebSocketShardEvents.SocketError, (error, shardId) => {
    logger.warn({ shard: shardId, err: error }, "shard socket error");
  });

  return {
    manager,
    latencyMs: (shardId) => latencies.get(shardId),
    async destroy(reason) {
      destroying = true;
      if (!options.sessions) {
        await manager.destroy({ reason });
        return;
      }
      // Close 1000 would end the sessions at Discord; a resumable close keeps them, and the shared
      // store keeps them for the process that replaces this one (a rolling restart RESUMEs).
      await options.sessions.keepForReplacement();
      await manager.destroy({ reason, code: CloseCodes.Resuming });
    },
    async shardStates() {
      const ids = connected ? await manager.getShardIds() : [...(options.shardIds ?? [])];
      return ids.map((id) => {
        const status = states.get(id) ?? "connecting";
        return { id, status, ready: status === "ready" };
      });
    },
  };
}
