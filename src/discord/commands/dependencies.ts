import type { Config } from "../../config/env.ts";
import type { Repositories } from "../../db/index.ts";
import type { Logger } from "../../observability/logger.ts";
import type { Metrics } from "../../observability/metrics.ts";
import type { SecretBox } from "../../security/secrets.ts";
import type { AuditTrail } from "../../services/audit-trail.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import type { DiscordGuilds } from "../guilds.ts";

/** What every command factory may use; built once in `app.ts`. */
export interface CommandDependencies {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  repositories: Repositories;
  guilds: DiscordGuilds;
  contexts: GuildContexts;
  secrets: SecretBox;
  audit: AuditTrail;
  shardLatencyMs(shardId: number): number | undefined;
}
