import { auditCommand } from "./audit.ts";
import { configCommand } from "./config.ts";
import type { CommandDependencies } from "./dependencies.ts";
import { listRanksCommand } from "./list-ranks.ts";
import { pointsCommand } from "./points.ts";
import { ranksCommand } from "./ranks.ts";
import type { SlashCommand } from "./types.ts";

/** The ladder and settings commands (/ranks, /list-ranks, /config, /points, /audit), wired in one line. */
export function featureCommands(deps: CommandDependencies): SlashCommand[] {
  return [ranksCommand(deps), listRanksCommand(deps), configCommand(deps), pointsCommand(deps), auditCommand(deps)];
}
