/**
 * A cluster of real bot processes (`bun src/main.ts`, one per shard of SHARD_COUNT) sharing one
 * PostgreSQL database and one Redis, against the emulators of a ClusterWorld
 * (test/support/cluster-world.ts): design §8 as an operator runs it.
 *
 *   const world = await startClusterWorld({ guilds: [{ shard: 0, groupId: 7 }, { shard: 1, groupId: 7 }] });
 *   const cluster = await Cluster.start(world, { databaseUrl, redisUrl, env: { SYNC_INTERVAL: "3s" } });
 *   await cluster.untilReady();                 // every process's /readyz 200
 *   cluster.process(1).logs ...; await cluster.restart(1, "SIGKILL");
 *   await cluster.stop();                       // SIGKILLs what is left, removes temporary files
 *
 * Every process of a shard ever started stays in `history(shard)`, so a test can read the logs of
 * a process it killed. The processes are started directly (not `bun run start`) so that SIGKILL
 * reaches the bot itself: `bun run` cannot pass SIGKILL on, and its child would stay connected.
 */
import type { RecordedRequest } from "../emulators/roblox/index.ts";
import { BotProcess, eventually, type LogLine } from "./bot-process.ts";
import type { ClusterWorld } from "./cluster-world.ts";
import { uniquePrefix } from "./redis.ts";

export interface ClusterOptions {
  /** DATABASE_URL shared by every process (a scratch database: test/db/pg-helpers.ts). */
  databaseUrl: string;
  /** REDIS_URL shared by every process (PrivateRedis when a test stops it). */
  redisUrl: string;
  /** REDIS_PREFIX; default a fresh one, so clusters never see each other's keys. */
  redisPrefix?: string;
  /** Environment for every process, over the defaults (LOG_LEVEL info, the world's URLs and key). */
  env?: Record<string, string>;
  /** Shards to start (default all of the world's, 0 … shardCount-1), one process each, all at once. */
  shards?: readonly number[];
}

export interface Readyz {
  ready: boolean;
  database?: { ok: boolean };
  redis?: { ok: boolean };
  shards: { id: number; status: string; ready: boolean }[];
  [part: string]: unknown;
}

export class Cluster {
  readonly prefix: string;
  readonly #processes = new Map<number, BotProcess>();
  readonly #history = new Map<number, BotProcess[]>();
  /** Processes this harness sent a signal to: their exits were asked for. */
  readonly #signalled = new Set<BotProcess>();

  private constructor(
    readonly world: ClusterWorld,
    private readonly options: ClusterOptions,
  ) {
    this.prefix = options.redisPrefix ?? uniquePrefix("cluster");
  }

  /** Starts one process per shard at the same moment; does not wait for them (see `untilReady`). */
  static start(world: ClusterWorld, options: ClusterOptions): Cluster {
    const cluster = new Cluster(world, options);
    const shards = options.shards ?? Array.from({ length: world.shardCount }, (_, shard) => shard);
    for (const shard of shards) cluster.startShard(shard);
    return cluster;
  }

  /** The environment a process of `shard` runs with. */
  env(shard: number): Record<string, string> {
    return {
      DISCORD_TOKEN: this.world.discord.token,
      DISCORD_API_URL: this.world.discord.restBase,
      ROBLOX_API_URL: this.world.roblox.urlTemplate,
      ROBLOX_API_KEY: this.world.apiKey,
      SHARD_COUNT: String(this.world.shardCount),
      SHARD_IDS: String(shard),
      DATABASE_URL: this.options.databaseUrl,
      REDIS_URL: this.options.redisUrl,
      REDIS_PREFIX: this.prefix,
      LOG_LEVEL: "info",
      ...this.options.env,
    };
  }

  /** Starts a process for `shard` (after a previous one exited: the process an operator starts again). */
  startShard(shard: number): BotProcess {
    const running = this.#processes.get(shard);
    if (running && alive(running)) throw new Error(`shard ${shard} already has a running process (pid ${running.process.pid})`);
    const bot = BotProcess.start(this.env(shard), { command: ["bun", "src/main.ts"] });
    this.#processes.set(shard, bot);
    this.#history.set(shard, [...(this.#history.get(shard) ?? []), bot]);
    return bot;
  }

