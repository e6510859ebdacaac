/**
 * The web dashboard's routes (design §9), mounted on the health server's Hono app when
 * DISCORD_CLIENT_SECRET and PUBLIC_URL are set (otherwise none exist and every one answers 404).
 *
 * Who may call what:
 * - `/auth/discord/login`, `/auth/discord/callback`, `/dashboard/logged-out`: anyone (signing in).
 * - `/dashboard`: a signed-in person; it lists the guilds they may manage now.
 * - `/dashboard/guilds/{guild_id}[/…]`: a signed-in admin of that guild by §3's rule, decided from
 *   their current roles on every request (DashboardAccess); anyone else gets one 403 page that
 *   names nothing of the guild.
 * - every POST: a signed-in person, from the dashboard's own origin (Hono's csrf middleware), with
 *   the session's CSRF token in the form; otherwise 403 and nothing changes.
 */
import { Hono, type Context } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import { csrf } from "hono/csrf";
import { HTTPException } from "hono/http-exception";
import { secureHeaders } from "hono/secure-headers";
import type { DashboardSession } from "../../db/schema.ts";
import { DiscordOAuthError } from "../../discord/oauth.ts";
import type { Logger } from "../../observability/logger.ts";
import type { DashboardAccess } from "../../services/dashboard-access.ts";
import type { DashboardEnv, GuildPage, PageKit } from "./guild-page.ts";
import { BASE_STYLESHEET, STYLESHEET_PATH, type Viewer } from "./layout.tsx";
import { DashboardSignIn, SESSION_TTL_MS, SIGN_IN_TTL_MS, SignInError, type SignInFailure } from "./sign-in.ts";
import { forbiddenPage, guildListPage, loggedOutPage, refusedPage, signInFailedPage } from "./views.tsx";

export interface DashboardRouteDependencies {
  signIn: DashboardSignIn;
  access: Pick<DashboardAccess, "mayManage" | "manageable">;
  /** The pages of one guild, each registering its own routes under /dashboard/guilds/:guildId. */
  guildPages: readonly GuildPage[];
  /** PUBLIC_URL without a trailing slash. */
  publicUrl: string;
  logger: Logger;
}

const SIGN_IN_MESSAGES: Record<SignInFailure, string> = {
  "state-unknown": "This sign-in link was already used or has expired. Start again.",
  "other-browser": "This sign-in was started in another browser, or this browser's sign-in cookie is gone. Start again here.",
  denied: "You cancelled the sign-in on Discord. Nothing was shared.",
  "no-code": "Discord sent no sign-in code back. Start again.",
};

