/** Why a linking step cannot go on (shared by the phrase and the "Sign in with Roblox" flows). */
export type LinkingErrorReason =
  | "invalid-username"
  | "unknown-username"
  | "not-in-group"
  | "roblox-unavailable"
  | "no-challenge"
  | "challenge-expired"
  | "phrase-missing"
  | "phrase-filtered"
  | "account-taken"
  | "not-linked"
  | "oauth-not-configured"
  | "oauth-state-unknown"
  | "oauth-state-expired"
  | "oauth-denied"
  | "oauth-rejected"
  /** The sign-in came back to (or was confirmed in) a browser other than the one that started it. */
  | "oauth-other-browser"
  /** The confirmation form's CSRF token is missing or wrong, or there is nothing to confirm yet. */
  | "oauth-confirmation-invalid";

/** A linking step that cannot go on; `userMessage` says why and what to do, for Discord or the callback page. */
export class LinkingError extends Error {
  constructor(
    readonly reason: LinkingErrorReason,
    readonly userMessage: string,
    options?: { cause?: unknown },
  ) {
    super(userMessage, options);
    this.name = "LinkingError";
  }
}

