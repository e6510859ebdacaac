/**
 * What the "Sign in with Roblox" pages say when linking cannot go on (reason → sentence). Plain
 * text: these are web pages, not Discord messages.
 */
import { robloxGroupUrl } from "../services/linking.ts";
import { GroupNotConfiguredError } from "../services/guild-context.ts";
import { LinkingError } from "../services/linking-errors.ts";
import { userMessageOf } from "../errors/user-message.ts";
import { formatUtcDateTime } from "../lib/dates.ts";

const days = (count: number | undefined) => (count === 1 ? "1 day" : `${count ?? 0} days`);

export function linkingErrorPageText({ reason, facts }: LinkingError): string {
  switch (reason) {
    case "oauth-denied":
      return "Sign-in with Roblox was cancelled. Press the button in Discord again to retry.";
    case "oauth-rejected":
      if (facts.step === "missing-code") return "Roblox didn't send a sign-in code. Press the button in Discord again.";
      if (facts.step === "unreadable") return "Roblox sent a sign-in answer the bot didn't understand. Try again later.";
      return "Roblox didn't accept this sign-in (it may have expired or been used already). Press the button in Discord again.";
    case "oauth-confirmation-invalid":
      return facts.step === "csrf"
        ? "This confirmation didn't come from the sign-in page. Nothing was linked; press the button in Discord again."
        : "Sign in with Roblox first: press the button in Discord again.";
    case "oauth-state-expired":
      return "This sign-in link has expired. Run /link-roblox in Discord again.";
    case "oauth-state-unknown":
      return "This sign-in link isn't one rankbridge handed out (or it was already used). Run /link-roblox in Discord to get a new one.";
    case "oauth-other-browser":
      return 'This sign-in was started in another browser, so nothing was linked. Whoever is linking must press "Sign in with Roblox" in Discord themselves, in their own browser.';
    case "oauth-not-configured":
      return "Sign in with Roblox isn't set up for this bot. Use the profile phrase instead.";
    case "roblox-unavailable":
      if (facts.step === "sign-in-unreachable") return "The bot couldn't reach Roblox to finish signing in. Try again in a few minutes.";
      if (facts.step === "sign-in-failing") return "Roblox is having trouble finishing the sign-in. Try again in a few minutes.";
      return `Couldn't check your Roblox account and rank right now. ${facts.causeMessage ?? ""}`.trimEnd();
    case "not-in-group":
      return (
        `The Roblox account ${facts.robloxUsername} isn't in this server's Roblox group yet. ` +
        `Join it at ${robloxGroupUrl(facts.groupId ?? 0)}, then try linking again.`
      );
    case "account-too-young":
      return (
        `This server only links Roblox accounts at least ${days(facts.minAccountAgeDays)} old, and this one is newer. Nothing was linked. ` +
        // Rounded up to the minute, so the time shown is never too early.
        `You can link it from ${formatUtcDateTime(Math.ceil((facts.eligibleAtMs ?? 0) / 60_000) * 60_000)}.`
      );
    case "account-age-unknown":
      return `This server only links Roblox accounts at least ${days(facts.minAccountAgeDays)} old, and Roblox didn't say when this one was made. Nothing was linked; try again in a few minutes.`;
    case "account-taken":
      return "That Roblox account was linked to someone else just now. Try again.";
    default:
      return "Linking with Roblox didn't go through. Run /link-roblox in Discord to try again.";
  }
}

/** The page's sentence for any refusal: linking's own, a guild without a group, or an adapter's (Roblox) message. */
export function pageTextOf(error: unknown): string | undefined {
  if (error instanceof LinkingError) return linkingErrorPageText(error);
  if (error instanceof GroupNotConfiguredError) {
    return `This server has no Roblox group yet. An admin can set one with /config group${error.home ? ", or the bot operator can set ROBLOX_GROUP_ID" : ""}.`;
  }
  return userMessageOf(error);
}
