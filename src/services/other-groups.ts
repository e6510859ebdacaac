/**
 * One member's roles in the other Roblox groups the guild's range binds name, for the one-member
 * paths (link, rank change, one-member sync, join): one read through the other-groups port. A
 * group that could not be read stays unknown, so its binds neither give nor take; the action
 * itself goes on (a link is not refused because an ally group did not answer).
 */
import type { Logger } from "../observability/logger.ts";
import type { HeldRobloxRole, RobloxGroupId } from "../ranks/binds.ts";
import type { GroupMembershipsPort } from "../sync/group-memberships.ts";
import type { GuildContext } from "./guild-context.ts";

export interface OtherGroupsOfMember {
  /** Per group read: every role held there, [] when not a member. */
  readonly groups: ReadonlyMap<RobloxGroupId, readonly HeldRobloxRole[]>;
  /** Groups a range bind names that could not be read. */
  readonly unknownGroupIds: ReadonlySet<RobloxGroupId>;
}

export async function otherGroupsOfMember(
  port: GroupMembershipsPort | undefined,
  context: Pick<GuildContext, "guildId" | "groupId" | "binds">,
  robloxUserId: number,
  logger?: Logger,
): Promise<OtherGroupsOfMember> {
  const groupIds = context.binds.rangeGroupIds().filter((groupId) => groupId !== context.groupId);
  if (groupIds.length === 0) return { groups: new Map(), unknownGroupIds: new Set() };
  if (!port) return { groups: new Map(), unknownGroupIds: new Set(groupIds) };
  try {
    const { holdings } = await port.read(context.guildId, { groupIds, robloxUserIds: [robloxUserId] });
    const groups = new Map<RobloxGroupId, readonly HeldRobloxRole[]>();
    const unknownGroupIds = new Set<RobloxGroupId>();
    for (const groupId of groupIds) {
      const members = holdings.get(groupId);
      if (members) groups.set(groupId, members.get(robloxUserId) ?? []);
      else unknownGroupIds.add(groupId);
    }
    return { groups, unknownGroupIds };
  } catch (error) {
    logger?.warn({ err: error, guildId: context.guildId, robloxUserId }, "could not read the member's other groups; their binds are left as they are");
    return { groups: new Map(), unknownGroupIds: new Set(groupIds) };
  }
}

/** The planner's `otherGroups` input for one user. */
export function asPlannerGroups(robloxUserId: number, other: OtherGroupsOfMember): Map<RobloxGroupId, Map<number, readonly HeldRobloxRole[]>> {
  return new Map([...other.groups].map(([groupId, roles]) => [groupId, new Map([[robloxUserId, roles]])]));
}
