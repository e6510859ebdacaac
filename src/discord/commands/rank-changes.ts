import { demoteCommand } from "./demote.ts";
import { promoteCommand, type RankCommandDependencies } from "./promote.ts";
import { setRankCommand } from "./set-rank.ts";
import type { SlashCommand } from "./types.ts";
import { verifyRankCommand, type VerifyRankDependencies } from "./verify-rank.ts";

/** What /verify-rank, /promote, /demote and /set-rank use between them. */
export type RankChangeCommandDependencies = RankCommandDependencies & VerifyRankDependencies;

/** /verify-rank, /promote, /demote and /set-rank, built on the services constructed in app.ts. */
export function rankChangeCommands(deps: RankChangeCommandDependencies): SlashCommand[] {
  return [verifyRankCommand(deps), promoteCommand(deps), demoteCommand(deps), setRankCommand(deps)];
}
