/**
 * From audit-log entries to each named member's Roblox standing, without asking Roblox: the entry
 * carries the new role (ChangeRank), or the role given or taken (AssignRole/UnassignRole, folded
 * onto the rank the guild has stored for them), or says they joined or are gone. Where the entries
 * alone cannot tell (a role taken that was their highest, a role the ladder does not know, no
 * stored rank to fold onto), the standing is "unknown" and the caller confirms it with one
 * membership read. Pure.
 */
import type { RankLadder, RobloxMembership, RobloxRoleId, RobloxUserId } from "../../ranks/ladder.ts";
import type { AuditLogEntry, AuditMembershipAction } from "../../services/roblox-port.ts";

export type FedStanding =
  /** `membership` null: no longer in the group. */
  | { readonly kind: "known"; readonly membership: RobloxMembership | null }
  | { readonly kind: "unknown" };

export interface MemberChange {
  readonly robloxUserId: RobloxUserId;
  readonly standing: FedStanding;
  /** The entries people made (ours left out), oldest first: who changed it, and when. */
  readonly entries: readonly MemberEntry[];
}

/** An entry the feed acts on: a membership action naming its member. */
export type MemberEntry = AuditLogEntry & { actionType: AuditMembershipAction; target: { userId: number } };

export function isMemberEntry(entry: AuditLogEntry): entry is MemberEntry {
  return entry.actionType !== "other" && entry.target !== undefined;
}

/** The entries of each member, oldest first, in the order members first appear. */
export function entriesByMember(entries: readonly AuditLogEntry[]): Map<RobloxUserId, MemberEntry[]> {
  const byMember = new Map<RobloxUserId, MemberEntry[]>();
  for (const entry of entries) {
    if (!isMemberEntry(entry)) continue;
    const list = byMember.get(entry.target.userId) ?? [];
    list.push(entry);
    byMember.set(entry.target.userId, list);
  }
  return byMember;
}

/**
 * One member's standing after their entries. `storedRoleId`: the Roblox role of the rank the guild
 * stored for them (null when none). `isOwn` tells our own writes: they count toward the standing,
 * but a member changed only by us has nothing to apply (undefined).
 */
export function foldMember(
  robloxUserId: RobloxUserId,
  entries: readonly MemberEntry[],
  storedRoleId: RobloxRoleId | null,
  ladder: RankLadder,
  isOwn: (entry: MemberEntry) => boolean,
): MemberChange | undefined {
  const theirs = entries.filter((entry) => !isOwn(entry));
  if (theirs.length === 0) return undefined;
  let standing: FedStanding = storedRoleId === null ? { kind: "unknown" } : known(storedRoleId, ladder);
  for (const entry of entries) standing = step(standing, entry, ladder);
  return { robloxUserId, standing, entries: theirs };
}

function step(current: FedStanding, entry: MemberEntry, ladder: RankLadder): FedStanding {
  switch (entry.actionType) {
    case "ChangeRank":
      return entry.newRole ? known(entry.newRole.id, ladder) : { kind: "unknown" };
    case "JoinGroup": {
      // Joining gives the group's base member role, the lowest rung of a ladder that holds every role but Guest.
      const base = ladder.ranks[0];
      return base && base.robloxRank === BASE_MEMBER_RANK ? known(base.robloxRoleId, ladder) : { kind: "unknown" };
    }
    case "LeaveGroup":
    case "RemoveMember":
    case "BanMember":
      return { kind: "known", membership: null };
    case "AssignRole": {
      const given = entry.role && ladder.byRobloxRoleId(entry.role.id);
      if (!given || current.kind === "unknown") return { kind: "unknown" };
      // Given to someone not in the group: they joined with it.
      if (current.membership === null || given.robloxRank > current.membership.rank) return known(given.robloxRoleId, ladder);
      return current;
    }
    case "UnassignRole": {
      if (!entry.role || current.kind === "unknown" || current.membership === null) return { kind: "unknown" };
      // Taking away their highest role leaves whichever they hold next, which the entry does not say.
      return entry.role.id === current.membership.roleId ? { kind: "unknown" } : current;
    }
  }
}

const BASE_MEMBER_RANK = 1;

function known(roleId: RobloxRoleId, ladder: RankLadder): FedStanding {
  const rank = ladder.byRobloxRoleId(roleId);
  // A role the ladder does not know: the planner leaves the member alone ("unranked-role"), as a sync would.
  return { kind: "known", membership: { roleId, rank: rank?.robloxRank ?? 0 } };
}
