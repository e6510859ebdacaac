/**
 * Roblox web API emulator for rankbridge's tests, `bun run sandbox` and benchmarks.
 *
 * It reproduces Roblox's behaviour as documented (Roblox's OpenAPI document, the creator docs and
 * the research notes in notes/roblox-api.md), not as any client happens to call it. One Bun.serve
 * on 127.0.0.1 serves every host under a path prefix, so the bot is pointed at it with the URL
 * template `urlTemplate` = `http://127.0.0.1:PORT/{service}`:
 *
 *   apis        /cloud/v2/groups/{g}[/roles[/{r}]|/memberships[/{m}[:assignRole|:unassignRole]]]
 *               /cloud/v2/users/{u}[:generateThumbnail|/operations/{op}]     (x-api-key or Bearer)
 *               /legacy-groups/v1/groups/{g}/audit-log                       (x-api-key or Bearer; audit-log-route.ts)
 *               /oauth/v1/{authorize,token,userinfo,certs,token/introspect,token/revoke,token/resources}
 *               /oauth/.well-known/openid-configuration
 *   groups      /v1/groups/{g}, /v1/groups/{g}/roles, /v1/groups/{g}/users, /v1/groups/{g}/roles/{r}/users,
 *               /v1/groups/{g}/membership, PATCH|DELETE /v1/groups/{g}/users/{u},
 *               /v2/users/{u}/groups/roles, /v1/users/{u}/groups/roles
 *   users       POST /v1/usernames/users, POST /v1/users, GET /v1/users/{u}, GET /v1/users/authenticated
 *   thumbnails  GET /v1/users/avatar-headshot
 *   auth        POST /v2/logout (the CSRF-token prefetch)
 *
 * Usage:
 *   const rbx = await startRobloxEmulator({ rateLimits: { windowMs: 1000 } });
 *   rbx.addUser({ id: 1, name: "GroupOwner" });
 *   rbx.createGroup({ id: 7, name: "Army", ownerId: 1, roles: defaultRoles(7) });
 *   const ids = rbx.bulkSeed(7, 250);
 *   rbx.addUser({ id: 2, name: "RankBot" }); rbx.setMembership(7, 2, 7002); // "Ranking Bot", rank 254
 *   rbx.addApiKey("key", { ownerUserId: 2, scopes: ["group:read", "group:write"] });
 *   ... process.env.ROBLOX_API_URL = rbx.urlTemplate ...
 *   await rbx.close();
 *
 * Model: every member holds the group's base member role (rank 1) plus assigned roles; `role` in
 * Open Cloud and every legacy interface show the highest-ranked one, `roles[]` all of them.
 * Memberships are indexed by group (join order), by role and by user; paging is O(log n + page).
 *
 * Behaviour where Roblox's is unconfirmed (notes §6), as chosen here:
 * - Open Cloud writes: non-member target → 404 NOT_FOUND "The user is not a member of the group.";
 *   Guest/Owner role → 400 INVALID_ARGUMENT; own rank, the owner, a member at/above the requester,
 *   a role at/above the requester, no `changeRank` → 403 PERMISSION_DENIED; a role of another
 *   group → 400. The deprecated PATCH replaces all non-base roles with `role`; `updateMask` is ignored.
 * - Unknown or missing API key → 401 `{"errors":[{"code":0,"message":"Invalid API Key"}]}`.
 * - 429 body `{"code":"RESOURCE_EXHAUSTED","message":"Resource has been exhausted (e.g. check quota)."}`
 *   with `retry-after` equal to `x-ratelimit-reset`. Rate-limit headers carry seconds: whole
 *   seconds for whole-second windows, millisecond decimals for shrunk windows (`w=0.5`, `0.123`).
 * - Page tokens bind the collection and filter; a changed filter → 400 INVALID_ARGUMENT, a changed
 *   maxPageSize is allowed. The roles list pages by role id (the token is the last role id, as
 *   recorded). `nextPageToken` at the end is `""` (option `nextPageTokenAtEnd: "omit"` drops it).
 * - `user in [...]` is accepted only on `groups/-/memberships` (as documented) and is required there.
 * - `role == ...` lists every holder of the role, so the base member role lists everyone (legacy
 *   role lists and `memberCount` count the same way).
 * - Keys: `groups` limits a key to those groups for every group route (403 elsewhere; on
 *   `groups/-` other groups' memberships are left out); a key with neither owner acts like a
 *   group-owned key (owner-level permissions) on the groups it may use. Bearer tokens from the
 *   OAuth endpoints work on Open Cloud routes too, limited per authorization (30/90/90/90/10).
 * - Legacy: the CSRF check comes before authentication (anonymous sessions get tokens too; the
 *   retry without a cookie is 401 code 0). No rate limit unless `legacyRateLimit` (429
 *   `{"errors":[{"code":0,"message":"Too many requests"}]}`, no retry-after, one window shared by
 *   all legacy hosts). Unknown routes → 404 `{"errors":[{"code":404,"message":"NotFound"}]}`. See
 *   legacy-groups.ts, legacy-users.ts, thumbnails.ts and oauth.ts for their own choices.
 *
 * Failure injection (`failures.inject`): a rule answers the next `times` (default 1) matching
 * requests with `status` (+ `body`, default: the service's error shape, e.g. legacy 503 is code 18)
 * and `headers`, or `dropConnection` (fetch rejects with ECONNRESET), after an optional `delayMs`
 * (alone: only a delay). Bun's fetch silently retries an idempotent request once when a reused
 * keep-alive connection drops, so a drop there also swallows that immediate retry (server.ts).
 *
 * Audit log: every membership change made through the emulator appends an entry (audit-log.ts):
 * the bot's writes (Open Cloud PATCH/assign/unassign as the key owner, legacy PATCH/DELETE as the
 * cookie user) and website-style changes by a named actor (`changeRankAsUser`, ... in website.ts).
 * The seeding helpers write none. `setAuditLogRetention(ms)` makes old entries expire (a gap).
 *
 * Recording: `requests` holds every request (`url` is `/{service}/path?query`, so each entry can be
 * passed as is to robloxValidator() of test/support/openapi.ts); clear it with `requests.length = 0`.
 */
