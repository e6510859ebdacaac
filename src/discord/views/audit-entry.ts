/** An audit entry as the guild's log channel shows it. */
import type { RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import type { AuditNote } from "../../services/audit-notes.ts";
import type { AuditPost } from "../../services/audit-trail.ts";

import { auditEntryDetail, auditEntryReason, auditNoteOf, auditNoteSummary } from "./audit-notes.ts";
import { OUTCOME_COLOURS } from "./rank-change.ts";

/** The entry as posted, or as read back from the log (its note then unchecked JSON). */
type ShownAuditEntry = Omit<AuditPost, "note"> & { readonly note?: unknown };

export function auditEntryMessage(entry: ShownAuditEntry, now: Date = new Date()): RESTPostAPIChannelMessageJSONBody {
  const outcome = entry.outcome ?? "ok";
  const note = auditNoteOf(entry.note);
  const reason = auditEntryReason(entry);
  return {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: entry.action,
        description: (note ? auditNoteSummary(note) : null) ?? auditEntryDetail(entry) ?? undefined,
        color: OUTCOME_COLOURS[outcome],
        fields: [
          { name: "By", value: actorText(entry.actorId, note), inline: true },
          ...(entry.targetDiscordId ? [{ name: "Member", value: `<@${entry.targetDiscordId}>`, inline: true }] : []),
          { name: "Outcome", value: outcome, inline: true },
          ...(reason ? [{ name: "Reason", value: reason.slice(0, 1024) }] : []),
        ],
        timestamp: now.toISOString(),
      },
    ],
  };
}

/** A change read from the Roblox audit log is by whoever made it on Roblox; other system entries are rankbridge's. */
function actorText(actorId: string, note: AuditNote | null): string {
  if (actorId !== "system") return `<@${actorId}>`;
  if (note?.kind !== "roblox-change") return "rankbridge";
  return note.actorName ? `${note.actorName} (on Roblox)` : "Roblox";
}
