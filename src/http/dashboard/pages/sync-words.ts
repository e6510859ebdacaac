/** What the sync page says about refusals and run states (web wording lives in the dashboard's pages). */
import type { SyncRefusal } from "../../../sync/sync-requests.ts";
import type { RunStatus } from "../../../sync/run-status.ts";

export const refusalSentence: Record<SyncRefusal, string> = {
  "no-group": "This server has no Roblox group yet. An admin can set one with /config group in Discord.",
  "no-ranks": "This server has no rank ladder yet. Run /ranks import in Discord first.",
  stopping: "rankbridge is restarting. Try again in a minute.",
  starting: "Another sync of this server is starting. Try again in a moment.",
  "held-gone": "That run is no longer waiting for a decision (already answered, or replaced by a newer sync).",
  "held-busy": "Another sync of this server is running. Answer the held run once it ends.",
};

export function stateText(run: RunStatus): string {
  switch (run.state) {
    case "running":
      return run.total === 0 ? "Running: reading Roblox and Discord" : "Running";
    case "done":
      return "Done";
    case "failed":
      return "Failed";
    case "paused":
      return run.hold ? "Held: waiting for an admin to apply or cancel" : "Paused";
  }
}

export const triggerText: Record<RunStatus["trigger"], string> = {
  manual: "started by an admin",
  background: "background sync",
  resume: "carried on after a restart",
};
