/**
 * The overview of one guild (`/dashboard/guilds/{guild_id}`): group, ladder, last and next sync,
 * pending Roblox writes.
 */
import type { GuildPage } from "../guild-page.ts";
import { GuildLayout, type Viewer, When } from "../layout.tsx";
import { type GuildOverview, guildOverview, type OverviewSources } from "../overview.ts";

export function overviewPage(sources: OverviewSources): GuildPage {
  return {
    register(routes, kit) {
      routes.get("/dashboard/guilds/:guildId", async (c) => {
        const overview = await guildOverview(sources, c.get("guild").id);
        return kit.render(c, overviewView(kit.viewerOf(c.get("session")), c.get("guild").id, overview));
      });
    },
  };
}

export function overviewView(viewer: Viewer, guildId: string, overview: GuildOverview) {
  const { lastRun } = overview;
  return (
    <GuildLayout viewer={viewer} guild={{ id: guildId, name: overview.guildName }} current="" heading="Overview">
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
    </GuildLayout>
  );
}

