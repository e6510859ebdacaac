/** What a member reads in Discord when a linking step cannot go on (reason → sentence). */
import { robloxGroupUrl } from "../../services/linking.ts";
import type { LinkingError } from "../../services/linking-errors.ts";

/** What the profile check found (src/ranks/link-phrase.ts) and what to do about it. */
export const PHRASE_HINT = {
  "phrase-filtered":
    "Roblox's text filter hid part of the phrase in your About (it shows as ###), so it can't be checked. " +
    "Get a new phrase, put it in your About, save, and confirm again.",
  "phrase-missing":
    "The phrase isn't in your Roblox profile's About yet. Paste it exactly, save, and confirm again. " +
    "Roblox can take a minute to show the change. If Roblox shows it as ###, get a new phrase.",
} as const;

const TAKEN_NOTE =
  " This Roblox account is linked to another Discord account here; only the account's owner can move the link, by adding the phrase.";

export function describeLinkingError({ reason, facts }: LinkingError): string {
  switch (reason) {
    case "invalid-username":
      return (
        "That isn't a valid Roblox username: usernames are 3 to 20 characters, using only letters, digits and underscores (_). " +
        "Use your username, not your display name."
      );
    case "unknown-username":
      return `No Roblox account is called **${facts.robloxUsername}**. Check the spelling (it's the username, not the display name) and try again.`;
    case "not-in-group":
      return (
        `The Roblox account **${facts.robloxUsername}** isn't in this server's Roblox group yet. ` +
        `Join it at ${robloxGroupUrl(facts.groupId ?? 0)}, then try linking again.`
      );
    case "challenge-expired":
      return "Your linking phrase has expired. Run `/link-roblox` again for a new one.";
    case "no-challenge":
      return "There's no linking in progress for you. Start with `/link-roblox`.";
    case "phrase-missing":
    case "phrase-filtered":
      return `${PHRASE_HINT[reason]}${facts.linkedToAnother ? TAKEN_NOTE : ""}`;
    case "not-linked":
      return "Your Discord account isn't linked to a Roblox account in this server.";
    case "account-taken":
      return "That Roblox account was linked to someone else just now. Try again.";
    case "oauth-not-configured":
      return "Sign in with Roblox isn't set up for this bot. Use the profile phrase instead.";
    case "roblox-unavailable":
      return `Couldn't check your Roblox account and rank right now. ${facts.causeMessage ?? ""}`.trimEnd();
    default:
      // The sign-in steps answer on the OAuth page, not in Discord; should one surface here, say so plainly.
      return "Linking with Roblox didn't go through. Run /link-roblox to try again.";
  }
}
