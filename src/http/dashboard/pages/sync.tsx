/**
 * "Sync now" and "Dry run" (`/dashboard/guilds/{guild_id}/sync`, design §9): what `/sync` does in
 * Discord, through the same service (SyncRequests → BulkSync.startManual / decideHeld): one run per
 * guild (a click while one runs shows that run), the same mass-change guard, the same refusals and
 * the same audit entry, with the signed-in admin as the actor. In a cluster the request reaches the
 * process of the guild's shard through the shared database; the progress shown is the run's row.
 * Live without JavaScript: while a run goes or a request waits, the page reloads itself every 2 s.
 *
 * Who may call it: an admin of this guild (checked before these routes run, with CSRF for POSTs).
 */
import type { FC } from "hono/jsx";
import type { Repositories } from "../../../db/index.ts";
import type { GuildSnapshot } from "../../../services/discord-port.ts";
import type { UpdateListEntry } from "../../../sync/progress.ts";
import { guildSyncStatus, type GuildSyncStatus, type RunStatus } from "../../../sync/run-status.ts";
import type { SyncAskOutcome, SyncRefusal, SyncRequests } from "../../../sync/sync-requests.ts";
import type { GuildPage } from "../guild-page.ts";
import { GuildLayout, type Viewer, When } from "../layout.tsx";
import { refusalSentence, stateText, triggerText } from "./sync-words.ts";

export interface SyncPageSources {
  requests: Pick<SyncRequests, "ask">;
  repositories: Pick<Repositories, "syncRuns" | "syncRequests">;
  /** The guild as the gateway keeps it (its name and role names). */
  guild(guildId: string): Promise<GuildSnapshot>;
}

/** Seconds between reloads while something is going on. */
export const SYNC_PAGE_REFRESH_SECONDS = 2;

/** What the page says after a click (kept in the redirect's query, so a reload does not click again). */
const NOTICES = {
  started: "The sync has started.",
  "dry-run": "The dry run has started: it changes nothing and lists what a sync would change.",
  attached: "A sync of this server was already running, so no other was started: this is it.",
  queued: "Sent to the rankbridge process that runs this server; it starts the sync in a moment.",
  joined: "A request for this server was already waiting, so no other was sent: the sync starts once.",
  applying: "Applying the held changes.",
  cancelled: "The held changes were cancelled: the members keep their roles.",
} as const;
type Notice = keyof typeof NOTICES;
const isNotice = (value: string | undefined): value is Notice => value !== undefined && value in NOTICES;

export function syncPage(sources: SyncPageSources): GuildPage {
  const render = async (guildId: string, extra: { notice?: Notice; refusal?: SyncRefusal }) => {
    const [guild, status] = await Promise.all([sources.guild(guildId), guildSyncStatus(sources.repositories, guildId)]);
    return { guild, status, ...extra };
  };
  const afterAsk = (outcome: SyncAskOutcome, dryRun: boolean): Notice | SyncRefusal => {
    switch (outcome.kind) {
      case "started":
        return dryRun ? "dry-run" : "started";
      case "attached":
        return "attached";
      case "queued":
        return outcome.joined ? "joined" : "queued";
      case "cancelled":
        return "cancelled";
      case "refused":
        return outcome.reason;
    }
  };

  return {
    css: SYNC_CSS,
    register(routes, kit) {
      routes.get("/dashboard/guilds/:guildId/sync", async (c) => {
        const notice = c.req.query("notice");
        const view = await render(c.get("guild").id, { notice: isNotice(notice) ? notice : undefined });
        return kit.render(c, syncView(kit.viewerOf(c.get("session")), view));
      });
      routes.post("/dashboard/guilds/:guildId/sync/run", async (c) => {
        const admin = c.get("guild");
        const form = await c.req.parseBody();
        const dryRun = form["dry-run"] === "true";
        const outcome = await sources.requests.ask({ kind: "run", guildId: admin.id, actorId: admin.actor.userId, dryRun, force: form.force === "true" });
        const said = afterAsk(outcome, dryRun);
        if (isNotice(said)) return c.redirect(`/dashboard/guilds/${admin.id}/sync?notice=${said}`, 303);
        return kit.render(c, syncView(kit.viewerOf(c.get("session")), await render(admin.id, { refusal: said })), 422);
      });
      routes.post("/dashboard/guilds/:guildId/sync/held/:runId/:decision", async (c) => {
        const admin = c.get("guild");
        const decision = c.req.param("decision");
        const runId = Number(c.req.param("runId"));
        if ((decision !== "apply" && decision !== "cancel") || !Number.isSafeInteger(runId)) return c.notFound();
        const outcome = await sources.requests.ask({ kind: "held", guildId: admin.id, actorId: admin.actor.userId, runId, decision });
        const said = outcome.kind === "started" ? "applying" : afterAsk(outcome, false);
        if (isNotice(said)) return c.redirect(`/dashboard/guilds/${admin.id}/sync?notice=${said}`, 303);
        return kit.render(c, syncView(kit.viewerOf(c.get("session")), await render(admin.id, { refusal: said })), 422);
      });
    },
  };
}

