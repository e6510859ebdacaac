/**
 * How a rank change's steps read: the admin's reply, the audit entry in /audit and the log channel
 * use the same lines, one per step with its icon. The service reports codes (src/ranks/promotion.ts
 * StepOutcome); every word is here.
 */
import { formatRank } from "../../ranks/ladder.ts";
import { overallOutcome, STEP_ORDER, type OverallOutcome, type StepName, type StepOutcome, type StepStatus } from "../../ranks/promotion.ts";
import { describeRoleProblem } from "./role-problems.ts";

const STEP_LABEL: Record<StepName, string> = {
  database: "Database",
  discord: "Discord roles",
  roblox: "Roblox rank",
  dm: "Direct message",
};

/**
 * "skipped" means the state was already right, so it shows as done. ➖ keeps it apart from work
 * actually performed without suggesting anything is wrong.
 */
const STATUS_ICON: Record<StepStatus, string> = {
  ok: "✅",
  skipped: "➖",
  warning: "⚠️",
  failed: "❌",
};

/** What a Roblox failure reads as when the client had no words of its own for it. */
export const UNEXPECTED_ROBLOX_FAILURE = "Roblox could not be reached or answered unexpectedly.";

export function robloxFailureText(robloxError: string | null): string {
  return robloxError ?? UNEXPECTED_ROBLOX_FAILURE;
}

const roleMentions = (roleIds: readonly string[]) => roleIds.map((id) => `<@&${id}>`).join(" ");
const removedText = (roleIds: readonly string[]) => (roleIds.length > 0 ? `, removed ${roleMentions(roleIds)}` : "");

/** The words after the step's label, e.g. "set to E1 | Soldier (Rank 3)". */
export function stepDetail(outcome: StepOutcome): string {
  switch (outcome.code) {
    case "already-stored":
      return `already recorded as ${formatRank(outcome.to)}`;
    case "recorded":
      return `recorded ${formatRank(outcome.to)}`;
    case "record-gone":
      return "the member's record is gone";
    case "save-failed":
      return "could not be saved; the error is logged";
    case "already-matching":
      return `already has the role for ${formatRank(outcome.to)}`;
    case "target-role-unbound":
      return `${formatRank(outcome.to)} has no Discord role bound, so no role was given`;
    case "not-in-guild":
      return outcome.step === "dm" ? "not sent: the member is not in this server" : "the member is not in this server";
    case "roles-given":
      return `gave <@&${outcome.roleId}>${removedText(outcome.removedRoleIds)}`;
    case "old-role-removed":
      return `${formatRank(outcome.to)} has no Discord role bound; removed the old rank role${removedText(outcome.removedRoleIds)}`;
    case "not-attempted":
      return `could not update the roles: ${outcome.problems.map(describeRoleProblem).join(" ")}`;
    case "edit-failed":
      return `could not update the roles: ${outcome.discordError}`;
    case "already-at-rank":
    case "already-set":
      return `already ${formatRank(outcome.to)} in the group`;
    case "already-pending":
      return `a change to ${formatRank(outcome.to)} is already queued`;
    case "not-in-group":
      return "not in the Roblox group, so the rank could not be set";
    case "owner-role":
      return `${formatRank(outcome.to)} is the group's Owner role; only an ownership transfer on Roblox can give it`;
    case "member-is-owner":
      return "the member owns the Roblox group; their rank cannot be changed";
    case "set":
      return `set to ${formatRank(outcome.to)}`;
    case "write-failed": {
      const message = robloxFailureText(outcome.robloxError);
      return outcome.queued ? `not set yet: ${message} It is queued and retried automatically.` : `not set: ${message}`;
    }
    case "rank-unchanged":
      return "not sent: the rank did not change";
    case "sent":
      return "sent";
    case "dms-closed":
      return "not delivered: the member does not accept direct messages from this server";
    case "send-failed":
      return `could not be sent: ${outcome.discordError}`;
  }
}

/** One line per step, always in step order: "✅ Roblox rank: set to E1 | Soldier (Rank 3)". */
export function renderOutcomeLines(outcomes: readonly StepOutcome[]): string[] {
  return [...outcomes]
    .sort((a, b) => STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step))
    .map((outcome) => `${STATUS_ICON[outcome.status]} ${STEP_LABEL[outcome.step]}: ${stepDetail(outcome)}`);
}

export function summarizeOutcomes(outcomes: readonly StepOutcome[]): { readonly overall: OverallOutcome; readonly text: string } {
  return { overall: overallOutcome(outcomes), text: renderOutcomeLines(outcomes).join("\n") };
}
