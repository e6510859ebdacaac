/**
 * Open Cloud v2 groups: GET group, roles, role, memberships (paging + CEL filters), and the rank
 * writes PATCH membership (deprecated), `:assignRole`, `:unassignRole`.
 *
 * Rules for writes (the spec gives them in prose only; statuses and messages are this emulator's
 * choice, notes §6):
 * - scope `group:write`, else 403 PERMISSION_DENIED; a key limited to other groups: 403.
 * - Guest (rank 0) and Owner (255) cannot be assigned: 400 INVALID_ARGUMENT. The base member role
 *   and the Owner role cannot be unassigned: 400 INVALID_ARGUMENT.
 * - the requester cannot change its own rank, nor the owner's, nor that of a member at or above its
 *   own rank, nor give or take a role at or above its own rank, and needs `changeRank`: 403.
 * - the target is not a member (or not a user): 404 NOT_FOUND "The user is not a member of the group."
 * - a role that is not a role of the group (or a malformed role path): 400 INVALID_ARGUMENT.
 * - PATCH replaces every role but the base role with `role` (single-role semantics); assign and
 *   unassign are no-ops when the member already has / does not have the role (200, unchanged).
 * - `updateMask` is accepted and ignored.
 */
import { rankChange, roleChange, writer } from "./audit-log.ts";
import type { Principal } from "./auth.ts";
import {
  type CloudRoute,
  membershipId,
  pageSize,
  parseMembershipId,
  stableUpdateTime,
  withNextPageToken,
} from "./cloud.ts";
import type { EmulatorEnv } from "./env.ts";
import { parseFilter } from "./filter.ts";
import { isRecord, jsonBody, parseId, type RequestContext, v2Error } from "./http.ts";
import { decodePageToken, encodePageToken } from "./paging.ts";
import { take } from "./seq-index.ts";
import {
  type GroupRecord,
  hasPermission,
  highestRole,
  isoTime,
  type MemberRecord,
  memberUpdateTime,
  type RoleRecord,
} from "./state.ts";

const GROUP = "/cloud/v2/groups/([^/:]+)";
const MEMBERSHIP = `${GROUP}/memberships/([^/:]+)`;
const MAX_USERS_IN_FILTER = 50;