interface SyncView {
  guild: GuildSnapshot;
  status: GuildSyncStatus;
  notice?: Notice;
  refusal?: SyncRefusal;
}

export function syncView(viewer: Viewer, view: SyncView) {
  const { guild, status } = view;
  const live = status.run?.state === "running" || status.waiting !== undefined;
  const roleName = (roleId: string) => guild.roles.get(roleId)?.name ?? `deleted role ${roleId}`;
  const refusal = view.refusal ?? status.refused?.reason;
  return (
    <GuildLayout viewer={viewer} guild={{ id: guild.id, name: guild.name }} current="/sync" heading="Sync" refreshSeconds={live ? SYNC_PAGE_REFRESH_SECONDS : undefined}>
      <p>
        Brings every linked member's Discord roles and nickname in line with their Roblox ranks, exactly as /sync does in Discord. A dry run changes nothing and
        lists what a sync would change.
      </p>
      {refusal && (
        <p role="alert" class="refusal">
          {refusalSentence[refusal]}
        </p>
      )}
      {view.notice && !refusal && (
        <p role="status" class="sync-notice">
          {NOTICES[view.notice]}
        </p>
      )}
      <form method="post" action={`/dashboard/guilds/${guild.id}/sync/run`} class="sync-actions">
        <input type="hidden" name="csrf" value={viewer.csrfToken} />
        <p class="check">
          <input id="sync-force" name="force" type="checkbox" value="true" aria-describedby="sync-force-hint" />
          <label for="sync-force">force</label>
        </p>
        <p class="hint" id="sync-force-hint">
          Apply even if it would strip the ranks of many members at once (skips the mass-change check, like /sync force:true).
        </p>
        <button type="submit" name="dry-run" value="false">
          Sync now
        </button>
        <button type="submit" name="dry-run" value="true" class="sync-secondary">
          Dry run
        </button>
      </form>
      {status.waiting && (
        <p role="status" class="sync-notice">
          {status.waiting.action === "sync" ? (status.waiting.dryRun ? "A dry run" : "A sync") : "An answer to the held run"} asked at <When ms={status.waiting.requestedAt} /> is
          waiting for the rankbridge process that runs this server.
        </p>
      )}
      {status.run ? <RunSection run={status.run} guildId={guild.id} csrf={viewer.csrfToken} roleName={roleName} /> : <p>No sync has run in this server yet.</p>}
    </GuildLayout>
  );
}

