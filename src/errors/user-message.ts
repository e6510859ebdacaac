/**
 * Errors written for the person in Discord carry a `userMessage` (the typed errors of every layer:
 * Roblox, linking, rank changes, sync, command refusals). Anything else is logged, not shown.
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
