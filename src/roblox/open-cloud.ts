import { RobloxUnexpectedResponseError } from "./errors.ts";
import { requireRoles } from "./schemas.ts";
import { type GroupMembership, markBaseRole, MEMBERSHIP_BATCH_SIZE, ROLES_PAGE_SIZE, ROSTER_PAGE_SIZE, type RobloxReadApi } from "./read-api.ts";
import type { RequestTally, RobloxTransport } from "./transport.ts";
import type { GroupInfo, GroupMember, GroupRole, RobloxUserId, RobloxUserProfile, RosterPage } from "./types.ts";
import { membershipId, rolePath, userPath } from "./urls.ts";
import * as wire from "./wire.ts";
import type { z } from "zod";

/** Open Cloud v2 on apis.roblox.com, authenticated with `x-api-key`. */
export class OpenCloudApi implements RobloxReadApi {
  readonly family = "open-cloud";

  constructor(private readonly transport: RobloxTransport) {}

  async getGroup(groupId: number, tally?: RequestTally): Promise<GroupInfo> {
    const group = await this.transport.request(
      {
        api: "groups.get",
        service: "apis",
        method: "GET",
        path: `/cloud/v2/groups/${groupId}`,
        auth: "api-key",
        errors: { operation: `get group ${groupId}`, notFound: "group_not_found" },
        tally,
      },
      wire.cloudGroup,
    );
    return {
      id: Number(group.id),
      name: group.displayName,
      description: group.description ?? "",
      ownerUserId: group.owner ? idFromPath(group.owner) : null,
      memberCount: group.memberCount,
    };
  }

  async listRoles(groupId: number, tally?: RequestTally): Promise<GroupRole[]> {
    const roles: Omit<GroupRole, "isBase">[] = [];
    let pageToken: string | null = null;
    do {
      const page: z.output<typeof wire.cloudRolesPage> = await this.transport.request(
        {
          api: "groups.roles",
          service: "apis",
          method: "GET",
          path: `/cloud/v2/groups/${groupId}/roles`,
          query: { maxPageSize: ROLES_PAGE_SIZE, pageToken: pageToken ?? undefined },
          auth: "api-key",
          errors: { operation: `list roles of group ${groupId}`, notFound: "group_not_found" },
          tally,
        },
        wire.cloudRolesPage,
      );
      for (const role of page.groupRoles) {
        roles.push({
          id: Number(role.id),
          name: role.displayName,
          rank: role.rank,
          memberCount: role.memberCount ?? null,
          canChangeRank: role.permissions ? role.permissions.changeRank === true : null,
        });
      }
      pageToken = page.nextPageToken;
    } while (pageToken);
    // Every group has at least its Guest and Owner roles: an empty list is a broken answer.
    requireRoles(`GET apis/cloud/v2/groups/${groupId}/roles`, "groupRoles", roles);
    return markBaseRole(roles);
  }

  async getMember(groupId: number, userId: RobloxUserId, tally?: RequestTally): Promise<GroupMember | null> {
    // A non-member is an empty list, not a 404.
    const page = await this.listMemberships(groupId, `user == '${userPath(userId)}'`, null, tally, 1);
    return page.members[0] ?? null;
  }

  rosterPage(groupId: number, pageToken: string | null, tally?: RequestTally): Promise<RosterPage> {
    return this.listMemberships(groupId, undefined, pageToken, tally);
  }

  roleMembersPage(groupId: number, roleId: number, pageToken: string | null, tally?: RequestTally): Promise<RosterPage> {
    return this.listMemberships(groupId, `role == '${rolePath(groupId, roleId)}'`, pageToken, tally);
  }

