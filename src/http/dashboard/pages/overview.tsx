/**
 * The overview of one guild (`/dashboard/guilds/{guild_id}`): group, ladder, last and next sync,
 * pending Roblox writes, members out of agreement, and a chart of the last 30 sync runs.
 */
import type { FC } from "hono/jsx";
import type { GuildPage } from "../guild-page.ts";
import { GuildLayout, type Viewer, When } from "../layout.tsx";
import { type GuildOverview, guildOverview, type OutOfAgreement, type OverviewSources, RECENT_RUNS } from "../overview.ts";
import { SYNC_CHART_CSS, SyncRunsChart } from "./sync-chart.tsx";

export function overviewPage(sources: OverviewSources): GuildPage {
  return {
    css: SYNC_CHART_CSS,
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
        <dt>Members out of agreement</dt>
        <dd>
          <Agreement agreement={overview.agreement} />
        </dd>
      </dl>
      <h2>The last {RECENT_RUNS} sync runs</h2>
      <SyncRunsChart runs={overview.recentRuns} />
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


/** How far Discord is from Roblox, as the last finished sync found it (stored; no Roblox request). */
const Agreement: FC<{ agreement: OutOfAgreement | undefined }> = ({ agreement }) => {
  if (!agreement) return <>Not known yet: no sync has finished. "Dry run" counts them without changing anything.</>;
  const when = <When ms={agreement.at} />;
  if (agreement.dryRun) {
    return (
      <>
        {agreement.found} of {agreement.total} at the dry run of {when} (it changed nothing)
      </>
    );
  }
  return (
    <>
      {agreement.left} of {agreement.total} after the sync of {when}
      {agreement.found > 0 && `: it found ${agreement.found} and brought ${agreement.found - agreement.left} into agreement`}
      {agreement.left > 0 && "; the rest failed or were blocked (see the Members tab for why)"}
    </>
  );
};
