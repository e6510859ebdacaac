/**
 * Typed Roblox failures. Every error a caller can see is a `RobloxError` subclass with a `kind`
 * to branch on, the HTTP status and API code that caused it (when there was a response), and a
 * `userMessage` sentence that can be shown to a Discord user as is.
 */

import { RobloxError, type RobloxErrorDetails, type RobloxErrorKind } from "../services/roblox-port.ts";

// The base and the kinds are the application's port vocabulary (src/services/roblox-port.ts); this
// adapter raises one subclass per kind, each with the sentence a Discord user can be shown.
export { isRobloxError, RobloxError, type RobloxErrorDetails, type RobloxErrorKind } from "../services/roblox-port.ts";

export class RobloxUserNotFoundError extends RobloxError {
  readonly kind = "user_not_found";
  readonly userMessage = "That Roblox account doesn't exist. Check the username and try again.";
}

export class RobloxNotInGroupError extends RobloxError {
  readonly kind = "not_in_group";
  readonly userMessage = "That Roblox account isn't a member of the group. Join the group first, then try again.";
}

export class RobloxRoleNotFoundError extends RobloxError {
  readonly kind = "role_not_found";
  readonly userMessage = "That role no longer exists in the Roblox group. An admin should re-import the ranks.";
}

export class RobloxRoleNotAssignableError extends RobloxError {
  readonly kind = "role_not_assignable";
  readonly userMessage = "The Guest and Owner roles can't be given to anyone through the bot.";
}

export class RobloxGroupNotFoundError extends RobloxError {
  readonly kind = "group_not_found";
  readonly userMessage = "The Roblox group configured for this server doesn't exist. An admin should check the group id.";
}

export class RobloxPermissionError extends RobloxError {
  readonly kind = "missing_permission";
  readonly userMessage =
    "The bot's Roblox account isn't allowed to do that: its API key lacks the scope or its group role lacks the permission, or the member ranks above it.";
}

export class RobloxCannotChangeOwnRankError extends RobloxError {
  readonly kind = "cannot_change_own_rank";
  readonly userMessage = "The bot's own Roblox account can't change its own rank.";
}

export class RobloxCannotChangeOwnerRankError extends RobloxError {
  readonly kind = "cannot_change_owner_rank";
  readonly userMessage = "The group owner's rank can't be changed.";
}

/** Legacy code 26: the member already holds the role. Rank changes treat it as "nothing to do". */
export class RobloxSameRoleError extends RobloxError {
  readonly kind = "same_role";
  readonly userMessage = "That member already has this rank on Roblox.";
}

export class RobloxRateLimitedError extends RobloxError {
  readonly kind = "rate_limited";
  readonly userMessage = "Roblox is limiting how fast the bot can work right now. Try again in a minute.";
  override readonly retryable = true;
  /** How long Roblox asked us to wait, when it said. */
  readonly retryAfterMs: number | undefined;

  constructor(message: string, details: RobloxErrorDetails & { retryAfterMs?: number } = {}) {
    super(message, details);
    this.retryAfterMs = details.retryAfterMs;
  }
}

export class RobloxServiceUnavailableError extends RobloxError {
  readonly kind = "service_unavailable";
  readonly userMessage = "Roblox is having trouble right now. Try again in a few minutes.";
  override readonly retryable = true;
}

export class RobloxInvalidCredentialsError extends RobloxError {
  readonly kind = "invalid_credentials";
  readonly userMessage = "Roblox rejected the bot's credentials. An admin needs to check the API key or cookie.";
}

export class RobloxNoCredentialsError extends RobloxError {
  readonly kind = "no_credentials";
  readonly userMessage = "The bot has no Roblox API key or cookie configured, so it can't change Roblox ranks.";
}

export class RobloxNetworkError extends RobloxError {
  readonly kind = "network";
  readonly userMessage = "The bot couldn't reach Roblox. Try again in a few minutes.";
  override readonly retryable = true;
}

export class RobloxTimeoutError extends RobloxError {
  readonly kind = "timeout";
  readonly userMessage = "Roblox took too long to answer. Try again in a few minutes.";
  override readonly retryable = true;
}

export class RobloxInvalidRequestError extends RobloxError {
  readonly kind = "invalid_request";
  readonly userMessage = "Roblox refused the bot's request. This is a bug in the bot; please tell an admin.";
}

export class RobloxUnexpectedResponseError extends RobloxError {
  readonly kind = "unexpected_response";
  readonly userMessage = "Roblox sent an answer the bot didn't understand. Try again later.";
}

type ErrorClass = new (message: string, details?: RobloxErrorDetails) => RobloxError;

export const errorClassByKind: Record<RobloxErrorKind, ErrorClass> = {
  user_not_found: RobloxUserNotFoundError,
  not_in_group: RobloxNotInGroupError,
  role_not_found: RobloxRoleNotFoundError,
  role_not_assignable: RobloxRoleNotAssignableError,
  group_not_found: RobloxGroupNotFoundError,
  missing_permission: RobloxPermissionError,
  cannot_change_own_rank: RobloxCannotChangeOwnRankError,
  cannot_change_owner_rank: RobloxCannotChangeOwnerRankError,
  same_role: RobloxSameRoleError,
  rate_limited: RobloxRateLimitedError,
  service_unavailable: RobloxServiceUnavailableError,
  invalid_credentials: RobloxInvalidCredentialsError,
  no_credentials: RobloxNoCredentialsError,
  network: RobloxNetworkError,
  timeout: RobloxTimeoutError,
  invalid_request: RobloxInvalidRequestError,
  unexpected_response: RobloxUnexpectedResponseError,
};
