/**
 * The one markdown escape and the one truncation every reply uses. Names come from Roblox and
 * Discord and may contain markdown (`*`, `_`, `||`...); Discord limits each text field.
 */
import { escapeMarkdown as escapeDiscordMarkdown } from "@discordjs/formatters";

/**
 * Escapes Discord markdown with `@discordjs/formatters`' rules. The library leaves a lone `~`
 * alone (only `~~` strikes through); rankbridge has always escaped it too, so names read the
 * same whichever client renders them.
 */
export function escapeMarkdown(text: string): string {
  return escapeDiscordMarkdown(text).replace(/(?<!\\)~/g, "\\~");
}

/** Cuts `text` to at most `max` characters, marking the cut with an ellipsis. */
export function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Discord's limit for an embed field's value. */
export const EMBED_FIELD_LIMIT = 1_024;