  async membersAmong(groupId: number, userIds: RobloxUserId[], tally?: RequestTally): Promise<GroupMember[]> {
    if (userIds.length === 0) return [];
    if (userIds.length > MEMBERSHIP_BATCH_SIZE) {
      throw new RangeError(`at most ${MEMBERSHIP_BATCH_SIZE} users per membership batch, got ${userIds.length}`);
    }
    // The wildcard group answers for every group these users are in; keep ours.
    const filter = `user in [${userIds.map((id) => `'${userPath(id)}'`).join(", ")}]`;
    const members: GroupMember[] = [];
    let pageToken: string | null = null;
    do {
      const page = await this.listMemberships("-", filter, pageToken, tally, ROSTER_PAGE_SIZE, groupId);
      members.push(...page.members);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return members;
  }

  async groupMembershipsAmong(userIds: RobloxUserId[], tally?: RequestTally): Promise<GroupMembership[]> {
    if (userIds.length === 0) return [];
    if (userIds.length > MEMBERSHIP_BATCH_SIZE) {
      throw new RangeError(`at most ${MEMBERSHIP_BATCH_SIZE} users per membership batch, got ${userIds.length}`);
    }
    const filter = `user in [${userIds.map((id) => `'${userPath(id)}'`).join(", ")}]`;
    const found: GroupMembership[] = [];
    let pageToken: string | null = null;
    do {
      const page = await this.listMemberships("-", filter, pageToken, tally, ROSTER_PAGE_SIZE);
      found.push(...page.members);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return found;
  }

  async getUserProfile(userId: RobloxUserId, tally?: RequestTally): Promise<RobloxUserProfile> {
    const user = await this.transport.request(
      {
        api: "users.get",
        service: "apis",
        method: "GET",
        path: `/cloud/v2/users/${userId}`,
        auth: "api-key",
        errors: { operation: `get user ${userId}`, notFound: "user_not_found" },
        tally,
      },
      wire.cloudUser,
    );
    return { id: Number(user.id), name: user.name, displayName: user.displayName ?? user.name, about: user.about ?? "" };
  }

  /** `:assignRole`: no-op on the server when the member already holds the role. */
  async assignRole(groupId: number, userId: RobloxUserId, roleId: number, tally?: RequestTally): Promise<void> {
    await this.membershipAction(groupId, userId, roleId, "assignRole", tally);
  }

  /** `:unassignRole`: no-op on the server when the member does not hold the role. */
  async unassignRole(groupId: number, userId: RobloxUserId, roleId: number, tally?: RequestTally): Promise<void> {
    await this.membershipAction(groupId, userId, roleId, "unassignRole", tally);
  }

  /** The deprecated single-role PATCH (replaces the member's role). */
  async patchRole(groupId: number, userId: RobloxUserId, roleId: number, tally?: RequestTally): Promise<void> {
    await this.transport.request(
      {
        api: "groups.write",
        service: "apis",
        method: "PATCH",
        path: `/cloud/v2/groups/${groupId}/memberships/${membershipId(userId)}`,
        body: { role: rolePath(groupId, roleId) },
        auth: "api-key",
        errors: { operation: `set role of user ${userId} in group ${groupId}`, notFound: "not_in_group" },
        tally,
      },
      wire.cloudMembership,
    );
  }

  private async membershipAction(
    groupId: number,
    userId: RobloxUserId,
    roleId: number,
    action: "assignRole" | "unassignRole",
    tally?: RequestTally,
  ): Promise<void> {
    await this.transport.request(
      {
        api: "groups.write",
        service: "apis",
        method: "POST",
        path: `/cloud/v2/groups/${groupId}/memberships/${membershipId(userId)}:${action}`,
        body: { role: rolePath(groupId, roleId) },
        auth: "api-key",
        errors: { operation: `${action} ${roleId} for user ${userId} in group ${groupId}`, notFound: "not_in_group" },
        tally,
      },
      wire.cloudMembership,
    );
  }

  /**
   * One page of `GET /cloud/v2/groups/{group}/memberships`. `keepGroupId` filters the wildcard
   * group's answer down to one group.
   */
  private async listMemberships(
    groupId: number | "-",
    filter: string | undefined,
    pageToken: string | null,
    tally: RequestTally | undefined,
    maxPageSize = ROSTER_PAGE_SIZE,
    keepGroupId?: number,
  ): Promise<{ members: GroupMembership[]; nextPageToken: string | null }> {
    const page = await this.transport.request(
      {
        api: "groups.memberships",
        service: "apis",
        method: "GET",
        path: `/cloud/v2/groups/${groupId}/memberships`,
        query: { maxPageSize, pageToken: pageToken ?? undefined, filter },
        auth: "api-key",
        errors: { operation: `list memberships of group ${groupId}`, notFound: "group_not_found" },
        tally,
      },
      wire.cloudMembershipsPage,
    );
    const prefix = keepGroupId === undefined ? undefined : `groups/${keepGroupId}/`;
    const members = page.groupMemberships
      .filter((membership) => prefix === undefined || membership.path.startsWith(prefix))
      .map(toGroupMember);
    return { members, nextPageToken: page.nextPageToken };
  }
}

function toGroupMember(membership: z.output<typeof wire.cloudMembership>): GroupMembership {
  const roleId = idFromPath(membership.role);
  const roleIds = membership.roles.map(idFromPath);
  if (!roleIds.includes(roleId)) roleIds.push(roleId);
  // `groups/{id}/memberships/{id}`: the group a wildcard answer's membership is in.
  const groupId = Number(/^groups\/(\d+)\//.exec(membership.path)?.[1]);
  if (!Number.isSafeInteger(groupId)) throw new RobloxUnexpectedResponseError(`not a membership path: ${membership.path}`);
  return { groupId, userId: idFromPath(membership.user), roleId, roleIds };
}

/** The trailing numeric id of a resource path such as `users/123` or `groups/7/roles/99`. */
function idFromPath(path: string): number {
  const id = Number(path.slice(path.lastIndexOf("/") + 1));
  if (!Number.isSafeInteger(id)) throw new RobloxUnexpectedResponseError(`not a resource path with a numeric id: ${path}`);
  return id;
}
