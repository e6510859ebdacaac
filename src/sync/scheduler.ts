/**
 * Background sync: every guild on this process's shards gets a bulk run every SYNC_INTERVAL (or
 * its own `syncIntervalMs`), jittered so guilds sharing a period do not all hit the rate limits in
 * the same minute. At most one run per guild at a time; guilds that are paused or not set up wait.
 */
import type { Repositories } from "../services/storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { BackgroundHooks, BackgroundSyncResult } from "./bulk-sync.ts";
import { updateLogLine } from "./run-report.ts";
import { nextRunAt, type RandomSource } from "./schedule.ts";

/** The log lines operators grep for; kept word for word. */
export const AUTOMATIC_SYNC_STARTED = "Starting automatic rank synchronization...";
export const automaticSyncCompleted = (updated: number, inSync: number, errors: number) =>
  `Automatic sync complete: ${updated} updated, ${inSync} in sync, ${errors} errors`;

/**
 * Whether a guild is on one of this process's shards: Discord routes guild `g` to shard
 * `(g >> 22) % shardCount`. `shardIds` undefined means this process runs them all.
 */
export function guildOnShards(shardIds: readonly number[] | undefined, shardCount: number): (guildId: string) => boolean {
  if (!shardIds) return () => true;
  const owned = new Set(shardIds);
  return (guildId) => owned.has(Number((BigInt(guildId) >> 22n) % BigInt(shardCount)));
}

/**
 * Leases for work that runs once in the cluster (src/cluster/leases.ts). The shard decides which
 * process schedules a guild; the lease covers the moments two processes both think they hold it
 * (a rolling restart with the old process still finishing).
 */
export interface SchedulerLeases {
  acquire(name: string, ttlMs: number): Promise<{ renew(): Promise<boolean>; release(): Promise<void> } | undefined>;
}

/**
 * A scheduled run's lease lives this long without renewal; it is renewed every third of it. Short,
 * because a process killed mid-run holds its guild's next run back until the lease expires.
 */
const LEASE_TTL_MS = 20_000;

/** setTimeout takes at most a signed 32-bit delay; longer waits are re-armed on the way. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export interface SyncSchedulerOptions {
  bulkSync: { runBackground(guildId: string, hooks?: BackgroundHooks): Promise<BackgroundSyncResult> };
  repositories: Repositories;
  /** SYNC_INTERVAL. */
  defaultIntervalMs: number;
  /** Whether the guild is on one of this process's shards. */
  ownsGuild: (guildId: string) => boolean;
  logger: Logger;
  /** Unset: this process alone decides (one process, or shard ownership is enough). */
  leases?: SchedulerLeases;
  random?: RandomSource;
  now?: () => number;
  /** How soon scheduling is tried again when the store could not be read (default a minute). */
  retryMs?: number;
}

interface GuildSchedule {
  dueAt: number | undefined;
  timer: ReturnType<typeof setTimeout> | undefined;
  running: boolean;
}

export class SyncScheduler {
  readonly #guilds = new Map<string, GuildSchedule>();
  readonly #random: RandomSource;
  readonly #now: () => number;
  #started = false;

  constructor(private readonly options: SyncSchedulerOptions) {
    this.#random = options.random ?? Math.random;
    this.#now = options.now ?? Date.now;
  }

