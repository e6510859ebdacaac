/** What admins and members read about the gates (design §3.1): the minimum account age and the group lock. */
import type { GroupLockMode } from "../../db/schema.ts";
import { MAX_ACCOUNT_AGE_DAYS, MIN_ACCOUNT_AGE_DAYS } from "../../ranks/account-age.ts";
import { escapeMarkdown } from "./markdown.ts";

export function dayCount(days: number): string {
  return days === 1 ? "1 day" : `${days} days`;
}

export const minAccountAgeWording = {
  optionDescription: `Minimum account age in days (0 turns it off, at most ${MAX_ACCOUNT_AGE_DAYS})`,
  invalid: `The minimum account age is a whole number of days from ${MIN_ACCOUNT_AGE_DAYS} (off) to ${MAX_ACCOUNT_AGE_DAYS}. Nothing was changed.`,
  audit: (days: number) => (days > 0 ? `Minimum Roblox account age set to ${dayCount(days)}` : "Minimum Roblox account age turned off"),
  reply: (days: number) =>
    days > 0
      ? `Roblox accounts younger than **${dayCount(days)}** can no longer link here; they are told the date they can. Members already linked keep their link.`
      : "Any Roblox account can link here again (no minimum account age).",
  field: (days: number) => ({ name: "Minimum Roblox account age", value: days > 0 ? `${dayCount(days)} to link` : "off", inline: true }),
};

const GROUP_LOCK_EXPLANATIONS: Record<GroupLockMode, string> = {
  off: "linked members who are not in the Roblox group keep their roles (a sync reports them)",
  "remove-roles": "linked members who are not in the Roblox group lose their bound roles at the next sync",
  kick: "linked members who are not in the Roblox group are told why by DM and removed from the server, at the next sync and when they join",
};

export const groupLockWording = {
  optionDescription: "off: touch nothing; remove-roles: take their bound roles; kick: remove them from the server",
  invalid: "The mode must be one of: off, remove-roles, kick. Nothing was changed.",
  audit: (mode: GroupLockMode) => `Group lock set to ${mode}`,
  reply: (mode: GroupLockMode, canKick: boolean) =>
    `Group lock set to **${mode}**: ${GROUP_LOCK_EXPLANATIONS[mode]}.` +
    (mode === "kick" && !canKick
      ? "\n⚠️ rankbridge doesn't have the Kick Members permission yet, so nobody is removed (their bound roles are taken instead) until its role is given it."
      : mode === "kick"
        ? " The guild owner and members whose highest role is at or above rankbridge's are never kicked."
        : ""),
  field: (mode: GroupLockMode, chosen: boolean) => ({
    name: "Group lock",
    value: `${mode}${chosen ? "" : " (from the left-group policy)"}: ${GROUP_LOCK_EXPLANATIONS[mode]}`,
  }),
};

export const nicknameWording = {
  optionDescription: "Like [{rank}] {roblox-username}; \"off\" to leave nicknames alone",
  empty: "Give a template, or \"off\" to stop setting nicknames. Nothing was changed.",
  unknownPlaceholders: (unknown: readonly string[], known: readonly string[]) =>
    `${unknown.map((name) => `\`${name}\``).join(", ")} ${unknown.length === 1 ? "isn't a placeholder" : "aren't placeholders"} rankbridge knows, so members would show it as written. ` +
    `Use ${known.map((name) => `\`{${name}}\``).join(", ")}. Nothing was changed.`,
  audit: (template: string | null) => (template ? `Nickname template set to ${template}` : "Nickname template turned off"),
  reply: (template: string | null, example: string | null, canManage: boolean) =>
    template
      ? `Linked members' nicknames now follow \`${template.replace(/`/g, "'")}\` (cut to 32 characters) from the next /sync` +
        (example ? `; for example **${escapeMarkdown(example)}**.` : ".") +
        " The server owner and members at or above rankbridge's role keep theirs." +
        (canManage ? "" : "\n⚠️ rankbridge doesn't have the Manage Nicknames permission yet, so no nickname is set until its role is given it.")
      : "rankbridge no longer sets nicknames; members keep the ones they have.",
  field: (template: string | null) => ({ name: "Nickname template", value: template ? `\`${template.replace(/`/g, "'")}\`` : "off", inline: true }),
};
