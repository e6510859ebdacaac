/**
 * The dashboard's pages that belong to no guild: the list of one's servers, sign-in failures, the
 * logged-out page and the refusals. Labels are the ones design §9 names ("Log in with Discord").
 */
import { Layout, SignInLink, type Viewer } from "./layout.tsx";

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
