/**
 * What the processes of one bot share (design §8), built once from REDIS_URL and REDIS_PREFIX.
 * Without REDIS_URL every part is in-process, as a single process needs: @discordjs/ws's own
 * session store and identify throttler, no shared Roblox budget, leases in memory.
 */
import type { IIdentifyThrottler, WebSocketManager } from "@discordjs/ws";
import type { Logger } from "../observability/logger.ts";
import type { SharedBudget } from "../roblox/limits.ts";
import type { FeedRelay } from "../sync/change-feed/relay.ts";
import { RedisFeedRelay } from "./feed-relay.ts";
import { type GatewaySessionStore, RedisGatewaySessions } from "./gateway-sessions.ts";
import { RedisIdentifyThrottler } from "./identify-throttler.ts";
import { RedisInteractionClaims } from "./interaction-claims.ts";
import { type Leases, LocalLeases, RedisLeases } from "./leases.ts";
import { openRedis, redactedUrl, type SharedRedis } from "./redis.ts";
import { credentialId, RedisRobloxBudget } from "./roblox-budget.ts";

export type { GatewaySessionStore } from "./gateway-sessions.ts";
export type { Lease, Leases } from "./leases.ts";

export interface Cluster {
  /** Shared gateway sessions; undefined: @discordjs/ws's in-memory store. */
  readonly gatewaySessions: GatewaySessionStore | undefined;
  /** IDENTIFY pacing across processes; undefined: @discordjs/ws's own throttler. */
  readonly buildIdentifyThrottler: ((manager: WebSocketManager) => Promise<IIdentifyThrottler>) | undefined;
  /** The Roblox budget of a credential shared by every process; undefined: this process alone. */
  robloxBudget(credentials: { apiKey?: string; cookie?: string }): SharedBudget | undefined;
  readonly leases: Leases;
  /** Claims an interaction for this process (false: another process took it); undefined without Redis. */
  readonly claimInteraction: ((interactionId: string) => Promise<boolean>) | undefined;
  /**
   * The change feed's relay (one process reads a group's log, every process applies it); undefined
   * without Redis: each process reads its groups itself. `scope`: the process's shard set.
   */
  feedRelay(scope: () => string): FeedRelay | undefined;
  /** For /readyz: undefined when no Redis is configured. */
  readonly redis: { url: string; ready(): boolean } | undefined;
  close(): Promise<void>;
}

export function createCluster(config: { redisUrl: string | undefined; redisPrefix: string }, logger: Logger): Cluster {
  if (!config.redisUrl) {
    return {
      gatewaySessions: undefined,
      buildIdentifyThrottler: undefined,
      robloxBudget: () => undefined,
      leases: new LocalLeases(),
      claimInteraction: undefined,
      feedRelay: () => undefined,
      redis: undefined,
      close: async () => undefined,
    };
  }
  const log = logger.child({ component: "redis" });
  const redis: SharedRedis = openRedis(config.redisUrl, config.redisPrefix, log);
  const sessions = new RedisGatewaySessions(redis, log);
  const budgets = new Map<string, RedisRobloxBudget>();
  const url = redactedUrl(config.redisUrl);
  const claims = new RedisInteractionClaims(redis, log);
  const leases = new RedisLeases(redis);
  return {
    gatewaySessions: sessions,
    buildIdentifyThrottler: async (manager) => {
      const info = await manager.fetchGatewayInformation();
      return new RedisIdentifyThrottler(redis, info.session_start_limit.max_concurrency, log);
    },
    robloxBudget(credentials) {
      const id = credentialId(credentials);
      const budget = budgets.get(id) ?? new RedisRobloxBudget(redis, id);
      budgets.set(id, budget);
      return budget;
    },
    claimInteraction: (interactionId) => claims.claim(interactionId),
    leases,
    feedRelay: (scope) => new RedisFeedRelay(redis, leases, { scope }),
    redis: { url, ready: () => redis.ready() },
    async close() {
      await sessions.close();
      await redis.close();
    },
  };
}
