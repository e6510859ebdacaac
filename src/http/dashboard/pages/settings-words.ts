/**
 * The settings page's words for what the settings service answers: the same refusals as `/config`'s
 * replies, said for a web page (role names instead of mentions, no markdown).
 */
import type { AccountAgeOutcome, GroupLockOutcome, LogChannelOutcome, MemberRoleOutcome, NicknameOutcome, SyncIntervalOutcome } from "../../../services/setting-changes.ts";
import { MAX_ACCOUNT_AGE_DAYS } from "../../../ranks/account-age.ts";
import { NICKNAME_PLACEHOLDERS } from "../../../ranks/nickname.ts";
import { bindRoleRefusalText } from "./binds-words.ts";

const NOTHING_CHANGED = "Nothing was changed.";

type Refused<T> = Exclude<T, { kind: "saved" }>;

export const refusalText = {
  memberRole: (outcome: Refused<MemberRoleOutcome>, roleName: (roleId: string) => string): string =>
    outcome.kind === "same-as-other"
      ? `"${roleName(outcome.roleId)}" is already the other of the verified and unverified roles; one role can't be both. ${NOTHING_CHANGED}`
      : bindRoleRefusalText(outcome.refusal, roleName(outcome.roleId), "choose"),
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
