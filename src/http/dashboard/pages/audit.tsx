/**
 * The audit log of one guild (`/dashboard/guilds/{guild_id}/audit`): every entry rankbridge wrote
 * for it, newest first, filtered by member and by action, 50 to a page with "Older" / "Newer" links
 * that carry the (created_at, id) of the entry at the page's edge (keyset paging: a deep page reads
 * no more than the first). A plain GET form, so it works without JavaScript and can be bookmarked.
 *
 * Who may call it: an admin of the guild (checked before any route here runs). Entries are read
 * for this guild only; a member name is looked up among this guild's members and links only; the
 * names shown are the viewer's own and the Roblox names this guild stored (no Discord request per
 * entry).
 */
import type { FC } from "hono/jsx";
import type { AuditCursor, AuditPage } from "../../../db/repositories/audit.ts";
import { AUDIT_ACTIONS, type AuditAction, type AuditEntry } from "../../../db/schema.ts";
import type { GuildSnapshot } from "../../../services/discord-port.ts";
import type { MemberLookup, MemberMatch } from "../../../services/member-lookup.ts";
import type { Member, Repositories } from "../../../services/storage-port.ts";
import type { GuildPage } from "../guild-page.ts";
import { GuildLayout, type Viewer, When } from "../layout.tsx";
import { ACTION_LABELS, type AuditNames, actorText, entryLines, OUTCOME_LABELS } from "./audit-words.ts";

export interface AuditPageSources {
  repositories: { audit: Pick<Repositories["audit"], "page">; members: Pick<Repositories["members"], "findByDiscordIds"> };
  /** Finds the member a typed name means (this guild's members and links only). */
  lookup: Pick<MemberLookup, "find" | "normalize">;
  /** The guild as the gateway keeps it (its name and roles). */
  guild(guildId: string): Promise<GuildSnapshot>;
}

export interface AuditPageOptions {
  /** Entries per page (default 50). */
  pageSize?: number;
}

/** Which member the entries are about, as the filter resolved it. */
type MemberFilter =
  | { kind: "all" }
  | { kind: "one"; discordId: string }
  | { kind: "not-found"; query: string }
  | { kind: "choose"; query: string; matches: readonly MemberMatch[] };

export interface AuditFilters {
  /** The member field as typed (or the id a choice picked). */
  query: string;
  action: AuditAction | undefined;
}

const SNOWFLAKE = /^\d{17,20}$/;
const CURSOR = /^(\d{1,16})\.(\d{1,16})$/;

const parseCursor = (text: string | undefined): AuditCursor | undefined => {
  const match = CURSOR.exec(text ?? "");
  return match ? { createdAt: Number(match[1]), id: Number(match[2]) } : undefined;
};
const cursorOf = (entry: AuditEntry) => `${entry.createdAt}.${entry.id}`;

export function auditPage(sources: AuditPageSources, options: AuditPageOptions = {}): GuildPage {
  const pageSize = options.pageSize ?? 50;
  return {
    css: AUDIT_CSS,
    register(routes, kit) {
      routes.get("/dashboard/guilds/:guildId/audit", async (c) => {
        const guildId = c.get("guild").id;
        const viewer = kit.viewerOf(c.get("session"));
        const actionText = c.req.query("action") ?? "";
        const action = (AUDIT_ACTIONS as readonly string[]).includes(actionText) ? (actionText as AuditAction) : undefined;
        const query = sources.lookup.normalize(c.req.query("member") ?? "");
        const member = await memberFilter(sources, guildId, query, c.req.query("id") ?? "");
        const [guild, page] = await Promise.all([
          sources.guild(guildId),
          member.kind === "all" || member.kind === "one"
            ? sources.repositories.audit.page(guildId, {
                targetDiscordId: member.kind === "one" ? member.discordId : undefined,
                action,
                before: parseCursor(c.req.query("before")),
                after: parseCursor(c.req.query("after")),
                limit: pageSize,
              })
            : undefined,
        ]);
        const names = await namesFor(sources, guild, c.get("session").discordUserId, viewer, page?.entries ?? []);
        const view = auditView({ viewer, guild, filters: { query, action }, member, page, names });
        return kit.render(c, view, member.kind === "not-found" ? 404 : 200);
      });
    },
  };
}

