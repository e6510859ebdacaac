/**
 * What admins read about binds (design §3.1): `/binds` replies and refusals, `/binds list`, the
 * autocomplete labels, and the verified/unverified role replies of `/config`.
 */
import type { APIEmbed } from "discord-api-types/v10";
import type { Bind, RangeProblem } from "../../ranks/binds.ts";
import { formatRank, type Rank } from "../../ranks/ladder.ts";
import { escapeMarkdown, truncate } from "./markdown.ts";

/** Discord's limit for an embed description. */
const DESCRIPTION_LIMIT = 4_096;

/** How the commands name a rank by id; unknown ids (a rank removed meanwhile) by number. */
export type RankNames = ReadonlyMap<number, Rank>;

/** Why a role cannot be given by a bind, judged before anything is stored. */
export type RoleRefusal =
  | { readonly kind: "everyone" }
  | { readonly kind: "managed"; readonly what: "bot" | "booster" | "integration" }
  | { readonly kind: "bot-problem"; readonly message: string }
  | { readonly kind: "authority"; readonly message: string };

export function describeRoleRefusal(refusal: RoleRefusal, roleId: string, what: string): string {
  const head = `Can't ${what} <@&${roleId}>: `;
  switch (refusal.kind) {
    case "everyone":
      return "@everyone can't be given by a bind: every member has it. Pick another role. Nothing was changed.";
    case "managed": {
      const owner = { bot: "a bot's own role", booster: "the Server Booster role", integration: "a role managed by an integration" }[refusal.what];
      return `${head}it is ${owner}, which Discord lets nobody give or take. Pick a normal role. Nothing was changed.`;
    }
    case "bot-problem":
    case "authority":
      return `${head}${refusal.message} Nothing was changed.`;
  }
}

/**
 * One bind as a line: what it matches (its roles are said where it is shown). `emphasis` marks a
 * rank's name: bold markdown in Discord; the web dashboard passes the name through as it is.
 */
export function describeCondition(
  bind: Bind,
  ranks: RankNames,
  ownGroupId: number | undefined,
  emphasis: (rankName: string) => string = (rankName) => `**${escapeMarkdown(rankName)}**`,
): string {
  switch (bind.kind) {
    case "rank": {
      const rank = ranks.get(bind.rankId);
      const name = rank ? emphasis(formatRank(rank)) : `removed rank #${bind.rankId}`;
      return bind.origin.kind === "stored" && bind.origin.rankRole ? `rank ${name} (the rank's own role)` : `rank ${name}`;
    }
    case "range": {
      const group = bind.groupId === ownGroupId ? `this server's group (${bind.groupId})` : `group ${bind.groupId}`;
      const span = bind.minRank === bind.maxRank ? `rank number ${bind.minRank}` : `rank numbers ${bind.minRank}–${bind.maxRank}`;
      return `${span} in ${group}${bind.minRank === 0 ? " (0: not in the group)" : ""}`;
    }
    case "linked":
      return bind.origin.kind === "verified-role" ? "linked members (the verified role)" : "linked members";
    case "unlinked":
      return bind.origin.kind === "unverified-role" ? "members who are not linked (the unverified role)" : "members who are not linked";
  }
}

function bindLabel(bind: Bind): string {
  return bind.origin.kind === "stored" ? `#${bind.origin.id}` : "setting";
}

/** `/binds list`: each role rankbridge manages, and every bind it comes from. */
export function renderBindList(byRole: ReadonlyMap<string, readonly Bind[]>, ranks: RankNames, ownGroupId: number | undefined): APIEmbed {
  if (byRole.size === 0) {
    return {
      title: "Binds",
      description:
        "No binds yet. Add one with /binds add-rank-role or /binds add-range, set /config verified-role, or run /ranks import to bind each rank to its Discord role.",
    };
  }
  const lines: string[] = [];
  for (const [roleId, binds] of byRole) {
    lines.push(`<@&${roleId}> from ${binds.map((bind) => `${bindLabel(bind)} ${describeCondition(bind, ranks, ownGroupId)}`).join("; ")}`);
  }
  return {
    title: `Binds: ${byRole.size} role${byRole.size === 1 ? "" : "s"} managed`,
    description: truncate(lines.join("\n"), DESCRIPTION_LIMIT),
    footer: { text: "Roles no bind gives are never touched. Remove a bind with /binds remove (its #number)." },
  };
}

