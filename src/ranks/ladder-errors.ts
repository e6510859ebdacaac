/**
 * Why the ladder refuses: a broken ladder, a rank not on it, past its top or bottom, a name that
 * names none or several. Each carries the facts; the messages are for logs, and
 * src/discord/views/rank-rules.ts says it to people.
 */
import { quotedInput } from "../lib/quoted-input.ts";
import type { DiscordRoleId, Rank, RankId, RobloxRoleId } from "./ladder.ts";

/** Which rule of the ladder its rows break (src/discord/views/rank-rules.ts explains each). */
export type LadderDefect =
  | { readonly kind: "roblox-rank-out-of-range"; readonly rankName: string; readonly robloxRank: number }
  | { readonly kind: "duplicate-rank-id"; readonly rankId: RankId }
  | { readonly kind: "duplicate-roblox-role"; readonly robloxRoleId: RobloxRoleId }
  | { readonly kind: "duplicate-discord-role"; readonly discordRoleId: DiscordRoleId };

export class InvalidLadderError extends Error {
  override readonly name = "InvalidLadderError";
  constructor(readonly defect: LadderDefect) {
    super(`invalid rank ladder: ${defect.kind}`);
  }
}

/** A rank that is not (or no longer) on this ladder was passed in. */
export class RankNotInLadderError extends Error {
  override readonly name = "RankNotInLadderError";
  constructor(readonly rankId: RankId) {
    super(`rank #${rankId} is not on the rank ladder`);
  }
}

export class EmptyLadderError extends Error {
  override readonly name = "EmptyLadderError";
  constructor() {
    super("the rank ladder is empty");
  }
}

export class AlreadyAtTopRankError extends Error {
  override readonly name = "AlreadyAtTopRankError";
  constructor(readonly rank: Rank) {
    super(`rank #${rank.id} is the top of the ladder`);
  }
}

export class AlreadyAtBottomRankError extends Error {
  override readonly name = "AlreadyAtBottomRankError";
  constructor(readonly rank: Rank) {
    super(`rank #${rank.id} is the bottom of the ladder`);
  }
}

export class UnknownRankError extends Error {
  override readonly name = "UnknownRankError";
  constructor(
    readonly query: string,
    /** Closest rank names, best first; empty when nothing is close. */
    readonly suggestions: readonly Rank[],
  ) {
    super(`no rank is called ${quotedInput(query)}`);
  }
}

/** The input names more than one rank (e.g. "Soldier" when two ranks end in "| Soldier"). */
export class AmbiguousRankError extends Error {
  override readonly name = "AmbiguousRankError";
  constructor(
    readonly query: string,
    readonly candidates: readonly Rank[],
  ) {
    super(`${quotedInput(query)} matches ${candidates.length} ranks`);
  }
}
