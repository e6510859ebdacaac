/**
 * The words of an audit entry's note (src/services/audit-notes.ts AuditNote): a detail line for
 * /audit and a summary for the log channel. Rows written before notes existed keep their own
 * `detail` text, which is shown as it is.
 */
import { formatRank, formatRankOrNone } from "../../ranks/ladder.ts";
import type { AuditNote, AuditNoteKind, MemberJoinOutcome } from "../../services/audit-notes.ts";
import { formatDuration } from "../../lib/duration.ts";
import type { GroupLockMode } from "../../db/schema.ts";
import { memberRoleSettingWording } from "./binds.ts";
import { groupLockWording, minAccountAgeWording, nicknameWording } from "./gates.ts";
import { describeRoles } from "./link-roles.ts";
import { describeMemberSyncProblems } from "./member-sync.ts";
import { renderOutcomeLines, robloxFailureText } from "./rank-change-steps.ts";
import { describeRoleProblem } from "./role-problems.ts";

const NOTE_KINDS: ReadonlySet<AuditNoteKind> = new Set<AuditNoteKind>([
  "rank-change",
  "linked",
  "link-moved",
  "unlinked",
  "roblox-write-landed",
  "roblox-write-abandoned",
  "ladder-imported",
  "stored-rank-corrected",
  "member-synced",
  "member-joined",
  "sync-run-update",
  "held-run-decided",
  "roblox-change",
  "setting-changed",
]);

/** The stored note, when it is one this version knows (a row from a newer version shows none). */
export function auditNoteOf(stored: unknown): AuditNote | null {
  if (typeof stored !== "object" || stored === null || !("kind" in stored)) return null;
  return NOTE_KINDS.has(stored.kind as AuditNoteKind) ? (stored as AuditNote) : null;
}

/** The detail line: what /audit shows when the entry changed no stored value. */
export function auditNoteDetail(note: AuditNote): string | null {
  switch (note.kind) {
    case "setting-changed":
      return settingChangeLine(note);
    case "rank-change":
      return renderOutcomeLines(note.steps).join("\n");
    case "linked":
      return [
        `verified by ${note.method}`,
        `Roblox role ${note.robloxRoleName} (rank ${note.robloxRank})`,
        note.movedFrom ? `moved from <@${note.movedFrom}>` : undefined,
        describeRoles(note.roles),
      ]
        .filter(Boolean)
        .join("; ");
    case "link-moved":
    case "unlinked":
      return describeRoles(note.roles);
    case "roblox-write-landed":
      return `Queued Roblox rank change to rank ${note.targetRank} landed after ${note.tries} tries.`;
    case "roblox-write-abandoned":
      return `Gave up setting Roblox rank ${note.targetRank} after ${note.tries} tries: ${robloxFailureText(note.robloxError)} Fix that, then run /sync or the rank command again.`;
    case "ladder-imported":
      return `Imported ${note.rankCount} ranks from Roblox group ${note.groupId}${note.createdRoleCount ? `; created ${note.createdRoleCount} roles` : ""}`;
    case "stored-rank-corrected":
      return "stored rank corrected by /verify-rank: Discord and Roblox agreed";
    case "member-synced":
      return describeMemberSyncProblems(note.problems).join("\n") || null;
    case "member-joined":
      return `joined the server: ${describeJoin(note.result)}`;
    case "sync-run-update":
      return `rank sync run #${note.runId}`;
    case "held-run-decided":
      return note.decision === "cancel" ? `held changes of run #${note.runId} cancelled` : `held changes of run #${note.runId} applied by an admin`;
    case "roblox-change":
      return [robloxChangeLine(note), ...describeMemberSyncProblems(note.problems)].join("\n");
  }
}

