/**
 * Nickname templates (design §3.1): `{roblox-username}`, `{display-name}`, `{roblox-id}`, `{rank}`,
 * `{rank-number}`, `{discord-name}`, cut to Discord's 32 characters (never rejected). Pure, no wording.
 */

/** Discord's longest nickname, in characters (counted here as UTF-16 units, the stricter reading). */
export const MAX_NICKNAME_LENGTH = 32;

/** The setting value that turns nicknames off. */
export const NICKNAME_OFF = "off";

export const NICKNAME_PLACEHOLDERS = ["roblox-username", "display-name", "roblox-id", "rank", "rank-number", "discord-name"] as const;
export type NicknamePlaceholder = (typeof NICKNAME_PLACEHOLDERS)[number];

/** Roblox's name for rank 0 (not in the group): what `{rank}` shows for a member with no rank. */
export const GUEST_ROLE_NAME = "Guest";

/** What a template can name about a linked member. */
export interface NicknameFacts {
  readonly robloxUsername: string;
  /** Roblox display name; the username stands in when it is not known. */
  readonly displayName?: string | null;
  readonly robloxUserId: number;
  /** The member's ladder rank (name and Roblox rank number); null when they hold none (shown as Guest, rank 0). */
  readonly rank: { readonly name: string; readonly robloxRank: number } | null;
  /** Their Discord global name or username. */
  readonly discordName: string;
}

/** A stored template: null or "off" means no nickname is managed. */
export function nicknameTemplateActive(template: string | null | undefined): template is string {
  return typeof template === "string" && template.trim() !== "" && template.trim().toLowerCase() !== NICKNAME_OFF;
}

/** Placeholders a template uses that rankbridge does not know, e.g. `{rnak}`; for the command's warning. */
export function unknownPlaceholders(template: string): string[] {
  const unknown: string[] = [];
  for (const match of template.matchAll(/\{([^{}]*)\}/g)) {
    const name = match[1]!.trim().toLowerCase();
    if (!(NICKNAME_PLACEHOLDERS as readonly string[]).includes(name) && !unknown.includes(match[0])) unknown.push(match[0]);
  }
  return unknown;
}

function placeholderValue(placeholder: NicknamePlaceholder, facts: NicknameFacts): string {
  switch (placeholder) {
    case "roblox-username":
      return facts.robloxUsername;
    case "display-name":
      return facts.displayName || facts.robloxUsername;
    case "roblox-id":
      return String(facts.robloxUserId);
    case "rank":
      return facts.rank?.name ?? GUEST_ROLE_NAME;
    case "rank-number":
      return String(facts.rank?.robloxRank ?? 0);
    case "discord-name":
      return facts.discordName;
  }
}

/**
 * The nickname a template gives, cut to 32 characters (whole code points, so an emoji is never
 * split in half), spaces collapsed and trimmed. Unknown placeholders are left as written. null when the
 * template is off or renders to nothing (Discord would then show the account name anyway).
 */
export function renderNickname(template: string | null | undefined, facts: NicknameFacts): string | null {
  if (!nicknameTemplateActive(template)) return null;
  const filled = template.replace(/\{([^{}]*)\}/g, (whole, name: string) => {
    const key = name.trim().toLowerCase();
    return (NICKNAME_PLACEHOLDERS as readonly string[]).includes(key) ? placeholderValue(key as NicknamePlaceholder, facts) : whole;
  });
  const tidy = filled.replace(/\s+/g, " ").trim();
  const cut = cutToLength(tidy, MAX_NICKNAME_LENGTH).trimEnd();
  return cut === "" ? null : cut;
}

/**
 * At most `max` UTF-16 units, whole code points only. Discord's limit is 32 characters; counting
 * UTF-16 units is the stricter reading, so an emoji-heavy nickname is never refused with a 400.
 */
function cutToLength(text: string, max: number): string {
  let cut = "";
  for (const codePoint of text) {
    if (cut.length + codePoint.length > max) break;
    cut += codePoint;
  }
  return cut;
}

/** Why a nickname is not set for a member; the report words it. */
export type NicknameSkipReason =
  /** Discord lets nobody but the owner change the owner's nickname. */
  | "guild-owner"
  /** The member's highest role is at or above the bot's. */
  | "above-bot"
  /** The bot lacks Manage Nicknames. */
  | "missing-permission";

export interface NicknameStanding {
  readonly isOwner: boolean;
  /** Highest role position of the member and of the bot (Discord's order; equal positions count as not below). */
  readonly memberTopPosition: number;
  readonly botTopPosition: number;
  readonly botCanManageNicknames: boolean;
}

/** Whether the bot may change this member's nickname; checked before any request. */
export function nicknameSkipReason(standing: NicknameStanding): NicknameSkipReason | null {
  if (!standing.botCanManageNicknames) return "missing-permission";
  if (standing.isOwner) return "guild-owner";
  if (standing.memberTopPosition >= standing.botTopPosition) return "above-bot";
  return null;
}
