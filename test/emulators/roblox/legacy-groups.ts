/**
 * groups.roblox.com (notes §2.2): group info, roles (Guest included, `isBase`), member lists with
 * cursor paging, a user's groups (v1 and v2), the authenticated user's membership, and the
 * cookie-authenticated writes: change rank (PATCH) and exile (DELETE), behind the CSRF exchange.
 * Legacy interfaces show a member's highest-ranked role only.
 *
 * Choices where Roblox is not documented:
 * - `limit` outside 10/25/50/100 or `sortOrder` outside Asc/Desc: 400 code 0 "The request is invalid.".
 * - A role list (`/roles/{id}/users`) holds every member holding that role, so the base member
 *   role lists everyone; `memberCount` counts the same way.
 * - Rank change: `roleId` of the Guest or Owner role is code 2; the owner as target is code 4;
 *   order of checks: group (1), role (2), user/member (3), self (23), permission (4), same role (26).
 * - 503 code 18 is never produced by the emulator itself; inject it with `failures.inject`.
 */
import type { EmulatorEnv } from "./env.ts";
import {
  isRecord,
  jsonBody,
  legacyError,
  legacyJson,
  legacyNotFound,
  matchRoute,
  parseId,
  type RequestContext,
  type Route,
} from "./http.ts";
import { checkCsrf, requireSession } from "./legacy-auth.ts";
import { pageByCursor } from "./legacy-paging.ts";
import { rankChange, target as targetOf } from "./audit-log.ts";
import { mayGrant, mayManage } from "./authority.ts";
import {
  type GroupRecord,
  hasPermission,
  highestRole,
  type MemberRecord,
  type RoleRecord,
  type RolePermissionKey,
  type UserRecord,
} from "./state.ts";

const GROUP_INVALID = "The group is invalid or does not exist.";
const NO_PERMISSION = "You do not have permission to manage this member.";

