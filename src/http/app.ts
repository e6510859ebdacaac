import { Hono } from "hono";
import type { Metrics } from "../observability/metrics.ts";

/** What `/readyz` reports: each part that must be healthy for the bot to serve. */
export interface ReadinessReport {
  ready: boolean;
  shards: { id: number; status: string; ready: boolean }[];
  database: { ok: boolean };
  /** Present when REDIS_URL is set: the state the processes share. */
  redis?: { ok: boolean };
  /** Start-up verification of the Roblox credentials; informative, it does not block readiness. */
  roblox?: unknown;
}

export interface HttpAppDependencies {
  metrics: Metrics;
  readiness: () => Promise<ReadinessReport> | ReadinessReport;
  /** Extra routes mounted by the features that own them (the OAuth callback, the dashboard); undefined entries are features turned off. */
  routes?: ReadonlyArray<((app: Hono) => void) | undefined>;
}

export function createHttpApp({ metrics, readiness, routes }: HttpAppDependencies): Hono {
  const app = new Hono();

  app.get("/healthz", (c) => c.json({ status: "ok" }));

  app.get("/readyz", async (c) => {
    const report = await readiness();
    return c.json(report, report.ready ? 200 : 503);
  });

  app.get("/metrics", async (c) => {
    c.header("Content-Type", metrics.registry.contentType);
    return c.body(await metrics.registry.metrics());
  });

  for (const mount of routes ?? []) mount?.(app);
  return app;
}
