/**
 * Open Cloud gateway (`/apis/cloud/v2/...`): routing, authentication (x-api-key or OAuth Bearer),
 * and the per-owner, per-class rate limits with their headers on every authenticated response.
 */
import type { Principal } from "./auth.ts";
import type { EmulatorEnv } from "./env.ts";
import { gatewayError, parseId, type RequestContext, v2Error } from "./http.ts";
import { rateLimitHeaders } from "./ratelimit.ts";
import type { RobloxApiClass } from "./types.ts";

export type CloudHandler = (ctx: RequestContext, params: string[], principal: Principal) => Response | Promise<Response>;

export interface CloudRoute {
  method: string;
  pattern: RegExp;
  apiClass: RobloxApiClass;
  handler: CloudHandler;
}

export function createCloudGateway(env: EmulatorEnv, routes: CloudRoute[]): (ctx: RequestContext) => Promise<Response> {
  return async (ctx) => {
    let found: { route: CloudRoute; params: string[] } | undefined;
    for (const route of routes) {
      if (route.method !== ctx.method) continue;
      const m = route.pattern.exec(ctx.path);
      if (m) {
        found = { route, params: m.slice(1).map((p) => decodeSegment(p ?? "")) };
        break;
      }
    }
    if (!found) return gatewayError(404, "Not Found");

    const principal = authenticate(env, ctx);
    if ("error" in principal) return principal.error;

    const apiClass = found.route.apiClass;
    ctx.meta.apiClass = apiClass;
    env.counts.byClass[apiClass]++;
    const limit = (principal.kind === "apiKey" ? env.perKeyLimits : env.perOAuthLimits)[apiClass];
    const decision = env.limiter.hit(`${principal.bucket}|${apiClass}`, limit, ctx.now);
    const headers = rateLimitHeaders(decision);
    if (!decision.allowed) {
      env.counts.rateLimited++;
      env.counts.rateLimitedByClass[apiClass]++;
      return v2Error("RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).", headers);
    }
    const response = await found.route.handler(ctx, found.params, principal);
    for (const [name, value] of Object.entries(headers)) response.headers.set(name, value);
    return response;
  };
}

function authenticate(env: EmulatorEnv, ctx: RequestContext): Principal | { error: Response } {
  const key = ctx.headers.get("x-api-key");
  if (key !== null) {
    return env.auth.principalForKey(key.trim()) ?? { error: gatewayError(401, "Invalid API Key") };
  }
  const authorization = ctx.headers.get("authorization");
  const bearer = authorization && /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
  if (bearer) return env.oauthPrincipal(bearer) ?? { error: gatewayError(401, "Invalid OAuth access token") };
  return { error: gatewayError(401, "Invalid API Key") };
}

function decodeSegment(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

// ---- helpers shared by the Open Cloud route modules ------------------------------------------

/** Membership ids are the unpadded base64 of the decimal user id ([OPENBLOX], [RBXOC]). */
export function membershipId(userId: number): string {
  return Buffer.from(String(userId)).toString("base64").replace(/=+$/, "");
}

/** "A user ID can be used in place of a membership ID." Digits never decode to digits, so a raw id is unambiguous. */
export function parseMembershipId(id: string): number | undefined {
  if (/^\d+$/.test(id)) return parseId(id);
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(id)) return undefined;
  const text = Buffer.from(id, "base64").toString("latin1");
  return /^\d+$/.test(text) ? parseId(text) : undefined;
}

/** `maxPageSize`: default when absent or 0, clamped to the maximum; negative or not a number is INVALID_ARGUMENT. */
export function pageSize(raw: string | null, defaultSize: number, max: number): number | Response {
  if (raw === null || raw === "") return defaultSize;
  if (!/^-?\d+$/.test(raw)) return v2Error("INVALID_ARGUMENT", "Invalid maxPageSize: must be an integer.");
  const n = Number(raw);
  if (n < 0) return v2Error("INVALID_ARGUMENT", "Invalid maxPageSize: must not be negative.");
  if (n === 0) return defaultSize;
  return Math.min(n, max);
}

/** Adds `nextPageToken` to a list response: the token, or on the last page `""` or nothing. */
export function withNextPageToken<T extends object>(env: EmulatorEnv, body: T, token: string | undefined): T & { nextPageToken?: string } {
  if (token) return { ...body, nextPageToken: token };
  return env.nextPageTokenAtEnd === "empty" ? { ...body, nextPageToken: "" } : body;
}

/** Fixed sub-millisecond digits for timestamps that do not change between calls. */
export function stableUpdateTime(ms: number): string {
  return new Date(ms).toISOString().replace("Z", "000000Z");
}
