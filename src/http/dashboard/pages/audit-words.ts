/**
 * The audit log page's words for an entry. What an entry says comes from its typed note in the same
 * words as /audit and the log channel (src/discord/views/audit-notes.ts), so the three never
 * disagree; this file turns that Discord text into plain web text: mentions become names, markdown
 * escapes and status icons go (the table's own columns say the outcome).
 */
import { auditEntryDetail, auditEntryReason, auditNoteOf, auditNoteSummary } from "../../../discord/views/audit-notes.ts";
import type { AuditAction, AuditEntry } from "../../../db/schema.ts";

/** What the page knows to name people and roles by, without asking Discord. */
export interface AuditNames {
  /** A Discord user: the viewer, a linked member by their Roblox name, or the bare id. */
  user(discordId: string): string;
  role(roleId: string): string;
}

/** The action select's options, in the order of the schema's list; the value is the stored action. */
export const ACTION_LABELS: Record<AuditAction, string> = {
  link: "Linked",
  unlink: "Unlinked",
  "rank.promote": "Promoted",
  "rank.demote": "Demoted",
  "rank.set": "Rank set",
  "points.add": "Points added",
  "points.remove": "Points removed",
  "points.set": "Points set",
  "ranks.import": "Ladder imported",
  "ranks.bind": "Rank bound to a role",
  "ranks.unbind": "Rank unbound",
  "ranks.edit": "Rank edited",
  "binds.add": "Bind added",
  "binds.remove": "Bind removed",
  "roblox.write": "Roblox rank write",
  "sync.member": "Member synced",
  "sync.run": "Sync run",
  "member.kick": "Member kicked",
  "roblox.change": "Changed on Roblox",
  config: "Setting changed",
};

export const OUTCOME_LABELS: Record<AuditEntry["outcome"], string> = { ok: "Done", partial: "Partly done", failed: "Failed" };

const STATUS_ICONS = /^(?:✅|➖|⚠️|❌)\s*/u;

/** Discord text as the web shows it: `<@id>` and `<@&id>` named, markdown escapes and status icons removed. */
export function webText(text: string, names: AuditNames): string {
  return text
    .split("\n")
    .map((line) =>
      line
        .replace(STATUS_ICONS, "")
        .replace(/<@&(\d+)>/g, (_, id: string) => `@${names.role(id)}`)
        .replace(/<@!?(\d+)>/g, (_, id: string) => names.user(id))
        .replace(/<#(\d+)>/g, (_, id: string) => `channel ${id}`)
        .replace(/\\([^\w\s])/g, "$1"),
    )
    .join("\n");
}

/** Who made the change: a person, rankbridge itself, or whoever made it on Roblox (a change the feed read). */
export function actorText(entry: AuditEntry, names: AuditNames): string {
  if (entry.actorId !== "system") return names.user(entry.actorId);
  const note = auditNoteOf(entry.note);
  if (note?.kind !== "roblox-change") return "rankbridge";
  return note.actorName ? `${note.actorName} (on Roblox)` : "Roblox";
}

/** What happened, a line or a few: the note's summary and detail as the log channel words them, the values changed, the reason. */
export function entryLines(entry: AuditEntry, names: AuditNames): string[] {
  const note = auditNoteOf(entry.note);
  const summary = note ? auditNoteSummary(note) : null;
  const detail = auditEntryDetail(entry);
  const reason = auditEntryReason(entry);
  // A note words the change itself; the kept values are shown only for entries without one (points, edits).
  const lines = [summary, detail === summary ? null : detail, note ? null : changeText(entry.before, entry.after)].filter((line): line is string => Boolean(line));
  const text = lines.flatMap((line) => webText(line, names).split("\n")).filter((line) => line.trim() !== "");
  if (reason) text.push(`Reason: ${webText(reason, names)}`);
  return text.length > 0 ? [...new Set(text)] : ["No details were recorded."];
}

const PREVIEW = 80;

/** "points: 10 → 15": the values an entry kept, when they differ. */
function changeText(before: unknown, after: unknown): string | null {
  if ((before === null || before === undefined) && (after === null || after === undefined)) return null;
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].filter((key) => JSON.stringify(before[key]) !== JSON.stringify(after[key]));
    return keys.length === 0 ? null : keys.map((key) => `${key}: ${show(before[key])} → ${show(after[key])}`).join(", ");
  }
  return `${show(before)} → ${show(after)}`;
}

function show(value: unknown): string {
  if (value === null || value === undefined) return "none";
  const text = (typeof value === "string" ? value : JSON.stringify(value)).replace(/\s+/g, " ");
  return text.length <= PREVIEW ? text : `${text.slice(0, PREVIEW - 1)}…`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
