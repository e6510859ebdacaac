/**
 * Putting a member in exactly one role: the checks Roblox would refuse anyway (Guest, Owner, not a
 * member), then the legacy single-role write or Open Cloud's assign-then-unassign (or the
 * deprecated `patch`), sending nothing when the member already holds exactly that role.
 */
import { RobloxCannotChangeOwnerRankError, RobloxNotInGroupError, RobloxRoleNotAssignableError, RobloxSameRoleError } from "./errors.ts";
import { highestRole, type GroupRoleCache } from "./group-roles.ts";
import type { LegacyApi } from "./legacy.ts";
import type { OpenCloudApi } from "./open-cloud.ts";
import type { RobloxReadApi } from "./read-api.ts";
import type { RequestTally } from "./transport.ts";
import type { RobloxUserId, SetRankResult } from "./types.ts";

/** The highest rank, held only by the group's owner; rank 0 is Guest (non-members). */
const OWNER_RANK = 255;
const GUEST_RANK = 0;

export interface RankWriteApis {
  reads: RobloxReadApi;
  roles: GroupRoleCache;
  legacy: LegacyApi;
  /** Present with an API key: writes go through Open Cloud. */
  openCloud: OpenCloudApi | undefined;
  /** How Open Cloud writes are sent (RobloxClientOptions.openCloudRankWrite). */
  mode: "assign-role" | "patch";
}

export async function writeRank(apis: RankWriteApis, groupId: number, userId: RobloxUserId, roleId: number, tally?: RequestTally): Promise<SetRankResult> {
  const target = await apis.roles.find(groupId, roleId, tally);
  if (target.rank === GUEST_RANK || target.rank === OWNER_RANK) {
    throw new RobloxRoleNotAssignableError(`role ${roleId} (${target.name}) is Guest or Owner`);
  }
  const member = await apis.reads.getMember(groupId, userId, tally);
  if (!member) throw new RobloxNotInGroupError(`user ${userId} is not in group ${groupId}`);
  const roles = await apis.roles.covering(groupId, member.roleIds, tally);
  const previous = highestRole(member, roles);
  if (previous.rank === OWNER_RANK) {
    throw new RobloxCannotChangeOwnerRankError(`user ${userId} owns group ${groupId}`);
  }
  const unchanged = { changed: false, previousRoleId: previous.id, roleId };
  const changed = { changed: true, previousRoleId: previous.id, roleId };

  const { openCloud, legacy } = apis;
  if (!openCloud) {
    if (previous.id === roleId) return unchanged;
    try {
      await legacy.setRole(groupId, userId, roleId, tally);
    } catch (error) {
      // Someone else set it between our read and our write.
      if (error instanceof RobloxSameRoleError) return unchanged;
      throw error;
    }
    return changed;
  }

  const baseIds = new Set(roles.filter((role) => role.isBase).map((role) => role.id));
  const extraRoles = member.roleIds.filter((id) => !baseIds.has(id));
  const wanted = target.isBase ? [] : [target.id];
  if (extraRoles.length === wanted.length && extraRoles.every((id) => wanted.includes(id))) return unchanged;

  if (apis.mode === "patch") {
    await openCloud.patchRole(groupId, userId, roleId, tally);
    return changed;
  }
  // Assign first so the member never drops to the base role in between.
  if (!target.isBase && !member.roleIds.includes(target.id)) {
    await openCloud.assignRole(groupId, userId, target.id, tally);
  }
  for (const id of extraRoles) {
    if (id !== target.id) await openCloud.unassignRole(groupId, userId, id, tally);
  }
  return changed;
}
