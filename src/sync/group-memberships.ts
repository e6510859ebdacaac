/**
 * The port a bulk sync reads Roblox group memberships through when binds name more than the
 * guild's own group (range binds on an ally group): per Roblox group id, the roles each linked user
 * holds there, with their rank numbers. It reads with the guild's own Roblox access (so one guild
 * never reads through another's credential), plans the cheapest reads (the roblox client's
 * `readGroupRoleHoldings`), and remembers per guild how many groups its linked users are in, so the
 * next plan prices the shared pass by what Roblox really answered.
 */
import type { GroupHoldingsRead, GroupRoleHoldings, GroupsLookupPlan, MemberRank, RobloxReader, RobloxUserId } from "../services/roblox-port.ts";

export type { GroupRoleHoldings, MemberRank };

export interface GroupMembershipsRequest {
  /** The Roblox groups to read (the guild's own and those its binds name); duplicates are read once. */
  groupIds: readonly number[];
  /** The guild's linked Roblox users. */
  robloxUserIds: readonly RobloxUserId[];
  /** Per group, the roles its binds read, when known: lets a group be read by those roles' member lists. */
  boundRoleIds?: ReadonlyMap<number, readonly number[]>;
}

export interface GroupMembershipsResult {
  /**
   * Per Roblox group id asked (every one present), per linked user in that group, every role they
   * hold as `{roleId, rank}`, highest first. A linked user absent from a group's map is not in that
   * group (rank 0, Guest). Only the users asked are present.
   */
  holdings: GroupRoleHoldings;
  /** Roblox requests sent, planning included. */
  requests: number;
  plan: GroupsLookupPlan;
}

/**
 * One linked user's roles in every group read, the shape a bind resolver takes per member: each
 * group asked has an entry, `[]` when the user is not in it (Guest).
 */
export function groupsHeldBy(holdings: GroupRoleHoldings, robloxUserId: RobloxUserId): Map<number, readonly MemberRank[]> {
  return new Map([...holdings].map(([groupId, members]) => [groupId, members.get(robloxUserId) ?? []]));
}

/** What the bulk sync calls. A read that fails throws (typed Roblox errors): no group is ever read as "not a member" then. */
export interface GroupMembershipsPort {
  read(guildId: string, request: GroupMembershipsRequest): Promise<GroupMembershipsResult>;
}

/** The guild's Roblox reads: `GuildContexts.resolve(guildId).roblox` in the app. */
export type GuildRobloxReads = (guildId: string) => Promise<Pick<RobloxReader, "readGroupRoleHoldings">>;

/** Remembered per guild at most this long: a guild's linked users and their groups drift. */
const OBSERVATION_TTL_MS = 24 * 60 * 60 * 1000;

export class GroupMembershipReader implements GroupMembershipsPort {
  readonly #observed = new Map<string, { perUser: number; at: number }>();

  constructor(
    private readonly readsFor: GuildRobloxReads,
    private readonly now: () => number = Date.now,
  ) {}

  async read(guildId: string, request: GroupMembershipsRequest): Promise<GroupMembershipsResult> {
    const roblox = await this.readsFor(guildId);
    const seen = this.#observed.get(guildId);
    const fresh = seen && this.now() - seen.at < OBSERVATION_TTL_MS ? seen.perUser : undefined;
    const read: GroupHoldingsRead = await roblox.readGroupRoleHoldings(request.groupIds, request.robloxUserIds, {
      boundRoleIds: request.boundRoleIds,
      membershipsPerUser: fresh,
    });
    if (read.observedMembershipsPerUser !== null) this.#observed.set(guildId, { perUser: read.observedMembershipsPerUser, at: this.now() });
    return { holdings: read.holdings, requests: read.requests, plan: read.plan };
  }

  /** A guild that left: nothing of it is kept. */
  forget(guildId: string): void {
    this.#observed.delete(guildId);
  }
}
