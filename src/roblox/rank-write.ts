/**
 * Moving a member's rank to one role while leaving their other roles alone.
 *
 * On Open Cloud a member may hold several roles and their rank is the highest one. Roblox documents
 * the PATCH of a membership as deprecated ("Use AssignGroupRole and UnassignGroupRole instead") and
 * does not say what it does to a member with several roles, so a rank change is `:assignRole` the
 * new rank, then `:unassignRole` the old rank role and any ladder role ranked above the new rank (it
 * would otherwise still be their rank; member-roles.ts decides which). Roles off the ladder and
 * ladder roles below the new rank stay. Assigning first means the member never drops to the base
 * role in between. The legacy hosts show and set one role only: there it is their PATCH. Nothing is
 * sent when there is nothing to change; Guest, Owner and non-members are refused before anything is.
 */
import { RobloxCannotChangeOwnerRankError, RobloxNotInGroupError, RobloxRoleNotAssignableError, RobloxSameRoleError } from "./errors.ts";
import type { GroupRoleCache } from "./group-roles.ts";
import type { LegacyApi } from "./legacy.ts";
import { highestRole, rankChangeFor } from "./member-roles.ts";
import type { OpenCloudApi } from "./open-cloud.ts";
import type { RobloxReadApi } from "./read-api.ts";
import type { RobloxUserId, SetRankOptions, SetRankResult } from "./types.ts";

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
  /** Told just before a write is sent (RobloxClientOptions.onRankWritten): its audit entries may be read while it is in flight. */
  announce?: (previousRoleId: number) => void;
}

export async function writeRank(apis: RankWriteApis, groupId: number, userId: RobloxUserId, roleId: number, options: SetRankOptions = {}): Promise<SetRankResult> {
  const { tally } = options;
  const target = await apis.roles.find(groupId, roleId, tally);
  if (target.rank === GUEST_RANK || target.rank === OWNER_RANK) {
    throw new RobloxRoleNotAssignableError(`role ${roleId} (${target.name}) is Guest or Owner`);
  }
  const member = await apis.reads.getMember(groupId, userId, tally);
  if (!member) throw new RobloxNotInGroupError(`user ${userId} is not in group ${groupId}`);
  const roles = await apis.roles.covering(groupId, member.roleIds, tally);
  if (highestRole(member, roles).rank === OWNER_RANK) {
    throw new RobloxCannotChangeOwnerRankError(`user ${userId} owns group ${groupId}`);
  }
  const change = rankChangeFor(member, roles, target, options.ladderRoleIds);
  const result = (changed: boolean, unassignedRoleIds: number[] = []): SetRankResult => ({
    changed,
    previousRoleId: change.previous.id,
    roleId,
    unassignedRoleIds,
  });

  const { openCloud, legacy } = apis;
  if (!openCloud) {
    if (highestRole(member, roles).id === roleId) return result(false);
    apis.announce?.(change.previous.id);
    try {
      await legacy.setRole(groupId, userId, roleId, tally);
    } catch (error) {
      // Someone else set it between our read and our write.
      if (error instanceof RobloxSameRoleError) return result(false);
      throw error;
    }
    return result(true);
  }

  if (!change.assign && change.unassign.length === 0) return result(false);
  apis.announce?.(change.previous.id);
  // The deprecated PATCH (opt-in) only where it can lose no role: the member keeps nothing but the base role.
  if (apis.mode === "patch" && change.kept.length === 0) {
    await openCloud.patchRole(groupId, userId, roleId, tally);
    return result(true, change.unassign);
  }
  if (change.assign) await openCloud.assignRole(groupId, userId, target.id, tally);
  for (const id of change.unassign) await openCloud.unassignRole(groupId, userId, id, tally);
  return result(true, change.unassign);
}
