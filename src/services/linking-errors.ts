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

/** Which step failed, where one reason covers several (the reply differs). */
export type LinkingErrorStep =
  /** roblox-unavailable: reading the account or its rank (the Roblox error's own sentence follows). */
  | "lookup"
  /** roblox-unavailable: the OAuth endpoint could not be reached, or kept failing. */
  | "sign-in-unreachable"
  | "sign-in-failing"
  /** oauth-rejected: no code came back, Roblox refused the code, or its answer was unreadable. */
  | "missing-code"
  | "refused"
  | "unreadable"
  /** oauth-confirmation-invalid: nothing signed in yet, or the CSRF token is wrong. */
  | "no-proof"
  | "csrf";

/** The facts a reply about the failure needs; the wording lives with each view (Discord, the OAuth page). */
export interface LinkingErrorFacts {
  readonly step?: LinkingErrorStep;
  /** unknown-username, not-in-group: the name as typed or as Roblox spells it. */
  readonly robloxUsername?: string;
  /** not-in-group: the group to join. */
  readonly groupId?: number;
  /** phrase-*: the account is linked to another member here. */
  readonly linkedToAnother?: boolean;
  /** roblox-unavailable (lookup): the Roblox error's own sentence. */
  readonly causeMessage?: string;
}

/** A linking step that cannot go on: `reason` and `facts` say why; the views say it in words. */
export class LinkingError extends Error {
  constructor(
    readonly reason: LinkingErrorReason,
    readonly facts: LinkingErrorFacts = {},
    options?: { cause?: unknown },
  ) {
    super(`linking refused: ${reason}${facts.step ? ` (${facts.step})` : ""}`, options);
    this.name = "LinkingError";
  }
}

/** The user is not in the group: carries the group so callers can offer the join link. */
export class NotInGroupError extends LinkingError {
  constructor(
    readonly groupId: number,
    robloxUsername: string,
  ) {
    super("not-in-group", { groupId, robloxUsername });
  }
}