import { type AuditEntry, AuditLog } from "./audit-log.ts";
import { auditLogRoute } from "./audit-log-route.ts";
import { type ApiKeyOptions, AuthStore } from "./auth.ts";
import { createCloudGateway } from "./cloud.ts";
import { cloudGroupRoutes } from "./cloud-groups.ts";
import { cloudUserRoutes } from "./cloud-users.ts";
import type { EmulatorEnv } from "./env.ts";
import { Failures } from "./failures.ts";
import { gatewayError } from "./http.ts";
import { createLegacyAuthHandler } from "./legacy-auth.ts";
import { createLegacyGroupsHandler } from "./legacy-groups.ts";
import { createLegacyUsersHandler } from "./legacy-users.ts";
import { OAuthProvider, type OAuthClientOptions } from "./oauth.ts";
import { FixedWindowLimiter } from "./ratelimit.ts";
import { startServer } from "./server.ts";
import {
  type BulkSeedOptions,
  type MembershipSnapshot,
  type NewGroup,
  type NewUser,
  type RolePermissions,
  RobloxState,
  type ThumbnailState,
} from "./state.ts";
import { createThumbnailsHandler } from "./thumbnails.ts";
import { type WebsiteActions, websiteActions } from "./website.ts";
import {
  emptyClassCounts,
  type FailureInjector,
  PER_API_KEY_OWNER_PER_MINUTE,
  PER_OAUTH2_AUTHORIZATION_PER_MINUTE,
  type RecordedRequest,
  type RobloxEmulatorCounts,
  type RobloxEmulatorOptions,
  type RobloxService,
} from "./types.ts";

export type { AuditAction, AuditEntry } from "./audit-log.ts";
export { AUDIT_LOG_SCOPE } from "./audit-log-route.ts";
export type { ApiKeyOptions } from "./auth.ts";
export type { OAuthClientOptions } from "./oauth.ts";
export {
  type BulkSeedOptions,
  defaultPermissions,
  defaultRoles,
  type MembershipSnapshot,
  type NewGroup,
  type NewRole,
  type NewUser,
  ROLE_PERMISSION_KEYS,
  type RolePermissions,
  type ThumbnailState,
} from "./state.ts";
export { membershipId } from "./cloud.ts";
export {
  type FailureInjector,
  type FailureRule,
  PER_API_KEY_OWNER_PER_MINUTE,
  PER_OAUTH2_AUTHORIZATION_PER_MINUTE,
  ROBLOX_API_CLASSES,
  ROBLOX_SERVICES,
  type RecordedRequest,
  type RobloxApiClass,
  type RobloxEmulatorCounts,
  type RobloxEmulatorOptions,
  type RobloxService,
} from "./types.ts";

