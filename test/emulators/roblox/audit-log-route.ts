/**
 * `GET apis.roblox.com/legacy-groups/v1/groups/{groupId}/audit-log` (Roblox's OpenAPI document):
 * an Open Cloud key or OAuth token with scope `legacy-group:manage`, 100 requests a minute per key
 * owner (class `groups.auditLog`, counted and limited by the Open Cloud gateway like every other
 * class, with the same headers and 429s). Query: `actionType`, `userId`, `limit` (10/25/50/100),
 * `cursor`, `sortOrder` (Asc/Desc, default Asc). Answer `{previousPageCursor, nextPageCursor, data}`
 * with null cursors at the ends, as Roblox's legacy lists answer.
 *
 * Choices where Roblox is not documented:
 * - 403 code 23 "Insufficient permissions to complete the request." for a missing scope, a key
 *   limited to other groups, and an owner who is neither the group's owner nor holds
 *   `viewAuditLog`; a group-owned key may read its own group's log.
 * - `limit` or `sortOrder` out of range: 400 code 8 (the endpoint's documented paging error);
 *   `actionType` outside Roblox's enum or a `userId` that is not a number: 400 code 0 (model binding).
 * - `userId` filters on the actor (the website's "filter by user" does).
 */
import type { AuditEntry } from "./audit-log.ts";
import { AUDIT_ACTION_TYPES } from "./audit-action-types.ts";
import type { Principal } from "./auth.ts";
import type { CloudRoute } from "./cloud.ts";
import type { EmulatorEnv } from "./env.ts";
import { legacyBadRequest, legacyError, legacyJson, parseId, type RequestContext } from "./http.ts";
import { type OrderedSource, pageByCursor } from "./legacy-paging.ts";
import { hasPermission, type GroupRecord, type UserRecord } from "./state.ts";

export const AUDIT_LOG_SCOPE = "legacy-group:manage";
const INSUFFICIENT = "Insufficient permissions to complete the request.";

export function auditLogRoute(env: EmulatorEnv): CloudRoute {
  const { state } = env;

  function mayRead(principal: Principal, group: GroupRecord): boolean {
    if (!principal.scopes.has(AUDIT_LOG_SCOPE)) return false;
    if (principal.allowedGroups && !principal.allowedGroups.has(group.id)) return false;
    if (principal.actsAsGroup === "all" || principal.actsAsGroup === group.id) return true;
    if (principal.userId === null) return false;
    return principal.userId === group.ownerId || hasPermission(group.members.get(principal.userId), "viewAuditLog");
  }

  const userModel = (u: UserRecord | undefined, id: number) => ({
    hasVerifiedBadge: false,
    userId: id,
    username: u?.name ?? "",
    displayName: u?.displayName ?? "",
  });

  function entryJson(e: AuditEntry) {
    return {
      actor: {
        ...(e.actorUserId !== null ? { user: userModel(state.users.get(e.actorUserId), e.actorUserId) } : {}),
        ...(e.actorRole ? { role: { ...e.actorRole } } : {}),
      },
      actionType: e.actionType,
      description: e.description,
      created: new Date(e.createdMs).toISOString(),
    };
  }

  function handler(ctx: RequestContext, [gid]: string[], principal: Principal): Response {
    const groupId = parseId(gid);
    const group = groupId === undefined ? undefined : state.groups.get(groupId);
    if (!group) return legacyError(400, 1, "Group is invalid or does not exist.");
    if (!mayRead(principal, group)) return legacyError(403, 23, INSUFFICIENT);

    const actionType = ctx.query.get("actionType");
    if (actionType !== null && !AUDIT_ACTION_TYPES.has(actionType)) return legacyBadRequest();
    const userIdRaw = ctx.query.get("userId");
    const userId = userIdRaw === null ? undefined : parseId(userIdRaw);
    if (userIdRaw !== null && userId === undefined) return legacyBadRequest();

    const matches = (e: AuditEntry) =>
      (actionType === null || e.actionType === actionType) && (userId === undefined || e.actorUserId === userId);
    const entries = env.audit.entries(group.id, ctx.now);
    const source: OrderedSource<AuditEntry> = {
      ascAfter: (after) => only(entries.ascAfter(after), matches),
      descBefore: (before) => only(entries.descBefore(before), matches),
    };
    const binding = `audit:${group.id}|${actionType ?? ""}|${userId ?? ""}`;
    const result = pageByCursor(ctx, source, binding, () => legacyError(400, 8, "Invalid or missing pagination parameters"));
    if (result instanceof Response) return result;
    return legacyJson({
      previousPageCursor: result.previousPageCursor,
      nextPageCursor: result.nextPageCursor,
      data: result.page.map(entryJson),
    });
  }

  return {
    method: "GET",
    pattern: /^\/legacy-groups\/v1\/groups\/([^/]+)\/audit-log$/,
    apiClass: "groups.auditLog",
    handler,
  };
}

function* only<T>(items: Iterator<T>, keep: (item: T) => boolean): Generator<T> {
  for (let next = items.next(); !next.done; next = items.next()) if (keep(next.value)) yield next.value;
}