export function cloudGroupRoutes(env: EmulatorEnv): CloudRoute[] {
  const { state } = env;

  /** Resolves `{group_id}` and checks the principal may act on it. */
  function groupFor(raw: string, principal: Principal): GroupRecord | Response {
    const id = parseId(raw);
    if (id === undefined) return v2Error("INVALID_ARGUMENT", "Invalid group ID in the request.");
    const group = state.groups.get(id);
    if (!group) return v2Error("NOT_FOUND", `Group ${id} not found.`);
    if (principal.allowedGroups && !principal.allowedGroups.has(id)) {
      return v2Error("PERMISSION_DENIED", `The API key is not allowed to access group ${id}.`);
    }
    return group;
  }

  /** The owner's view: group owner, or a group-owned key on its own group. */
  function isOwnerView(principal: Principal, group: GroupRecord): boolean {
    return (
      principal.actsAsGroup === "all" ||
      principal.actsAsGroup === group.id ||
      (principal.userId !== null && principal.userId === group.ownerId)
    );
  }

  function membershipJson(m: MemberRecord) {
    const g = m.groupId;
    return {
      path: `groups/${g}/memberships/${membershipId(m.userId)}`,
      createTime: isoTime(m.createdMs),
      updateTime: memberUpdateTime(m),
      user: `users/${m.userId}`,
      role: `groups/${g}/roles/${highestRole(m).id}`,
      roles: m.roles.map((r) => `groups/${g}/roles/${r.id}`),
    };
  }

  function roleJson(role: RoleRecord, group: GroupRecord, principal: Principal) {
    const ownerView = isOwnerView(principal, group);
    const isGuest = role === group.guestRole;
    const viewer = principal.userId !== null ? group.members.get(principal.userId) : undefined;
    const canRead = principal.scopes.has("group:read");
    const showPermissions = isGuest || (canRead && (ownerView || (viewer?.roles.includes(role) ?? false)));
    return {
      path: `groups/${group.id}/roles/${role.id}`,
      ...(ownerView ? { createTime: isoTime(role.createdMs), updateTime: stableUpdateTime(role.updatedMs) } : {}),
      id: String(role.id),
      displayName: role.name,
      ...(ownerView ? { description: role.description } : {}),
      rank: role.rank,
      ...(isGuest ? {} : { memberCount: role.holders.size }),
      ...(showPermissions ? { permissions: { ...role.permissions } } : {}),
    };
  }

  // ---- reads ------------------------------------------------------------------------------

  function getGroup(_ctx: RequestContext, [gid]: string[], principal: Principal): Response {
    const group = groupFor(gid as string, principal);
    if (group instanceof Response) return group;
    return Response.json({
      path: `groups/${group.id}`,
      createTime: isoTime(group.createdMs),
      updateTime: stableUpdateTime(group.updatedMs),
      id: String(group.id),
      displayName: group.name,
      description: group.description,
      ...(group.ownerId !== null ? { owner: `users/${group.ownerId}` } : {}),
      memberCount: group.members.size,
      publicEntryAllowed: group.publicEntryAllowed,
      locked: group.locked,
      verified: group.verified,
    });
  }

  function listRoles(ctx: RequestContext, [gid]: string[], principal: Principal): Response {
    const group = groupFor(gid as string, principal);
    if (group instanceof Response) return group;
    const size = pageSize(ctx.query.get("maxPageSize"), 10, 20);
    if (size instanceof Response) return size;
    const token = ctx.query.get("pageToken");
    let after = 0;
    if (token) {
      // As recorded: the page token is the id of the last role returned.
      const id = parseId(token);
      if (id === undefined) return v2Error("INVALID_ARGUMENT", "Invalid page token.");
      after = id;
    }
    const rest = group.rolesById.filter((r) => r.id > after);
    const page = rest.slice(0, size);
    const more = rest.length > size;
    return Response.json(
      withNextPageToken(
        env,
        { groupRoles: page.map((r) => roleJson(r, group, principal)) },
        more ? String((page[page.length - 1] as RoleRecord).id) : undefined,
      ),
    );
  }

  function getRole(_ctx: RequestContext, [gid, rid]: string[], principal: Principal): Response {
    const group = groupFor(gid as string, principal);
    if (group instanceof Response) return group;
    const id = parseId(rid);
    if (id === undefined) return v2Error("INVALID_ARGUMENT", "Invalid role ID in the request.");
    const role = group.roles.get(id);
    if (!role) return v2Error("NOT_FOUND", `Role ${id} not found in group ${group.id}.`);
    return Response.json(roleJson(role, group, principal));
  }

  function listMemberships(ctx: RequestContext, [gid]: string[], principal: Principal): Response {
    const wildcard = gid === "-";
    let group: GroupRecord | undefined;
    if (!wildcard) {
      const found = groupFor(gid as string, principal);
      if (found instanceof Response) return found;
      group = found;
    }
    const size = pageSize(ctx.query.get("maxPageSize"), 10, 100);
    if (size instanceof Response) return size;

    const rawFilter = ctx.query.get("filter") ?? "";
    const binding = `memberships|${gid}|${rawFilter}`;
    let position = 0;
    const token = ctx.query.get("pageToken");
    if (token) {
      const decoded = decodePageToken(token, binding);
      if ("error" in decoded) {
        return v2Error(
          "INVALID_ARGUMENT",
          decoded.error === "mismatch"
            ? "Invalid page token: the request parameters do not match those of the request that returned it."
            : "Invalid page token.",
        );
      }
      position = decoded.position;
    }

    const invalidFilter = (why: string) => v2Error("INVALID_ARGUMENT", `The provided filter is invalid. ${why}`);
    let filter: ReturnType<typeof parseFilter>;
    if (rawFilter.trim() !== "") {
      filter = parseFilter(rawFilter);
      if (!filter) return invalidFilter("Expected `user == 'users/{id}'`, `role == 'groups/{id}/roles/{id}'` or `user in [...]`.");
    }

    if (wildcard) {
      if (filter?.field !== "user" || filter.op !== "in") {
        return invalidFilter("Listing memberships across groups (groups/-) requires `user in ['users/{id}', ...]`.");
      }
      if (filter.values.length > MAX_USERS_IN_FILTER) {
        return invalidFilter(`At most ${MAX_USERS_IN_FILTER} users can be listed, got ${filter.values.length}.`);
      }
      const userIds: number[] = [];
      for (const value of filter.values) {
        const id = userIdFromPath(value);
        if (id === undefined) return invalidFilter(`Invalid user: ${value}.`);
        if (!userIds.includes(id)) userIds.push(id);
      }
      // Flattened: each user's memberships by group id; the token is an offset into that list.
      const all: MemberRecord[] = [];
      for (const id of userIds) {
        for (const m of state.membershipsOf(id)) {
          if (!principal.allowedGroups || principal.allowedGroups.has(m.groupId)) all.push(m);
        }
        if (all.length > position + size) break;
      }
      const page = all.slice(position, position + size);
      const more = all.length > position + size;
      return Response.json(
        withNextPageToken(
          env,
          { groupMemberships: page.map(membershipJson) },
          more ? encodePageToken(position + size, binding) : undefined,
        ),
      );
    }

    const g = group as GroupRecord;
    let source: Iterator<MemberRecord>;
    if (!filter) {
      source = g.order.ascAfter(position);
    } else if (filter.field === "user" && filter.op === "==") {
      const id = userIdFromPath(filter.values[0] as string);
      if (id === undefined) return invalidFilter(`Invalid user: ${filter.values[0]}.`);
      const m = g.members.get(id);
      source = (m && m.seq > position ? [m] : [])[Symbol.iterator]();
    } else if (filter.field === "role" && filter.op === "==") {
      const ref = rolePathIds(filter.values[0] as string);
      if (!ref) return invalidFilter(`Invalid role: ${filter.values[0]}.`);
      if (ref.groupId !== g.id) return invalidFilter(`The role ${filter.values[0]} is not a role of group ${g.id}.`);
      const role = g.roles.get(ref.roleId);
      if (!role) return invalidFilter(`The role ${filter.values[0]} is not a role of group ${g.id}.`);
      source = role.holders.ascAfter(position);
    } else if (filter.op === "in") {
      return invalidFilter("`user in [...]` is only supported on groups/-/memberships.");
    } else {
      return invalidFilter(`Unsupported filter field: ${filter.field}.`);
    }
    const { page, more } = take(source, size);
    const last = page[page.length - 1];
    return Response.json(
      withNextPageToken(
        env,
        { groupMemberships: page.map(membershipJson) },
        more && last ? encodePageToken(last.seq, binding) : undefined,
      ),
    );
  }

  // ---- writes -----------------------------------------------------------------------------

  type WriteKind = "patch" | "assign" | "unassign";

  function write(kind: WriteKind) {
    return (ctx: RequestContext, [gid, mid]: string[], principal: Principal): Response => {
      const group = groupFor(gid as string, principal);
      if (group instanceof Response) return group;
      if (!principal.scopes.has("group:write")) {
        return v2Error("PERMISSION_DENIED", "Insufficient scope: this operation requires the group:write scope.");
      }
      const userId = parseMembershipId(mid as string);
      if (userId === undefined) return v2Error("INVALID_ARGUMENT", "Invalid membership ID in the request.");

      const body = jsonBody(ctx);
      if (!body.ok || !isRecord(body.value)) return v2Error("INVALID_ARGUMENT", "The request body must be a JSON object.");
      const rolePath = body.value.role;
      if (typeof rolePath !== "string" || rolePath === "") return v2Error("INVALID_ARGUMENT", "The role field is required.");
      if (kind === "patch" && body.value.user !== undefined && body.value.user !== `users/${userId}`) {
        return v2Error("INVALID_ARGUMENT", "The user field does not match the membership.");
      }
      const ref = rolePathIds(rolePath);
      if (!ref) return v2Error("INVALID_ARGUMENT", `Invalid role: ${rolePath}. Expected groups/{group_id}/roles/{role_id}.`);
      const role = ref.groupId === group.id ? group.roles.get(ref.roleId) : undefined;
      if (!role) return v2Error("INVALID_ARGUMENT", `Invalid role: ${rolePath} is not a role of group ${group.id}.`);

      const member = group.members.get(userId);
      if (!member) return v2Error("NOT_FOUND", "The user is not a member of the group.");

      if (role === group.guestRole) return v2Error("INVALID_ARGUMENT", "The Guest role cannot be assigned or unassigned.");
      if (role === group.ownerRole) {
        return v2Error("INVALID_ARGUMENT", `The Owner role cannot be ${kind === "unassign" ? "unassigned" : "assigned"}.`);
      }
      if (kind === "unassign" && role.isBase) return v2Error("INVALID_ARGUMENT", "The base member role cannot be unassigned.");

      const denied = checkAuthority(group, principal, member, role, kind);
      if (denied) return denied;

      const before = highestRole(member);
      const actor = writer(group, principal.userId);
      const user = state.requireUser(member.userId);
      if (kind === "patch") {
        if (state.replaceRoles(group, member, role)) env.audit.append(group, rankChange(actor, user, before, highestRole(member)));
      } else if (kind === "assign") {
        if (state.assignRole(member, role)) env.audit.append(group, roleChange("AssignRole", actor, user, role));
      } else {
        if (member.roles.length === 1 && member.roles[0] === role) {
          return v2Error("INVALID_ARGUMENT", "A member must keep at least one role.");
        }
        if (state.unassignRole(member, role)) env.audit.append(group, roleChange("UnassignRole", actor, user, role));
      }
      return Response.json(membershipJson(member));
    };
  }

  function checkAuthority(
    group: GroupRecord,
    principal: Principal,
    target: MemberRecord,
    role: RoleRecord,
    kind: WriteKind,
  ): Response | undefined {
    if (principal.userId !== null && principal.userId === target.userId) {
      return v2Error("PERMISSION_DENIED", "You cannot change your own rank.");
    }
    if (target.userId === group.ownerId) return v2Error("PERMISSION_DENIED", "The rank of the group owner cannot be changed.");
    if (principal.actsAsGroup === "all" || principal.actsAsGroup === group.id) return undefined;
    if (principal.userId === null) {
      return v2Error("PERMISSION_DENIED", "The requester does not have permission to change ranks in this group.");
    }
    if (principal.userId === group.ownerId) return undefined;
    const actor = group.members.get(principal.userId);
    if (!actor) return v2Error("PERMISSION_DENIED", "The requester is not a member of the group.");
    if (!hasPermission(actor, "changeRank")) {
      return v2Error("PERMISSION_DENIED", "The requester does not have permission to change ranks in this group.");
    }
    const actorRank = highestRole(actor).rank;
    if (highestRole(target).rank >= actorRank) {
      return v2Error("PERMISSION_DENIED", "The requester's rank is not high enough to manage this member.");
    }
    if (role.rank >= actorRank) {
      return v2Error(
        "PERMISSION_DENIED",
        `The requester's rank is not high enough to ${kind === "unassign" ? "unassign" : "assign"} this role.`,
      );
    }
    return undefined;
  }

  return [
    { method: "GET", pattern: new RegExp(`^${GROUP}$`), apiClass: "groups.get", handler: getGroup },
    { method: "GET", pattern: new RegExp(`^${GROUP}/roles$`), apiClass: "groups.roles", handler: listRoles },
    { method: "GET", pattern: new RegExp(`^${GROUP}/roles/([^/:]+)$`), apiClass: "groups.roles", handler: getRole },
    { method: "GET", pattern: new RegExp(`^${GROUP}/memberships$`), apiClass: "groups.memberships", handler: listMemberships },
    { method: "PATCH", pattern: new RegExp(`^${MEMBERSHIP}$`), apiClass: "groups.write", handler: write("patch") },
    { method: "POST", pattern: new RegExp(`^${MEMBERSHIP}:assignRole$`), apiClass: "groups.write", handler: write("assign") },
    { method: "POST", pattern: new RegExp(`^${MEMBERSHIP}:unassignRole$`), apiClass: "groups.write", handler: write("unassign") },
  ];
}

function userIdFromPath(path: string): number | undefined {
  const m = /^users\/(\d+)$/.exec(path);
  return m ? parseId(m[1]) : undefined;
}

function rolePathIds(path: string): { groupId: number; roleId: number } | undefined {
  const m = /^groups\/(\d+)\/roles\/(\d+)$/.exec(path);
  const groupId = parseId(m?.[1]);
  const roleId = parseId(m?.[2]);
  return groupId !== undefined && roleId !== undefined ? { groupId, roleId } : undefined;
}
