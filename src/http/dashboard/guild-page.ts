/**
 * How a page of one guild plugs into the dashboard. Every route a page registers on `routes` runs
 * only after the session and §3's admin rule were checked for `:guildId` (and, for a POST, the
 * origin and the session's CSRF token), so a page reads `c.get("guild")` and `c.get("session")`
 * and never checks access itself.
 */
import type { Context, Hono } from "hono";
import type { HtmlEscapedString } from "hono/utils/html";
import type { DashboardSession } from "../../db/schema.ts";
import type { ManagingAdmin } from "../../services/dashboard-access.ts";
import type { Viewer } from "./layout.tsx";

/** `guild` is the guild of the URL with the signed-in person as its admin (actor and authority as a slash command's check yields). */
export type DashboardEnv = { Variables: { session: DashboardSession; guild: ManagingAdmin } };

export type PageStatus = 200 | 400 | 403 | 404 | 409 | 422 | 429 | 502 | 503;

export interface PageKit {
  /** Sends a rendered page as a complete HTML document. */
  render(c: Context<DashboardEnv>, body: HtmlEscapedString | Promise<HtmlEscapedString>, status?: PageStatus): Response | Promise<Response>;
  viewerOf(session: DashboardSession): Viewer;
}

export interface GuildPage {
  /** Registers the page's routes, all under `/dashboard/guilds/:guildId`. */
  register(routes: Hono<DashboardEnv>, kit: PageKit): void;
  /** Rules the page adds to the dashboard's one stylesheet. */
  css?: string;
}
