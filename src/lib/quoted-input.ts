/**
 * What a person typed, quoted back in a message about it: control and format characters removed,
 * whitespace collapsed, and at most `max` characters, so a 6,000-character option cannot push a
 * reply past Discord's 2,000-character limit (the reply would then fail instead of explaining).
 */
export function quotedInput(input: string, max = 80): string {
  const characters = Array.from(input.replace(/\s+/g, " ").replace(/[\p{Cc}\p{Cf}]/gu, "").trim());
  const text = characters.length > max ? `${characters.slice(0, max - 1).join("")}…` : characters.join("");
  return `"${text}"`;
}
