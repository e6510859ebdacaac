/**
 * The guard against mass change (design §6, point 5): the defence against an answer that looks
 * valid but is empty or partial during an incident. Pure: a sync run and, later, the change feed
 * (a burst of leaves) ask it the same question with their own counts.
 */
import type { DiscordRoleId } from "../ranks/ladder.ts";
import type { SyncItem } from "./planner.ts";

export interface MassChangeThreshold {
  /** Held when MORE than this share of the linked members is affected... */
  readonly percent: number;
  /** ...AND more than this many members. */
  readonly members: number;
}

export const DEFAULT_MASS_CHANGE_THRESHOLD: MassChangeThreshold = { percent: 10, members: 10 };

export interface MassChangeVerdict {
  readonly held: boolean;
  /** Members who would lose their rank roles or count as gone from the group. */
  readonly affected: number;
  readonly linked: number;
  readonly threshold: MassChangeThreshold;
}

/** Whether a change touching `affected` of `linked` members must wait for an admin. */
export function judgeMassChange(affected: number, linked: number, threshold: MassChangeThreshold = DEFAULT_MASS_CHANGE_THRESHOLD): MassChangeVerdict {
  const held = affected > threshold.members && affected * 100 > threshold.percent * linked;
  return { held, affected, linked, threshold };
}

/** The guild's setting, with the defaults where it has none. */
export function massChangeThresholdOf(settings: { massChangePercent: number | null; massChangeMembers: number | null } | undefined): MassChangeThreshold {
  return {
    percent: settings?.massChangePercent ?? DEFAULT_MASS_CHANGE_THRESHOLD.percent,
    members: settings?.massChangeMembers ?? DEFAULT_MASS_CHANGE_THRESHOLD.members,
  };
}

/**
 * Whether a planned item counts toward the guard: the member newly counts as gone from the Roblox
 * group (whatever the left-group policy does about it: they still show or store a rank), or the
 * plan takes bound rank roles away and leaves them none. A promotion or demotion swaps one rank role
 * for another and does not count; nor does removing a second, stray rank role from a member who
 * keeps the right one; nor a member long gone with nothing left to take, unless the group lock
 * kicks them: a burst of kicks waits for an admin like a burst of stripped ranks.
 */
export function isStrippingChange(
  item: Pick<SyncItem, "kind" | "removeRoleIds" | "nextRoleIds" | "fromRank" | "storedRankChange">,
  isBound: (roleId: DiscordRoleId) => boolean,
  /** The group lock will kick this member (left the group, still in the server): a kick always counts. */
  kicked = false,
): boolean {
  if (item.kind === "left-group") return kicked || item.fromRank !== null || item.storedRankChange !== null || item.nextRoleIds !== null;
  if (item.nextRoleIds === null || !item.removeRoleIds.some(isBound)) return false;
  return !item.nextRoleIds.some(isBound);
}