const RunSection: FC<{ run: RunStatus; guildId: string; csrf: string; roleName: (roleId: string) => string }> = ({ run, guildId, csrf, roleName }) => (
  <section id="run" aria-labelledby="run-title">
    <h3 id="run-title">
      {run.state === "running" ? "Current run" : "Last run"} #{run.runId}
      {run.dryRun ? " (dry run)" : ""}
    </h3>
    <p role="status" id="run-state" data-state={run.state}>
      {stateText(run)}: {run.checked} of {run.total} members checked
    </p>
    <progress max={Math.max(run.total, 1)} value={run.total === 0 ? (run.state === "running" ? 0 : 1) : run.checked} aria-labelledby="run-state" />
    <dl class="facts">
      <dt>{run.dryRun ? "Would change" : "Changed"}</dt>
      <dd id="run-changed">{run.updated}</dd>
      <dt>Already in agreement</dt>
      <dd>{run.inSync}</dd>
      <dt>Failed</dt>
      <dd id="run-failed">{run.errors}</dd>
      <dt>Skipped</dt>
      <dd>{run.skipped}</dd>
      <dt>Started</dt>
      <dd>
        <When ms={run.startedAt} /> ({triggerText[run.trigger]})
      </dd>
      {run.finishedAt !== null && (
        <>
          <dt>Finished</dt>
          <dd>
            <When ms={run.finishedAt} />
          </dd>
        </>
      )}
    </dl>
    {/* A held run's stored reason is /sync's sentence; the page says it in its own words below. */}
    {run.error && !run.hold && <p class={run.state === "failed" ? "refusal" : "warning"}>{run.error}</p>}
    {run.hold && (
      <div class="held warning">
        <p>
          {run.hold.affected} of {run.hold.linked} linked members would lose their rank roles or count as gone from the Roblox group (the limit is more than{" "}
          {run.hold.percent}% and more than {run.hold.members})
          {run.hold.sample.length > 0 ? `, among them ${run.hold.sample.join(", ")}${run.hold.affected > run.hold.sample.length ? ", …" : ""}` : ""}. Nothing
          was changed for them: Apply carries the run out, Cancel leaves their roles as they are.
        </p>
        {(["apply", "cancel"] as const).map((decision) => (
          <form method="post" action={`/dashboard/guilds/${guildId}/sync/held/${run.runId}/${decision}`}>
            <input type="hidden" name="csrf" value={csrf} />
            <button type="submit" class={decision === "cancel" ? "sync-secondary" : undefined}>
              {decision === "apply" ? "Apply" : "Cancel"}
            </button>
          </form>
        ))}
      </div>
    )}
    {run.updates.length > 0 && <ChangesTable run={run} roleName={roleName} />}
  </section>
);

const ChangesTable: FC<{ run: RunStatus; roleName: (roleId: string) => string }> = ({ run, roleName }) => {
  const roles = (ids: readonly string[] | undefined) => (ids && ids.length > 0 ? ids.map(roleName).join(", ") : "none");
  const nick = (entry: UpdateListEntry) => (entry.nick === undefined ? "unchanged" : entry.nick === null ? "cleared" : entry.nick);
  return (
    <table id="run-changes">
      <caption>
        {run.dryRun ? "What a sync would change" : "What changed"}
        {run.updates.length < run.updated ? ` (the first ${run.updates.length} of ${run.updated})` : ""}
      </caption>
      <thead>
        <tr>
          <th scope="col">Member</th>
          <th scope="col">Rank</th>
          <th scope="col">Roles added</th>
          <th scope="col">Roles removed</th>
          <th scope="col">Nickname</th>
        </tr>
      </thead>
      <tbody>
        {run.updates.map((entry) => (
          <tr>
            <th scope="row">
              {entry.unlinked ? "(not linked)" : entry.robloxUsername}
              {entry.discordId && <span class="sync-member-id"> Discord {entry.discordId}</span>}
            </th>
            <td>{entry.kicked ? "removed from the server" : `${entry.from ?? "no rank"} → ${entry.to ?? "no rank"}`}</td>
            <td>{roles(entry.added)}</td>
            <td>{roles(entry.removed)}</td>
            <td>{nick(entry)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
};

const SYNC_CSS = `
.sync-actions{margin:1rem 0}
.sync-actions .check{margin:.25rem 0}
.sync-actions .check label{display:inline;margin-left:.4rem;font-weight:600}
button.sync-secondary{background:#fff;color:#3a45c6}
.sync-notice{border-left:4px solid #3a45c6;padding:.25rem .75rem;background:#eef0fb}
.held form{display:inline;margin-right:.5rem}
#run progress{width:100%;height:1rem;margin:.25rem 0 1rem}
.sync-member-id{display:block;font-weight:400;font-size:.85rem;color:#4a4a55}
`;