export function createLegacyGroupsHandler(env: EmulatorEnv): (ctx: RequestContext) => Response | Promise<Response> {
  const { state } = env;

  const userModel = (u: UserRecord) => ({ hasVerifiedBadge: false, userId: u.id, username: u.name, displayName: u.displayName });
  const basicRole = (r: RoleRecord) => ({ id: r.id, name: r.name, rank: r.rank });
  const fullRole = (r: RoleRecord, group: GroupRecord) => ({
    id: r.id,
    name: r.name,
    description: r.description,
    rank: r.rank,
    memberCount: r === group.guestRole ? 0 : r.holders.size,
    isBase: r.isBase,
    color: r.color,
  });

  function groupDetail(group: GroupRecord) {
    const owner = group.ownerId !== null ? state.users.get(group.ownerId) : undefined;
    return {
      id: group.id,
      name: group.name,
      description: group.description,
      owner: owner ? userModel(owner) : null,
      shout: null,
      memberCount: group.members.size,
      isBuildersClubOnly: false,
      publicEntryAllowed: group.publicEntryAllowed,
      ...(group.locked ? { isLocked: true } : {}),
      hasVerifiedBadge: group.verified,
      hasSocialModules: false,
    };
  }

  function groupFromPath(raw: string | undefined, message = GROUP_INVALID): GroupRecord | Response {
    const id = parseId(raw);
    if (id === undefined) return legacyNotFound();
    return state.groups.get(id) ?? legacyError(400, 1, message);
  }

  // ---- reads ------------------------------------------------------------------------------

  function getGroup(_ctx: RequestContext, [gid]: string[]): Response {
    const group = groupFromPath(gid, "Group is invalid or does not exist.");
    if (group instanceof Response) return group;
    return legacyJson(groupDetail(group));
  }

  function getRoles(_ctx: RequestContext, [gid]: string[]): Response {
    const group = groupFromPath(gid);
    if (group instanceof Response) return group;
    return legacyJson({ groupId: group.id, roles: group.rolesByRank.map((r) => fullRole(r, group)) });
  }

  function getGroupUsers(ctx: RequestContext, [gid]: string[]): Response {
    const group = groupFromPath(gid);
    if (group instanceof Response) return group;
    const result = pageByCursor(ctx, group.order, `group:${group.id}`);
    if (result instanceof Response) return result;
    return legacyJson({
      previousPageCursor: result.previousPageCursor,
      nextPageCursor: result.nextPageCursor,
      data: result.page.map((m) => ({ user: userModel(state.requireUser(m.userId)), role: basicRole(highestRole(m)) })),
    });
  }

  function getRoleUsers(ctx: RequestContext, [gid, rid]: string[]): Response {
    const group = groupFromPath(gid);
    if (group instanceof Response) return group;
    const roleId = parseId(rid);
    if (roleId === undefined) return legacyNotFound();
    const role = group.roles.get(roleId);
    if (!role) return legacyError(403, 2, "The roleset is invalid or does not exist.");
    const result = pageByCursor(ctx, role.holders, `role:${role.id}`);
    if (result instanceof Response) return result;
    return legacyJson({
      previousPageCursor: result.previousPageCursor,
      nextPageCursor: result.nextPageCursor,
      data: result.page.map((m) => userModel(state.requireUser(m.userId))),
    });
  }

  function userGroupsV2(ctx: RequestContext, [uid]: string[]): Response {
    const userId = parseId(uid);
    if (userId === undefined) return legacyNotFound();
    if (!state.users.has(userId)) return legacyError(400, 3, "The user is invalid or does not exist.");
    const includeLocked = ctx.query.get("includeLocked")?.toLowerCase() === "true";
    const includePreferences = ctx.query.get("includeNotificationPreferences")?.toLowerCase() === "true";
    const data = [];
    for (const m of state.membershipsOf(userId)) {
      const group = state.requireGroup(m.groupId);
      if (group.locked && !includeLocked) continue;
      data.push({
        group: { id: group.id, name: group.name, memberCount: group.members.size, hasVerifiedBadge: group.verified },
        role: basicRole(highestRole(m)),
        ...(includePreferences ? { isNotificationsEnabled: false, notificationPreferences: [] } : {}),
      });
    }
    return legacyJson({ data });
  }

  function userGroupsV1(ctx: RequestContext, [uid]: string[]): Response {
    const userId = parseId(uid);
    if (userId === undefined) return legacyNotFound();
    if (!state.users.has(userId)) return legacyError(400, 3, "The user is invalid or does not exist.");
    const includeLocked = ctx.query.get("includeLocked")?.toLowerCase() === "true";
    const data = [];
    for (const m of state.membershipsOf(userId)) {
      const group = state.requireGroup(m.groupId);
      if (group.locked && !includeLocked) continue;
      data.push({ group: groupDetail(group), role: fullRole(highestRole(m), group), isPrimaryGroup: false });
    }
    return legacyJson({ data });
  }

  function myMembership(ctx: RequestContext, [gid]: string[]): Response {
    const session = requireSession(env, ctx);
    if (session instanceof Response) return session;
    const group = groupFromPath(gid);
    if (group instanceof Response) return group;
    const member = group.members.get(session.userId);
    const role = member ? highestRole(member) : group.guestRole;
    const can = (key: RolePermissionKey) => (member ? hasPermission(member, key) : group.guestRole.permissions[key]);
    const isOwner = group.ownerId === session.userId;
    return legacyJson({
      groupId: group.id,
      isPrimary: false,
      isPendingJoin: false,
      userRole: { user: userModel(state.requireUser(session.userId)), role: fullRole(role, group) },
      permissions: {
        groupPostsPermissions: { viewStatus: can("viewGroupShout"), postToStatus: can("createGroupShout") },
        groupForumsPermissions: {
          viewForums: can("viewForums"),
          manageCategories: can("manageCategories"),
          createPosts: can("createPosts"),
          removePosts: can("removePosts"),
          lockPosts: can("lockPosts"),
          pinPosts: can("pinPosts"),
          createComments: can("createComments"),
          removeComments: can("removeComments"),
        },
        groupContentModerationPermissions: {
          manageKeywordBlockList: can("manageBlockedWords"),
          viewKeywordBlockList: can("viewBlockedWords"),
        },
        groupMembershipPermissions: {
          changeRank: can("changeRank"),
          inviteMembers: can("acceptRequests"),
          removeMembers: can("exileMembers"),
          banMembers: can("banMembers"),
        },
        groupManagementPermissions: {
          manageRelationships: can("manageRelationships"),
          manageClan: false,
          viewAuditLogs: can("viewAuditLog"),
          bypassSlowmode: can("bypassSlowMode"),
        },
        groupEconomyPermissions: {
          spendGroupFunds: can("spendGroupFunds"),
          advertiseGroup: can("advertiseGroup"),
          createItems: can("createAvatarItems"),
          manageItems: can("manageAvatarItems"),
          addGroupPlaces: can("manageGroupUniverses"),
          manageGroupGames: can("manageGroupUniverses"),
          viewGroupPayouts: can("spendGroupFunds"),
          viewAnalytics: can("viewUniverseAnalytics"),
        },
        groupOpenCloudPermissions: {
          useCloudAuthentication: can("createApiKeys"),
          administerCloudAuthentication: can("manageApiKeys"),
        },
      },
      areGroupGamesVisible: true,
      areGroupFundsVisible: can("spendGroupFunds"),
      areEnemiesAllowed: false,
      canConfigure: isOwner,
      isNotificationsEnabled: false,
      isBannedFromGroup: false,
      canViewMemberList: true,
      isOwner,
    });
  }

  // ---- writes -----------------------------------------------------------------------------

  /** CSRF, session and group: what both writes check first. */
  function writePrelude(ctx: RequestContext, gid: string | undefined, uid: string | undefined) {
    const groupId = parseId(gid);
    const userId = parseId(uid);
    if (groupId === undefined || userId === undefined) return legacyNotFound();
    const csrf = checkCsrf(env, ctx);
    if (csrf) return csrf;
    const session = requireSession(env, ctx);
    if (session instanceof Response) return session;
    const group = state.groups.get(groupId);
    if (!group) return legacyError(400, 1, GROUP_INVALID);
    return { session, group, userId };
  }

  function changeRank(ctx: RequestContext, [gid, uid]: string[]): Response {
    const prelude = writePrelude(ctx, gid, uid);
    if (prelude instanceof Response) return prelude;
    const { session, group, userId } = prelude;

    const body = jsonBody(ctx);
    const roleId = body.ok && isRecord(body.value) && Number.isSafeInteger(body.value.roleId) ? (body.value.roleId as number) : 0;
    const role = group.roles.get(roleId);
    if (!role || role === group.guestRole || role === group.ownerRole) {
      return legacyError(400, 2, "The roleset is invalid or does not exist.");
    }
    const target = group.members.get(userId);
    if (!target) return legacyError(400, 3, "The user is invalid or does not exist.");
    if (userId === session.userId) return legacyError(400, 23, "You cannot change your own role.");
    if (!mayManage(group, session.userId, target, "changeRank") || !mayGrant(group, session.userId, role)) {
      return legacyError(403, 4, NO_PERMISSION);
    }
    const before = highestRole(target);
    if (!state.replaceRoles(group, target, role)) {
      return legacyError(400, 26, "You cannot change the user's role to the same role.");
    }
    env.audit.append(group, rankChange(session.userId, state.requireUser(userId), before, highestRole(target)));
    return legacyJson({});
  }

  function exile(ctx: RequestContext, [gid, uid]: string[]): Response {
    const prelude = writePrelude(ctx, gid, uid);
    if (prelude instanceof Response) return prelude;
    const { session, group, userId } = prelude;
    const target = group.members.get(userId);
    if (!target) return legacyError(400, 3, "The user is invalid or does not exist.");
    const leaving = userId === session.userId && userId !== group.ownerId;
    if (!leaving && !mayManage(group, session.userId, target, "exileMembers")) return legacyError(403, 4, NO_PERMISSION);
    // Logged before leaving, so the entry carries the actor's role (for a leave, the member's own).
    const user = state.requireUser(userId);
    env.audit.append(group, leaving ? { actionType: "LeaveGroup", actorUserId: userId, description: {} } : { actionType: "RemoveMember", actorUserId: session.userId, description: targetOf(user) });
    state.leave(group, target);
    return legacyJson({});
  }

  const routes: Route[] = [
    { method: "GET", pattern: /^\/v1\/groups\/([^/]+)$/, handler: getGroup },
    { method: "GET", pattern: /^\/v1\/groups\/([^/]+)\/roles$/, handler: getRoles },
    { method: "GET", pattern: /^\/v1\/groups\/([^/]+)\/users$/, handler: getGroupUsers },
    { method: "GET", pattern: /^\/v1\/groups\/([^/]+)\/roles\/([^/]+)\/users$/, handler: getRoleUsers },
    { method: "GET", pattern: /^\/v1\/groups\/([^/]+)\/membership$/, handler: myMembership },
    { method: "PATCH", pattern: /^\/v1\/groups\/([^/]+)\/users\/([^/]+)$/, handler: changeRank },
    { method: "DELETE", pattern: /^\/v1\/groups\/([^/]+)\/users\/([^/]+)$/, handler: exile },
    { method: "GET", pattern: /^\/v2\/users\/([^/]+)\/groups\/roles$/, handler: userGroupsV2 },
    { method: "GET", pattern: /^\/v1\/users\/([^/]+)\/groups\/roles$/, handler: userGroupsV1 },
  ];

  return (ctx) => {
    const found = matchRoute(routes, ctx.method, ctx.path);
    return found ? found.route.handler(ctx, found.params) : legacyNotFound();
  };
}
