/**
 * A group's audit log as the emulator keeps it: every membership change made through the emulator
 * (the bot's writes on the Open Cloud and legacy routes, and the website-style helpers) appends one
 * entry, in order, attributed to the user who made it.
 *
 * `description` has no schema in Roblox's OpenAPI document. What is modelled here is what community
 * clients read from real answers (notes/platform-2026.md; unconfirmed by Roblox):
 * - ChangeRank: `TargetId`, `TargetName`, `OldRoleSetId`, `OldRoleSetName`, `NewRoleSetId`, `NewRoleSetName`
 *   (old and new are the member's highest role before and after);
 * - AssignRole / UnassignRole: `TargetId`, `TargetName`, `RoleSetId`, `RoleSetName`;
 * - RemoveMember / BanMember: `TargetId`, `TargetName`;
 * - JoinGroup / LeaveGroup: the actor is the member; `description` is `{}`.
 *
 * Retention: Roblox does not document how long entries are kept; here forever unless
 * `retentionMs` is set, so a test can make entries expire and the feed see a gap.
 */
import { SeqIndex } from "./seq-index.ts";
import type { GroupRecord, RoleRecord, UserRecord } from "./state.ts";
import { highestRole } from "./state.ts";

/** The action types the emulator writes (Roblox's enum has about 80; see AUDIT_ACTION_TYPES). */
export type AuditAction = "ChangeRank" | "AssignRole" | "UnassignRole" | "JoinGroup" | "LeaveGroup" | "RemoveMember" | "BanMember";

export interface AuditEntry {
  /** Order of writing, global to the emulator (a cursor key). */
  readonly seq: number;
  readonly groupId: number;
  readonly createdMs: number;
  readonly actionType: AuditAction;
  readonly actorUserId: number | null;
  /** The actor's highest role when acting; null for someone not in the group (a group-owned key). */
  readonly actorRole: { id: number; name: string; rank: number } | null;
  readonly description: Record<string, string | number>;
}

export type NewAuditEntry = Omit<AuditEntry, "seq" | "groupId" | "createdMs" | "actorRole">;

export class AuditLog {
  /** Entries older than this are dropped (checked on every read and write). Infinity: never. */
  retentionMs = Number.POSITIVE_INFINITY;
  private nextSeq = 1;
  private readonly byGroup = new Map<number, SeqIndex<AuditEntry>>();

  append(group: GroupRecord, entry: NewAuditEntry, now = Date.now()): AuditEntry {
    const actor = entry.actorUserId === null ? undefined : group.members.get(entry.actorUserId);
    const role = actor ? highestRole(actor) : undefined;
    const full: AuditEntry = {
      ...entry,
      seq: this.nextSeq++,
      groupId: group.id,
      createdMs: now,
      actorRole: role ? { id: role.id, name: role.name, rank: role.rank } : null,
    };
    this.entries(group.id, now).add(full);
    return full;
  }

  /** The group's entries still kept, ascending by seq. */
  entries(groupId: number, now = Date.now()): SeqIndex<AuditEntry> {
    let index = this.byGroup.get(groupId);
    if (!index) {
      index = new SeqIndex();
      this.byGroup.set(groupId, index);
    }
    const oldestKept = now - this.retentionMs;
    for (let first = index.ascAfter(0).next(); !first.done && first.value.createdMs < oldestKept; first = index.ascAfter(0).next()) {
      index.delete(first.value);
    }
    return index;
  }
}

export const target = (user: UserRecord) => ({ TargetId: user.id, TargetName: user.name });

/** ChangeRank, when the member's highest role changed (a write that changes lower roles only is not a rank change). */
export function rankChange(actorUserId: number | null, member: UserRecord, before: RoleRecord, after: RoleRecord): NewAuditEntry {
  return {
    actionType: "ChangeRank",
    actorUserId,
    description: {
      ...target(member),
      OldRoleSetId: before.id,
      OldRoleSetName: before.name,
      NewRoleSetId: after.id,
      NewRoleSetName: after.name,
    },
  };
}

export function roleChange(
  actionType: "AssignRole" | "UnassignRole",
  actorUserId: number | null,
  member: UserRecord,
  role: RoleRecord,
): NewAuditEntry {
  return { actionType, actorUserId, description: { ...target(member), RoleSetId: role.id, RoleSetName: role.name } };
}

/** Who a write is attributed to: the key owner or cookie user; a group-owned key acts as the group's owner (unconfirmed). */
export function writer(group: GroupRecord, userId: number | null): number | null {
  return userId ?? group.ownerId;
}

