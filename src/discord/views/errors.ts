/**
 * The sentence a Discord user reads for a refusal. Typed errors of the services carry a reason
 * (and the facts the sentence needs); this view turns them into words. Errors of the adapters
 * (Roblox, the secret box, Discord's own answers) still carry their `userMessage`; the domain and
 * the application carry none.
 */
import { StoreUnavailableError } from "../../services/storage-errors.ts";
import { userMessageOf } from "../../errors/user-message.ts";
import { NotRankAdminError } from "../../services/admin-gate.ts";
import { GroupNotConfiguredError } from "../../services/guild-context.ts";
import { SyncNotPossibleError, type SyncNotPossibleReason } from "../../sync/sync-context.ts";
import { MemberListUnavailableError } from "../../sync/member-roles.ts";
import { MemberNotLinkedError } from "../../services/member-sync.ts";
import { LinkingError } from "../../services/linking-errors.ts";
import { describeLinkingError } from "./linking-errors.ts";
import { RankChangeRefusedError } from "../../services/rank-changes.ts";
import { describeRankChangeRefusal } from "./rank-change.ts";

export function notAdminSentence(adminRoleConfigured: boolean): string {
  return `You need the Manage Roles permission${adminRoleConfigured ? " or this server's rankbridge admin role" : ""} to use this command.`;
}

/** A guild with no Roblox group: how to set one. */
export function noGroupSentence(home: boolean): string {
  return home
    ? "This server has no Roblox group yet. An admin can set one with `/config group`, or the bot operator can set ROBLOX_GROUP_ID."
    : "This server has no Roblox group yet. An admin can set one with `/config group`.";
}

/** Why a sync cannot start, and what to do. */
export function syncNotPossibleSentence(reason: SyncNotPossibleReason, home: boolean): string {
  switch (reason) {
    case "no-group":
      return noGroupSentence(home);
    case "no-ranks":
      return "No ranks are set up yet. An admin can run /ranks import to read them from the Roblox group.";
    case "stopping":
      return "rankbridge is restarting. Run /sync again in a minute.";
    case "starting":
      return "Another sync of this server is starting. Run /sync again in a moment.";
  }
}

/** What the user is told, or undefined when the error is not one for them (it is logged instead). */
export function describeError(error: unknown): string | undefined {
  if (error instanceof NotRankAdminError) return notAdminSentence(error.adminRoleConfigured);
  if (error instanceof GroupNotConfiguredError) return noGroupSentence(error.home);
  if (error instanceof SyncNotPossibleError) return syncNotPossibleSentence(error.reason, error.home);
  if (error instanceof LinkingError) return describeLinkingError(error);
  if (error instanceof RankChangeRefusedError) return describeRankChangeRefusal(error);
  if (error instanceof MemberNotLinkedError) return `<@${error.discordId}> has not linked a Roblox account. They must run /link-roblox first.`;
  if (error instanceof StoreUnavailableError) return "The bot's database is temporarily unavailable. Nothing was changed; try again in a minute.";
  if (error instanceof MemberListUnavailableError) return "Discord would not send the member list right now (rate limited). Try again in a minute.";
  return userMessageOf(error);
}
