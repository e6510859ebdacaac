/**
 * Gateway sessions kept in Redis, so a process that replaces one that died (or was stopped for a
 * rolling restart) RESUMEs its shards (op 6) instead of IDENTIFYing anew.
 *
 * @discordjs/ws reads and writes the session on every dispatch (the sequence number), so the store
 * answers from a local copy and writes behind: a new session (READY) or its end is written at once,
 * sequence updates at most once per `flushMs`. A sequence a little behind is harmless: Discord
 * replays the events after it. Redis down: the local copy still serves this process; a replacement
 * finds no session and IDENTIFYs, as a process without Redis does.
 */
import type { SessionInfo } from "@discordjs/ws";
import type { Logger } from "../observability/logger.ts";
import type { SharedRedis } from "./redis.ts";

/** How long Redis keeps a session nobody updates: Discord forgets a disconnected one within minutes. */
const SESSION_TTL_MS = 15 * 60_000;
/** How long reading a session at connect may take before the shard IDENTIFYs instead. */
const READ_TIMEOUT_MS = 1_500;

export interface GatewaySessionStore {
  retrieveSessionInfo(shardId: number): Promise<SessionInfo | null>;
  updateSessionInfo(shardId: number, info: SessionInfo | null): Promise<void>;
  /**
   * Shutdown for a replacement: from now on a shard's session is never cleared, so the shards can
   * be closed with a resumable code and the next process resumes them; writes what is pending.
   */
  keepForReplacement(): Promise<void>;
  /** Writes what is pending and stops the timer. */
  close(): Promise<void>;
}

export class RedisGatewaySessions implements GatewaySessionStore {
  readonly #local = new Map<number, SessionInfo | null>();
  readonly #dirty = new Set<number>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #keeping = false;

  constructor(
    private readonly redis: SharedRedis,
    private readonly logger: Logger,
    private readonly flushMs = 1_000,
  ) {}

  #key(shardId: number): string {
    return this.redis.key(`gateway:session:${shardId}`);
  }

  async retrieveSessionInfo(shardId: number): Promise<SessionInfo | null> {
    if (this.#local.has(shardId)) return this.#local.get(shardId) ?? null;
    const stored = await this.#read(shardId);
    // A dispatch may have written a newer session while Redis answered.
    if (!this.#local.has(shardId)) this.#local.set(shardId, stored);
    return this.#local.get(shardId) ?? null;
  }

  async updateSessionInfo(shardId: number, info: SessionInfo | null): Promise<void> {
    if (info === null && this.#keeping) return;
    const before = this.#local.get(shardId);
    this.#local.set(shardId, info);
    if (info === null || before?.sessionId !== info.sessionId) {
      // A session began or ended: the next process must see that, not a stale one.
      this.#dirty.delete(shardId);
      await this.#write(shardId, info);
      return;
    }
    this.#dirty.add(shardId);
    this.#timer ??= setInterval(() => void this.flush(), this.flushMs);
    this.#timer.unref?.();
  }

  async keepForReplacement(): Promise<void> {
    this.#keeping = true;
    await this.flush();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }

  /** Writes every session whose sequence moved since the last write. */
  async flush(): Promise<void> {
    const shards = [...this.#dirty];
    this.#dirty.clear();
    await Promise.all(shards.map((shardId) => this.#write(shardId, this.#local.get(shardId) ?? null)));
  }

  async #read(shardId: number): Promise<SessionInfo | null> {
    if (!(await this.redis.readyWithin(READ_TIMEOUT_MS))) {
      this.logger.warn({ shard: shardId }, "redis unavailable; the shard identifies anew instead of resuming");
      return null;
    }
    try {
      const text = await withTimeout(this.redis.client.get(this.#key(shardId)), READ_TIMEOUT_MS);
      return text ? parseSession(text, shardId) : null;
    } catch (error) {
      this.logger.warn({ err: error, shard: shardId }, "could not read the shard's gateway session from redis; identifying anew");
      return null;
    }
  }

  async #write(shardId: number, info: SessionInfo | null): Promise<void> {
    if (!this.redis.ready()) {
      // Written on the next sequence update once Redis is back.
      if (info) this.#dirty.add(shardId);
      return;
    }
    try {
      if (info) await this.redis.client.set(this.#key(shardId), JSON.stringify(info), "PX", SESSION_TTL_MS);
      else await this.redis.client.del(this.#key(shardId));
    } catch (error) {
      if (info) this.#dirty.add(shardId);
      this.logger.debug({ err: error, shard: shardId }, "could not write the shard's gateway session to redis");
    }
  }
}

function parseSession(text: string, shardId: number): SessionInfo | null {
  try {
    const value = JSON.parse(text) as Partial<SessionInfo>;
    const valid =
      typeof value.sessionId === "string" &&
      typeof value.sequence === "number" &&
      typeof value.resumeURL === "string" &&
      typeof value.shardCount === "number" &&
      value.shardId === shardId;
    return valid ? (value as SessionInfo) : null;
  } catch {
    return null;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
