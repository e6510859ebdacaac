/**
 * How the change feed's state reads (design §3.2) in `/sync-status` and `/readyz`. The line of a
 * change made on Roblox is an audit note's (audit-notes.ts, robloxChangeLine).
 */
import type { GroupFeedState } from "../../sync/change-feed/status.ts";
import { formatDuration } from "../../lib/duration.ts";

const relative = (ms: number) => `<t:${Math.floor(ms / 1000)}:R>`;

/** What to grant or set for each lasting problem, when the error itself does not say. */
const PROBLEM_TEXT = {
  forbidden: "the API key may not read the group's audit log",
  unavailable: "Roblox refuses the group's audit log",
  "no-api-key": "the audit log needs an Open Cloud API key (with the `legacy-group:manage` scope); this group is read with a cookie or no credential",
  "no-credential": "rankbridge reads a visiting server's group log only with the API key the server stored (`/config api-key`, with the `legacy-group:manage` scope)",
} as const;

const GAP_TEXT = {
  dropped: "entries expired before they were read",
  "too-many": "too many changes at once",
  relay: "changes another process of the bot read were lost before they reached this one",
} as const;

/** The `/sync-status` field: is the feed running for this guild's group, how far behind, what went wrong. */
export function feedStatusText(state: GroupFeedState | undefined, intervalMs: number | null, now: number): { text: string; problem: boolean } {
  if (intervalMs === null) return { text: "Off (`ROBLOX_CHANGE_FEED_INTERVAL=off`): changes made on Roblox arrive with the background sync.", problem: false };
  if (!state) return { text: `Every ${formatDuration(intervalMs)}; not started for this server yet (it needs a Roblox group).`, problem: false };
  const lines: string[] = [];
  if (state.problem) {
    lines.push(`**Not reading** since ${relative(state.problem.since)}: ${state.problem.detail ?? PROBLEM_TEXT[state.problem.kind]}`);
    lines.push("Changes made on Roblox reach Discord at the background sync until this is fixed.");
  } else {
    const poll = state.lastPollAt === null ? "not read yet" : `last read ${relative(state.lastPollAt)}`;
    const lag = state.caughtUpTo === null ? "" : `; up to date to ${formatDuration(Math.max(0, now - state.caughtUpTo))} ago`;
    const where = state.readElsewhere ? " by another process of the bot" : "";
    lines.push(`Every ${formatDuration(intervalMs)} (group ${state.groupId}): ${poll}${where}${lag}`);
  }
  if (state.errors > 0 && state.lastError) lines.push(`${state.errors} error${state.errors === 1 ? "" : "s"}; last ${relative(state.lastError.at)}: ${state.lastError.message}`);
  if (state.lastGap) lines.push(`Last gap in the log (${GAP_TEXT[state.lastGap.reason]}) ${relative(state.lastGap.at)}: a full sync was run.`);
  return { text: lines.join("\n"), problem: state.problem !== null };
}

/** One line per lasting problem, for `/readyz` (the feed never makes the process unready). */
export function feedProblemLine(state: GroupFeedState): string | null {
  if (!state.problem) return null;
  return `group ${state.groupId}: ${state.problem.detail ?? PROBLEM_TEXT[state.problem.kind]}`;
}