/** An autocomplete label for `/binds remove` (at most 100 characters, no markdown: Discord shows it raw). */
export function bindChoiceLabel(bind: Bind, ranks: RankNames, ownGroupId: number | undefined, roleNames: ReadonlyMap<string, string>): string {
  const roles = bind.roleIds.map((id) => `@${roleNames.get(id) ?? id}`).join(", ");
  const condition = describeCondition(bind, ranks, ownGroupId).replace(/\*\*/g, "").replace(/\\(.)/g, "$1");
  return truncate(`${bindLabel(bind)} ${condition} → ${roles}`, 100);
}

export const bindWording = {
  addedRankRole: (rank: Rank, roleId: string, merged: boolean) =>
    `**${escapeMarkdown(formatRank(rank))}** now also gives <@&${roleId}>${merged ? " (added to the rank's existing bind)" : ""}. Members' roles follow at the next /sync.`,
  alreadyRankRole: (rank: Rank, roleId: string) => `**${escapeMarkdown(formatRank(rank))}** already gives <@&${roleId}>. Nothing was changed.`,
  addedRange: (condition: string, roleId: string) => `Anyone with ${condition} now holds <@&${roleId}>. Members' roles follow at the next /sync.`,
  alreadyRange: (condition: string, roleId: string) => `A bind already gives <@&${roleId}> for ${condition}. Nothing was changed.`,
  rangeNotInteger: "The rank numbers must be whole numbers from 0 to 255. Nothing was changed.",
  badGroupId: "The group id is the whole number in the group's address: roblox.com/communities/<id>/... Nothing was changed.",
  unknownGroup: (groupId: number) => `No Roblox group with id ${groupId} was found. The id is the number in the group's address: roblox.com/communities/<id>/... Nothing was changed.`,
  unreadableGroup: (groupId: number) => `The Roblox credentials in use can't read group ${groupId}, so it can't be bound. Nothing was changed.`,
  pickRole: "Pick the Discord role the bind gives.",
  pickBind: "Pick a bind from the list (or give its #number from /binds list).",
  unknownBind: (typed: string) => `This server has no bind ${escapeMarkdown(typed)}. Run /binds list to see the binds and their #numbers. Nothing was changed.`,
  removed: (condition: string, roleIds: readonly string[]) =>
    `Removed the bind for ${condition} (${roleIds.map((id) => `<@&${id}>`).join(", ")}). rankbridge stops giving or taking a role no other bind gives; members keep what they hold now.`,
};

/** Why a range cannot be a bind. */
export function rangeWording(problem: RangeProblem, minRank: number, maxRank: number): string {
  switch (problem) {
    case "not-integer":
      return bindWording.rangeNotInteger;
    case "out-of-range":
      return "Roblox rank numbers run from 0 (not in the group) to 255 (owner): min-rank and max-rank must lie between them. Nothing was changed.";
    case "min-above-max":
      return `min-rank (${minRank}) is above max-rank (${maxRank}). Nothing was changed.`;
  }
}

/** `/config verified-role` and `/config unverified-role`. */
export const memberRoleSettingWording = {
  verified: {
    set: (roleId: string) => `Linked members now hold <@&${roleId}>, given at link and at the next /sync, taken when they unlink.`,
    unset: "There is no verified role any more; rankbridge stops giving or taking the previous one (members keep it for now).",
    audit: (roleId: string | null) => (roleId ? `Verified role set to ${roleId}` : "Verified role removed"),
    field: (roleId: string | null) => ({ name: "Verified role", value: roleId ? `<@&${roleId}>` : "none", inline: true }),
  },
  unverified: {
    set: (roleId: string) => `Members who are not linked now hold <@&${roleId}>, given on join and at the next /sync, taken when they link.`,
    unset: "There is no unverified role any more; rankbridge stops giving or taking the previous one (members keep it for now).",
    audit: (roleId: string | null) => (roleId ? `Unverified role set to ${roleId}` : "Unverified role removed"),
    field: (roleId: string | null) => ({ name: "Unverified role", value: roleId ? `<@&${roleId}>` : "none", inline: true }),
  },
  sameAsOther: (roleId: string) => `<@&${roleId}> is already the other of the verified and unverified roles; one role can't be both. Nothing was changed.`,
};
