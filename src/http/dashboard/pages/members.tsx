/**
 * The member lookup of one guild (`/dashboard/guilds/{guild_id}/members`): a GET form (works
 * without JavaScript) taking a Discord or Roblox name or id, a list to pick from when several
 * members match, and for one member their link, stored Roblox rank, Discord roles, last sync, and
 * for every role a bind manages why they hold it or not and what holds a change back ("why didn't
 * this member get the role?"). Nothing here changes anything; the one POST, "Check on Roblox now",
 * reads the member's Roblox rank (cooled down per member and guild) and explains from that answer.
 *
 * The field is `member`, as the option of /verify-rank and /sync. Only this guild's members are
 * ever found or explained (the services read this guild alone).
 */
import type { FC } from "hono/jsx";
import type { GuildSnapshot } from "../../../services/discord-port.ts";
import type { MemberExplanation, MemberExplanations } from "../../../services/member-explanation.ts";
import type { MemberLookup, MemberMatch } from "../../../services/member-lookup.ts";
import type { RobloxRankCheck, RobloxRankCheckOutcome } from "../../../services/member-roblox-check.ts";
import type { GuildPage } from "../guild-page.ts";
import { GuildLayout, type Viewer, When } from "../layout.tsx";
import { bindText, checkText, holdText, lastSyncText, type Names, nicknameProblemText, robloxNowText, stateText, storedRankText, verdictText, wantedText } from "./members-words.ts";

export interface MembersPageSources {
  lookup: Pick<MemberLookup, "find" | "normalize">;
  explanations: Pick<MemberExplanations, "explain">;
  /** "Check on Roblox now": one cooled-down read of the member's rank. */
  robloxCheck: Pick<RobloxRankCheck, "check">;
  /** The guild as the gateway keeps it (its name and roles). */
  guild(guildId: string): Promise<GuildSnapshot>;
}

/** What the page shows under the form. */
type Result =
  | { kind: "none" }
  | { kind: "not-found"; query: string }
  | { kind: "choose"; query: string; matches: readonly MemberMatch[] }
  | { kind: "member"; explanation: MemberExplanation; check?: RobloxRankCheckOutcome };

const SNOWFLAKE = /^\d{17,20}$/;

export function membersPage(sources: MembersPageSources): GuildPage {
  return {
    css: MEMBERS_CSS,
    register(routes, kit) {
      routes.get("/dashboard/guilds/:guildId/members", async (c) => {
        const guildId = c.get("guild").id;
        const query = sources.lookup.normalize(c.req.query("member") ?? "");
        const id = c.req.query("id") ?? "";
        const result = await resultFor(sources, guildId, query, id);
        const guild = await sources.guild(guildId);
        const status = result.kind === "not-found" ? 404 : 200;
        return kit.render(c, membersView(kit.viewerOf(c.get("session")), guild, query, result), status);
      });
      // A POST only because it spends Roblox budget (CSRF-checked like every POST); it changes nothing.
      routes.post("/dashboard/guilds/:guildId/members/roblox-check", async (c) => {
        const guildId = c.get("guild").id;
        const form = await c.req.parseBody();
        const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
        const id = field("id");
        const query = sources.lookup.normalize(field("member"));
        const guild = await sources.guild(guildId);
        const viewer = kit.viewerOf(c.get("session"));
        if (!SNOWFLAKE.test(id)) return kit.render(c, membersView(viewer, guild, query, { kind: "not-found", query: query || id }), 404);
        const check = await sources.robloxCheck.check(guildId, id);
        const explanation = await sources.explanations.explain(guildId, id, check.kind === "read" ? { robloxNow: check.now } : {});
        if (!explanation) return kit.render(c, membersView(viewer, guild, query, { kind: "not-found", query: query || id }), 404);
        const status = check.kind === "cooldown" ? 429 : check.kind === "failed" ? 502 : 200;
        return kit.render(c, membersView(viewer, guild, query, { kind: "member", explanation, check }), status);
      });
    },
  };
}

async function resultFor(sources: MembersPageSources, guildId: string, query: string, id: string): Promise<Result> {
  if (SNOWFLAKE.test(id)) {
    const explanation = await sources.explanations.explain(guildId, id);
    return explanation ? { kind: "member", explanation } : { kind: "not-found", query: query || id };
  }
  if (query === "") return { kind: "none" };
  const matches = await sources.lookup.find(guildId, query);
  if (matches.length === 0) return { kind: "not-found", query };
  if (matches.length > 1) return { kind: "choose", query, matches };
  const explanation = await sources.explanations.explain(guildId, matches[0]!.discordId);
  return explanation ? { kind: "member", explanation } : { kind: "not-found", query };
}

