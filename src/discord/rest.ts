import { REST } from "@discordjs/rest";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";

export interface DiscordRestOptions {
  apiUrl: string;
  token: string;
  metrics: Metrics;
  logger: Logger;
  /**
   * Extra milliseconds added to every rate-limit reset. discord.js defaults to 50; against an
   * emulator that sends exact reset times 0 reaches the floor (see docs/benchmarks.md).
   */
  offsetMs?: number;
  /**
   * Client-side global limit (discord.js default 50, Discord's limit per bot). Only an emulator
   * whose windows are scaled down needs another value.
   */
  globalRequestsPerSecond?: number;
}

/** The one REST instance of the process: the single rate-limit authority for the bot token. */
export function createDiscordRest({ apiUrl, token, metrics, logger, offsetMs = 50, globalRequestsPerSecond = 50 }: DiscordRestOptions): REST {
  const rest = new REST({ api: apiUrl, version: "10", offset: offsetMs, globalRequestsPerSecond, invalidRequestWarningInterval: 500 }).setToken(token);

  rest.on("response", (request, response) => {
    metrics.discordRequests.inc({ route: request.route, method: request.method, status: String(response.status) });
  });
  rest.on("rateLimited", (info) => {
    metrics.discordRateLimited.inc({ route: info.route, global: String(info.global) });
    logger.debug({ route: info.route, retryAfter: info.retryAfter, scope: info.scope }, "discord rate limit wait");
  });
  rest.on("invalidRequestWarning", (info) => {
    logger.warn(
      { count: info.count, remainingTime: info.remainingTime },
      "many invalid Discord requests (401/403/429) in the last 10 minutes: Discord bans at 10,000",
    );
  });
  return rest;
}
