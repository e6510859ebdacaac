/**
 * The replies of /promote, /demote and /set-rank (they share them), the points confirmation and
 * its buttons' custom ids: the one place that both writes and reads them.
 */
import type { APIEmbed, APIInteractionResponseCallbackData } from "discord-api-types/v10";
import { formatRank, formatRankOrNone, type Rank, type RankId } from "../../ranks/ladder.ts";
import type { OverallOutcome } from "../../ranks/promotion.ts";
import { renderOutcomeLines, robloxFailureText } from "./rank-change-steps.ts";
import { describeRoleProblems } from "./role-problems.ts";
import { describeLadderError, describeRankChangeDenial } from "./rank-rules.ts";
import type { RankChangeKind, RankChangeRefusedError, RankChangeResult, RankChangeSubject } from "../../services/rank-changes.ts";
import { escapeMarkdown } from "./markdown.ts";

export const OUTCOME_COLOURS: Record<OverallOutcome, number> = { ok: 0x2ecc71, partial: 0xf1c40f, failed: 0xe74c3c };
const CONFIRM_COLOUR = 0x5865f2;

const TITLES: Record<RankChangeKind, Record<OverallOutcome, string>> = {
  promote: { ok: "Member Promoted", partial: "Promotion Partly Done", failed: "Promotion Failed" },
  demote: { ok: "Member Demoted", partial: "Demotion Partly Done", failed: "Demotion Failed" },
  set: { ok: "Rank Set", partial: "Rank Change Partly Done", failed: "Rank Change Failed" },
};

/** "<@id> (Display) · Roblox: **Name**": design §3 wants both accounts named. */
export function describeSubject(member: Pick<RankChangeSubject, "discordId" | "displayName" | "robloxUsername" | "robloxUserId">): string {
  const display = member.displayName ? ` (${escapeMarkdown(member.displayName)})` : " (not in this server)";
  return `<@${member.discordId}>${display} · Roblox: **${escapeMarkdown(member.robloxUsername)}** (${member.robloxUserId})`;
}

export function formatRankChangeReply(result: Extract<RankChangeResult, { status: "done" }>): APIInteractionResponseCallbackData {
  const fields: NonNullable<APIEmbed["fields"]> = [
    { name: "Rank", value: `${escapeMarkdown(formatRankOrNone(result.from))} → **${escapeMarkdown(formatRank(result.to))}**` },
    { name: "Steps", value: renderOutcomeLines(result.steps).join("\n").slice(0, 1024) },
    { name: "Points", value: pointsText(result.member.points, result.to), inline: true },
  ];
  if (result.reason) fields.push({ name: "Reason", value: result.reason.slice(0, 1024), inline: true });
  if (result.robloxFailure) {
    fields.push({
      name: "What to do",
      value: (result.robloxFailure.queued
        ? `Roblox still shows the old rank. The change is queued and retried automatically (see /sync-status); sync will not undo it meanwhile. If it keeps failing: ${robloxFailureText(result.robloxFailure.robloxError)}`
        : `Roblox still shows the old rank and no retry can fix it: ${robloxFailureText(result.robloxFailure.robloxError)} Fix that, then run the command again; until then /sync will follow Roblox.`
      ).slice(0, 1024),
    });
  }
  const unchanged = result.direction === "none";
  return {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: unchanged && result.outcome === "ok" ? "Rank Unchanged" : TITLES[result.intent][result.outcome],
        description: describeSubject(result.member),
        color: OUTCOME_COLOURS[result.outcome],
        fields,
      },
    ],
    components: [],
  };
}

/** The points warning with Confirm and Cancel buttons; `commandName` routes the press back to its command. */
export function formatPointsConfirmation(
  result: Extract<RankChangeResult, { status: "needs-confirmation" }>,
  commandName: string,
): APIInteractionResponseCallbackData {
  const { shortfall } = result;
  const fields: NonNullable<APIEmbed["fields"]> = [
    { name: "Rank", value: `${escapeMarkdown(formatRankOrNone(result.from))} → **${escapeMarkdown(formatRank(result.to))}**` },
    { name: "Points", value: `${shortfall.points} of ${shortfall.required} (${shortfall.missing} short)`, inline: true },
  ];
  // The button's custom id has no room for free text, so the reason travels in the embed.
  if (result.reason) fields.push({ name: REASON_FIELD, value: result.reason.slice(0, 1024), inline: true });
  return {
    allowed_mentions: { parse: [] },
    embeds: [
      {
        title: "Not Enough Points",
        description: `${describeSubject(result.member)}\n${escapeMarkdown(formatRank(result.to))} needs ${shortfall.required} points. Change the rank anyway?`,
        color: CONFIRM_COLOUR,
        fields,
      },
    ],
    components: [
      {
        type: 1,
        components: [
          { type: 2, style: 3, label: "Confirm", custom_id: encodePointsButton(commandName, { verb: "confirm", memberId: result.member.discordId, rankId: result.to.id }) },
          { type: 2, style: 2, label: "Cancel", custom_id: encodePointsButton(commandName, { verb: "cancel" }) },
        ],
      },
    ],
  };
}

export const REASON_FIELD = "Reason";

function pointsText(points: number, to: Rank): string {
  return to.pointsRequired > 0 ? `${points} (${escapeMarkdown(to.name)} needs ${to.pointsRequired})` : String(points);
}

/** A press on the points confirmation: `<command>:confirm:<memberId>:<rankId>` or `<command>:cancel`. */
export type PointsButton = { verb: "confirm"; memberId: string; rankId: RankId } | { verb: "cancel" };

export function encodePointsButton(commandName: string, button: PointsButton): string {
  return button.verb === "cancel" ? `${commandName}:cancel` : `${commandName}:confirm:${button.memberId}:${button.rankId}`;
}

/** Reads the part after `<command>:` (the router's `action`); null when it is not a button this view wrote. */
export function decodePointsButton(action: string): PointsButton | null {
  const [verb, memberId, rankIdText] = action.split(":");
  if (verb === "cancel") return { verb };
  const rankId = Number(rankIdText);
  if (verb !== "confirm" || !memberId || !Number.isSafeInteger(rankId)) return null;
  return { verb, memberId, rankId };
}

/** Why a rank change was refused, for the admin who asked. */
export function describeRankChangeRefusal({ reason, facts }: RankChangeRefusedError): string {
  switch (reason) {
    case "not-linked":
      return `<@${facts.memberId}> has not linked a Roblox account, so there is no Roblox rank to change. They must run /link-roblox first.`;
    case "target-changed":
      return `<@${facts.memberId}>'s rank changed since you were asked to confirm; the next rank is now ${facts.nextRank ? formatRank(facts.nextRank) : "different"}. Run the command again.`;
    case "discord-hierarchy": {
      const fixes = describeRoleProblems(facts.problems ?? []).map((problem) => `• ${problem}`).join("\n");
      return `Nothing was changed: rankbridge cannot change <@${facts.memberId}>'s Discord roles yet.\n${fixes}\nThen run the command again.`;
    }
    case "unknown-rank": {
      const rule = describeLadderError(facts.ladderError);
      return facts.suggestList ? `${rule} Pick a rank from the list, or run /list-ranks to see them all.` : (rule ?? "That rank is not on the ladder.");
    }
    default:
      if (facts.denial) return describeRankChangeDenial(facts.denial);
      return describeLadderError(facts.ladderError) ?? "This rank change is not allowed.";
  }
}