async function memberFilter(sources: AuditPageSources, guildId: string, query: string, pickedId: string): Promise<MemberFilter> {
  if (SNOWFLAKE.test(pickedId)) return { kind: "one", discordId: pickedId };
  if (query === "") return { kind: "all" };
  // An id is taken as it is: entries about someone who has left the server still count.
  if (SNOWFLAKE.test(query)) return { kind: "one", discordId: query };
  const matches = await sources.lookup.find(guildId, query);
  if (matches.length === 0) return { kind: "not-found", query };
  if (matches.length > 1) return { kind: "choose", query, matches };
  return { kind: "one", discordId: matches[0]!.discordId };
}

/** Names for the people and roles a page of entries mentions: one read of this guild's stored members. */
async function namesFor(sources: AuditPageSources, guild: GuildSnapshot, viewerId: string, viewer: Viewer, entries: readonly AuditEntry[]): Promise<AuditNames> {
  const ids = new Set<string>();
  for (const entry of entries) {
    if (entry.actorId !== "system") ids.add(entry.actorId);
    if (entry.targetDiscordId) ids.add(entry.targetDiscordId);
  }
  const stored = new Map<string, Member>((await sources.repositories.members.findByDiscordIds(guild.id, [...ids])).map((member) => [member.discordId, member]));
  return {
    user(discordId) {
      if (discordId === viewerId) return `${viewer.name} (you)`;
      const username = stored.get(discordId)?.robloxUsername;
      return username ? `${username} (Discord ${discordId})` : `Discord user ${discordId}`;
    },
    role: (roleId) => guild.roles.get(roleId)?.name ?? `deleted role ${roleId}`,
  };
}

