/**
 * The planner's reading of a linked member for the binds: their ladder rank and their roles in
 * every Roblox group a range bind names (unknown groups marked so), and the nickname the template
 * gives them. Pure, no wording; part of the planner (planner.ts), split out for size.
 */
import type { BindSet, HeldRobloxRole, MemberStanding, RobloxGroupId } from "../ranks/binds.ts";
import type { Rank, RankId } from "../ranks/ladder.ts";
import { renderNickname } from "../ranks/nickname.ts";
import type { LinkedAccount, SyncInput } from "./planner.ts";

/** A linked member's standing as the binds read it: their rank(s) and their roles in every group a range names. */
export class StandingReader {
  readonly #otherGroupIds: RobloxGroupId[];

  constructor(
    private readonly input: SyncInput,
    binds: BindSet,
  ) {
    this.#otherGroupIds = binds.rangeGroupIds().filter((groupId) => groupId !== input.robloxGroupId);
  }

  of(link: LinkedAccount, toRank: Rank | null, fromPendingWrite: boolean): MemberStanding {
    const { input } = this;
    const groups = new Map<RobloxGroupId, readonly HeldRobloxRole[]>();
    let unknownGroupIds: Set<RobloxGroupId> | undefined;
    const rankIds: RankId[] = [];
    if (toRank) {
      const membership = input.robloxMemberships.get(link.robloxUserId);
      // A pending write replaces the ladder rank; the member's other roles stay as Roblox reports them.
      const held: HeldRobloxRole[] = [{ roleId: toRank.robloxRoleId, rank: toRank.robloxRank }];
      for (const role of membership?.roles ?? []) {
        // The ladder role a pending write replaces is not held any more.
        if (fromPendingWrite && role.roleId === membership?.roleId) continue;
        if (role.roleId !== toRank.robloxRoleId) held.push(role);
      }
      // Rank binds follow the ladder rank alone (the highest ladder role, as Roblox's base role is held by everyone).
      rankIds.push(toRank.id);
      if (input.robloxGroupId !== undefined) groups.set(input.robloxGroupId, held);
    } else if (input.robloxGroupId !== undefined) groups.set(input.robloxGroupId, NO_ROLES);
    for (const groupId of this.#otherGroupIds) {
      const members = input.otherGroups?.get(groupId);
      if (members) groups.set(groupId, members.get(link.robloxUserId) ?? NO_ROLES);
      else {
        unknownGroupIds ??= new Set();
        unknownGroupIds.add(groupId);
      }
    }
    return { linked: true, rankIds, groups, ...(unknownGroupIds && { unknownGroupIds }) };
  }

  /** The nickname to set, or undefined when it stays (no template, unknown current nickname, or already right). */
  nickChange(link: LinkedAccount, toRank: Rank | null): string | null | undefined {
    const nicknames = this.input.nicknames;
    const member = nicknames?.members.get(link.discordId);
    if (!nicknames || !member) return undefined;
    const nick = renderNickname(nicknames.template, {
      robloxUsername: link.robloxUsername,
      displayName: link.robloxDisplayName ?? null,
      robloxUserId: link.robloxUserId,
      rank: toRank,
      discordName: member.discordName,
    });
    return nick === null || nick === member.nick ? undefined : nick;
  }
}

const NO_ROLES: readonly HeldRobloxRole[] = Object.freeze([]);
