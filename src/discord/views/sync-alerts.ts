/** The alerts a guild's webhook gets about its rank syncs (src/sync/alerts.ts SyncAlertFacts). */
import type { SyncAlertFacts } from "../../sync/alerts.ts";
import { renderHeldPlan } from "./sync-run.ts";

function alertText(facts: SyncAlertFacts): string {
  switch (facts.kind) {
    case "credentials-rejected":
      return `Roblox rejected the bot's credentials during a sync: ${facts.robloxError}`;
    case "guild-paused":
      return `Rank sync paused: ${facts.reason}`;
    case "mass-change-held":
      return `Rank sync held: ${facts.reason}. ${renderHeldPlan(facts.hold)}`;
    case "repeated-failures":
      return `the last ${facts.failedRuns} rank syncs failed; the latest: ${facts.latestError ?? "unknown error"}`;
    case "roblox-unavailable":
      return `Rank sync run #${facts.runId} is waiting: Roblox keeps failing (${facts.waitingReason}). It carries on by itself when Roblox answers again.`;
    case "roblox-back":
      return `Roblox answers again: rank sync run #${facts.runId} carried on and completed.`;
  }
}

/** The webhook message: which server it is about, then what happened. */
export function renderSyncAlert(guildId: string, facts: SyncAlertFacts): string {
  return `⚠️ rankbridge (server ${guildId}): ${alertText(facts)}`;
}
