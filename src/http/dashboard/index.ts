/**
 * Builds the web dashboard (design §9) from the process's parts: the sign-in, the admin rule, the
 * overview. Returns the routes to mount, or undefined when the dashboard is not configured (then no
 * route exists and every one answers 404).
 */
import type { API } from "@discordjs/core";
import type { Hono } from "hono";
import type { Config } from "../../config/env.ts";
import type { Repositories } from "../../db/index.ts";
import { lazyOAuthClient } from "../../discord/oauth.ts";
import type { Logger } from "../../observability/logger.ts";
import type { DashboardAccess } from "../../services/dashboard-access.ts";
import { guildOverview, type OverviewSources } from "./overview.ts";
import { dashboardRoutes } from "./routes.tsx";
import { DashboardSignIn } from "./sign-in.ts";

export interface DashboardParts {
  config: Config;
  api: API;
  repositories: Repositories;
  access: Pick<DashboardAccess, "mayManage" | "manageable">;
  overview: Omit<OverviewSources, "repositories" | "defaultSyncIntervalMs">;
  logger: Logger;
  now?: () => number;
}

export function createDashboard(parts: DashboardParts): ((app: Hono) => void) | undefined {
  const { config } = parts;
  if (!config.dashboard) return undefined;
  const { publicUrl } = config.dashboard;
  const discord = lazyOAuthClient(
    {
      clientId: config.dashboard.clientId,
      clientSecret: config.dashboard.clientSecret,
      webUrl: config.dashboard.webUrl,
      apiUrl: config.discordApiUrl,
      redirectUri: `${publicUrl}/auth/discord/callback`,
    },
    async () => (await parts.api.oauth2.getCurrentBotApplicationInformation()).id,
  );
  const overviewSources: OverviewSources = { ...parts.overview, repositories: parts.repositories, defaultSyncIntervalMs: config.syncIntervalMs };
  return dashboardRoutes({
    signIn: new DashboardSignIn({ repository: parts.repositories.dashboard, discord, now: parts.now }),
    access: parts.access,
    overview: (guildId) => guildOverview(overviewSources, guildId),
    publicUrl,
    logger: parts.logger,
  });
}
