/**
 * The one Redis connection a process shares its state over (design §8: REDIS_URL, REDIS_PREFIX).
 *
 * Redis is a helper, never a reason to stop: the client reconnects for ever with capped back-off,
 * commands fail at once while it is away (no offline queue, so nothing waits on a dead socket) and
 * every caller has an in-process fallback or skips a round. Whether it is up is read by `/readyz`.
 */
import { Redis } from "ioredis";
import type { Logger } from "../observability/logger.ts";

/** A command that took longer than this is failed, so a half-open socket cannot hold a caller. */
const COMMAND_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 2_000;
/** Reconnect back-off: 100 ms doubling to 5 s, jittered. */
const RETRY_BASE_MS = 100;
const RETRY_MAX_MS = 5_000;

export interface SharedRedis {
  readonly client: Redis;
  /** REDIS_PREFIX + name: every key the process writes goes through this. */
  key(name: string): string;
  /** Connected and answering commands. */
  ready(): boolean;
  /**
   * Whether Redis is ready within `ms`: at start the connection is still being made when the
   * shards first ask for their sessions, and an answer a moment later beats a needless IDENTIFY.
   */
  readyWithin(ms: number): Promise<boolean>;
  close(): Promise<void>;
}

export class RedisUnavailableError extends Error {
  constructor(operation: string, options?: ErrorOptions) {
    super(`Redis is unavailable (${operation})`, options);
    this.name = "RedisUnavailableError";
  }
}

export function reconnectDelayMs(attempt: number, random: () => number = Math.random): number {
  const step = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** Math.min(attempt - 1, 16));
  return Math.round(step / 2 + random() * (step / 2));
}

export function openRedis(url: string, prefix: string, logger: Logger): SharedRedis {
  const client = new Redis(url, {
    lazyConnect: false,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: CONNECT_TIMEOUT_MS,
    retryStrategy: (attempt) => reconnectDelayMs(attempt),
    // A READONLY replica after a failover: reconnect so the new primary is found.
    reconnectOnError: (error) => error.message.startsWith("READONLY"),
  });
  let wasReady = false;
  let lastError: string | undefined;
  client.on("ready", () => {
    wasReady = true;
    lastError = undefined;
    logger.info({ redis: redactedUrl(url) }, "redis connected");
  });
  client.on("error", (error: Error) => {
    // ioredis repeats the same error on every reconnect attempt: say it once until it changes.
    if (error.message === lastError) return;
    lastError = error.message;
    logger.warn({ err: error, redis: redactedUrl(url) }, "redis unreachable; shared state falls back until it is back");
  });
  client.on("close", () => {
    if (!wasReady) return;
    wasReady = false;
    logger.warn({ redis: redactedUrl(url) }, "redis connection lost; reconnecting with back-off");
  });
  let closing: Promise<void> | undefined;
  return {
    client,
    key: (name) => `${prefix}${name}`,
    ready: () => client.status === "ready",
    readyWithin(ms) {
      if (client.status === "ready") return Promise.resolve(true);
      return new Promise((resolve) => {
        const done = (ready: boolean) => {
          clearTimeout(timer);
          client.off("ready", onReady);
          resolve(ready);
        };
        const onReady = () => done(true);
        const timer = setTimeout(() => done(client.status === "ready"), ms);
        client.on("ready", onReady);
      });
    },
    close() {
      closing ??= client.quit().then(
        () => undefined,
        () => client.disconnect(),
      );
      return closing;
    },
  };
}

/** The URL without its password, for logs. */
export function redactedUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(invalid url)";
  }
}
