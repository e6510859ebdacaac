import { RobloxUserNotFoundError } from "./errors.ts";
import { type GroupMembership, markBaseRole, MEMBERSHIP_BATCH_SIZE, ROSTER_PAGE_SIZE, type RobloxReadApi } from "./read-api.ts";
import type { RequestAuth, RequestTally, RobloxTransport } from "./transport.ts";
import type { GroupInfo, GroupMember, GroupRole, RobloxUser, RobloxUserId, RobloxUserProfile, RosterPage } from "./types.ts";
import { requireRoles } from "./schemas.ts";
import * as wire from "./wire.ts";
import type { z } from "zod";

/** POST /v1/usernames/users takes at most this many names a request. */
export const USERNAMES_BATCH_SIZE = 100;

/**
 * The legacy web APIs on groups.roblox.com and users.roblox.com: used for reads when there is no
 * API key (with the cookie, or anonymously for the public GETs) and for rank writes with a cookie.
 */
export class LegacyApi implements RobloxReadApi {
  readonly family = "legacy";

  /** `auth` is "cookie" when a cookie is configured, "none" otherwise. */
  constructor(
    private readonly transport: RobloxTransport,
    private readonly auth: RequestAuth,
  ) {}

  async getGroup(groupId: number, tally?: RequestTally): Promise<GroupInfo> {
    const group = await this.get(`/v1/groups/${groupId}`, `get group ${groupId}`, wire.legacyGroup, tally);
    return {
      id: group.id,
      name: group.name,
      description: group.description ?? "",
      ownerUserId: group.owner?.userId ?? null,
      memberCount: group.memberCount,
    };
  }

  async listRoles(groupId: number, tally?: RequestTally): Promise<GroupRole[]> {
    const { roles } = await this.get(`/v1/groups/${groupId}/roles`, `list roles of group ${groupId}`, wire.legacyRoles, tally);
    requireRoles(`GET groups/v1/groups/${groupId}/roles`, "roles", roles);
    return markBaseRole(roles.map((role) => ({ ...role, memberCount: role.memberCount ?? null, canChangeRank: null })));
  }

  async getMember(groupId: number, userId: RobloxUserId, tally?: RequestTally): Promise<GroupMember | null> {
    // Not in the group: simply absent from the user's groups.
    const found = (await this.groupsOf(userId, tally)).find((membership) => membership.groupId === groupId);
    return found ? { userId, roleId: found.roleId, roleIds: found.roleIds } : null;
  }

  /** One request per user, each listing every group of that user (the highest role only); deleted accounts are in none. */
  async groupMembershipsAmong(userIds: RobloxUserId[], tally?: RequestTally): Promise<GroupMembership[]> {
    const perUser = await Promise.all(
      userIds.map((userId) =>
        this.groupsOf(userId, tally).catch((error: unknown) => {
          if (error instanceof RobloxUserNotFoundError) return [];
          throw error;
        }),
      ),
    );
    return perUser.flat();
  }

  /** `/v2/users/{id}/groups/roles`: every group of the user with the highest role held (legacy shows one). */
  private async groupsOf(userId: RobloxUserId, tally?: RequestTally): Promise<GroupMembership[]> {
    const { data } = await this.transport.request(
      {
        api: "legacy",
        service: "groups",
        method: "GET",
        path: `/v2/users/${userId}/groups/roles`,
        // The spec marks all three as required, though the host accepts their absence.
        query: { includeLocked: true, includeNotificationPreferences: false, discoveryType: 0 },
        auth: this.auth,
        errors: { operation: `get groups of user ${userId}`, legacyCodes: { 3: "user_not_found" } },
        tally,
      },
      wire.legacyUserGroupRoles,
    );
    return data.map((item) => ({ groupId: item.group.id, userId, roleId: item.role.id, roleIds: [item.role.id] }));
  }

  async rosterPage(groupId: number, pageToken: string | null, tally?: RequestTally): Promise<RosterPage> {
    const page = await this.get(
      `/v1/groups/${groupId}/users`,
      `list members of group ${groupId}`,
      wire.legacyGroupUsersPage,
      tally,
      { limit: ROSTER_PAGE_SIZE, sortOrder: "Asc", cursor: pageToken ?? undefined },
    );
    return {
      members: page.data.map(({ user, role }) => ({ userId: user.userId, roleId: role.id, roleIds: [role.id] })),
      nextPageToken: page.nextPageCursor,
    };
  }

  async roleMembersPage(groupId: number, roleId: number, pageToken: string | null, tally?: RequestTally): Promise<RosterPage> {
    const page = await this.get(
      `/v1/groups/${groupId}/roles/${roleId}/users`,
      `list members of role ${roleId} in group ${groupId}`,
      wire.legacyRoleUsersPage,
      tally,
      { limit: ROSTER_PAGE_SIZE, sortOrder: "Asc", cursor: pageToken ?? undefined },
    );
    return {
      members: page.data.map(({ userId }) => ({ userId, roleId, roleIds: [roleId] })),
      nextPageToken: page.nextPageCursor,
    };
  }

