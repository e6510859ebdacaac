/**
 * The one Bun.serve of the emulator: routes `/{service}/...` to the service handlers, records every
 * request, applies latency, injected failures and the (optional) legacy rate limit.
 */
import type { EmulatorEnv } from "./env.ts";
import { droppedConnection, mangleResponse, type Failures } from "./failures.ts";
import { gatewayError, type RequestContext } from "./http.ts";
import { FixedWindowLimiter } from "./ratelimit.ts";
import { ROBLOX_SERVICES, type RecordedRequest, type RobloxService } from "./types.ts";

export type ServiceHandler = (ctx: RequestContext) => Response | Promise<Response>;

export interface ServerOptions {
  port: number;
  env: EmulatorEnv;
  failures: Failures;
  handlers: Record<RobloxService, ServiceHandler>;
  requests: RecordedRequest[];
  record: boolean;
  latencyMs: () => number;
  legacyRateLimit?: { limit: number; windowMs: number };
}

const LEGACY_SERVICES: ReadonlySet<RobloxService> = new Set(["groups", "users", "thumbnails", "auth"]);
const IDEMPOTENT: ReadonlySet<string> = new Set(["GET", "HEAD", "PUT", "DELETE", "OPTIONS"]);

type Server = ReturnType<typeof Bun.serve>;

export function startServer(options: ServerOptions): Server {
  const { env, failures, handlers, requests } = options;
  const legacyLimiter = options.legacyRateLimit ? new FixedWindowLimiter(options.legacyRateLimit.windowMs) : undefined;

  /**
   * Bun's fetch (like other pooled clients) transparently retries an idempotent request (GET,
   * PUT, DELETE) once when a *reused* keep-alive connection closes before any response byte. So
   * that a dropped connection reaches the caller as a rejected fetch, such a drop also drops that
   * immediate retry (same method and target, within RETRY_TRAP_MS; not counted in `times`).
   */
  const RETRY_TRAP_MS = 200;
  const seenConnections = new Set<string>();
  let retryTrap: { method: string; target: string; until: number } | undefined;
  const connectionKey = (req: Request, server: Server) => {
    const address = server.requestIP(req);
    return address ? `${address.address}|${address.port}` : undefined;
  };

  async function handle(req: Request, server: Server): Promise<Response> {
    const now = Date.now();
    env.counts.total++;
    const url = new URL(req.url);
    const m = /^\/([^/]+)(\/.*)?$/.exec(url.pathname);
    const service = m?.[1]?.toLowerCase() as RobloxService | undefined;
    const method = req.method.toUpperCase();
    const bodyText = method === "GET" || method === "HEAD" ? "" : await req.text();
    const path = (m?.[2] ?? "/").replace(/%3A/gi, ":");
    const contentType = req.headers.get("content-type") ?? undefined;
    const record: RecordedRequest = {
      method,
      service: service ?? "",
      path,
      url: url.pathname + url.search,
      query: Object.fromEntries(url.searchParams),
      headers: Object.fromEntries(req.headers),
      body: recordedBody(bodyText, contentType),
      ...(contentType !== undefined ? { contentType } : {}),
      status: 0,
      at: now,
    };
    if (options.record) requests.push(record);

    if (!service || !ROBLOX_SERVICES.includes(service)) {
      record.status = 404;
      return new Response(`Unknown service; expected /{${ROBLOX_SERVICES.join("|")}}/...`, { status: 404 });
    }

    const ctx: RequestContext = { req, method, service, path, query: url.searchParams, headers: req.headers, bodyText, now, meta: {} };
    const target = `/${service}${path}${url.search}`;
    const connection = connectionKey(req, server);
    const reused = connection !== undefined && seenConnections.has(connection);
    if (connection !== undefined) {
      if (seenConnections.size > 50_000) seenConnections.clear(); // bounded; only a heuristic
      seenConnections.add(connection);
    }
    const drop = (): Response => {
      env.counts.injected++;
      record.injected = true;
      if (connection !== undefined) seenConnections.delete(connection);
      return droppedConnection();
    };
    if (retryTrap && retryTrap.method === method && retryTrap.target === target && now <= retryTrap.until) {
      retryTrap = undefined;
      return drop();
    }
    let response: Response;
    try {
      const latency = options.latencyMs();
      if (latency > 0) await Bun.sleep(latency);
      const failure = failures.match(method, service, path, target);
      if (failure.kind !== "none" && failure.delayMs > 0) await Bun.sleep(failure.delayMs);
      if (failure.kind === "drop") {
        if (reused && IDEMPOTENT.has(method)) retryTrap = { method, target, until: Date.now() + RETRY_TRAP_MS };
        return drop();
      }
      if (failure.kind === "respond") {
        env.counts.injected++;
        record.injected = true;
        response = failure.response();
      } else {
        response = await dispatch(service, ctx);
        if (failure.kind === "mangle" && response.status >= 200 && response.status < 300) {
          env.counts.injected++;
          record.injected = true;
          response = await mangleResponse(response, failure.mangle);
        }
      }
    } catch (error) {
      response = gatewayError(500, `Emulator error: ${(error as Error).message}`);
    }
    if (ctx.meta.apiClass) record.apiClass = ctx.meta.apiClass;
    record.status = response.status;
    return response;
  }

  async function dispatch(service: RobloxService, ctx: RequestContext): Promise<Response> {
    if (LEGACY_SERVICES.has(service)) {
      env.counts.legacy++;
      if (legacyLimiter && options.legacyRateLimit) {
        const decision = legacyLimiter.hit("legacy", options.legacyRateLimit.limit, ctx.now);
        if (!decision.allowed) {
          env.counts.legacyRateLimited++;
          return Response.json({ errors: [{ code: 0, message: "Too many requests" }] }, { status: 429 });
        }
      }
    }
    return handlers[service](ctx);
  }

  return Bun.serve({
    hostname: "127.0.0.1",
    port: options.port,
    idleTimeout: 60,
    fetch: handle,
  });
}

function recordedBody(text: string, contentType: string | undefined): unknown {
  if (text === "") return undefined;
  if (contentType && /json/i.test(contentType)) {
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  }
  return text;
}