export function membersView(viewer: Viewer, guild: GuildSnapshot, query: string, result: Result) {
  const base = `/dashboard/guilds/${guild.id}/members`;
  return (
    <GuildLayout viewer={viewer} guild={{ id: guild.id, name: guild.name }} current="/members" heading="Member lookup">
      <form method="get" action={base} class="lookup">
        <label for="member-query">member</label>
        <input id="member-query" name="member" type="search" value={query} required maxlength={100} aria-describedby="member-hint" autocomplete="off" />
        <button type="submit">Look up</button>
        <p class="hint" id="member-hint">
          A Discord username, display name or id, or a Roblox username or id (the start of a name is enough).
        </p>
      </form>
      {result.kind === "not-found" && (
        <p role="status" class="notice">
          No member of this server matches “{result.query}”.
        </p>
      )}
      {result.kind === "choose" && <Choices base={base} query={result.query} matches={result.matches} />}
      {result.kind === "member" && <Explained guild={guild} explanation={result.explanation} check={result.check} query={query} csrfToken={viewer.csrfToken} />}
    </GuildLayout>
  );
}

const Choices: FC<{ base: string; query: string; matches: readonly MemberMatch[] }> = ({ base, query, matches }) => (
  <section aria-labelledby="choices">
    <h3 id="choices">{matches.length} members match “{query}”</h3>
    <ul class="choices">
      {matches.map((match) => (
        <li>
          <a href={`${base}?member=${encodeURIComponent(query)}&id=${match.discordId}`}>
            {match.discord ? `${match.discord.displayName} (@${match.discord.username})` : `Discord user ${match.discordId} (not in the server)`}
          </a>
          {match.roblox ? ` · Roblox ${match.roblox.username ?? match.roblox.userId} (${match.roblox.userId})` : " · not linked"}
        </li>
      ))}
    </ul>
  </section>
);

const Explained: FC<{ guild: GuildSnapshot; explanation: MemberExplanation; check: RobloxRankCheckOutcome | undefined; query: string; csrfToken: string }> = ({
  guild,
  explanation: e,
  check,
  query,
  csrfToken,
}) => {
  const names: Names = {
    role: (roleId) => guild.roles.get(roleId)?.name ?? `deleted role ${roleId}`,
    rank: (rankId) => e.ranks.find((rank) => rank.id === rankId)?.name ?? `rank ${rankId}`,
    groupId: e.groupId,
  };
  const who = e.discord ? `${e.discord.displayName} (@${e.discord.username})` : `Discord user ${e.discordId}`;
  return (
    <article aria-labelledby="member-name">
      <h3 id="member-name">{who}</h3>
      {check && (
        <p role={check.kind === "read" ? "status" : "alert"} class={check.kind === "read" ? "notice" : "refusal"}>
          {checkText(check)}
        </p>
      )}
      <dl class="facts">
        <dt>Discord</dt>
        <dd>
          {e.discord ? `In the server; id ${e.discordId}${e.discord.isOwner ? "; the server owner" : ""}` : `Not in the server (id ${e.discordId})`}
        </dd>
        <dt>Roblox account</dt>
        <dd>
          {e.link ? (
            <>
              {e.link.robloxUsername ?? "(name not stored)"}
              {e.link.robloxDisplayName && e.link.robloxDisplayName !== e.link.robloxUsername ? ` (display name ${e.link.robloxDisplayName})` : ""}, id {e.link.robloxUserId}
              {e.link.verifiedAt !== null && (
                <>
                  ; linked <When ms={e.link.verifiedAt} /> {e.link.verifiedBy === "oauth" ? "with Sign in with Roblox" : "with a profile phrase"}
                </>
              )}
            </>
          ) : (
            "Not linked"
          )}
        </dd>
        {e.link && (
          <>
            <dt>Roblox rank (stored)</dt>
            <dd>
              {storedRankText(e.roblox.storedRank, e.roblox.storedAt)}
              <form method="post" action={`/dashboard/guilds/${guild.id}/members/roblox-check`} class="check">
                <input type="hidden" name="csrf" value={csrfToken} />
                <input type="hidden" name="id" value={e.discordId} />
                <input type="hidden" name="member" value={query} />
                <button type="submit">Check on Roblox now</button>
              </form>
            </dd>
          </>
        )}
        {e.roblox.now && (
          <>
            <dt>Roblox rank (now)</dt>
            <dd>{robloxNowText(e.roblox.now)}</dd>
          </>
        )}
        {e.roblox.pendingWrite && (
          <>
            <dt>Pending Roblox write</dt>
            <dd>
              To {e.roblox.pendingWrite.rank?.name ?? `Roblox rank number ${e.roblox.pendingWrite.targetRank}`}: {e.roblox.pendingWrite.attempts} tries so far, next at{" "}
              <When ms={e.roblox.pendingWrite.nextAttemptAt} />
              {e.roblox.pendingWrite.lastError ? ` (last error: ${e.roblox.pendingWrite.lastError})` : ""}. Until it goes through, the sync follows its target.
            </dd>
          </>
        )}
        <dt>Rank shown in Discord</dt>
        <dd>{e.roblox.discordRanks.length === 0 ? "None" : e.roblox.discordRanks.map((rank) => rank.name).join(", ")}</dd>
        <dt>Discord roles</dt>
        <dd>
          {!e.discord ? "Not in the server" : e.discord.roles.length === 0 ? "None" : e.discord.roles.map((held) => `${held.role?.name ?? held.roleId}${held.managed ? "" : " (no bind: never touched)"}`).join(", ")}
        </dd>
        <dt>Last sync</dt>
        <dd>{lastSyncText(e.lastSync, names)}</dd>
        {e.syncPausedReason && (
          <>
            <dt>Background sync</dt>
            <dd>Paused: {e.syncPausedReason}</dd>
          </>
        )}
      </dl>
      {e.discord && <ManagedRoles explanation={e} names={names} />}
    </article>
  );
};

