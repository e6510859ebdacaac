import { DiscordAPIError } from "@discordjs/rest";
import type { Logger } from "../observability/logger.ts";

/** Raised when Discord refuses the token: retrying cannot help, the operator must fix it. */
export class DiscordTokenRejectedError extends Error {
  constructor() {
    super("Discord rejected DISCORD_TOKEN (401 Unauthorized): check the bot token in the developer portal");
    this.name = "DiscordTokenRejectedError";
  }
}

/**
 * Start-up calls to Discord are retried with capped exponential back-off while the network or
 * Discord is down, so a bot started during an outage comes up by itself once it ends.
 */
export async function retryWhileUnreachable<T>(
  what: string,
  call: () => Promise<T>,
  logger: Logger,
  { initialDelayMs = 1_000, maxDelayMs = 30_000 }: { initialDelayMs?: number; maxDelayMs?: number } = {},
): Promise<T> {
  let delay = initialDelayMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      if (error instanceof DiscordAPIError && error.status === 401) throw new DiscordTokenRejectedError();
      if (error instanceof DiscordAPIError && error.status < 500) throw error;
      logger.warn({ err: error, attempt, retryInMs: delay }, `Discord unreachable while ${what}; retrying`);
      await Bun.sleep(delay);
      delay = Math.min(delay * 2, maxDelayMs);
    }
  }
}