export function dashboardRoutes(deps: DashboardRouteDependencies): (app: Hono) => void {
  const { signIn, access, logger } = deps;
  const publicOrigin = new URL(deps.publicUrl).origin;
  // `__Host-` cookies must be Secure and path=/, so only a dashboard served over https gets the prefix.
  const secure = deps.publicUrl.startsWith("https://");
  const sessionCookie = secure ? "__Host-rankbridge_session" : "rankbridge_session";
  const signInCookie = secure ? "__Host-rankbridge_dashboard_signin" : "rankbridge_dashboard_signin";
  const cookieOptions = { httpOnly: true, secure, sameSite: "Lax", path: "/" } as const;

  const viewerOf = (session: DashboardSession): Viewer => ({
    name: session.displayName ?? session.username,
    username: session.username,
    csrfToken: session.csrfToken,
  });
  const page: PageKit["render"] = async (c, body, status = 200) => c.html(`<!doctype html>${await body}`, status);
  const kit: PageKit = { render: page, viewerOf };
  const stylesheet = [BASE_STYLESHEET, ...deps.guildPages.map((guildPage) => guildPage.css ?? "")].join("\n");

  const dashboard = new Hono<DashboardEnv>();
  dashboard.use(
    secureHeaders({
      contentSecurityPolicy: {
        defaultSrc: ["'none'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'"],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        baseUri: ["'none'"],
      },
      referrerPolicy: "same-origin",
    }),
  );
  dashboard.use(async (c, next) => {
    await next();
    c.header("cache-control", "no-store");
  });
  // Origin first (Hono's csrf: the browser's Origin or Sec-Fetch-Site must be the dashboard's own).
  dashboard.use(csrf({ origin: publicOrigin }));
  dashboard.onError((error, c) => {
    if (error instanceof HTTPException && error.status === 403) return page(c, refusedPage("This request did not come from the dashboard's own pages, so it was refused and nothing changed."), 403);
    logger.error({ err: error, path: c.req.path }, "dashboard request failed");
    return page(c, refusedPage("Something went wrong. Try again in a moment."), 503);
  });

  dashboard.get(STYLESHEET_PATH, (c) => {
    c.header("content-type", "text/css; charset=utf-8");
    return c.body(stylesheet);
  });

  dashboard.get("/auth/discord/login", async (c) => {
    const { authorizeUrl, browserNonce } = await signIn.begin();
    setCookie(c, signInCookie, browserNonce, { ...cookieOptions, maxAge: SIGN_IN_TTL_MS / 1000 });
    return c.redirect(authorizeUrl, 302);
  });

  dashboard.get("/auth/discord/callback", async (c) => {
    const query = { state: c.req.query("state"), code: c.req.query("code"), error: c.req.query("error") };
    const browserNonce = getCookie(c, signInCookie);
    deleteCookie(c, signInCookie, cookieOptions);
    try {
      const { sessionToken, session } = await signIn.complete(query, browserNonce);
      setCookie(c, sessionCookie, sessionToken, { ...cookieOptions, maxAge: SESSION_TTL_MS / 1000 });
      logger.info({ discordUserId: session.discordUserId }, "dashboard sign-in");
      return c.redirect(`${deps.publicUrl}/dashboard`, 302);
    } catch (error) {
      if (error instanceof SignInError) return page(c, signInFailedPage(SIGN_IN_MESSAGES[error.reason]), error.reason === "other-browser" ? 403 : 400);
      if (error instanceof DiscordOAuthError) {
        logger.warn({ reason: error.reason, err: error }, "dashboard sign-in: Discord refused or failed");
        const message =
          error.reason === "rejected"
            ? "Discord did not accept this sign-in (the code was used or expired). Start again."
            : error.reason === "client-rejected"
              ? "The dashboard's Discord application settings are wrong (DISCORD_CLIENT_ID or DISCORD_CLIENT_SECRET). Tell the bot's operator."
              : "Discord did not answer. Try again in a moment.";
        return page(c, signInFailedPage(message), error.reason === "rejected" ? 400 : 502);
      }
      throw error;
    }
  });

  dashboard.get("/dashboard/logged-out", (c) => page(c, loggedOutPage()));

  // Everything else under /dashboard and every POST needs a live session.
  const requireSession = async (c: Context<DashboardEnv>, next: () => Promise<void>) => {
    const session = await signIn.session(getCookie(c, sessionCookie));
    if (!session) {
      if (c.req.method === "GET") return c.redirect(`${deps.publicUrl}/auth/discord/login`, 302);
      return page(c, refusedPage("You are not signed in, so nothing was changed."), 403);
    }
    c.set("session", session);
    if (c.req.method === "POST") {
      const form = await c.req.parseBody();
      if (!DashboardSignIn.csrfMatches(session, form.csrf)) return page(c, refusedPage("This form has expired or did not come from the dashboard, so nothing changed. Reload the page and try again."), 403);
    }
    await next();
  };

  dashboard.post("/auth/logout", requireSession, async (c) => {
    await signIn.end(getCookie(c, sessionCookie));
    deleteCookie(c, sessionCookie, cookieOptions);
    return c.redirect(`${deps.publicUrl}/dashboard/logged-out`, 303);
  });

  dashboard.get("/dashboard", requireSession, async (c) => {
    const session = c.get("session");
    const guilds = await access.manageable(session.guildIds, session.discordUserId);
    return page(c, guildListPage(viewerOf(session), guilds));
  });

  // One guild: the admin rule on every request, GET or POST, before any route of the guild runs.
  const requireGuildAdmin = async (c: Context<DashboardEnv>, next: () => Promise<void>) => {
    const session = c.get("session");
    const guild = await access.mayManage(c.req.param("guildId") ?? "", session.discordUserId);
    if (!guild) return page(c, forbiddenPage(viewerOf(session)), 403);
    c.set("guild", guild);
    await next();
  };
  dashboard.use("/dashboard/guilds/:guildId", requireSession, requireGuildAdmin);
  dashboard.use("/dashboard/guilds/:guildId/*", requireSession, requireGuildAdmin);

  for (const guildPage of deps.guildPages) guildPage.register(dashboard, kit);

  return (app) => {
    app.route("/", dashboard);
  };
}