export interface RobloxEmulator extends WebsiteActions {
  /** `http://127.0.0.1:PORT/{service}`: the value for ROBLOX_API_URL. */
  readonly urlTemplate: string;
  /** `http://127.0.0.1:PORT`. */
  readonly baseUrl: string;
  readonly port: number;
  /** `url("groups", "/v1/groups/7")` → `http://127.0.0.1:PORT/groups/v1/groups/7`. */
  url(service: RobloxService, path: string): string;

  // users
  addUser(u: NewUser): void;
  /** The profile "About" text (legacy `description`, Open Cloud `about`). */
  setUserDescription(userId: number, text: string): void;
  /** Renames a user; the old name still resolves in `POST /v1/usernames/users` (previous usernames). */
  renameUser(userId: number, newName: string): void;
  setUserBanned(userId: number, banned: boolean): void;
  setThumbnailState(userId: number, state: ThumbnailState): void;

  // groups
  /** Roles must include Guest (rank 0) and Owner (255); the owner (if any) joins with the Owner role. */
  createGroup(g: NewGroup): void;
  setRolePermissions(groupId: number, roleId: number, permissions: Partial<RolePermissions>): void;
  /** Makes `userId` a member whose rank is `roleId` (plus the base member role), replacing other roles. */
  setMembership(groupId: number, userId: number, roleId: number): void;
  /** Gives one more role (multi-role); joins the group if needed. */
  addRoleToMember(groupId: number, userId: number, roleId: number): void;
  removeRoleFromMember(groupId: number, userId: number, roleId: number): void;
  removeMember(groupId: number, userId: number): void;
  membership(groupId: number, userId: number): MembershipSnapshot | undefined;
  memberCount(groupId: number): number;
  /** Seeds `count` users (`Player{id}`) as members spread over the ranks; returns their ids. */
  bulkSeed(groupId: number, count: number, options?: BulkSeedOptions): number[];

  // audit log (the website-style changes that feed it come from WebsiteActions)
  /** The group's audit entries still kept, oldest first. */
  auditLog(groupId: number): AuditEntry[];
  /** Entries older than `ms` expire (Infinity: never, the default). */
  setAuditLogRetention(ms: number): void;

  // credentials
  addApiKey(key: string, opts: ApiKeyOptions): void;
  removeApiKey(key: string): void;
  /** A `.ROBLOSECURITY` value acting as `userId` on the legacy hosts. */
  addCookie(cookie: string, userId: number): void;
  removeCookie(cookie: string): void;
  /** The current CSRF token of a cookie's session. */
  csrfToken(cookie: string): string;
  /** New CSRF tokens for one cookie's session or for all: cached tokens go stale (403 + new token). */
  rotateCsrfToken(cookie?: string): void;

  // OAuth
  addOAuthClient(clientId: string, clientSecret: string, redirectUris: string[], options?: OAuthClientOptions): void;
  /** The user who is signed in and consents on authorize; null: authorize answers access_denied. */
  oauthApprove(userId: number | null): void;

  // instrumentation
  readonly failures: FailureInjector;
  /** Every request received (when `record` is on). Clear with `requests.length = 0`. */
  readonly requests: RecordedRequest[];
  counts(): RobloxEmulatorCounts;
  resetCounts(): void;
  /** Starts fresh rate-limit windows for everyone. */
  resetRateLimits(): void;
  setLatency(ms: number): void;
  close(): Promise<void>;
}

