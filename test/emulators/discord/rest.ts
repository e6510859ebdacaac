// HTTP entry point for /api/v{9,10}/...: path decoding (%40original), injected failures, routing,
// bot-token auth, rate limits and their headers, body parsing, error bodies, and request recording.
import { seededRandom } from "../seeded-random.ts";
import { Errors, HttpError } from "./errors.ts";
import { type RateLimiter, bucket429, bucketHeaders, global429, type BucketResult } from "./ratelimit.ts";
import { Router, type RouteDef, type RouteMatch, type RouteRequest } from "./router.ts";
import type { BucketConfig, FailMatch, FailResponse, RecordedRequest } from "./types.ts";

export interface RestOptions {
  token: string;
  latencyMs: number;
  recordRequests: boolean;
  buckets: { memberRole: BucketConfig; memberPatch: BucketConfig; default: BucketConfig };
  /** A user's OAuth2 access token's grant, or undefined when the token is unknown or expired. */
  bearer?: (token: string) => { userId: string; scopes: readonly string[] } | undefined;
}

interface FailRule {
  match: FailMatch;
  response: FailResponse;
  remaining: number;
}

interface Outcome {
  status: number;
  body?: unknown;
  headers: Record<string, string>;
}

const STATUS_TEXT: Record<number, string> = { 400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable" };

export class RestServer {
  readonly router = new Router();
  readonly requests: RecordedRequest[] = [];
  invalidRequests = 0;
  private failRules: FailRule[] = [];
  private readonly random = seededRandom(0x5eed);

  constructor(
    private readonly limiter: RateLimiter,
    readonly opts: RestOptions,
  ) {}

  addRoutes(defs: RouteDef[]): void {
    for (const d of defs) this.router.add(d);
  }

  failNext(match: FailMatch, response: FailResponse, times: number): void {
    this.failRules.push({ match, response, remaining: match.untilMs !== undefined ? Infinity : times });
  }

  async handle(req: Request): Promise<Response> {
    const url = new URL(req.url);
    let segments: string[];
    try {
      segments = url.pathname.split("/").filter(Boolean).map(decodeURIComponent);
    } catch {
      segments = url.pathname.split("/").filter(Boolean);
    }
    const path = `/${segments.join("/")}`;
    const half = this.opts.latencyMs / 2;
    if (half > 0) await Bun.sleep(half);

    const { outcome, match, body } = await this.process(req, url, segments, path);
    if (outcome.status === 401 || outcome.status === 403 || (outcome.status === 429 && outcome.headers["X-RateLimit-Scope"] !== "shared")) {
      this.invalidRequests++;
    }
    if (this.opts.recordRequests) {
      this.requests.push({
        method: req.method,
        path,
        route: match?.template,
        query: Object.fromEntries(url.searchParams),
        headers: Object.fromEntries(req.headers),
        body,
        status: outcome.status,
        responseBody: outcome.body,
        at: Date.now(),
      });
    }
    if (half > 0) await Bun.sleep(half);
    if (outcome.status === 204 || outcome.body === undefined) return new Response(null, { status: outcome.status, headers: outcome.headers });
    const isText = typeof outcome.body === "string";
    return new Response(isText ? (outcome.body as string) : JSON.stringify(outcome.body), {
      status: outcome.status,
      headers: { "Content-Type": isText ? "text/plain" : "application/json", ...outcome.headers },
    });
  }

  private async process(
    req: Request,
    url: URL,
    segments: string[],
    path: string,
  ): Promise<{ outcome: Outcome; match?: RouteMatch; body?: unknown }> {
    const fail = this.takeFailure(req.method, path);
    if (fail) {
      const body = await readBody(req).catch(() => undefined);
      const fallback = { message: `${fail.status}: ${STATUS_TEXT[fail.status] ?? "Error"}`, code: 0 };
      return { outcome: { status: fail.status, body: fail.status === 204 ? undefined : fail.body ?? fallback, headers: { ...fail.headers } }, body: body?.json };
    }
    if (segments[0] !== "api") return { outcome: errorOutcome(Errors.notFound()) };
    let rest = segments.slice(1);
    const version = /^v(\d+)$/.exec(rest[0] ?? "");
    if (version) {
      if (version[1] !== "10" && version[1] !== "9") return { outcome: errorOutcome(Errors.invalidApiVersion()) };
      rest = rest.slice(1);
    }
    const match = this.router.match(req.method, rest);
    if (match === undefined) return { outcome: errorOutcome(Errors.notFound()) };
    if (match === "method-not-allowed") return { outcome: errorOutcome(Errors.methodNotAllowed()) };
    const def = match.def;
    const auth = req.headers.get("authorization");

    let parsed: { json?: unknown; files: string[] } = { files: [] };
    let parseError: HttpError | undefined;
    try {
      parsed = await readBody(req);
    } catch (e) {
      parseError = e instanceof HttpError ? e : Errors.invalidJson();
    }

    let caller: RouteRequest["caller"];
    if (def.auth !== "none") {
      const bearer = def.auth === "bot-or-bearer" ? /^Bearer (\S+)$/.exec(auth ?? "") : null;
      const grant = bearer ? this.opts.bearer?.(bearer[1]!) : undefined;
      if (grant) caller = { kind: "bearer", userId: grant.userId, scopes: grant.scopes };
      else if (auth === `Bot ${this.opts.token}`) caller = { kind: "bot" };
      else return { outcome: errorOutcome(Errors.unauthorized()), match, body: parsed.json };
    }

    const now = Date.now();
    const rlHeaders: Record<string, string> = {};
    const globalKey = auth ?? "anonymous";
    if (def.global) {
      const g = this.limiter.takeGlobal(globalKey, now);
      if (!g.ok) {
        const r = global429(g.retryAfterMs);
        return { outcome: { status: 429, body: r.body, headers: r.headers }, match, body: parsed.json };
      }
    }
    let bucket: BucketResult | undefined;
    if (def.bucket !== "none") {
      const cfg = def.bucket === "memberRole" ? this.opts.buckets.memberRole : def.bucket === "memberPatch" ? this.opts.buckets.memberPatch : this.opts.buckets.default;
      // PUT and DELETE member role share one bucket, as on Discord; other routes get one per route.
      const name = def.bucket === "memberRole" ? "member-role" : def.bucket === "memberPatch" ? "member-patch" : match.template;
      const p = match.params;
      const major = p.guild_id ?? p.channel_id ?? (p.webhook_id ? `${p.webhook_id}/${p.webhook_token ?? ""}` : "");
      bucket = this.limiter.takeBucket(name, major, cfg, now);
      if (!bucket.ok) {
        if (def.global) this.limiter.refundGlobal(globalKey);
        const r = bucket429(bucket, now);
        return { outcome: { status: 429, body: r.body, headers: r.headers }, match, body: parsed.json };
      }
      Object.assign(rlHeaders, bucketHeaders(bucket, now));
    }
    if (parseError) return { outcome: { ...errorOutcome(parseError), headers: { ...rlHeaders } }, match, body: parsed.json };

    try {
      const result = await def.handler({ params: match.params, query: url.searchParams, body: parsed.json, headers: req.headers, files: parsed.files, caller });
      return { outcome: { status: result.status, body: result.body, headers: { ...rlHeaders, ...(result.headers ?? {}) } }, match, body: parsed.json };
    } catch (e) {
      if (e instanceof HttpError) return { outcome: { ...errorOutcome(e), headers: { ...rlHeaders, ...e.headers } }, match, body: parsed.json };
      console.error("[discord-emulator] handler crashed:", e);
      return { outcome: { status: 500, body: { message: "500: Internal Server Error", code: 0 }, headers: rlHeaders }, match, body: parsed.json };
    }
  }

  private takeFailure(method: string, path: string): FailResponse | undefined {
    const now = Date.now();
    this.failRules = this.failRules.filter((r) => r.match.untilMs === undefined || r.match.untilMs > now);
    const i = this.failRules.findIndex(
      (r) =>
        (!r.match.method || r.match.method.toUpperCase() === method) &&
        (!r.match.pathIncludes || path.includes(r.match.pathIncludes)) &&
        (r.match.rate === undefined || this.random() < r.match.rate),
    );
    if (i < 0) return undefined;
    const rule = this.failRules[i]!;
    if (--rule.remaining <= 0) this.failRules.splice(i, 1);
    return rule.response;
  }
}

function errorOutcome(e: HttpError): Outcome {
  return { status: e.status, body: e.body, headers: { ...e.headers } };
}

/**
 * JSON bodies, multipart bodies whose `payload_json` part carries the JSON (file uploads), or an
 * urlencoded form (the OAuth2 token exchange) as an object of its fields.
 */
async function readBody(req: Request): Promise<{ json?: unknown; files: string[] }> {
  const type = req.headers.get("content-type") ?? "";
  if (type.startsWith("application/x-www-form-urlencoded")) return { json: Object.fromEntries(new URLSearchParams(await req.text())), files: [] };
  if (type.startsWith("multipart/form-data")) {
    const form = await req.formData();
    const files: string[] = [];
    let json: unknown;
    for (const [key, value] of form.entries()) {
      if (typeof value === "string") {
        if (key === "payload_json") json = JSON.parse(value);
      } else files.push((value as File).name || key);
    }
    return { json, files };
  }
  const text = await req.text();
  if (text.length === 0) return { files: [] };
  try {
    return { json: JSON.parse(text), files: [] };
  } catch {
    throw Errors.invalidJson();
  }
}
