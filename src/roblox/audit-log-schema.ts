/**
 * The group audit log's answer (`GET apis/legacy-groups/v1/groups/{groupId}/audit-log`), checked at
 * the edge and decoded into plain entries.
 *
 * Strict where Roblox's OpenAPI document gives the shape: `data`, each entry's `actionType` and
 * `created`, and the actor's `user.userId` / `username` and `role.id` when present. A missing or
 * mistyped one is a RobloxMalformedAnswerError naming the field.
 *
 * Tolerant where it is silent: `description` has no schema. What is read from it is what community
 * clients read from real answers (unconfirmed by Roblox): `TargetId`/`TargetName` (the member acted
 * on), `OldRoleSetId`/`NewRoleSetId` (+ `...Name`) for ChangeRank, `RoleSetId`/`RoleSetName` for
 * AssignRole/UnassignRole. Numbers sent as digit strings are accepted; anything else missing or
 * odd leaves that part undefined, so the feed can fall back to a full read for that member
 * instead of failing the whole page. Join and leave entries name no target: the actor is the member.
 * Action types the bot does not act on are kept as "other" with Roblox's name beside it.
 */
import { z } from "zod";

const id = z.number().int().nonnegative();

export const auditLogEntry = z.object({
  actor: z
    .object({
      user: z.object({ userId: id, username: z.string(), displayName: z.string().nullish() }).nullish(),
      role: z.object({ id, name: z.string().nullish(), rank: z.number().int().nullish() }).nullish(),
    })
    .nullish(),
  actionType: z.string(),
  description: z.unknown(),
  created: z.string().refine((text) => !Number.isNaN(Date.parse(text)), "expected a date-time"),
});

export const auditLogPage = z.object({
  // Legacy lists answer null at the ends; the document types the cursors as strings.
  previousPageCursor: z.string().nullish().transform((cursor) => cursor || null),
  nextPageCursor: z.string().nullish().transform((cursor) => cursor || null),
  data: z.array(auditLogEntry),
});

/** The action types the change feed acts on; the rest are "other". */
export const AUDIT_MEMBERSHIP_ACTIONS = ["ChangeRank", "AssignRole", "UnassignRole", "JoinGroup", "LeaveGroup", "RemoveMember", "BanMember"] as const;
export type AuditMembershipAction = (typeof AUDIT_MEMBERSHIP_ACTIONS)[number];
export type AuditActionType = AuditMembershipAction | "other";

export interface AuditRoleRef {
  id: number;
  name?: string;
}

export interface AuditLogEntry {
  actionType: AuditActionType;
  /** Roblox's own `actionType`, verbatim (what "other" stands for). */
  robloxActionType: string;
  created: Date;
  /** Who made the change; null when Roblox names nobody. `roleId` is the actor's role at the time. */
  actor: { userId: number; username: string; roleId?: number; roleName?: string } | null;
  /** The member acted on: from `description`, or the actor for joins and leaves. */
  target?: { userId: number; username?: string };
  /** ChangeRank: the member's rank before and after. */
  oldRole?: AuditRoleRef;
  newRole?: AuditRoleRef;
  /** AssignRole / UnassignRole: the role given or taken. */
  role?: AuditRoleRef;
}

export interface AuditLogPage {
  entries: AuditLogEntry[];
  /** Pass back to read on; null at the end. Opaque. */
  nextPageCursor: string | null;
  previousPageCursor: string | null;
}

const MEMBERSHIP_ACTIONS: ReadonlySet<string> = new Set(AUDIT_MEMBERSHIP_ACTIONS);

export function decodeAuditLogEntry(entry: z.output<typeof auditLogEntry>): AuditLogEntry {
  const actionType = MEMBERSHIP_ACTIONS.has(entry.actionType) ? (entry.actionType as AuditMembershipAction) : "other";
  const user = entry.actor?.user;
  const role = entry.actor?.role;
  const actor = user
    ? {
        userId: user.userId,
        username: user.username,
        ...(role ? { roleId: role.id } : {}),
        ...(role?.name ? { roleName: role.name } : {}),
      }
    : null;
  const decoded: AuditLogEntry = { actionType, robloxActionType: entry.actionType, created: new Date(entry.created), actor };
  const description = descriptionRecord(entry.description);

  const targetId = idIn(description.TargetId);
  if (targetId !== undefined) decoded.target = { userId: targetId, ...nameIn(description.TargetName, "username") };
  else if ((actionType === "JoinGroup" || actionType === "LeaveGroup") && actor) {
    decoded.target = { userId: actor.userId, username: actor.username };
  }
  if (actionType === "ChangeRank") {
    const oldRole = roleIn(description.OldRoleSetId, description.OldRoleSetName);
    const newRole = roleIn(description.NewRoleSetId, description.NewRoleSetName);
    if (oldRole) decoded.oldRole = oldRole;
    if (newRole) decoded.newRole = newRole;
  }
  if (actionType === "AssignRole" || actionType === "UnassignRole") {
    const changed = roleIn(description.RoleSetId, description.RoleSetName);
    if (changed) decoded.role = changed;
  }
  return decoded;
}

/** `description` as an object: it has been seen as an object; a JSON string is unpacked; anything else is empty. */
function descriptionRecord(value: unknown): Record<string, unknown> {
  if (typeof value === "string") {
    try {
      return descriptionRecord(JSON.parse(value));
    } catch {
      return {};
    }
  }
  return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function idIn(value: unknown): number | undefined {
  const number = typeof value === "string" && /^\d+$/.test(value) ? Number(value) : value;
  return typeof number === "number" && Number.isSafeInteger(number) && number >= 0 ? number : undefined;
}

function nameIn<K extends string>(value: unknown, key: K): Partial<Record<K, string>> {
  return typeof value === "string" && value !== "" ? ({ [key]: value } as Record<K, string>) : {};
}

function roleIn(idValue: unknown, nameValue: unknown): AuditRoleRef | undefined {
  const roleId = idIn(idValue);
  return roleId === undefined ? undefined : { id: roleId, ...nameIn(nameValue, "name") };
}
