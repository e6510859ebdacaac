/**
 * A shutdown that always ends (SIGTERM, `docker stop`): container runtimes kill the process 10 s
 * after the signal, so every state (requests queued on a rate limit, a bulk sync mid-run, a Roblox
 * outage) must be left within that, with nothing lost:
 *
 * 1. Stop taking work: new interactions are told the bot is restarting; no new scheduled sync.
 * 2. Grace (SHUTDOWN_GRACE, default 8 s): commands in flight may finish; the bulk sync is asked to
 *    stop after its current request (it stays "running" in the database and resumes at the next
 *    start); the pending-write worker finishes its attempt (queued writes stay in the database);
 *    the change feed polls no more and finishes the edits it started (its cursor is in the database).
 * 3. Every interaction still waiting is answered with the restart message, and its handler can no
 *    longer send anything.
 * 4. The Roblox clients' queues are dropped, so nothing waits on a rate limit any more; the bulk
 *    run, if it was waiting, now records where it stood.
 * 5. Shards, the HTTP server, the shared state (Redis) and the database are closed. With REDIS_URL
 *    the shards close with a resumable code and their sessions stay in Redis, so the process that
 *    replaces this one RESUMEs them (a rolling restart costs no IDENTIFY).
 *
 * Steps after the grace each have a small budget of their own, so the whole takes at most the
 * grace plus `AFTER_GRACE_BUDGET_MS`.
 */
import type { Logger } from "../observability/logger.ts";

/** Budgets of the steps after the grace; their sum is `AFTER_GRACE_BUDGET_MS`. */
const STEP_BUDGET_MS = { answer: 600, dropQueues: 200, settleSync: 400, shards: 400, http: 200, shared: 200 } as const;
export const AFTER_GRACE_BUDGET_MS = Object.values(STEP_BUDGET_MS).reduce((sum, ms) => sum + ms, 0);

export interface ShutdownParts {
  router: { stopAccepting(): void; drain(): Promise<void>; abandonWaiting(message: string): Promise<number> };
  scheduler: { stop(): void };
  /** The dashboard's sync request queue: stops reading it; a request being acted on finishes. */
  syncRequests?: { stop(): Promise<void> };
  bulkSync: { stop(budgetMs: number): Promise<void> };
  pendingWrites: { stop(): Promise<void> };
  /** The Roblox change feed: stops polling; edits in flight finish and its cursor is saved. */
  changeFeed?: { stop(): Promise<void> } | undefined;
  robloxClients: readonly { close(): Promise<void> }[];
  gateway: { destroy(reason: string): Promise<void> };
  http: { stop(): Promise<void> } | undefined;
  /** What the processes share (Redis): pending session writes flushed, connection closed. */
  cluster: { close(): Promise<void> };
  database: { close(): Promise<void> };
  logger: Logger;
}

export interface ShutdownOptions {
  reason: string;
  graceMs: number;
  /** What a member still waiting is told. */
  restartMessage: string;
}

export async function shutDown(parts: ShutdownParts, options: ShutdownOptions): Promise<void> {
  const { logger } = parts;
  const started = Date.now();
  logger.info({ reason: options.reason, graceMs: options.graceMs }, "shutting down");

  parts.router.stopAccepting();
  parts.scheduler.stop();
  const settled = await within(
    options.graceMs,
    Promise.allSettled([
      parts.router.drain(),
      parts.bulkSync.stop(options.graceMs),
      parts.pendingWrites.stop(),
      parts.changeFeed?.stop() ?? Promise.resolve(),
      parts.syncRequests?.stop() ?? Promise.resolve(),
    ]),
  );
  if (!settled) logger.warn({ graceMs: options.graceMs }, "work still running at the end of the shutdown grace");

  const answered = await within(STEP_BUDGET_MS.answer, parts.router.abandonWaiting(options.restartMessage));
  if (answered) logger.info({ interactions: answered.value }, "told waiting members the bot is restarting");

  await within(STEP_BUDGET_MS.dropQueues, Promise.allSettled(parts.robloxClients.map((client) => client.close())));
  await within(STEP_BUDGET_MS.settleSync, parts.bulkSync.stop(STEP_BUDGET_MS.settleSync));
  await within(STEP_BUDGET_MS.shards, parts.gateway.destroy(options.reason));
  if (parts.http) await within(STEP_BUDGET_MS.http, parts.http.stop());
  await within(STEP_BUDGET_MS.shared, parts.cluster.close());
  await parts.database.close();
  logger.info({ ms: Date.now() - started }, "shutdown complete");
}

/** The promise's outcome if it settles within `ms` (a rejection is logged by the caller's parts), else undefined. */
async function within<T>(ms: number, promise: Promise<T>): Promise<{ value: T } | undefined> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([promise.then((value) => ({ value }), () => undefined), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
