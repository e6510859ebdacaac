import type { APIApplicationCommandOptionChoice } from "discord-api-types/v10";
import type { Repositories } from "../../db/index.ts";
import {
  AmbiguousRankError,
  formatRank,
  type RankLadder,
  UnknownRankError,
  type Rank,
} from "../../ranks/ladder.ts";
import { CommandRefusedError } from "./guards.ts";
import { truncate } from "../views/markdown.ts";
import { describeLadderError, NO_RANKS_YET } from "../views/rank-rules.ts";

/** Discord's limits for autocomplete answers. */
const MAX_CHOICES = 25;
const MAX_CHOICE_TEXT = 100;

/**
 * Choices for a rank option: ladder ranks whose name contains what was typed (case-insensitive),
 * names starting with it first, then highest rank first. The value is the rank's name, so a
 * value typed past autocomplete goes through the same `resolveRankOption` as a picked one.
 */
export async function rankChoices(
  deps: { repositories: Pick<Repositories, "ranks"> },
  guildId: string,
  typed: string,
): Promise<APIApplicationCommandOptionChoice<string>[]> {
  const query = typed.trim().toLowerCase();
  // Straight from storage, not RankLadder: autocomplete should still answer on a ladder that fails validation.
  const ranks = await deps.repositories.ranks.list(guildId);
  const scored: { rank: Rank; starts: boolean; order: number }[] = [];
  ranks.forEach((rank, order) => {
    const name = rank.name.toLowerCase();
    if (query === "" || name.includes(query)) scored.push({ rank, starts: name.startsWith(query), order });
  });
  return scored
    .sort((a, b) => Number(b.starts) - Number(a.starts) || b.order - a.order)
    .slice(0, MAX_CHOICES)
    .map(({ rank }) => ({
      name: truncate(formatRank(rank), MAX_CHOICE_TEXT),
      value: truncate(rank.name, MAX_CHOICE_TEXT),
    }));
}

/**
 * The rank an option names, as a user-facing refusal when it names none or several (a value typed
 * without picking a suggestion lands here).
 */
export function resolveRankOption(ladder: RankLadder, typed: string | undefined): Rank {
  if (ladder.isEmpty) {
    throw new CommandRefusedError(NO_RANKS_YET);
  }
  if (!typed || typed.trim() === "") throw new CommandRefusedError("Pick a rank from the list.");
  try {
    return ladder.resolveName(typed);
  } catch (error) {
    if (error instanceof UnknownRankError || error instanceof AmbiguousRankError) {
      throw new CommandRefusedError(`${describeLadderError(error)} Run /list-ranks to see the ranks.`);
    }
    throw error;
  }
}

