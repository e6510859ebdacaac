/**
 * The settings page's words for what the settings service answers: the same refusals as `/config`'s
 * replies, said for a web page (role names instead of mentions, no markdown).
 */
import type { BindRoleRefusal } from "../../../services/binds.ts";
import type { AccountAgeOutcome, GroupLockOutcome, LogChannelOutcome, MemberRoleOutcome, NicknameOutcome, SyncIntervalOutcome } from "../../../services/setting-changes.ts";
import { MAX_ACCOUNT_AGE_DAYS } from "../../../ranks/account-age.ts";
import { NICKNAME_PLACEHOLDERS } from "../../../ranks/nickname.ts";
import { describeRoleProblem } from "../../../discord/views/role-problems.ts";

const NOTHING_CHANGED = "Nothing was changed.";

/** Why a role cannot be the verified or unverified role (the checks every bind's role passes). */
export function roleRefusalText(refusal: BindRoleRefusal, roleName: string): string {
  switch (refusal.kind) {
    case "everyone":
      return `@everyone can't be given or taken. ${NOTHING_CHANGED}`;
    case "managed":
      return `"${roleName}" is managed by an integration (a bot's own role, the booster role or a subscription), so nobody can give it. ${NOTHING_CHANGED}`;
    case "bot-cannot-manage":
      return `${describeRoleProblem(refusal.problem)} ${NOTHING_CHANGED}`;
    case "denied":
      switch (refusal.denial.reason) {
        case "privileged-role":
          return `"${roleName}" grants ${refusal.denial.permissions.join(", ")}, so only the server owner or an Administrator may choose it. ${NOTHING_CHANGED}`;
        case "role-not-below-actor":
          return refusal.denial.actorTopRole
            ? `You can only choose roles below your own highest role (${refusal.denial.actorTopRole.name}), and "${roleName}" is not below it. ${NOTHING_CHANGED}`
            : `You can only choose roles below your own highest role, and you hold none. ${NOTHING_CHANGED}`;
        case "actor-unranked":
        case "rank-not-below-actor":
          return `You may not choose "${roleName}". ${NOTHING_CHANGED}`;
      }
  }
}

type Refused<T> = Exclude<T, { kind: "saved" }>;

export const refusalText = {
  memberRole: (outcome: Refused<MemberRoleOutcome>, roleName: (roleId: string) => string): string =>
    outcome.kind === "same-as-other"
      ? `"${roleName(outcome.roleId)}" is already the other of the verified and unverified roles; one role can't be both. ${NOTHING_CHANGED}`
      : roleRefusalText(outcome.refusal, roleName(outcome.roleId)),
  nickname: (outcome: Refused<NicknameOutcome>): string =>
    outcome.kind === "empty"
      ? `Give a template, or "off" to stop setting nicknames. ${NOTHING_CHANGED}`
      : `${outcome.unknown.join(", ")} ${outcome.unknown.length === 1 ? "isn't a placeholder" : "aren't placeholders"} rankbridge knows, so members would show it as written. ` +
        `Use ${NICKNAME_PLACEHOLDERS.map((name) => `{${name}}`).join(", ")}. ${NOTHING_CHANGED}`,
  groupLock: (_outcome: Refused<GroupLockOutcome>): string => `The mode must be one of: off, remove-roles, kick. ${NOTHING_CHANGED}`,
  accountAge: (_outcome: Refused<AccountAgeOutcome>): string => `The minimum account age is a whole number of days from 0 (off) to ${MAX_ACCOUNT_AGE_DAYS}. ${NOTHING_CHANGED}`,
  syncInterval: (outcome: Refused<SyncIntervalOutcome>): string => `${outcome.error.message} ${NOTHING_CHANGED}`,
  logChannel: (outcome: Refused<LogChannelOutcome>, channelName: (channelId: string) => string): string =>
    outcome.kind === "not-a-channel-here"
      ? `Pick a text channel of this server for the log. ${NOTHING_CHANGED}`
      : `rankbridge can't post in #${channelName(outcome.channelId)}. Give its role View Channel, Send Messages and Embed Links there, then save again. ${NOTHING_CHANGED}`,
};

export const GROUP_LOCK_CHOICES = [
  { value: "off", text: "off: linked members who are not in the Roblox group keep their roles" },
  { value: "remove-roles", text: "remove-roles: they lose their bound roles" },
  { value: "kick", text: "kick: they are told why by DM and removed from the server" },
] as const;
