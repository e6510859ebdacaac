import type { Context, Hono } from "hono";
import { deleteCookie, getCookie, setCookie } from "hono/cookie";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { formatRank } from "../ranks/ladder.ts";
import { LINK_CHALLENGE_TTL_MS, LinkingError, type LinkingErrorReason, type LinkingService, type OAuthPendingLink } from "../services/linking.ts";
import { pageTextOf } from "./oauth-wording.ts";
import { escapeHtml, page } from "./oauth-pages.ts";

/** Status of the error page per reason: the browser (and a proxy's logs) should see what kind of failure it was. */
const STATUS_BY_REASON: Partial<Record<LinkingErrorReason, ContentfulStatusCode>> = {
  "oauth-state-unknown": 400,
  "oauth-state-expired": 410,
  "oauth-denied": 400,
  "oauth-rejected": 400,
  "oauth-other-browser": 403,
  "oauth-confirmation-invalid": 403,
  "not-in-group": 403,
  "account-too-young": 403,
  "account-age-unknown": 502,
  "roblox-unavailable": 502,
  "oauth-not-configured": 404,
};

/**
 * "Sign in with Roblox" in the browser (design §10), in three steps, each answering with a small
 * page since the member is in a browser tab, not in Discord:
 *
 * - `GET /oauth/start?state`: the Discord button's target. Binds the sign-in to this browser with
 *   an HttpOnly cookie, then sends it to Roblox.
 * - `GET /oauth/callback?code&state`: where Roblox sends the browser back. Must carry the cookie;
 *   learns who signed in and asks for confirmation on a page naming the Discord account and server.
 * - `POST /oauth/confirm`: the confirmation (with a CSRF token derived from the cookie): links.
 */
export function oauthRoutes(linking: LinkingService): (app: Hono) => void {
  // `__Host-` cookies must be Secure, so only a bot served over https gets the prefix.
  const secure = linking.oauthRedirectUri?.startsWith("https://") ?? false;
  const cookieName = secure ? "__Host-rankbridge_signin" : "rankbridge_signin";

  const answer = (c: Context, title: string, paragraphs: string[], status: ContentfulStatusCode = 200, form?: string) => {
    c.header("cache-control", "no-store");
    c.header("referrer-policy", "no-referrer");
    // The confirmation button must not be clickable through someone else's frame.
    c.header("x-frame-options", "DENY");
    c.header("content-security-policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'");
    return c.html(page(title, paragraphs, form), status);
  };
  const failure = (c: Context, error: unknown) => {
    const userMessage = pageTextOf(error);
    const status = error instanceof LinkingError ? (STATUS_BY_REASON[error.reason] ?? 400) : userMessage ? 502 : 500;
    return answer(c, "Not linked", [userMessage ?? "Something went wrong while linking. Run /link-roblox in Discord to try again."], status);
  };

  return (app) => {
    app.get("/oauth/start", async (c) => {
      try {
        const { authorizeUrl, browserNonce } = await linking.beginOAuth(c.req.query("state"), getCookie(c, cookieName));
        setCookie(c, cookieName, browserNonce, {
          httpOnly: true,
          secure,
          // Lax: sent on Roblox's top-level redirect back to us, never on a cross-site POST.
          sameSite: "Lax",
          path: "/",
          maxAge: Math.ceil(LINK_CHALLENGE_TTL_MS / 1000),
        });
        c.header("cache-control", "no-store");
        c.header("referrer-policy", "no-referrer");
        return c.redirect(authorizeUrl, 302);
      } catch (error) {
        return failure(c, error);
      }
    });

    app.get("/oauth/callback", async (c) => {
      try {
        const pending = await linking.completeOAuth(
          { code: c.req.query("code"), state: c.req.query("state"), error: c.req.query("error") },
          getCookie(c, cookieName),
        );
        return answer(c, "Confirm the link", confirmationText(pending), 200, confirmationForm(pending));
      } catch (error) {
        return failure(c, error);
      }
    });

    app.post("/oauth/confirm", async (c) => {
      try {
        const form = await c.req.parseBody();
        const linked = await linking.confirmOAuth(
          { state: stringField(form.state), csrfToken: stringField(form.csrf) },
          getCookie(c, cookieName),
        );
        deleteCookie(c, cookieName, { path: "/", secure });
        const rank = linked.rank ? formatRank(linked.rank) : `${linked.robloxRoleName} (Rank ${linked.robloxRank})`;
        return answer(c, "Linked", [
          `Linked! You can close this tab and return to Discord.`,
          `Roblox account: ${linked.robloxUsername}. Your current Roblox rank: ${rank}.`,
        ]);
      } catch (error) {
        return failure(c, error);
      }
    });
  };
}

function stringField(value: unknown): string | undefined {
  return typeof value === "string" ? value : undefined;
}

/** Names who receives the link, so a person tricked into someone else's sign-in sees it is not theirs. */
function confirmationText(pending: OAuthPendingLink): string[] {
  const discordAccount = pending.discordUsername
    ? `${pending.discordDisplayName ?? pending.discordUsername} (@${pending.discordUsername})`
    : `the Discord account with id ${pending.discordId}`;
  return [
    `You signed in to Roblox as ${pending.robloxUsername}.`,
    `Link this Roblox account to the Discord account ${discordAccount} in the server "${pending.guildName}"?`,
    "Only confirm if that Discord account is yours. If it isn't, close this tab: nothing has been linked.",
  ];
}

function confirmationForm(pending: OAuthPendingLink): string {
  // Relative, so a PUBLIC_URL with a path prefix (behind a proxy) still posts to its own /oauth/confirm.
  return `<form method="post" action="confirm">
<input type="hidden" name="state" value="${escapeHtml(pending.state)}">
<input type="hidden" name="csrf" value="${escapeHtml(pending.csrfToken)}">
<button type="submit">Yes, link ${escapeHtml(pending.robloxUsername)} to this Discord account</button>
</form>`;
}
