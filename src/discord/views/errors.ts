/**
 * The sentence a Discord user reads for a refusal. Typed errors of the services carry a reason
 * (and the facts the sentence needs); this view turns them into words. Errors of the adapters
 * (Roblox, the secret box, Discord's own answers) still carry their `userMessage`.
 */
import { userMessageOf } from "../../errors/user-message.ts";
import { NotRankAdminError } from "../../services/admin-gate.ts";
import { LinkingError } from "../../services/linking-errors.ts";
import { describeLinkingError } from "./linking-errors.ts";
import { RankChangeRefusedError } from "../../services/rank-changes.ts";
import { describeRankChangeRefusal } from "./rank-change.ts";

export function notAdminSentence(adminRoleConfigured: boolean): string {
  return "You need the Manage Roles permission" + (adminRoleConfigured ? " or this server's rankbridge admin role" : "") + " to use this command.";
}

/** What the user is told, or undefined when the error is not one for them (it is logged instead). */
export function describeError(error: unknown): string | undefined {
  if (error instanceof NotRankAdminError) return notAdminSentence(error.adminRoleConfigured);
  if (error instanceof LinkingError) return describeLinkingError(error);
  if (error instanceof RankChangeRefusedError) return describeRankChangeRefusal(error);
  return userMessageOf(error);
}
