/**
 * Real Redis for the tests that need one (the cluster's shared state).
 *
 * Policy: the machine's Redis at REDIS_TEST_URL (default redis://127.0.0.1:6379). In CI (CI=true)
 * it must be there: `.ci/run` starts it, and a test that cannot reach it fails with this message
 * rather than skipping. Locally a missing Redis is started from `redis-server` when installed
 * (in-memory, loopback only); without the binary those tests are skipped, and say why.
 *
 * Every test works under a prefix of its own, so tests never see each other's keys. Fault tests
 * start a private `redis-server` on a free port that they may stop and start again.
 */
import { createServer } from "node:net";
import { Redis } from "ioredis";
import { openRedis, type SharedRedis } from "../../src/cluster/redis.ts";
import { createLogger, type Logger } from "../../src/observability/logger.ts";

export const REDIS_TEST_URL = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";
const inCi = process.env.CI === "true";

const redisServerBinary = Bun.which("redis-server");

async function answers(url: string): Promise<boolean> {
  const probe = new Redis(url, { lazyConnect: true, connectTimeout: 500, maxRetriesPerRequest: 0, retryStrategy: () => null });
  probe.on("error", () => undefined);
  try {
    await probe.connect();
    return (await probe.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}

/** Whether the shared test Redis can be had; starts it locally when it is down. Throws in CI when it cannot. */
async function ensureRedis(): Promise<boolean> {
  if (await answers(REDIS_TEST_URL)) return true;
  if (!inCi && redisServerBinary && REDIS_TEST_URL === "redis://127.0.0.1:6379") {
    Bun.spawnSync([redisServerBinary, "--daemonize", "yes", "--bind", "127.0.0.1", "--port", "6379", "--save", "", "--appendonly", "no"]);
    for (let i = 0; i < 20; i++) {
      if (await answers(REDIS_TEST_URL)) return true;
      await Bun.sleep(100);
    }
  }
  if (inCi) throw new Error(`Redis is required in CI and does not answer at ${REDIS_TEST_URL}: .ci/run must start it`);
  return false;
}

/** Resolved once per test file: whether the Redis tests run here. */
export const redisAvailable: boolean = await ensureRedis();
export const redisMissingReason = `no Redis at ${REDIS_TEST_URL}, and none could be started here (CI runs these)`;
/** For `test.skipIf` / `describe.skipIf`: in CI never true (ensureRedis threw instead). */
export const skipWithoutRedis = !redisAvailable;
if (skipWithoutRedis) console.warn(`skipping Redis tests: ${redisMissingReason}`);

export function uniquePrefix(name: string): string {
  return `rankbridge-test:${name}:${crypto.randomUUID().slice(0, 8)}:`;
}

export function quietLogger(): Logger {
  return createLogger({ level: "silent" });
}

/** A shared-state connection as a process opens it, under a prefix of the test's own. */
export async function connectShared(prefix: string, url = REDIS_TEST_URL, logger = quietLogger()): Promise<SharedRedis> {
  const redis = openRedis(url, prefix, logger);
  for (let i = 0; i < 50 && !redis.ready(); i++) await Bun.sleep(20);
  return redis;
}

/** Deletes every key under the prefix (tests clean up after themselves). */
export async function deletePrefix(prefix: string, url = REDIS_TEST_URL): Promise<void> {
  const client = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null });
  client.on("error", () => undefined);
  try {
    const keys = await client.keys(`${prefix}*`);
    if (keys.length > 0) await client.del(...keys);
  } catch {
    // Redis already gone: nothing to clean.
  } finally {
    client.disconnect();
  }
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/** A redis-server of the test's own on a free port, in memory; `stop()` kills it, `start()` brings it back empty. */
export class PrivateRedis {
  #process: ReturnType<typeof Bun.spawn> | undefined;

  private constructor(readonly port: number) {}

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  /** Whether this server was started and not stopped since. */
  get running(): boolean {
    return this.#process !== undefined;
  }

  static async start(): Promise<PrivateRedis> {
    if (!redisServerBinary) throw new Error("redis-server is not installed: the fault tests need it (apt-get install redis-server)");
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  async start(): Promise<void> {
    this.#process = Bun.spawn(
      [redisServerBinary!, "--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"],
      { stdout: "ignore", stderr: "ignore" },
    );
    for (let i = 0; i < 50; i++) {
      if (await answers(this.url)) return;
      await Bun.sleep(50);
    }
    throw new Error(`private redis-server did not start on port ${this.port}`);
  }

  async stop(): Promise<void> {
    const child = this.#process;
    this.#process = undefined;
    if (!child) return;
    child.kill("SIGKILL");
    await child.exited;
  }
}