const ManagedRoles: FC<{ explanation: MemberExplanation; names: Names }> = ({ explanation: e, names }) => (
  <>
    <h3>Roles the binds manage</h3>
    {e.roles.length === 0 ? (
      <p>No bind gives any role in this server yet (the Binds tab, or /binds in Discord).</p>
    ) : (
      <table class="why">
        <caption>For each role a bind gives: should they hold it, do they, and why (roles out of agreement first)</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Given by</th>
            <th scope="col">Should hold it</th>
            <th scope="col">Holds it</th>
            <th scope="col">What happens</th>
          </tr>
        </thead>
        <tbody>
          {outOfAgreementFirst(e.roles).map((role) => (
            <tr class={`state-${role.state}`}>
              <th scope="row">{role.role?.name ?? names.role(role.roleId)}</th>
              <td>
                <ul class="binds">
                  {role.binds.map((verdict) => (
                    <li>
                      {bindText(verdict.bind, names)}: {verdictText(verdict)}
                    </li>
                  ))}
                </ul>
              </td>
              <td>{wantedText(role)}</td>
              <td>{role.held ? "Yes" : "No"}</td>
              <td>
                {stateText(role, e.syncPausedReason !== null)}
                {role.holds.length > 0 && (
                  <ul class="holds">
                    {role.holds.map((hold) => (
                      <li>{holdText(hold, names)}</li>
                    ))}
                  </ul>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    )}
    {e.nickname && (
      <p class="nickname">
        Nickname: the template gives “{e.nickname.wanted ?? "(none)"}”; they have “{e.nickname.current ?? "(none)"}”.{" "}
        {e.nickname.problem ? `Not changed: ${nicknameProblemText(e.nickname.problem)}` : "It changes at the next sync."}
      </p>
    )}
  </>
);

/** The rows that answer "why not?" first; each group keeps the roles' order (highest first). */
const outOfAgreementFirst = (roles: MemberExplanation["roles"]) => [...roles.filter((r) => r.state !== "in-agreement"), ...roles.filter((r) => r.state === "in-agreement")];

/** Contrast: the blocked row's text #1b1b1f on #fdecea is 15.4:1; the hint #4a4a55 on white 8.6:1. */
const MEMBERS_CSS = `
.lookup{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:0 0 1rem}
.lookup label{font-weight:600}
.lookup input{font:inherit;padding:.35rem .5rem;min-width:18rem;border:1px solid #5c5c66;border-radius:.3rem}
.lookup .hint{flex-basis:100%;margin:0;color:#4a4a55}
.notice{border-left:4px solid #5c5c66;padding:.25rem .75rem}
.refusal{border-left:4px solid #b3261e;padding:.25rem .75rem;background:#fdecea}
form.check{display:inline;margin-left:1rem}
form.check button{padding:.2rem .6rem}
.choices li{padding:.3rem 0}
.why td,.why th{vertical-align:top}
.why ul{margin:0;padding-left:1.1rem}
tr.state-blocked{background:#fdecea}
tr.state-left-alone{background:#fff6e0}
`;
