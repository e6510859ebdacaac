/**
 * Composing the Roblox change feed (design §3.2): the feed itself when ROBLOX_CHANGE_FEED_INTERVAL
 * is not `off`, its safety net (a whole-roster background sync of a guild, for gaps and a log that
 * cannot be read), its lag on /metrics and its state on /readyz. Kept beside the other lifecycle
 * parts so the composition root stays composition.
 */
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { feedProblemLine } from "../discord/views/change-feed.ts";
import type { BulkSync } from "../sync/bulk-sync.ts";
import { ChangeFeed, type ChangeFeedOptions } from "../sync/change-feed/feed.ts";
import type { ChangeFeedReadiness } from "./readiness.ts";

export interface ChangeFeedParts extends Omit<ChangeFeedOptions, "intervalMs" | "fullSync" | "logger"> {
  /** ROBLOX_CHANGE_FEED_INTERVAL; null: off. */
  intervalMs: number | null;
  bulkSync: Pick<BulkSync, "runBackground">;
  metrics: Metrics;
  logger: Logger;
}

export function composeChangeFeed(parts: ChangeFeedParts): { feed: ChangeFeed | undefined; readiness: () => ChangeFeedReadiness } {
  const { intervalMs, bulkSync, logger, ...options } = parts;
  const feedLogger = logger.child({ component: "change-feed" });
  const feed =
    intervalMs === null
      ? undefined
      : new ChangeFeed({
          ...options,
          intervalMs,
          logger: feedLogger,
          fullSync: (guildId, reason) => {
            const log = feedLogger.child({ guildId });
            log.info({ reason }, "change feed: starting a full sync of the server");
            bulkSync
              .runBackground(guildId)
              .then((result) => log.info({ result: result.kind === "ran" ? result.outcome.state : result.reason }, "change feed: full sync finished"))
              .catch((error: unknown) => log.error({ err: error }, "change feed: the full sync could not run"));
          },
        });
  parts.metrics.readChangeFeedFrom(() => feed?.samples() ?? []);
  const readiness = (): ChangeFeedReadiness =>
    feed
      ? {
          enabled: true,
          intervalMs: feed.status.intervalMs,
          groups: feed.status.groups().length,
          problems: feed.status.groups().flatMap((state) => feedProblemLine(state) ?? []),
        }
      : { enabled: false, intervalMs: null, groups: 0, problems: [] };
  return { feed, readiness };
}
