/** How /verify-rank and /sync member: show a member's Roblox standing and a one-member sync. */
import type { APIEmbed, APIInteractionResponseCallbackData } from "discord-api-types/v10";
import { formatRank, formatRankOrNone, type Rank } from "../../ranks/ladder.ts";
import type { SyncItemKind } from "../../sync/planner.ts";
import type { ChangeStatus, MemberSyncResult, RobloxStanding } from "../../services/member-sync.ts";
import { escapeMarkdown } from "./markdown.ts";
import { describeSubject, OUTCOME_COLOURS } from "./rank-change.ts";
import type { MemberSyncProblem } from "../../services/audit-notes.ts";
import { describeRoleProblem } from "./role-problems.ts";

/** "Sergeant (Rank 20)", or the Roblox role's own name when it is not on the ladder. */
export function describeRobloxStanding(standing: RobloxStanding): string {
  if (standing.status === "not-in-group") return "not in the Roblox group";
  if (standing.rank) return escapeMarkdown(formatRank(standing.rank));
  return `${escapeMarkdown(standing.roleName)} (Rank ${standing.robloxRank}), not on the rank ladder`;
}

const CHANGE_WORDS: Record<ChangeStatus, string> = {
  unchanged: "already right",
  updated: "updated",
  "would-update": "would change",
  blocked: "blocked",
  failed: "failed",
  "not-in-guild": "not in this server",
};

const KIND_NOTES: Partial<Record<SyncItemKind, string>> = {
  "left-group": "They are not in the Roblox group.",
  "unranked-role": "Their Roblox role is not on the rank ladder; run /ranks import to add it.",
  "roblox-unknown": "Their Roblox rank could not be read.",
};

/** The reply for `/sync member:<user>`. */
export function formatMemberSyncReply(result: MemberSyncResult): APIInteractionResponseCallbackData {
  const changed = result.discordChange === "updated" || result.storedChange === "updated";
  const wouldChange = result.discordChange === "would-update" || result.storedChange === "would-update";
  const title = result.dryRun
    ? wouldChange
      ? "Sync Preview: Changes Needed"
      : "Sync Preview: Nothing to Change"
    : result.outcome === "failed"
      ? "Member Sync Failed"
      : result.outcome === "partial"
        ? "Member Sync Partly Done"
        : changed
          ? "Member Synced"
          : "Already In Sync";
  const colour = result.dryRun ? (wouldChange ? 0xe67e22 : OUTCOME_COLOURS.ok) : OUTCOME_COLOURS[result.outcome];
  const target = result.plan.toRank;
  const fields: NonNullable<APIEmbed["fields"]> = [
    { name: "Roblox rank", value: describeRobloxStanding(result.roblox), inline: true },
    {
      name: "Discord rank",
      value: `${escapeMarkdown(formatRankOrNone(result.before.discordRank))}${arrow(result.discordChange, target)} (${CHANGE_WORDS[result.discordChange]})`,
      inline: true,
    },
    {
      name: "Stored rank",
      value: `${escapeMarkdown(formatRankOrNone(result.before.storedRank))}${arrow(result.storedChange, target)} (${CHANGE_WORDS[result.storedChange]})`,
      inline: true,
    },
  ];
  if (result.pendingRank) {
    fields.push({
      name: "Queued Roblox change",
      value: `${escapeMarkdown(formatRank(result.pendingRank))}: not on Roblox yet, retried automatically. Sync follows it, so the member is not reverted.`,
    });
  }
  const note = KIND_NOTES[result.plan.kind];
  if (note) fields.push({ name: "Note", value: note });
  if (result.problems.length > 0) fields.push({ name: "What to fix", value: describeMemberSyncProblems(result.problems).map((problem) => `• ${problem}`).join("\n").slice(0, 1024) });
  return {
    allowed_mentions: { parse: [] },
    embeds: [{ title, description: describeSubject(result), color: colour, fields }],
  };
}

function arrow(status: ChangeStatus, target: Rank | null): string {
  if (status !== "updated" && status !== "would-update" && status !== "blocked" && status !== "failed") return "";
  return ` → ${escapeMarkdown(formatRankOrNone(target))}`;
}

/** What stopped a one-member sync, one fix each (a fix several roles share once). */
export function describeMemberSyncProblems(problems: readonly MemberSyncProblem[]): string[] {
  return [...new Set(problems.map(describeMemberSyncProblem))];
}

function describeMemberSyncProblem(problem: MemberSyncProblem): string {
  switch (problem.kind) {
    case "role":
      return describeRoleProblem(problem.problem);
    case "discord-refused":
      return `Discord refused the role change: ${problem.discordError}`;
    case "stored-rank-not-saved":
      return "The stored rank could not be saved; the error is logged.";
  }
}
