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
import type { NicknameSkipReason } from "../ranks/nickname.ts";

/** What should hold for one member afterwards; the rest of their roles is theirs. */
export interface MemberEdit {
  readonly discordId: string;
  readonly addRoleIds: readonly string[];
  readonly removeRoleIds: readonly string[];
  /** The nickname they should have (null: none); undefined leaves it alone. Sent in the same PATCH as the roles. */
  readonly nick?: string | null;
}

/** What the member holds now; `nick` undefined when not known (the nickname is then set only if it is wanted). */
export interface MemberNow {
  readonly roleIds: readonly string[];
  readonly nick?: string | null;
}

/** One PATCH /guilds/{guild}/members/{user}: the full role set and/or the nickname. */
export interface MemberWrite {
  readonly roles?: string[];
  readonly nick?: string | null;
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

/** The port the Discord adapter implements: one member PATCH, and how it went (never throws for Discord's refusals). */
export interface MemberRolesWriter {
  writeMember(guildId: string, userId: string, change: MemberWrite, reason: RoleEditReason): Promise<MemberWriteResult>;
}

/** The nickname part of an edit: changed, or skipped and why (it never blocks the roles). */
export type NicknameOutcome = { readonly kind: "set"; readonly nick: string | null } | { readonly kind: "skipped"; readonly reason: NicknameSkipReason };

export type MemberEditOutcome =
  /** The PATCH went through; `roleIds` is the member's role set now. */
  | {
      readonly kind: "updated";
      readonly roleIds: readonly string[];
      readonly added: readonly string[];
      readonly removed: readonly string[];
      readonly nickname?: NicknameOutcome;
    }
  /** The member already holds exactly what the edit wants (e.g. applied before a restart): nothing sent. */
  | { readonly kind: "already-applied"; readonly nickname?: NicknameOutcome }
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
  hierarchy: Pick<RoleHierarchy, "check" | "nicknameProblem">;
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

  /**
   * `current` undefined: the member is not in the guild. A bare role list is the member's roles
   * with the nickname unknown. Roles and nickname go in one request; a nickname the bot may not set
   * (owner, a member above the bot, no Manage Nicknames) is left out and reported, the roles still go.
   */
  async edit(guildId: string, edit: MemberEdit, current: readonly string[] | MemberNow | undefined): Promise<MemberEditOutcome> {
    if (current === undefined) return { kind: "left-guild" };
    const now: MemberNow = isRoleList(current) ? { roleIds: current } : current;
    const currentRoleIds = now.roleIds;
    const next = nextRoleSet(currentRoleIds, edit);
    const nickWanted = edit.nick !== undefined && edit.nick !== now.nick;
    let nickname: NicknameOutcome | undefined;
    if (nickWanted) {
      const problem = this.options.hierarchy.nicknameProblem(edit.discordId, next ?? currentRoleIds);
      nickname = problem ? { kind: "skipped", reason: problem } : { kind: "set", nick: edit.nick ?? null };
    }
    const sendNick = nickname?.kind === "set";
    if (next === null && !sendNick) return nickname ? { kind: "already-applied", nickname } : { kind: "already-applied" };
    if (next !== null) {
      const check = this.check(currentRoleIds, edit);
      if (!check.ok) return { kind: "not-attempted", problems: check.problems };
    }

    await this.options.pacer?.acquire();
    this.requestsSent++;
    const write: MemberWrite = { ...(next !== null && { roles: next }), ...(sendNick && { nick: edit.nick ?? null }) };
    const written = await this.options.writer.writeMember(guildId, edit.discordId, write, this.options.auditReason);
    if (written.ok) {
      const roleIds = next ?? [...currentRoleIds];
      return {
        kind: "updated",
        roleIds,
        added: roleIds.filter((roleId) => !currentRoleIds.includes(roleId)),
        removed: currentRoleIds.filter((roleId) => !roleIds.includes(roleId)),
        ...(nickname && { nickname }),
      };
    }
    if (written.kind === "left-guild") return { kind: "left-guild", error: written.error };
    return { kind: written.kind, message: written.message, error: written.error };
  }
}

function isRoleList(current: readonly string[] | MemberNow): current is readonly string[] {
  return Array.isArray(current);
}