  /** No batch endpoint on the legacy hosts: one request per user, run side by side under the limiter. */
  async membersAmong(groupId: number, userIds: RobloxUserId[], tally?: RequestTally): Promise<GroupMember[]> {
    if (userIds.length > MEMBERSHIP_BATCH_SIZE) {
      throw new RangeError(`at most ${MEMBERSHIP_BATCH_SIZE} users per membership batch, got ${userIds.length}`);
    }
    const members = await Promise.all(
      userIds.map((userId) =>
        this.getMember(groupId, userId, tally).catch((error: unknown) => {
          // A deleted account is simply not a member.
          if (error instanceof RobloxUserNotFoundError) return null;
          throw error;
        }),
      ),
    );
    return members.filter((member): member is GroupMember => member !== null);
  }

  async getUserProfile(userId: RobloxUserId, tally?: RequestTally): Promise<RobloxUserProfile> {
    const user = await this.transport.request(
      {
        api: "legacy",
        service: "users",
        method: "GET",
        path: `/v1/users/${userId}`,
        auth: this.auth,
        errors: { operation: `get user ${userId}`, legacyCodes: { 3: "user_not_found" }, notFound: "user_not_found" },
        tally,
      },
      wire.legacyUser,
    );
    return { id: user.id, name: user.name, displayName: user.displayName ?? user.name, about: user.description ?? "" };
  }

  /** Unknown names are left out of the answer (Roblox also matches previous usernames). */
  async usersByUsernames(usernames: string[], tally?: RequestTally): Promise<Array<RobloxUser & { requestedUsername: string }>> {
    if (usernames.length > USERNAMES_BATCH_SIZE) {
      throw new RangeError(`at most ${USERNAMES_BATCH_SIZE} usernames per request, got ${usernames.length}`);
    }
    const { data } = await this.transport.request(
      {
        api: "legacy",
        service: "users",
        method: "POST",
        path: "/v1/usernames/users",
        body: { usernames, excludeBannedUsers: true },
        // Exempt from CSRF and public: no need to expose the cookie.
        auth: "none",
        errors: { operation: "look up usernames", legacyCodes: { 2: "invalid_request" } },
        tally,
      },
      wire.legacyUsernames,
    );
    return data.map((user) => ({
      requestedUsername: user.requestedUsername ?? user.name,
      id: user.id,
      name: user.name,
      displayName: user.displayName ?? user.name,
    }));
  }

  /** The cookie's account. */
  async authenticatedUser(tally?: RequestTally): Promise<RobloxUser> {
    const user = await this.transport.request(
      {
        api: "legacy",
        service: "users",
        method: "GET",
        path: "/v1/users/authenticated",
        auth: "cookie",
        errors: { operation: "get the authenticated user" },
        tally,
      },
      wire.legacyAuthenticatedUser,
    );
    return { id: user.id, name: user.name, displayName: user.displayName ?? user.name };
  }

  /** The cookie account's own role and permissions in the group (read-only). */
  async ownMembership(groupId: number, tally?: RequestTally): Promise<{ roleId: number | null; canChangeRank: boolean }> {
    const membership = await this.get(
      `/v1/groups/${groupId}/membership`,
      `get own membership in group ${groupId}`,
      wire.legacyOwnMembership,
      tally,
      { includeNotificationPreferences: false },
      "cookie",
    );
    return {
      roleId: membership.userRole?.role?.id ?? null,
      canChangeRank: membership.permissions?.groupMembershipPermissions?.changeRank === true,
    };
  }

  /** PATCH /v1/groups/{g}/users/{u} `{roleId}`: cookie and X-CSRF-TOKEN. */
  async setRole(groupId: number, userId: RobloxUserId, roleId: number, tally?: RequestTally): Promise<void> {
    await this.transport.request(
      {
        api: "legacy",
        service: "groups",
        method: "PATCH",
        path: `/v1/groups/${groupId}/users/${userId}`,
        body: { roleId },
        auth: "cookie",
        // On this endpoint "the user is invalid" is how a non-member is reported.
        errors: { operation: `set role of user ${userId} in group ${groupId}`, legacyCodes: { 3: "not_in_group" } },
        tally,
      },
      wire.emptyObject,
    );
  }

  /** A GET on groups.roblox.com, whose error codes are the default legacy table. */
  private get<Schema extends z.ZodType>(
    path: string,
    operation: string,
    schema: Schema,
    tally?: RequestTally,
    query?: Record<string, string | number | boolean | undefined>,
    auth: RequestAuth = this.auth,
  ): Promise<z.output<Schema>> {
    return this.transport.request(
      { api: "legacy", service: "groups", method: "GET", path, query, auth, errors: { operation }, tally },
      schema,
    );
  }
}
