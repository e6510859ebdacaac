/**
 * The one way rankbridge edits a member in Discord, for every path (linking, a one-member sync, a
 * rank change, the whole-server sync and members who join): from the member's roles as they are
 * now and the edit wanted, one PATCH with the full role set (roles someone else gave meanwhile are
 * kept), sent only after the role hierarchy says it can succeed. A request that must fail is never
 * sent: every 403 counts toward Discord's 10,000-invalid-requests-per-10-minutes ban.
 *
 * The edit is a desired state (these roles held, these not), so it can grow (a nickname) without
 * changing its callers' vocabulary.
 */
import type { RoleHierarchy, RoleProblem } from "../ranks/hierarchy.ts";

/** What should hold for one member afterwards; the rest of their roles is theirs. */
export interface MemberEdit {
  readonly discordId: string;
  readonly addRoleIds: readonly string[];
  readonly removeRoleIds: readonly string[];
}

/** Why Discord did not take an edit, as the adapter classified its answer. */
export type MemberWriteFailure = {
  /** Not in the guild (Discord 10007/10013); forbidden: a 403 although the pre-check passed. */
  readonly kind: "left-guild" | "forbidden" | "failed";
  /** Discord's own words and code, e.g. "Missing Permissions (50013)". */
  readonly message: string;
  readonly error: unknown;
};

export type MemberWriteResult = { readonly ok: true } | ({ readonly ok: false } & MemberWriteFailure);

/** Why the bot edits a member's roles, as the guild's Discord audit log is told (the adapter words it). */
export type RoleEditReason =
  | { readonly kind: "rank-change"; readonly intent: "promote" | "demote" | "set"; readonly actorId: string; readonly reason: string | null }
  | { readonly kind: "linked" | "link-moved"; readonly robloxUsername: string }
  | { readonly kind: "unlinked" | "member-joined" }
  | { readonly kind: "member-sync"; readonly actorId: string | null }
  | { readonly kind: "bulk-sync"; readonly runId: number }
  /** A change made on Roblox, read from the group's audit log (the change feed); `actorName`: who made it. */
  | { readonly kind: "roblox-change"; readonly actorName: string | null };

/** The port the Discord adapter implements: replace a member's roles, and say how it went (never throws for Discord's refusals). */
export interface MemberRolesWriter {
  writeMemberRoles(guildId: string, userId: string, roleIds: string[], reason: RoleEditReason): Promise<MemberWriteResult>;
}

export type MemberEditOutcome =
  /** The PATCH went through; `roleIds` is the member's role set now. */
  | { readonly kind: "updated"; readonly roleIds: readonly string[]; readonly added: readonly string[]; readonly removed: readonly string[] }
  /** The member already holds exactly what the edit wants (e.g. applied before a restart): nothing sent. */
  | { readonly kind: "already-applied" }
  /** The bot may not touch one of the roles: reported, not attempted. */
  | { readonly kind: "not-attempted"; readonly problems: readonly RoleProblem[] }
  /** Not in the guild (left before or during the edit): nothing to do. */
  | { readonly kind: "left-guild"; readonly error?: unknown }
  | { readonly kind: "forbidden" | "failed"; readonly message: string; readonly error: unknown };

/** The member's roles minus those to remove plus those to add, order kept; null when nothing changes. */
export function nextRoleSet(current: readonly string[], change: Omit<MemberEdit, "discordId">): string[] | null {
  const toAdd = change.addRoleIds.filter((roleId) => !current.includes(roleId));
  const toRemove = change.removeRoleIds.filter((roleId) => current.includes(roleId));
  if (toAdd.length === 0 && toRemove.length === 0) return null;
  const next = current.filter((roleId, index) => !toRemove.includes(roleId) && current.indexOf(roleId) === index);
  for (const roleId of toAdd) if (!next.includes(roleId)) next.push(roleId);
  return next;
}

export interface MemberRoleEditorOptions {
  writer: MemberRolesWriter;
  /** Asked before every request; a bulk run's is followed live (sync/live-hierarchy.ts). */
  hierarchy: Pick<RoleHierarchy, "check">;
  /** Waited on before each request (the bulk sync's shared pacer); none for one-off edits. */
  pacer?: { acquire(): Promise<void> };
  /** Shown in the guild's audit log. */
  auditReason: RoleEditReason;
}

export class MemberRoleEditor {
  /** Role requests sent (accepted or not). */
  requestsSent = 0;

  constructor(private readonly options: MemberRoleEditorOptions) {}

  /** The hierarchy check alone, for callers that must refuse before doing anything else. */
  check(currentRoleIds: readonly string[], edit: Omit<MemberEdit, "discordId">): { ok: true } | { ok: false; problems: readonly RoleProblem[] } {
    const next = nextRoleSet(currentRoleIds, edit);
    if (next === null) return { ok: true };
    // Only the roles that really change must be manageable; the member's other roles are sent back unchanged.
    return this.options.hierarchy.check({
      addRoleIds: next.filter((roleId) => !currentRoleIds.includes(roleId)),
      removeRoleIds: currentRoleIds.filter((roleId) => !next.includes(roleId)),
    });
  }

  /** `currentRoleIds` undefined: the member is not in the guild. */
  async edit(guildId: string, edit: MemberEdit, currentRoleIds: readonly string[] | undefined): Promise<MemberEditOutcome> {
    if (currentRoleIds === undefined) return { kind: "left-guild" };
    const next = nextRoleSet(currentRoleIds, edit);
    if (next === null) return { kind: "already-applied" };
    const check = this.check(currentRoleIds, edit);
    if (!check.ok) return { kind: "not-attempted", problems: check.problems };

    await this.options.pacer?.acquire();
    this.requestsSent++;
    const written = await this.options.writer.writeMemberRoles(guildId, edit.discordId, next, this.options.auditReason);
    if (written.ok) {
      return {
        kind: "updated",
        roleIds: next,
        added: next.filter((roleId) => !currentRoleIds.includes(roleId)),
        removed: currentRoleIds.filter((roleId) => !next.includes(roleId)),
      };
    }
    if (written.kind === "left-guild") return { kind: "left-guild", error: written.error };
    return { kind: written.kind, message: written.message, error: written.error };
  }
}
