/** The words a bulk sync run needs (src/sync/run-report.ts RunWording), for the composition root to give it. */
import type { RunWording } from "../../sync/run-report.ts";
import { describeError, syncNotPossibleSentence } from "./errors.ts";
import { describeRoleProblem } from "./role-problems.ts";
import { renderSyncAlert } from "./sync-alerts.ts";
import { heldPauseReason, heldRunButtons, renderRunProgress, renderRunSummary } from "./sync-run.ts";

export const discordRunWording: RunWording = {
  progress: renderRunProgress,
  summary: renderRunSummary,
  summaryComesHere: () => "_The summary will be posted here when the sync ends._",
  movedToChannel: (channelId) =>
    `This sync runs longer than an interaction reply can be updated (15 minutes); progress continues in <#${channelId}>.`,
  heldPauseReason,
  heldRunButtons,
  notPossible: syncNotPossibleSentence,
  forbiddenPause: (streak, message) =>
    `Discord refused ${streak} role changes in a row for missing permissions (${message}). ` +
    "Check that rankbridge has Manage Roles and that its role is above every rank role (Server Settings → Roles), then run /sync again.",
  roleProblem: describeRoleProblem,
  // A typed error's own sentence, else the developer's message: a run's error is shown to admins as it is.
  runError: (error) => describeError(error) ?? (error instanceof Error ? error.message : String(error)),
  alert: renderSyncAlert,
  runRecord: (note) => {
    switch (note.kind) {
      case "interrupted":
        return "interrupted by a restart";
      case "replaced":
        return `replaced by a new /sync: ${note.previousError ?? "paused"}`;
      case "held-cancelled":
        return `${note.cancelled} held changes cancelled by an admin`;
    }
  },
};
