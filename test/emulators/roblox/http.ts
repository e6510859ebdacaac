/** Response helpers for the three error shapes Roblox uses, and the per-request context. */
import type { RobloxApiClass, RobloxService } from "./types.ts";

/** Open Cloud v2 error codes → HTTP status ([ERRORS]). */
export const V2_STATUS = {
  INVALID_ARGUMENT: 400,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  NOT_IMPLEMENTED: 501,
  UNAVAILABLE: 503,
} as const;
export type V2Code = keyof typeof V2_STATUS;

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", ...headers },
  });
}

/** Legacy hosts (Kestrel / ASP.NET): JSON plus `cache-control: no-cache`. */
export function legacyJson(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return json(body, status, { "cache-control": "no-cache", ...headers });
}

/** Open Cloud v2 endpoint error: `{"code":"NOT_FOUND","message":"..."}`. */
export function v2Error(code: V2Code, message: string, headers: Record<string, string> = {}): Response {
  return json({ code, message }, V2_STATUS[code], headers);
}

/** API gateway error (auth, routing): `{"errors":[{"code":0,"message":"Invalid API Key"}]}`. */
export function gatewayError(status: number, message: string, headers: Record<string, string> = {}): Response {
  return json({ errors: [{ code: 0, message }] }, status, headers);
}

/**
 * Legacy BEDEV1 error. Controller errors carry `userFacingMessage`; errors raised before the
 * controller (auth, CSRF, model binding) do not.
 */
export function legacyError(
  status: number,
  code: number,
  message: string,
  options: { userFacingMessage?: string | false; headers?: Record<string, string> } = {},
): Response {
  const error: Record<string, unknown> = { code, message };
  if (options.userFacingMessage !== false) error.userFacingMessage = options.userFacingMessage ?? "Something went wrong";
  return legacyJson({ errors: [error] }, status, options.headers);
}

export const AUTH_DENIED = "Authorization has been denied for this request.";
export const REQUEST_INVALID = "The request is invalid.";

export const legacyUnauthorized = () => legacyError(401, 0, AUTH_DENIED, { userFacingMessage: false });
export const legacyBadRequest = (message = REQUEST_INVALID) => legacyError(400, 0, message, { userFacingMessage: false });
/** Unknown route or a path parameter that does not bind (e.g. a non-numeric id). */
export const legacyNotFound = () => legacyJson({ errors: [{ code: 404, message: "NotFound" }] }, 404);

export interface RequestContext {
  req: Request;
  method: string;
  service: RobloxService;
  /** Path without the service prefix, `%3A` decoded to `:`. */
  path: string;
  query: URLSearchParams;
  headers: Headers;
  bodyText: string;
  now: number;
  /** Filled in by handlers for the request log. */
  meta: { apiClass?: RobloxApiClass };
}

/** Parses a JSON body; undefined when the body is empty or not JSON. */
export function jsonBody(ctx: RequestContext): { ok: true; value: unknown } | { ok: false } {
  if (ctx.bodyText.trim() === "") return { ok: false };
  try {
    return { ok: true, value: JSON.parse(ctx.bodyText) };
  } catch {
    return { ok: false };
  }
}

export const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** A positive int64-ish id from a path segment, or undefined. */
export function parseId(segment: string | undefined): number | undefined {
  if (!segment || !/^\d{1,16}$/.test(segment)) return undefined;
  const id = Number(segment);
  return Number.isSafeInteger(id) && id > 0 ? id : undefined;
}

/** Cookie header value of `name`. */
export function cookieValue(headers: Headers, name: string): string | undefined {
  const header = headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

export type Handler = (ctx: RequestContext, params: string[]) => Response | Promise<Response>;

export interface Route<Extra = object> {
  method: string;
  pattern: RegExp;
  handler: Handler;
  extra?: Extra;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Finds the route for a method + path. */
export function matchRoute<E>(routes: Route<E>[], method: string, path: string): { route: Route<E>; params: string[] } | undefined {
  for (const route of routes) {
    if (route.method !== method) continue;
    const m = route.pattern.exec(path);
    if (m) return { route, params: m.slice(1).map((p) => safeDecode(p ?? "")) };
  }
  return undefined;
}
