import type { Hono } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { formatRank } from "../ranks/ladder.ts";
import { LinkingError, type LinkingErrorReason, type LinkingService } from "../services/linking.ts";
import { userMessageOf } from "../errors/user-message.ts";

/** Status of the error page per reason: the browser (and a proxy's logs) should see what kind of failure it was. */
const STATUS_BY_REASON: Partial<Record<LinkingErrorReason, ContentfulStatusCode>> = {
  "oauth-state-unknown": 400,
  "oauth-state-expired": 410,
  "oauth-denied": 400,
  "oauth-rejected": 400,
  "not-in-group": 403,
  "roblox-unavailable": 502,
  "oauth-not-configured": 404,
};

/**
 * `GET /oauth/callback?code&state`: where Roblox sends the browser after "Sign in with Roblox".
 * Answers with a small page, since the member is in a browser tab, not in Discord.
 */
export function oauthRoutes(linking: LinkingService): (app: Hono) => void {
  return (app) => {
    app.get("/oauth/callback", async (c) => {
      c.header("cache-control", "no-store");
      c.header("referrer-policy", "no-referrer");
      try {
        const linked = await linking.completeOAuth({
          code: c.req.query("code"),
          state: c.req.query("state"),
          error: c.req.query("error"),
        });
        const rank = linked.rank ? formatRank(linked.rank) : `${linked.robloxRoleName} (Rank ${linked.robloxRank})`;
        return c.html(
          page("Linked", [
            `Linked! You can close this tab and return to Discord.`,
            `Roblox account: ${linked.robloxUsername}. Your current Roblox rank: ${rank}.`,
          ]),
        );
      } catch (error) {
        const userMessage = userMessageOf(error);
        const status = error instanceof LinkingError ? (STATUS_BY_REASON[error.reason] ?? 400) : userMessage ? 502 : 500;
        return c.html(
          page("Not linked", [userMessage ?? "Something went wrong while linking. Run /link-roblox in Discord to try again."]),
          status,
        );
      }
    });
  };
}



/** Messages are written for Discord: drop its markdown, escape for HTML. */
function page(title: string, paragraphs: string[]): string {
  const body = paragraphs.map((text) => `<p>${linkify(escapeHtml(text.replace(/\*\*|`/g, "")))}</p>`).join("\n");
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>rankbridge: ${escapeHtml(title)}</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;line-height:1.5}</style></head>
<body>
<h1>rankbridge</h1>
${body}
</body>
</html>`;
}

/** The group's join link in a "not in group" message should be clickable. */
function linkify(escaped: string): string {
  return escaped.replace(/https:\/\/[^\s<>&,]*[^\s<>&,.)]/g, (url) => `<a href="${url}">${url}</a>`);
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
