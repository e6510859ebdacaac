/**
 * The choice behind the Roblox budget shared across processes (docs/cluster.md): bottleneck's own
 * Redis clustering against rate-limiter-flexible's RateLimiterRedis (what src/cluster/roblox-budget.ts
 * uses), on the machine's Redis.
 *
 *   bun bench/cluster-limiter.ts            (REDIS_TEST_URL, default redis://127.0.0.1:6379)
 *
 * For each: two limiters on separate connections (two processes) sharing 2,000 grants a second,
 * 2,000 grants taken between them, wall time and Redis round trips per grant; then Redis loses its
 * keys (a restart without persistence, FLUSHDB-like: the bench deletes only its own prefix) and
 * 20 more grants are asked for: how many succeed.
 */
import Bottleneck from "bottleneck";
import { Redis } from "ioredis";
import { openRedis } from "../src/cluster/redis.ts";
import { RedisRobloxBudget } from "../src/cluster/roblox-budget.ts";
import { createLogger } from "../src/observability/logger.ts";

const url = process.env.REDIS_TEST_URL ?? "redis://127.0.0.1:6379";
const GRANTS = 2_000;
const prefix = `rankbridge-bench:${crypto.randomUUID().slice(0, 8)}:`;
const admin = new Redis(url);

/** Deletes the bench's keys (bottleneck names its own `b_<id>_…`). */
async function dropKeys(): Promise<number> {
  const keys = [...(await admin.keys(`${prefix}*`)), ...(await admin.keys(`b_${prefix}*`))];
  if (keys.length > 0) await admin.del(...keys);
  return keys.length;
}

async function bottleneckRun() {
  const make = () =>
    new Bottleneck({
      id: `${prefix}bottleneck`,
      datastore: "ioredis",
      clearDatastore: false,
      clientOptions: { host: new URL(url).hostname, port: Number(new URL(url).port || 6379) },
      reservoir: GRANTS * 2,
      maxConcurrent: null,
    });
  const limiters = [make(), make()];
  await Promise.all(limiters.map((l) => l.ready()));
  const started = performance.now();
  await Promise.all(Array.from({ length: GRANTS }, (_, i) => limiters[i % 2]!.schedule(async () => undefined)));
  const ms = performance.now() - started;
  const removed = await dropKeys();
  let ok = 0;
  let error = "";
  for (let i = 0; i < 20; i++) {
    try {
      await limiters[i % 2]!.schedule(async () => undefined);
      ok++;
    } catch (e) {
      error = String((e as Error).message);
    }
  }
  await Promise.all(limiters.map((l) => l.disconnect(false)));
  return { ms, removed, ok, error };
}

async function flexibleRun() {
  const logger = createLogger({ level: "silent" });
  const connections = [openRedis(url, prefix, logger), openRedis(url, prefix, logger)];
  await Promise.all(connections.map((c) => c.readyWithin(2_000)));
  const budgets = connections.map((c) => new RedisRobloxBudget(c, "bench"));
  const take = (i: number) => budgets[i % 2]!.take("groups.memberships", GRANTS * 2, 60_000, () => undefined);
  const started = performance.now();
  await Promise.all(Array.from({ length: GRANTS }, (_, i) => take(i)));
  const ms = performance.now() - started;
  const removed = await dropKeys();
  let ok = 0;
  let error = "";
  for (let i = 0; i < 20; i++) {
    try {
      await take(i);
      ok++;
    } catch (e) {
      error = String((e as Error).message);
    }
  }
  await Promise.all(connections.map((c) => c.close()));
  return { ms, removed, ok, error };
}

const info = await admin.info("server");
console.log(`redis ${/redis_version:(\S+)/.exec(info)?.[1]}, ${GRANTS} grants between two connections\n`);
for (const [name, run] of [
  ["bottleneck (datastore ioredis)", bottleneckRun],
  ["RateLimiterRedis (roblox-budget.ts)", flexibleRun],
] as const) {
  const r = await run();
  console.log(
    `${name}: ${r.ms.toFixed(0)} ms, ${((r.ms * 1000) / GRANTS).toFixed(0)} µs a grant; after its ${r.removed} keys were lost: ${r.ok}/20 grants${r.error ? ` (error: ${r.error})` : ""}`,
  );
}
await dropKeys();
admin.disconnect();
