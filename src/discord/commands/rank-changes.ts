import type { MemberSyncService } from "../../services/member-sync.ts";
import type { RankChangeService } from "../../services/rank-changes.ts";
import { demoteCommand } from "./demote.ts";
import type { CommandDependencies } from "./dependencies.ts";
import { promoteCommand } from "./promote.ts";
import { setRankCommand } from "./set-rank.ts";
import type { SlashCommand } from "./types.ts";
import { verifyRankCommand } from "./verify-rank.ts";

export interface RankChangeCommandServices {
  rankChanges: RankChangeService;
  memberSync: MemberSyncService;
}

/** /verify-rank, /promote, /demote and /set-rank, built on the services constructed in app.ts. */
export function rankChangeCommands(deps: CommandDependencies, services: RankChangeCommandServices): SlashCommand[] {
  const withServices = { ...deps, ...services };
  return [verifyRankCommand(withServices), promoteCommand(withServices), demoteCommand(withServices), setRankCommand(withServices)];
}
