/**
 * The Discord REST proxy of design §8: one @discordjs/rest instance, and so one view of Discord's
 * per-token limits (the global 50 requests a second, the route buckets), in front of every bot
 * process whose DISCORD_API_URL points here.
 *
 * The proxy never waits on a rate limit itself (`rejectOnRateLimit`): a request that would have to
 * wait is answered 429 with `Retry-After`, and the bot's own @discordjs/rest sleeps that long and
 * sends it again (an unexpected 429 without bucket headers is handled as a sublimit). So a request
 * is held in one place only, the caller that can give up on it, and no socket stays open on the
 * proxy for the length of a window. `retries: 0` for the same reason: a 5xx or a dropped connection
 * goes back to the bot, whose REST retries it, instead of being retried in both places.
 *
 * The rate-limit state is for one bot token: run one proxy per bot (@discordjs/proxy's README).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { URL } from "node:url";
import { populateErrorResponse, populateSuccessfulResponse } from "@discordjs/proxy";
import { REST, type RequestMethod } from "@discordjs/rest";
import { RATE_LIMIT_RESET_MARGIN_MS } from "../discord/rest.ts";
import type { Logger } from "../observability/logger.ts";

export interface DiscordProxyOptions {
  /** Discord's REST base without version (https://discord.com/api, or an emulator's). */
  upstreamApiUrl: string;
  host: string;
  /** 0 picks a free port. */
  port: number;
  logger: Logger;
  /** Extra milliseconds after each rate-limit reset; see RATE_LIMIT_RESET_MARGIN_MS. */
  offsetMs?: number;
  /** Discord's global limit per bot token. Only a scaled-down emulator needs another value. */
  globalRequestsPerSecond?: number;
}

export interface DiscordProxy {
  /** http://host:port/api: what the bots' DISCORD_API_URL should be. */
  readonly apiUrl: string;
  readonly port: number;
  /**
   * Stops accepting connections, lets requests in flight finish for at most `graceMs`, then closes
   * whatever is left. Idempotent.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * @discordjs/proxy's `proxyRequests` handler, with one difference: an error it does not know (Discord
 * unreachable, a reset connection) is answered 502. The library's handler ends the response in a
 * `finally` before rethrowing such an error, so the caller would get an empty 200 and take a request
 * that never reached Discord for a success.
 */
function handler(rest: REST, logger: Logger) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const url = new URL(req.url ?? "/", "http://proxy");
    // Callers send /api/v10/...; the proxy's REST adds its own version back.
    const fullRoute = url.pathname.replace(/^\/api(\/v\d+)?/, "") as `/${string}`;
    const headers: Record<string, string> = {};
    if (req.headers["content-type"]) headers["Content-Type"] = req.headers["content-type"];
    if (req.headers.authorization) headers.authorization = req.headers.authorization;
    const reason = req.headers["x-audit-log-reason"];
    if (typeof reason === "string") headers["x-audit-log-reason"] = reason;

    try {
      const upstream = await rest.queueRequest({
        body: req,
        fullRoute,
        // Discord answers 405 for a method it does not take; the proxy need not know the list.
        method: (req.method ?? "GET") as RequestMethod,
        auth: false,
        passThroughBody: true,
        query: url.searchParams,
        headers,
      });
      await populateSuccessfulResponse(res, upstream);
    } catch (error) {
      if (res.headersSent) {
        // Discord's answer broke off mid-body: the caller must not take the part it got for all of it.
        logger.warn({ err: error, method: req.method, route: fullRoute }, "discord proxy: upstream response broke off");
        res.destroy();
      } else if (!populateErrorResponse(res, error)) {
        res.statusCode = 502;
        res.setHeader("Content-Type", "application/json");
        res.write(JSON.stringify({ message: "the proxy could not reach Discord", code: 0 }));
        logger.warn({ err: error, method: req.method, route: fullRoute }, "discord proxy: upstream request failed");
      }
    } finally {
      if (!res.destroyed) res.end();
      // Never the headers: the Authorization header carries the bot token. (The logger's redactor
      // removes the interaction and webhook tokens from the route.)
      logger.debug({ method: req.method, route: fullRoute, status: res.statusCode, ms: Math.round(performance.now() - started) }, "discord proxy request");
    }
  };
}

export async function startDiscordProxy(options: DiscordProxyOptions): Promise<DiscordProxy> {
  const { logger } = options;
  const rest = new REST({
    api: options.upstreamApiUrl,
    version: "10",
    rejectOnRateLimit: () => true,
    retries: 0,
    offset: options.offsetMs ?? RATE_LIMIT_RESET_MARGIN_MS,
    globalRequestsPerSecond: options.globalRequestsPerSecond ?? 50,
  });
  rest.on("rateLimited", (info) => {
    logger.debug({ route: info.route, global: info.global, retryAfter: info.retryAfter, scope: info.scope }, "discord proxy: rate limited, caller told to retry");
  });

  const handle = handler(rest, logger);
  let closing: Promise<void> | undefined;
  const server: Server = createServer((req, res) => {
    // Once closing, a keep-alive connection is closed as soon as its last response is sent.
    res.once("finish", () => {
      if (closing) server.closeIdleConnections();
    });
    handle(req, res).catch((error: unknown) => {
      logger.error({ err: error }, "discord proxy: request handler failed");
      if (!res.writableEnded) res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const shownHost = options.host === "0.0.0.0" || options.host === "::" ? "127.0.0.1" : options.host;

  return {
    apiUrl: `http://${shownHost.includes(":") ? `[${shownHost}]` : shownHost}:${port}/api`,
    port,
    close(graceMs) {
      closing ??= new Promise<void>((resolve) => {
        const forced = setTimeout(() => server.closeAllConnections(), graceMs);
        server.close(() => {
          clearTimeout(forced);
          rest.clearHashSweeper();
          rest.clearHandlerSweeper();
          resolve();
        });
        // Keep-alive connections with nothing in flight would hold close() open until they time out.
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}
