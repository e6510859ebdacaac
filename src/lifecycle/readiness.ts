/**
 * What `/readyz` answers: ready when every shard of this process is connected, the database
 * answers and, with REDIS_URL, Redis is connected (named `redis` in the report when it is not). The Roblox credential check and unusable guild keys are reported, never blocking: the bot
 * keeps running with what works (design §10).
 */
import type { ReadinessReport } from "../http/app.ts";
import type { RobloxCredentialReport } from "../roblox/verify.ts";

export interface ReadinessSources {
  shardStates(): Promise<{ id: number; status: string; ready: boolean }[]>;
  database: { ping(): Promise<boolean> };
  /** The shared Redis (REDIS_URL); undefined when the process shares nothing. */
  redis?: { ready(): boolean };
  /** Guilds whose stored Roblox key cannot be used: an error for those guilds, not for the process. */
  unusableGuildKeys(): number;
  /** The Roblox change feed's state: reported, never blocking (the periodic sync still runs without it). */
  changeFeed?: () => ChangeFeedReadiness;
}

export interface ChangeFeedReadiness {
  enabled: boolean;
  intervalMs: number | null;
  /** Groups whose audit log the feed reads. */
  groups: number;
  /** One line per group whose log cannot be read, saying what to grant. */
  problems: string[];
}

export class Readiness {
  #roblox: RobloxCredentialReport | { pending: true } = { pending: true };

  constructor(private readonly sources: ReadinessSources) {}

  /** The start-up check of the Roblox credentials, once it has answered. */
  recordRobloxCheck(report: RobloxCredentialReport): void {
    this.#roblox = report;
  }

  async report(): Promise<ReadinessReport & { guildCredentials: { unusable: number }; changeFeed?: ChangeFeedReadiness }> {
    const shards = await this.sources.shardStates();
    const databaseOk = await this.sources.database.ping();
    const redisOk = this.sources.redis?.ready();
    return {
      ready: shards.length > 0 && shards.every((s) => s.ready) && databaseOk && redisOk !== false,
      shards,
      database: { ok: databaseOk },
      ...(redisOk !== undefined && { redis: { ok: redisOk } }),
      roblox: this.#roblox,
      guildCredentials: { unusable: this.sources.unusableGuildKeys() },
      ...(this.sources.changeFeed ? { changeFeed: this.sources.changeFeed() } : {}),
    };
  }
}