  /** GUILD_CREATE: the guild is available on one of our shards. */
  async addGuild(guildId: string): Promise<void> {
    if (this.#guilds.has(guildId)) return;
    this.#guilds.set(guildId, { dueAt: undefined, timer: undefined, running: false });
    if (this.#started) await this.#schedule(guildId);
  }

  /** GUILD_DELETE (left or unavailable). */
  removeGuild(guildId: string): void {
    const schedule = this.#guilds.get(guildId);
    if (schedule?.timer) clearTimeout(schedule.timer);
    this.#guilds.delete(guildId);
  }

  /** After a settings change (interval): works out the guild's next run again. */
  async reschedule(guildId: string): Promise<void> {
    const schedule = this.#guilds.get(guildId);
    if (!schedule || schedule.running || !this.#started) return;
    await this.#schedule(guildId);
  }

  async start(): Promise<void> {
    if (this.#started) return;
    this.#started = true;
    for (const guildId of this.#guilds.keys()) await this.#schedule(guildId);
  }

  /** Stops scheduling; runs already going are stopped by BulkSync.stop(). */
  stop(): void {
    this.#started = false;
    for (const schedule of this.#guilds.values()) {
      if (schedule.timer) clearTimeout(schedule.timer);
      schedule.timer = undefined;
      schedule.dueAt = undefined;
    }
  }

  /** When the guild's next background run is due; undefined when not scheduled here. */
  nextRunFor(guildId: string): Date | undefined {
    const dueAt = this.#guilds.get(guildId)?.dueAt;
    return dueAt === undefined ? undefined : new Date(dueAt);
  }

  /** Whether the guild's background sync is handled by this process. */
  handles(guildId: string): boolean {
    return this.#guilds.has(guildId) && this.options.ownsGuild(guildId);
  }

  async #intervalFor(guildId: string): Promise<number> {
    return (await this.options.repositories.guilds.get(guildId))?.syncIntervalMs ?? this.options.defaultIntervalMs;
  }

  async #lastRunAt(guildId: string): Promise<Date | null> {
    const last = (await this.options.repositories.syncRuns.listLatest(guildId, 5)).find((run) => !run.dryRun);
    return last ? new Date(last.startedAt) : null;
  }

  /** `lastRunAt` undefined: read from the stored runs. */
  async #schedule(guildId: string, knownLastRunAt?: Date | null): Promise<void> {
    let lastRunAt: Date | null;
    let intervalMs: number;
    try {
      lastRunAt = knownLastRunAt === undefined ? await this.#lastRunAt(guildId) : knownLastRunAt;
      intervalMs = await this.#intervalFor(guildId);
    } catch (error) {
      // The store is unreachable (e.g. PostgreSQL restarting): try again shortly, never give the guild up.
      this.options.logger.warn({ err: error, guildId }, "could not schedule the guild's sync; trying again in a minute");
      const schedule = this.#guilds.get(guildId);
      if (!schedule || !this.#started) return;
      if (schedule.timer) clearTimeout(schedule.timer);
      schedule.timer = setTimeout(() => void this.#schedule(guildId, knownLastRunAt), this.options.retryMs ?? 60_000);
      schedule.timer.unref?.();
      return;
    }
    const schedule = this.#guilds.get(guildId);
    if (!schedule || !this.#started) return;
    if (schedule.timer) clearTimeout(schedule.timer);
    const now = this.#now();
    const due = nextRunAt({ lastRunAt, now: new Date(now), intervalMs, random: this.#random }).getTime();
    schedule.dueAt = due;
    this.#arm(guildId, schedule, due);
  }

  #arm(guildId: string, schedule: GuildSchedule, due: number): void {
    const delay = Math.max(0, due - this.#now());
    schedule.timer = setTimeout(() => {
      if (delay > MAX_TIMER_MS) this.#arm(guildId, schedule, due);
      else void this.#fire(guildId);
    }, Math.min(delay, MAX_TIMER_MS));
    // The gateway keeps the process alive; a pending sync alone should not.
    schedule.timer.unref?.();
  }

  async #fire(guildId: string): Promise<void> {
    const schedule = this.#guilds.get(guildId);
    if (!schedule || !this.#started || schedule.running) return;
    schedule.timer = undefined;
    schedule.dueAt = undefined;
    const startedAt = new Date(this.#now());
    if (!this.options.ownsGuild(guildId)) {
      await this.#schedule(guildId, startedAt);
      return;
    }
    schedule.running = true;
    const log = this.options.logger.child({ guildId });
    const lease = await this.#lease(guildId, log);
    if (lease === "held") {
      schedule.running = false;
      log.info("scheduled sync skipped: another process holds the guild's lease");
      if (this.#guilds.get(guildId) === schedule) await this.#schedule(guildId, startedAt);
      return;
    }
    const renewal = lease && setInterval(() => void lease.renew().catch(() => false), LEASE_TTL_MS / 3);
    try {
      const result = await this.options.bulkSync.runBackground(guildId, {
        onStart: () => log.info(AUTOMATIC_SYNC_STARTED),
        onUpdate: (entry) => log.info(updateLogLine(entry)),
      });
      if (result.kind === "ran") {
        const { outcome } = result;
        log.info(
          { runId: outcome.runId, state: outcome.state, skipped: outcome.skipped },
          automaticSyncCompleted(outcome.updated, outcome.inSync, outcome.errors),
        );
      } else {
        log.debug({ reason: result.reason }, "automatic sync skipped");
      }
    } catch (error) {
      log.error({ err: error }, "automatic sync could not run");
    } finally {
      schedule.running = false;
      clearInterval(renewal);
      await lease?.release().catch(() => undefined);
    }
    if (this.#guilds.get(guildId) === schedule) await this.#schedule(guildId, startedAt);
  }

  /** The guild's run lease; "held" when another process has it; undefined without leases or when they cannot be asked. */
  async #lease(guildId: string, log: Logger): Promise<Awaited<ReturnType<SchedulerLeases["acquire"]>> | "held"> {
    if (!this.options.leases) return undefined;
    try {
      return (await this.options.leases.acquire(`sync:guild:${guildId}`, LEASE_TTL_MS)) ?? "held";
    } catch (error) {
      // Redis away: the shard alone decides, as in one process; the run is not put off for it.
      log.warn({ err: error }, "could not take the scheduled sync's lease; running on shard ownership alone");
      return undefined;
    }
  }
}
