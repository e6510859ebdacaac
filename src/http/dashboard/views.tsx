/**
 * The dashboard's pages, rendered on the server (Hono JSX) and complete without JavaScript. No
 * inline script or style: the Content-Security-Policy forbids both; the stylesheet is served by the
 * bot. Labels are the ones design §9 names ("Log in with Discord", "Log out").
 */
import type { Child, FC } from "hono/jsx";
import type { GuildOverview } from "./overview.ts";

export const STYLESHEET_PATH = "/dashboard/assets/dashboard.css";

/** Who is signed in, as the header shows them; absent on pages for signed-out people. */
export interface Viewer {
  name: string;
  username: string;
  csrfToken: string;
}

const Layout: FC<{ title: string; viewer?: Viewer; children?: Child }> = ({ title, viewer, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      <title>{`${title} · rankbridge`}</title>
      <link rel="stylesheet" href={STYLESHEET_PATH} />
    </head>
    <body>
      <a class="skip" href="#main">
        Skip to content
      </a>
      <header>
        <a class="brand" href="/dashboard">
          rankbridge
        </a>
        {viewer && (
          <div class="viewer">
            <span>
              Signed in as {viewer.name} (@{viewer.username})
            </span>
            <form method="post" action="/auth/logout">
              <input type="hidden" name="csrf" value={viewer.csrfToken} />
              <button type="submit">Log out</button>
            </form>
          </div>
        )}
      </header>
      <main id="main">
        <h1>{title}</h1>
        {children}
      </main>
    </body>
  </html>
);

const SignInLink: FC = () => (
  <p>
    <a class="button" href="/auth/discord/login">
      Log in with Discord
    </a>
  </p>
);

export function guildListPage(viewer: Viewer, guilds: readonly { id: string; name: string }[]) {
  return (
    <Layout title="Your servers" viewer={viewer}>
      {guilds.length === 0 ? (
        <p>
          You don't manage any server that rankbridge is in. Admins are members with Manage Roles, the server's rankbridge admin role,
          Administrator, or the owner.
        </p>
      ) : (
        <ul class="guilds">
          {guilds.map((guild) => (
            <li>
              <a href={`/dashboard/guilds/${guild.id}`}>{guild.name}</a>
            </li>
          ))}
        </ul>
      )}
    </Layout>
  );
}

const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
const When: FC<{ ms: number }> = ({ ms }) => <time datetime={new Date(ms).toISOString()}>{utc(ms)}</time>;

export function overviewPage(viewer: Viewer, overview: GuildOverview) {
  const { lastRun } = overview;
  return (
    <Layout title={overview.guildName} viewer={viewer}>
      <h2>Overview</h2>
      <dl class="facts">
        <dt>Roblox group</dt>
        <dd>{overview.groupId === undefined ? "Not set (run /config group in Discord)" : String(overview.groupId)}</dd>
        <dt>Background sync</dt>
        <dd>
          {overview.syncPausedReason ? (
            <>Paused: {overview.syncPausedReason}</>
          ) : (
            <>
              Every {overview.syncInterval}
              {overview.nextSyncAt ? (
                <>
                  ; next at <When ms={overview.nextSyncAt} />
                </>
              ) : (
                "; next run not scheduled yet"
              )}
            </>
          )}
        </dd>
        <dt>Last sync</dt>
        <dd>
          {lastRun ? (
            <>
              {lastRun.status} at <When ms={lastRun.startedAt} />: {lastRun.updated} changed, {lastRun.inSync} already in agreement,{" "}
              {lastRun.errors} failed{lastRun.dryRun ? " (dry run)" : ""}
            </>
          ) : (
            "No sync has run yet."
          )}
        </dd>
        <dt>Pending Roblox writes</dt>
        <dd>{overview.pendingWrites === 0 ? "None" : `${overview.pendingWrites} waiting to be retried`}</dd>
      </dl>
      <h2>Rank ladder</h2>
      {overview.ladder.length === 0 ? (
        <p>No ranks yet: run /ranks import in Discord.</p>
      ) : (
        <table>
          <caption>The ladder, lowest rank first</caption>
          <thead>
            <tr>
              <th scope="col">Rank</th>
              <th scope="col">Roblox rank number</th>
              <th scope="col">Discord role</th>
            </tr>
          </thead>
          <tbody>
            {overview.ladder.map((rank) => (
              <tr>
                <th scope="row">{rank.name}</th>
                <td>{rank.robloxRank}</td>
                <td>{rank.discordRoleName ?? "none"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Layout>
  );
}

/** Said alike to everyone refused, whatever the reason: it tells nothing of the guild, not even its name. */
export function forbiddenPage(viewer: Viewer) {
  return (
    <Layout title="Not allowed" viewer={viewer}>
      <p>
        You can't manage this server here. Only its admins can: members with Manage Roles, the server's rankbridge admin role,
        Administrator, or the owner, as Discord shows them now.
      </p>
      <p>
        <a href="/dashboard">Back to your servers</a>
      </p>
    </Layout>
  );
}

export function signInFailedPage(message: string) {
  return (
    <Layout title="Not signed in">
      <p role="alert">{message}</p>
      <SignInLink />
    </Layout>
  );
}

export function loggedOutPage() {
  return (
    <Layout title="Logged out">
      <p>You are logged out of the rankbridge dashboard.</p>
      <SignInLink />
    </Layout>
  );
}

export function refusedPage(message: string) {
  return (
    <Layout title="Refused">
      <p role="alert">{message}</p>
      <p>
        <a href="/dashboard">Back to the dashboard</a>
      </p>
    </Layout>
  );
}

/**
 * Contrast (checked by the browser test): body text #1b1b1f on white is 16.9:1, links #0b4fb3 7.5:1, the button's white on
 * #3a45c6 7.4:1; focus is a 3 px outline wherever the keyboard is.
 */
export const STYLESHEET = `
:root{color-scheme:light;font-family:system-ui,-apple-system,"Segoe UI",sans-serif;line-height:1.5;color:#1b1b1f;background:#fff}
body{margin:0}
header{display:flex;flex-wrap:wrap;gap:1rem;align-items:center;justify-content:space-between;padding:.75rem 1.5rem;border-bottom:1px solid #c8c8d0}
header form{display:inline}
.viewer{display:flex;gap:1rem;align-items:center}
.brand{font-weight:700;font-size:1.2rem;text-decoration:none;color:#1b1b1f}
main{max-width:56rem;margin:0 auto;padding:1rem 1.5rem 3rem}
a{color:#0b4fb3}
a:focus-visible,button:focus-visible,input:focus-visible,select:focus-visible{outline:3px solid #b3261e;outline-offset:2px}
button,.button{font:inherit;display:inline-block;padding:.45rem 1rem;border-radius:.4rem;border:1px solid #3a45c6;background:#3a45c6;color:#fff;text-decoration:none;cursor:pointer}
header button{background:#fff;color:#1b1b1f;border-color:#5c5c66}
.skip{position:absolute;left:-999rem}
.skip:focus{left:1rem;top:1rem;background:#fff;padding:.5rem;z-index:1}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.4rem 1.5rem}
.facts dt{font-weight:600}
.facts dd{margin:0}
table{border-collapse:collapse;width:100%}
caption{text-align:left;font-weight:600;padding:.5rem 0}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #d8d8e0}
.guilds{list-style:none;padding:0}
.guilds li{padding:.4rem 0}
`;
