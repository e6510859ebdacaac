/**
 * users.roblox.com (notes §2.1): username and id lookups (POST, exempt from CSRF, anonymous),
 * GET user, GET authenticated user (cookie).
 *
 * Choices: `POST /v1/usernames/users` takes at most 100 names (more: code 2); names match
 * case-insensitively, current names before previous ones, each distinct name once with
 * `requestedUsername` echoing the request; `POST /v1/users` takes at most 200 ids (the spec's
 * maxItems; more: code 1).
 */
import type { EmulatorEnv } from "./env.ts";
import {
  cookieValue,
  isRecord,
  jsonBody,
  legacyBadRequest,
  legacyError,
  legacyJson,
  legacyNotFound,
  legacyUnauthorized,
  matchRoute,
  parseId,
  type RequestContext,
  type Route,
} from "./http.ts";
import { isoTime, type UserRecord } from "./state.ts";

const MAX_USERNAMES = 100;
const MAX_USER_IDS = 200;

export function createLegacyUsersHandler(env: EmulatorEnv): (ctx: RequestContext) => Response | Promise<Response> {
  const { state, auth } = env;

  const brief = (u: UserRecord) => ({ hasVerifiedBadge: false, id: u.id, name: u.name, displayName: u.displayName });

  function usernames(ctx: RequestContext): Response {
    const body = jsonBody(ctx);
    if (!body.ok || !isRecord(body.value)) return legacyBadRequest();
    const { usernames: names, excludeBannedUsers } = body.value;
    if (!Array.isArray(names) || names.some((n) => typeof n !== "string")) return legacyBadRequest();
    if (names.length > MAX_USERNAMES) return legacyError(400, 2, "Too many usernames.");
    const seen = new Set<string>();
    const data = [];
    for (const requested of names as string[]) {
      const key = requested.toLowerCase();
      if (seen.has(key)) continue;
      seen.add(key);
      const user = state.userByName(requested);
      if (!user || (excludeBannedUsers === true && user.isBanned)) continue;
      data.push({ requestedUsername: requested, ...brief(user) });
    }
    return legacyJson({ data });
  }

  function usersByIds(ctx: RequestContext): Response {
    const body = jsonBody(ctx);
    if (!body.ok || !isRecord(body.value)) return legacyBadRequest();
    const { userIds, excludeBannedUsers } = body.value;
    if (!Array.isArray(userIds) || userIds.some((n) => !Number.isSafeInteger(n))) return legacyBadRequest();
    if (userIds.length > MAX_USER_IDS) return legacyError(400, 1, "Too many ids.");
    const data = [];
    for (const id of new Set(userIds as number[])) {
      const user = state.users.get(id);
      if (!user || (excludeBannedUsers === true && user.isBanned)) continue;
      data.push(brief(user));
    }
    return legacyJson({ data });
  }

  function getUser(_ctx: RequestContext, [uid]: string[]): Response {
    const id = parseId(uid);
    if (id === undefined) return legacyNotFound();
    const user = state.users.get(id);
    if (!user) return legacyError(404, 3, "The user id is invalid.");
    return legacyJson({
      description: user.description,
      created: isoTime(user.createdMs),
      isBanned: user.isBanned,
      externalAppDisplayName: null,
      hasVerifiedBadge: false,
      id: user.id,
      name: user.name,
      displayName: user.displayName,
    });
  }

  function authenticated(ctx: RequestContext): Response {
    const userId = auth.userForCookie(cookieValue(ctx.headers, ".ROBLOSECURITY"));
    const user = userId === undefined ? undefined : state.users.get(userId);
    if (!user) return legacyUnauthorized();
    return legacyJson({ id: user.id, name: user.name, displayName: user.displayName });
  }

  const routes: Route[] = [
    { method: "POST", pattern: /^\/v1\/usernames\/users$/, handler: usernames },
    { method: "POST", pattern: /^\/v1\/users$/, handler: usersByIds },
    { method: "GET", pattern: /^\/v1\/users\/authenticated$/, handler: authenticated },
    { method: "GET", pattern: /^\/v1\/users\/([^/]+)$/, handler: getUser },
  ];

  return (ctx) => {
    const found = matchRoute(routes, ctx.method, ctx.path);
    return found ? found.route.handler(ctx, found.params) : legacyNotFound();
  };
}
