/**
 * The rank ladder's refusals in words: a rank change past the top or bottom, a rank name that names
 * none or several, a rank not on the ladder, and who may give which rank (src/ranks authority).
 * The domain throws typed errors and returns typed denials; every sentence is here.
 */
import { quotedInput } from "../../lib/quoted-input.ts";
import type { RankChangeDecision } from "../../ranks/authority.ts";
import {
  AlreadyAtBottomRankError,
  AlreadyAtTopRankError,
  AmbiguousRankError,
  EmptyLadderError,
  formatRank,
  type LadderDefect,
  RankNotInLadderError,
  UnknownRankError,
} from "../../ranks/ladder.ts";
import { NotRankedError } from "../../ranks/promotion.ts";

export const NO_RANKS_YET = "No ranks are set up yet. An admin can run /ranks import to read them from the Roblox group.";

/** What the admin reads for a ladder refusal; undefined when `error` is not one. */
export function describeLadderError(error: unknown): string | undefined {
  if (error instanceof AlreadyAtTopRankError) return `${formatRank(error.rank)} is already the highest rank.`;
  if (error instanceof AlreadyAtBottomRankError) return `${formatRank(error.rank)} is already the lowest rank.`;
  if (error instanceof NotRankedError) return "This member has no rank to demote from.";
  if (error instanceof EmptyLadderError) return NO_RANKS_YET;
  if (error instanceof RankNotInLadderError) {
    return `Rank #${error.rankId} is not on the rank ladder (it may have been removed). Run /list-ranks to see the current ranks.`;
  }
  if (error instanceof UnknownRankError) {
    const hint = error.suggestions.length > 0 ? ` Did you mean ${error.suggestions.map((rank) => `"${rank.name}"`).join(", ")}?` : "";
    return `No rank is called ${quotedInput(error.query)}.${hint}`;
  }
  if (error instanceof AmbiguousRankError) {
    return `${quotedInput(error.query)} matches several ranks: ${error.candidates.map(formatRank).join(", ")}. Use the full name.`;
  }
  return undefined;
}

/** What is wrong with a stored ladder, in a sentence. */
export function describeLadderDefect(defect: LadderDefect): string {
  switch (defect.kind) {
    case "roblox-rank-out-of-range":
      return `Rank "${defect.rankName}" has Roblox rank ${defect.robloxRank}; Roblox ranks run from 1 to 255.`;
    case "duplicate-rank-id":
      return `Rank id ${defect.rankId} appears twice.`;
    case "duplicate-roblox-role":
      return `Roblox role ${defect.robloxRoleId} is used by two ranks.`;
    case "duplicate-discord-role":
      return `Discord role ${defect.discordRoleId} is bound to two ranks.`;
  }
}

/** Why the actor may not make this rank change. */
export function describeRankChangeDenial(denial: Extract<RankChangeDecision, { allowed: false }>): string {
  switch (denial.reason) {
    case "not-admin":
      return "You need the Manage Roles permission or a rankbridge admin role to change ranks.";
    case "target-is-owner":
      return "The server owner's rank can only be changed by the owner or an Administrator.";
    case "own-rank":
      return "You can't change your own rank. Ask someone above you.";
    case "actor-unranked":
      return "You don't hold a rank role, so there is no rank below yours to give. Ask someone with a higher rank.";
    case "rank-at-or-above-own":
      return `You can only give ranks below your own (${formatRank(denial.ownRank)}); ${formatRank(denial.toRank)} is not below it.`;
    case "target-outranks-actor":
      return `This member holds ${formatRank(denial.targetRank)}, which is not below your rank (${formatRank(denial.ownRank)}).`;
  }
}
