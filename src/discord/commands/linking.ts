import type { LinkingService } from "../../services/linking.ts";
import { linkRobloxCommand } from "./link-roblox.ts";
import type { SlashCommand } from "./types.ts";
import { unlinkCommand } from "./unlink.ts";

/** The linking feature's commands (issue 4): `/link-roblox` and `/unlink`, both on one LinkingService. */
export function linkingCommands(linking: LinkingService): SlashCommand[] {
  return [linkRobloxCommand({ linking }), unlinkCommand({ linking })];
}