/** The log channel's description of the entry: what happened, in a line or a few. */
export function auditNoteSummary(note: AuditNote): string | null {
  switch (note.kind) {
    case "rank-change":
      return `${formatRankOrNone(note.from)} → ${formatRank(note.to)}\n${renderOutcomeLines(note.steps).join("\n")}`;
    case "linked":
      return `<@${note.discordId}> linked to Roblox ${note.robloxUsername}`;
    case "link-moved":
      return `Roblox ${note.robloxUsername} moved from <@${note.fromDiscordId}> to <@${note.toDiscordId}>`;
    case "unlinked":
      return `<@${note.discordId}> unlinked from Roblox ${note.robloxUser}`;
    case "stored-rank-corrected":
      return `stored rank: ${formatRankOrNone(note.from)} → ${formatRankOrNone(note.to)} (Discord and Roblox agreed)`;
    case "member-synced":
      return `Discord: ${formatRankOrNone(note.discord.from)} → ${formatRankOrNone(note.discord.to)}; stored: ${formatRankOrNone(note.stored.from)} → ${formatRankOrNone(note.stored.to)}`;
    case "member-joined":
      return `${note.robloxUsername} (<@${note.discordId}>) joined: ${describeJoin(note.result)}`;
    default:
      return auditNoteDetail(note);
  }
}

/** The "why" of an entry nobody gave a reason for, when its note implies one. */
export function auditNoteReason(note: AuditNote): string | null {
  return note.kind === "link-moved" ? `<@${note.toDiscordId}> proved ownership of Roblox ${note.robloxUsername} (${note.method})` : null;
}

/** An entry's detail: its own text (rows from before notes) or its note's. */
export function auditEntryDetail(entry: { readonly detail?: string | null; readonly note?: unknown }): string | null {
  if (entry.detail) return entry.detail;
  const note = auditNoteOf(entry.note);
  return note ? auditNoteDetail(note) : null;
}

/** An entry's reason: the one given, else the one its note implies. */
export function auditEntryReason(entry: { readonly reason?: string | null; readonly note?: unknown }): string | null {
  if (entry.reason) return entry.reason;
  const note = auditNoteOf(entry.note);
  return note ? auditNoteReason(note) : null;
}

const rankOrNone = (name: string | null) => name ?? "no rank";

/** "Roblox: Sergeant → Lieutenant by CaptainAmy on the website": a change made on Roblox, and who made it. */
export function robloxChangeLine(note: Extract<AuditNote, { kind: "roblox-change" }>): string {
  const by = note.actorName && !note.bySelf ? ` by ${note.actorName}` : "";
  switch (note.action) {
    case "JoinGroup":
      return `Roblox: joined the group as ${rankOrNone(note.to)}`;
    case "LeaveGroup":
      return `Roblox: left the group (was ${rankOrNone(note.from)})`;
    case "RemoveMember":
      return `Roblox: ${rankOrNone(note.from)} → removed from the group${by} on the website`;
    case "BanMember":
      return `Roblox: ${rankOrNone(note.from)} → banned from the group${by} on the website`;
    default:
      return `Roblox: ${rankOrNone(note.from)} → ${rankOrNone(note.to)}${by} on the website`;
  }
}

function describeJoin(result: MemberJoinOutcome): string {
  switch (result.kind) {
    case "updated":
      return `rank role set (${result.from ?? "no rank"} → ${result.to ?? "no rank"})`;
    case "not-attempted":
      return `not attempted: ${result.problems.map(describeRoleProblem).join(" ")}`;
    case "failed":
      return `failed: ${result.discordError}`;
    default:
      return result.kind;
  }
}

/** "Nickname template set to …": a setting changed from /config or the dashboard, in the same words. */
export function settingChangeLine(note: Extract<AuditNote, { kind: "setting-changed" }>): string {
  const { value } = note;
  switch (note.setting) {
    case "verifiedRoleId":
      return memberRoleSettingWording.verified.audit(value === null ? null : String(value));
    case "unverifiedRoleId":
      return memberRoleSettingWording.unverified.audit(value === null ? null : String(value));
    case "nicknameTemplate":
      return nicknameWording.audit(value === null ? null : String(value));
    case "groupLockMode":
      return groupLockWording.audit(String(value) as GroupLockMode);
    case "minAccountAgeDays":
      return minAccountAgeWording.audit(Number(value ?? 0));
    case "syncIntervalMs":
      return `Sync interval set to ${value === null ? "the default" : formatDuration(Number(value))}`;
    case "logChannelId":
      return value === null ? "Log channel removed" : `Log channel set to ${value}`;
  }
}
