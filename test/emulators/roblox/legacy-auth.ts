/**
 * Legacy cookie sessions and the CSRF exchange (notes §2.4), plus auth.roblox.com `POST /v2/logout`.
 *
 * A mutating request without its session's current `X-CSRF-TOKEN` gets 403
 * `{"errors":[{"code":0,"message":"Token Validation Failed"}]}` with the current token in the
 * `x-csrf-token` response header; clients retry once with it. The CSRF check comes first and also
 * applies to anonymous sessions (Roblox hands anonymous callers tokens too, e.g. for login); the
 * retry without a valid cookie is then 401 code 0. Logout is the usual token prefetch: without a
 * token it answers 403 + token and does nothing; with the token it really logs out (the cookie
 * stops working).
 */
import type { EmulatorEnv } from "./env.ts";
import { cookieValue, legacyError, legacyJson, legacyNotFound, legacyUnauthorized, type RequestContext } from "./http.ts";

export interface LegacySession {
  cookie: string;
  userId: number;
}

/** The authenticated session of a request, or the 401 to send. */
export function requireSession(env: EmulatorEnv, ctx: RequestContext): LegacySession | Response {
  const cookie = cookieValue(ctx.headers, ".ROBLOSECURITY");
  const userId = env.auth.userForCookie(cookie);
  if (cookie === undefined || userId === undefined || !env.state.users.has(userId)) return legacyUnauthorized();
  return { cookie, userId };
}

/**
 * undefined when the request carries its session's current CSRF token, else the 403 to send. The
 * session is the cookie when it is a valid one, else the anonymous session.
 */
export function checkCsrf(env: EmulatorEnv, ctx: RequestContext): Response | undefined {
  const cookie = cookieValue(ctx.headers, ".ROBLOSECURITY");
  const valid = cookie !== undefined && env.auth.userForCookie(cookie) !== undefined;
  const current = env.auth.csrfToken(valid ? cookie : undefined);
  if (ctx.headers.get("x-csrf-token") === current) return undefined;
  return legacyError(403, 0, "Token Validation Failed", {
    userFacingMessage: false,
    headers: { "x-csrf-token": current, "access-control-expose-headers": "X-CSRF-TOKEN" },
  });
}

export function createLegacyAuthHandler(env: EmulatorEnv): (ctx: RequestContext) => Response {
  return (ctx) => {
    if (ctx.method !== "POST" || ctx.path !== "/v2/logout") return legacyNotFound();
    const csrf = checkCsrf(env, ctx);
    if (csrf) return csrf;
    const session = requireSession(env, ctx);
    if (session instanceof Response) return session;
    env.auth.removeCookie(session.cookie);
    return legacyJson({});
  };
}
