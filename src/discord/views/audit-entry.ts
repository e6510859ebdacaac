/** An audit entry as the guild's log channel shows it. */
import type { RESTPostAPIChannelMessageJSONBody } from "discord-api-types/v10";
import type { AuditPost } from "../../services/audit-trail.ts";

import { OUTCOME_COLOURS } from "./rank-change.ts";

export function auditEntryMessage(entry: AuditPost, now: Date = new Date()): RESTPostAPIChannelMessageJSONBody {
  const outcome = entry.outcome ?? "ok";
  return {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: entry.action,
        description: entry.summary ?? entry.detail ?? undefined,
        color: OUTCOME_COLOURS[outcome],
        fields: [
          { name: "By", value: actorText(entry), inline: true },
          ...(entry.targetDiscordId ? [{ name: "Member", value: `<@${entry.targetDiscordId}>`, inline: true }] : []),
          { name: "Outcome", value: outcome, inline: true },
          ...(entry.reason ? [{ name: "Reason", value: entry.reason.slice(0, 1024) }] : []),
        ],
        timestamp: now.toISOString(),
      },
    ],
  };
}

/** A change read from the Roblox audit log is by whoever made it on Roblox; other system entries are rankbridge's. */
function actorText(entry: AuditPost): string {
  if (entry.actorId !== "system") return `<@${entry.actorId}>`;
  if (entry.action !== "roblox.change") return "rankbridge";
  const actorName = (entry.after as { roblox?: { actorName?: unknown } } | undefined)?.roblox?.actorName;
  return typeof actorName === "string" ? `${actorName} (on Roblox)` : "Roblox";
}
