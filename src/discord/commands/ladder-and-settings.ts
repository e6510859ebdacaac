import { type AuditCommandDependencies, auditCommand } from "./audit.ts";
import { type BindsCommandDependencies, bindsCommand } from "./binds.ts";
import { type ConfigCommandDependencies, configCommand } from "./config.ts";
import { type ListRanksDependencies, listRanksCommand } from "./list-ranks.ts";
import { type PointsDependencies, pointsCommand } from "./points.ts";
import { type RanksDependencies, ranksCommand } from "./ranks.ts";
import type { SlashCommand } from "./types.ts";

/** What the ladder and settings commands use between them; each takes only its own part. */
export type LadderAndSettingsDependencies = RanksDependencies &
  ListRanksDependencies &
  ConfigCommandDependencies &
  PointsDependencies &
  AuditCommandDependencies &
  BindsCommandDependencies;

/** The ladder and settings commands (/ranks, /list-ranks, /config, /points, /audit, /binds), wired in one line. */
export function featureCommands(deps: LadderAndSettingsDependencies): SlashCommand[] {
  return [ranksCommand(deps), listRanksCommand(deps), configCommand(deps), pointsCommand(deps), auditCommand(deps), bindsCommand(deps)];
}
