import { REST } from "@discordjs/rest";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";

export interface DiscordRestOptions {
  apiUrl: string;
  token: string;
  metrics: Metrics;
  logger: Logger;
  /**
   * Extra milliseconds added to every rate-limit reset; default RATE_LIMIT_RESET_MARGIN_MS. Only an
   * emulator whose windows are scaled down to tens of milliseconds needs another value (0).
   */
  offsetMs?: number;
  /**
   * Client-side global limit (discord.js default 50, Discord's limit per bot). Only an emulator
   * whose windows are scaled down needs another value.
   */
  globalRequestsPerSecond?: number;
}

/**
 * The margin kept after Discord says a rate-limit window ends, in place of discord.js's 50 ms.
 *
 * @discordjs/rest 2.6 adds its `offset` twice per window: once when it stores the reset
 * (`X-RateLimit-Reset-After` + now + offset) and again when it computes the wait (reset + offset
 * - now). The default 50 ms therefore costs 100 ms a window, 10% of a 1 s member-edit window.
 *
 * No offset is needed against clock skew: `X-RateLimit-Reset-After` is relative, counted by
 * Discord when it answered, and we add it to our clock only once the response has reached us, so
 * the reset we wait for is late by the response's trip, and the next request reaches Discord a
 * further trip later: a whole round trip of margin, never less. What latency cannot cover is
 * rounding: the header has millisecond precision (at most 0.5 ms early if rounded) and `Date.now()`
 * truncates to the millisecond (at most 1 ms), so 1 ms per addition, 2 ms a window in all, covers
 * both even on a zero-latency path (0.2% of a 1 s window).
 */
export const RATE_LIMIT_RESET_MARGIN_MS = 1;

/** The one REST instance of the process: the single rate-limit authority for the bot token. */
export function createDiscordRest({
  apiUrl,
  token,
  metrics,
  logger,
  offsetMs = RATE_LIMIT_RESET_MARGIN_MS,
  globalRequestsPerSecond = 50,
}: DiscordRestOptions): REST {
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
