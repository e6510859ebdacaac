/**
 * The adapters' typed errors that are written for a person carry a `userMessage` (Roblox, Discord's
 * answers, the secret box, command refusals). The domain's and the application's errors carry a
 * reason and facts instead, which src/discord/views/errors.ts and src/http/oauth-wording.ts word.
 * Anything else is logged, not shown.
 */
export interface UserFacing {
  readonly userMessage: string;
}

export function isUserFacing(error: unknown): error is UserFacing {
  return typeof error === "object" && error !== null && "userMessage" in error && typeof error.userMessage === "string";
}

export function userMessageOf(error: unknown): string | undefined {
  return isUserFacing(error) ? error.userMessage : undefined;
}