export async function startRobloxEmulator(options: RobloxEmulatorOptions = {}): Promise<RobloxEmulator> {
  const state = new RobloxState();
  const auth = new AuthStore();
  const newCounts = (): RobloxEmulatorCounts => ({
    total: 0,
    byClass: emptyClassCounts(),
    rateLimited: 0,
    rateLimitedByClass: emptyClassCounts(),
    legacy: 0,
    legacyRateLimited: 0,
    injected: 0,
  });
  const env: EmulatorEnv = {
    state,
    audit: new AuditLog(),
    auth,
    oauthPrincipal: () => undefined,
    limiter: new FixedWindowLimiter(options.rateLimits?.windowMs ?? 60_000),
    perKeyLimits: { ...PER_API_KEY_OWNER_PER_MINUTE, ...options.rateLimits?.perMinute },
    perOAuthLimits: { ...PER_OAUTH2_AUTHORIZATION_PER_MINUTE, ...options.rateLimits?.perOAuth2Minute },
    nextPageTokenAtEnd: options.nextPageTokenAtEnd ?? "empty",
    counts: newCounts(),
    baseUrl: "",
  };
  const oauth = new OAuthProvider(env, options.oauthCodeTtlMs ?? 60_000);
  await oauth.init();
  env.oauthPrincipal = (token) => oauth.principal(token);

  const cloud = createCloudGateway(env, [...cloudGroupRoutes(env), ...cloudUserRoutes(env), auditLogRoute(env)]);
  const failures = new Failures();
  const requests: RecordedRequest[] = [];
  let latencyMs = options.latencyMs ?? 0;

  const server = startServer({
    port: options.port ?? 0,
    env,
    failures,
    requests,
    record: options.record ?? true,
    latencyMs: () => latencyMs,
    ...(options.legacyRateLimit ? { legacyRateLimit: options.legacyRateLimit } : {}),
    handlers: {
      apis: (ctx) => {
        if (ctx.path.startsWith("/cloud/") || ctx.path.startsWith("/legacy-groups/")) return cloud(ctx);
        if (ctx.path.startsWith("/oauth/")) return oauth.handle(ctx);
        return gatewayError(404, "Not Found");
      },
      groups: createLegacyGroupsHandler(env),
      users: createLegacyUsersHandler(env),
      thumbnails: createThumbnailsHandler(env),
      auth: createLegacyAuthHandler(env),
    },
  });
  const port = server.port as number;
  const baseUrl = `http://127.0.0.1:${port}`;
  env.baseUrl = baseUrl;

  return {
    urlTemplate: `${baseUrl}/{service}`,
    baseUrl,
    port,
    url: (service, path) => `${baseUrl}/${service}${path}`,

    addUser: (u) => void state.addUser(u),
    setUserDescription: (userId, text) => {
      state.requireUser(userId).description = text;
    },
    renameUser: (userId, newName) => state.renameUser(userId, newName),
    setUserBanned: (userId, banned) => {
      const user = state.requireUser(userId);
      user.isBanned = banned;
      if (banned) user.thumbnailState = "Blocked";
      else if (user.thumbnailState === "Blocked") user.thumbnailState = "Completed";
    },
    setThumbnailState: (userId, thumbnailState) => {
      state.requireUser(userId).thumbnailState = thumbnailState;
    },

    createGroup: (g) => void state.createGroup(g),
    setRolePermissions: (groupId, roleId, permissions) => {
      const group = state.requireGroup(groupId);
      const role = state.requireRole(group, roleId);
      Object.assign(role.permissions, permissions);
      role.updatedMs = Date.now();
    },
    setMembership: (groupId, userId, roleId) => state.setMembership(groupId, userId, roleId),
    addRoleToMember: (groupId, userId, roleId) => state.addRoleToMember(groupId, userId, roleId),
    removeRoleFromMember: (groupId, userId, roleId) => state.removeRoleFromMember(groupId, userId, roleId),
    removeMember: (groupId, userId) => state.removeMember(groupId, userId),
    membership: (groupId, userId) => {
      const member = state.member(groupId, userId);
      return member ? state.snapshot(member) : undefined;
    },
    memberCount: (groupId) => state.requireGroup(groupId).members.size,
    bulkSeed: (groupId, count, seedOptions) => state.bulkSeed(groupId, count, seedOptions),

    ...websiteActions(state, env.audit),
    auditLog: (groupId) => [...env.audit.entries(groupId).ascAfter(0)],
    setAuditLogRetention: (ms) => {
      env.audit.retentionMs = ms;
    },

    addApiKey: (key, opts) => auth.addApiKey(key, opts),
    removeApiKey: (key) => auth.removeApiKey(key),
    addCookie: (cookie, userId) => {
      state.requireUser(userId);
      auth.addCookie(cookie, userId);
    },
    removeCookie: (cookie) => auth.removeCookie(cookie),
    csrfToken: (cookie) => auth.csrfToken(cookie),
    rotateCsrfToken: (cookie) => auth.rotateCsrfToken(cookie),

    addOAuthClient: (clientId, clientSecret, redirectUris, clientOptions) =>
      oauth.addClient(clientId, clientSecret, redirectUris, clientOptions),
    oauthApprove: (userId) => oauth.approve(userId),

    failures,
    requests,
    counts: () => structuredClone(env.counts),
    resetCounts: () => {
      env.counts = newCounts();
    },
    resetRateLimits: () => env.limiter.reset(),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    close: async () => {
      await server.stop(true);
    },
  };
}