export function auditView(props: {
  viewer: Viewer;
  guild: Pick<GuildSnapshot, "id" | "name">;
  filters: AuditFilters;
  member: MemberFilter;
  page: AuditPage | undefined;
  names: AuditNames;
}) {
  const { viewer, guild, filters, member, page, names } = props;
  const base = `/dashboard/guilds/${guild.id}/audit`;
  // The filters every link keeps: the member as resolved (no new search) and the action.
  const kept = new URLSearchParams();
  if (member.kind === "one") {
    kept.set("member", filters.query || member.discordId);
    kept.set("id", member.discordId);
  }
  if (filters.action) kept.set("action", filters.action);
  const link = (extra: Record<string, string>) => `${base}?${new URLSearchParams([...kept, ...Object.entries(extra)]).toString()}`;
  const first = page?.entries[0];
  const last = page?.entries.at(-1);
  return (
    <GuildLayout viewer={viewer} guild={guild} current="/audit" heading="Audit log">
      <form method="get" action={base} class="audit-filter" aria-label="Filter the audit log">
        <div>
          <label for="audit-member">member</label>
          <input id="audit-member" name="member" type="search" value={filters.query} maxlength={100} aria-describedby="audit-member-hint" autocomplete="off" />
        </div>
        <div>
          <label for="audit-action">action</label>
          <select id="audit-action" name="action">
            <option value="">All actions</option>
            {AUDIT_ACTIONS.map((action) => (
              <option value={action} selected={action === filters.action}>
                {`${ACTION_LABELS[action]} (${action})`}
              </option>
            ))}
          </select>
        </div>
        <button type="submit">Filter</button>
        <p class="audit-hint" id="audit-member-hint">
          Entries about one member: a Discord username, display name or id, or a Roblox username (the start of a name is enough). Empty: everyone.
        </p>
      </form>
      {member.kind === "not-found" && (
        <p role="status" class="audit-notice">
          No member of this server matches “{member.query}”.
        </p>
      )}
      {member.kind === "choose" && <Choices base={base} query={member.query} action={filters.action} matches={member.matches} />}
      {page && page.entries.length === 0 && (
        <p role="status" class="audit-notice">
          {member.kind === "all" && !filters.action ? "Nothing is recorded for this server yet." : "No entries match these filters."}
        </p>
      )}
      {page && page.entries.length > 0 && (
        <table class="audit">
          <caption>Entries, newest first</caption>
          <thead>
            <tr>
              <th scope="col">When</th>
              <th scope="col">Action</th>
              <th scope="col">By</th>
              <th scope="col">Member</th>
              <th scope="col">What happened</th>
            </tr>
          </thead>
          <tbody>
            {page.entries.map((entry) => (
              <tr class={entry.outcome === "ok" ? undefined : `audit-${entry.outcome}`}>
                <td>
                  <When ms={entry.createdAt} />
                </td>
                <td>
                  {ACTION_LABELS[entry.action] ?? entry.action}
                  {entry.outcome !== "ok" && <span class="audit-outcome"> ({OUTCOME_LABELS[entry.outcome]})</span>}
                </td>
                <td>{actorText(entry, names)}</td>
                <td>{entry.targetDiscordId ? <a href={`${base}?member=${entry.targetDiscordId}`}>{names.user(entry.targetDiscordId)}</a> : "—"}</td>
                <td>
                  {entryLines(entry, names).map((line) => (
                    <span class="audit-line">{line}</span>
                  ))}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {page && (page.hasNewer || page.hasOlder) && (
        <nav aria-label="Audit log pages" class="audit-pages">
          {page.hasNewer && (
            <a rel="prev" href={first ? link({ after: cursorOf(first) }) : link({})}>
              ← Newer
            </a>
          )}
          {page.hasOlder && last && (
            <a rel="next" href={link({ before: cursorOf(last) })}>
              Older →
            </a>
          )}
        </nav>
      )}
    </GuildLayout>
  );
}

const Choices: FC<{ base: string; query: string; action: AuditAction | undefined; matches: readonly MemberMatch[] }> = ({ base, query, action, matches }) => (
  <section aria-labelledby="audit-choices">
    <h3 id="audit-choices">
      {matches.length} members match “{query}”: whose entries?
    </h3>
    <ul class="audit-choices">
      {matches.map((match) => (
        <li>
          <a href={`${base}?${new URLSearchParams({ member: query, id: match.discordId, ...(action ? { action } : {}) }).toString()}`}>
            {match.discord ? `${match.discord.displayName} (@${match.discord.username})` : `Discord user ${match.discordId} (not in the server)`}
          </a>
          {match.roblox ? ` · Roblox ${match.roblox.username ?? match.roblox.userId}` : " · not linked"}
        </li>
      ))}
    </ul>
  </section>
);

const AUDIT_CSS = `
.audit-filter{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:flex-end;margin:0 0 1rem}
.audit-filter label{display:block;font-weight:600}
.audit-filter input,.audit-filter select{font:inherit;padding:.35rem .5rem;border:1px solid #5c5c66;border-radius:.3rem;background:#fff;color:#1b1b1f}
.audit-filter input{min-width:16rem}
.audit-hint{flex-basis:100%;margin:0;color:#4a4a55}
.audit-notice{border-left:4px solid #5c5c66;padding:.25rem .75rem}
table.audit td{vertical-align:top}
.audit-line{display:block;white-space:pre-wrap}
tr.audit-partial{background:#fff6e0}
tr.audit-failed{background:#fdecea}
.audit-outcome{font-weight:600}
.audit-pages{display:flex;gap:2rem;margin:1rem 0}
.audit-pages a{padding:.4rem 0}
.audit-choices li{padding:.3rem 0}
`;