  /** The current process of `shard`. */
  process(shard: number): BotProcess {
    const bot = this.#processes.get(shard);
    if (!bot) throw new Error(`no process was started for shard ${shard}`);
    return bot;
  }

  /** Every process ever started for `shard`, oldest first. */
  history(shard: number): readonly BotProcess[] {
    return this.#history.get(shard) ?? [];
  }

  /** Log lines of every process of `shard` so far (killed ones included), in order. */
  logsOf(shard: number): LogLine[] {
    return this.history(shard).flatMap((bot) => bot.logs);
  }

  get shards(): number[] {
    return [...this.#processes.keys()].sort((a, b) => a - b);
  }

  alive(shard: number): boolean {
    return alive(this.process(shard));
  }

  /** Sends `signal` to the shard's process and resolves with its exit code. */
  async kill(shard: number, signal: "SIGKILL" | "SIGTERM"): Promise<number> {
    const bot = this.process(shard);
    this.#signalled.add(bot);
    bot.process.kill(signal);
    return bot.exited;
  }

  /** Processes that exited without being killed here ("no process exits because a shared service went away"). */
  unexpectedExits(): { shard: number; pid: number; exitCode: number | null; signal: string | null; stderr: string }[] {
    return [...this.#history.entries()].flatMap(([shard, bots]) =>
      bots
        .filter((bot) => !alive(bot) && !this.#signalled.has(bot))
        .map((bot) => ({ shard, pid: bot.process.pid, exitCode: bot.process.exitCode, signal: bot.process.signalCode === null ? null : String(bot.process.signalCode), stderr: bot.stderr.slice(-2_000) })),
    );
  }

  async readyz(shard: number): Promise<{ status: number; body: Readyz }> {
    const response = await fetch(`${await this.process(shard).httpUrl()}/readyz`);
    return { status: response.status, body: (await response.json()) as Readyz };
  }

  /** Waits until the shard's process (default: every process) answers /readyz 200; returns the last answer. */
  async untilReady(shard?: number, timeoutMs = 30_000): Promise<{ status: number; body: Readyz }> {
    if (shard === undefined) {
      const answers = await Promise.all(this.shards.map((s) => this.untilReady(s, timeoutMs)));
      return answers[answers.length - 1]!;
    }
    const answer = await eventually(
      () => this.readyz(shard).catch((error: unknown) => ({ status: 0, body: { ready: false, shards: [], error: String(error) } as Readyz })),
      (r) => r.status === 200,
      timeoutMs,
      50,
    );
    if (answer.status !== 200) {
      const bot = this.process(shard);
      throw new Error(
        `the process of shard ${shard} was not ready in ${timeoutMs} ms: ${JSON.stringify(answer)}\n` +
          `last lines:\n${bot.logs.slice(-15).map((l) => JSON.stringify(l)).join("\n")}\nstderr:\n${bot.stderr}`,
      );
    }
    return answer;
  }

  /** The shard's process's /metrics text. */
  async metrics(shard: number): Promise<string> {
    return (await fetch(`${await this.process(shard).httpUrl()}/metrics`)).text();
  }

  /** Roblox requests to a group's routes (its memberships, roles, audit log) since `since` (an index into `requests`). */
  robloxRequestsFor(groupId: number, since = 0): RecordedRequest[] {
    return this.world.roblox.requests.slice(since).filter((request) => request.path.includes(`/groups/${groupId}/`));
  }

  /** SIGKILLs every process ever started (their process groups) and removes their temporary files. */
  stop(): void {
    for (const bots of this.#history.values()) for (const bot of bots) bot.cleanup();
  }
}

function alive(bot: BotProcess): boolean {
  return bot.process.exitCode === null && bot.process.signalCode === null;
}
