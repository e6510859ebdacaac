/**
 * The frame every dashboard page shares: the document, the header with the signed-in person and
 * "Log out", a guild's page tabs, dates, and the base stylesheet. Pages are rendered on the server
 * (Hono JSX) and complete without JavaScript. No inline script or style: the Content-Security-Policy
 * forbids both; the stylesheet is served by the bot.
 */
import type { Child, FC } from "hono/jsx";

export const STYLESHEET_PATH = "/dashboard/assets/dashboard.css";

/** Who is signed in, as the header shows them; absent on pages for signed-out people. */
export interface Viewer {
  name: string;
  username: string;
  csrfToken: string;
}

/** `refreshSeconds`: the page reloads itself that often (live progress without JavaScript). */
export const Layout: FC<{ title: string; viewer?: Viewer; refreshSeconds?: number; children?: Child }> = ({ title, viewer, refreshSeconds, children }) => (
  <html lang="en">
    <head>
      <meta charset="utf-8" />
      <meta name="viewport" content="width=device-width, initial-scale=1" />
      {refreshSeconds !== undefined && <meta http-equiv="refresh" content={String(refreshSeconds)} />}
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

export const SignInLink: FC = () => (
  <p>
    <a class="button" href="/auth/discord/login">
      Log in with Discord
    </a>
  </p>
);

export const utc = (ms: number) => `${new Date(ms).toISOString().slice(0, 16).replace("T", " ")} UTC`;
export const When: FC<{ ms: number }> = ({ ms }) => <time datetime={new Date(ms).toISOString()}>{utc(ms)}</time>;


/** A guild's pages, in the order of its tabs; each page's path under /dashboard/guilds/{guild_id}. */
export const GUILD_TABS = [
  { path: "", label: "Overview" },
  { path: "/binds", label: "Binds" },
  { path: "/settings", label: "Settings" },
  { path: "/audit", label: "Audit log" },
  { path: "/members", label: "Members" },
  { path: "/sync", label: "Sync" },
] as const;
export type GuildTab = (typeof GUILD_TABS)[number]["path"];

/** A page of one guild: the layout with the guild's name as its title and the tabs, the current one marked. */
export const GuildLayout: FC<{ viewer: Viewer; guild: { id: string; name: string }; current: GuildTab; heading?: string; refreshSeconds?: number; children?: Child }> = ({
  viewer,
  guild,
  current,
  heading,
  refreshSeconds,
  children,
}) => (
  <Layout title={guild.name} viewer={viewer} refreshSeconds={refreshSeconds}>
    <nav aria-label="Server pages" class="tabs">
      <ul>
        {GUILD_TABS.map((tab) => (
          <li>
            <a href={`/dashboard/guilds/${guild.id}${tab.path}`} aria-current={tab.path === current ? "page" : undefined}>
              {tab.label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
    {heading && <h2>{heading}</h2>}
    {children}
  </Layout>
);

/**
 * Contrast (checked by the browser test): body text #1b1b1f on white is 16.9:1, links #0b4fb3 7.5:1, the button's white on
 * #3a45c6 7.4:1; focus is a 3 px outline wherever the keyboard is.
 */
export const BASE_STYLESHEET = `
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
.tabs ul{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1rem;padding:0;margin:0 0 1rem;border-bottom:1px solid #c8c8d0}
.tabs a{display:inline-block;padding:.4rem 0}
.tabs a[aria-current=page]{font-weight:700;color:#1b1b1f;border-bottom:3px solid #3a45c6}
`;
