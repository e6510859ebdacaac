/**
 * Builds the web dashboard (design §9) from the process's parts: the sign-in, the admin rule, the
 * overview. The routes are undefined when the dashboard is not configured (then no route exists and
 * every one answers 404).
 */
import type { API } from "@discordjs/core";
import type { Hono } from "hono";
import type { Config } from "../../config/env.ts";
import type { Repositories } from "../../db/index.ts";
import { lazyOAuthClient } from "../../discord/oauth.ts";
import type { Logger } from "../../observability/logger.ts";
import { DashboardAccess, type DashboardAccessSources } from "../../services/dashboard-access.ts";
import type { OverviewSources } from "./overview.ts";
import { type BindsPageSources, bindsPage } from "./pages/binds.tsx";
import { overviewPage } from "./pages/overview.tsx";
import { type SettingsPageSources, settingsPage } from "./pages/settings.tsx";
import { membersPage } from "./pages/members.tsx";
import { MemberExplanations, type MemberExplanationSources } from "../../services/member-explanation.ts";
import { MemberLookup, type MemberLookupSources } from "../../services/member-lookup.ts";
import { RobloxRankCheck, type RobloxRankCheckOptions } from "../../services/member-roblox-check.ts";
import { type SyncPageSources, syncPage } from "./pages/sync.tsx";
import { dashboardRoutes } from "./routes.tsx";
import { DashboardSignIn } from "./sign-in.ts";

export interface DashboardParts {
  config: Config;
  api: API;
  repositories: Repositories;
  /** The gateway-kept guilds and member reads the admin rule decides from. */
  guilds: DashboardAccessSources["guilds"];
  overview: Omit<OverviewSources, "repositories" | "defaultSyncIntervalMs" | "guild">;
  /** What the settings page reads of Discord and the service it saves through. */
  settings: Pick<SettingsPageSources, "botStanding" | "textChannels" | "changes">;
  /** The bind service /binds uses and the previews of a change. */
  binds: Pick<BindsPageSources, "binds" | "previews">;
  /** What the member lookup reads of Discord (one member, the member search, the bot's standing) and the guild's group. */
  members: {
    guilds: MemberLookupSources["guilds"] & MemberExplanationSources["guilds"];
    groupIdOf: MemberExplanationSources["groupIdOf"];
    /** Reads one member's Roblox rank ("Check on Roblox now"). */
    memberSync: RobloxRankCheckOptions["memberSync"];
  };
  /** The service "Sync now" and "Dry run" ask (here, or queued for the process of the guild's shard). */
  sync: Pick<SyncPageSources, "requests">;
  logger: Logger;
  now?: () => number;
  /** How long a member's roles are reused (at most 60 s). */
  memberTtlMs?: number;
}

export interface Dashboard {
  /** Who may manage which guild; kept current by gateway member events. */
  access: DashboardAccess;
  /** The routes to mount; undefined when the dashboard is off. */
  routes: ((app: Hono) => void) | undefined;
}

export function createDashboard(parts: DashboardParts): Dashboard {
  const { config } = parts;
  const access = new DashboardAccess({ settings: parts.repositories.guilds, guilds: parts.guilds }, { now: parts.now, memberTtlMs: parts.memberTtlMs });
  return { access, routes: config.dashboard && dashboardRoutesFor(parts, access, config.dashboard) };
}

function dashboardRoutesFor(parts: DashboardParts, access: DashboardAccess, dashboard: NonNullable<Config["dashboard"]>): (app: Hono) => void {
  const config = { ...parts.config, dashboard };
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
  const overviewSources: OverviewSources = {
    ...parts.overview,
    guild: (guildId) => parts.guilds.guild(guildId),
    repositories: parts.repositories,
    defaultSyncIntervalMs: config.syncIntervalMs,
  };
  return dashboardRoutes({
    signIn: new DashboardSignIn({ repository: parts.repositories.dashboard, discord, now: parts.now }),
    access,
    // A guild's pages, in the order of its tabs (layout.tsx's GUILD_TABS).
    guildPages: [
      overviewPage(overviewSources),
      bindsPage({ ...parts.binds, guild: (guildId) => parts.guilds.guild(guildId) }),
      settingsPage({
        ...parts.settings,
        settings: parts.repositories.guilds,
        guild: (guildId) => parts.guilds.guild(guildId),
        defaultSyncIntervalMs: config.syncIntervalMs,
      }),
      membersPage({
        lookup: new MemberLookup({ repositories: parts.repositories, guilds: parts.members.guilds }),
        explanations: new MemberExplanations({ repositories: parts.repositories, guilds: parts.members.guilds, groupIdOf: parts.members.groupIdOf }),
        robloxCheck: new RobloxRankCheck({ memberSync: parts.members.memberSync, logger: parts.logger, now: parts.now }),
        guild: (guildId) => parts.guilds.guild(guildId),
      }),
      syncPage({ ...parts.sync, repositories: parts.repositories, guild: (guildId) => parts.guilds.guild(guildId) }),
    ],
    publicUrl,
    logger: parts.logger,
  });
}
