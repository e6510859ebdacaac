/**
 * The binds of one guild (`/dashboard/guilds/{guild_id}/binds`): the list, adding a rank or a range
 * bind, removing one. Nothing changes in one step: "Add bind" (or "Remove") posts to
 * `binds/preview/{subcommand}`, which shows per role how many members would gain or lose it
 * (BindPreviews: the sync's planner on stored state, no Roblox request), and "Save" (or "Remove
 * bind") posts the same fields to `binds/{subcommand}`. Both go through the bind service `/binds`
 * uses, with the signed-in person as the actor: the same checks, refusals and audit entries.
 * Who may call: the dashboard's guild gate (routes.tsx) ran before any of these, for `:guildId`.
 */
import type { Context } from "hono";
import type { BindActor, BindService } from "../../../services/binds.ts";
import type { BindEdit, BindPreviews } from "../../../services/bind-preview.ts";
import type { GuildSnapshot } from "../../../services/discord-port.ts";
import type { Rank } from "../../../ranks/ladder.ts";
import type { DashboardEnv, GuildPage, PageKit, PageStatus } from "../guild-page.ts";
import { BINDS_CSS, bindsView, type BindFields, type BindsNotice, type BindsPreviewView, type BindsSubcommand, type BindsView } from "./binds-view.tsx";
import { addRefusalText, bindsText, conditionText } from "./binds-words.ts";
import { assignableRoles } from "./role-select.tsx";

export interface BindsPageSources {
  /** The guild as the gateway keeps it (role names). */
  guild(guildId: string): Promise<GuildSnapshot>;
  binds: Pick<BindService, "overview" | "checkAdd" | "addRankRole" | "addRange" | "remove">;
  previews: Pick<BindPreviews, "preview">;
}

const SUBCOMMANDS: readonly BindsSubcommand[] = ["add-rank-role", "add-range", "remove"];
const isSubcommand = (name: string): name is BindsSubcommand => (SUBCOMMANDS as readonly string[]).includes(name);
const FIELDS: Record<BindsSubcommand, readonly (keyof BindFields)[]> = {
  "add-rank-role": ["rank", "role"],
  "add-range": ["group", "min-rank", "max-rank", "role"],
  remove: ["bind"],
};
const DONE = { added: bindsText.added, already: bindsText.alreadySaved, removed: bindsText.removed } as const;

/** A form's fields, parsed as the command's options are; numbers that aren't whole are NaN (the service refuses them). */
type Asked =
  | { kind: "add-rank-role"; rank: Rank; roleId: string }
  | { kind: "add-range"; groupId: number; minRank: number; maxRank: number; roleId: string }
  | { kind: "remove"; bindId: number; typed: string }
  | { kind: "refused"; text: string };

const whole = (text: string | undefined) => (text !== undefined && /^-?\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : Number.NaN);

export function bindsPage(sources: BindsPageSources): GuildPage {
  const view = async (guildId: string, extra: Partial<BindsView> = {}): Promise<BindsView> => {
    const [guild, overview] = await Promise.all([sources.guild(guildId), sources.binds.overview(guildId)]);
    // A bind giving several roles appears under each of them: listed once, in first-bound order.
    const binds = [...new Set([...overview.byRole.values()].flat())];
    return {
      guild: { id: guild.id, name: guild.name },
      binds,
      ladder: [...overview.ranks.values()].sort((a, b) => a.position - b.position),
      ranks: overview.ranks,
      ownGroupId: overview.ownGroupId,
      roles: assignableRoles(guild),
      roleName: (roleId) => guild.roles.get(roleId)?.name ?? `deleted role ${roleId}`,
      ...extra,
    };
  };

  const show = async (c: Context<DashboardEnv>, kit: PageKit, extra: Partial<BindsView>, status: PageStatus = 200) =>
    kit.render(c, bindsView(kit.viewerOf(c.get("session")), await view(c.get("guild").id, extra)), status);

  const parse = async (guildId: string, subcommand: BindsSubcommand, fields: BindFields): Promise<Asked> => {
    if (subcommand === "remove") {
      const typed = (fields.bind ?? "").trim();
      const id = /^#?(\d{1,15})$/.exec(typed)?.[1];
      return id === undefined ? { kind: "refused", text: bindsText.unknownBind(typed) } : { kind: "remove", bindId: Number(id), typed };
    }
    const roleId = (fields.role ?? "").trim();
    if (!/^\d{1,25}$/.test(roleId)) return { kind: "refused", text: bindsText.pickRole };
    if (subcommand === "add-range") return { kind: "add-range", groupId: whole(fields.group), minRank: whole(fields["min-rank"]), maxRank: whole(fields["max-rank"]), roleId };
    const rank = (await sources.binds.overview(guildId)).ranks.get(whole(fields.rank));
    return rank ? { kind: "add-rank-role", rank, roleId } : { kind: "refused", text: bindsText.pickRank };
  };

  const formOf = async (c: Context<DashboardEnv>): Promise<{ subcommand: BindsSubcommand; fields: BindFields } | null> => {
    const subcommand = c.req.param("subcommand") ?? "";
    if (!isSubcommand(subcommand)) return null;
    const body = await c.req.parseBody();
    const fields: BindFields = {};
    for (const name of FIELDS[subcommand]) if (typeof body[name] === "string") fields[name] = body[name] as string;
    return { subcommand, fields };
  };

  /**
   * What both POSTs begin with: the form of a known subcommand, parsed, with the way to refuse it
   * (the page again, what was typed kept) and the web user as the bind service's actor. A Response
   * when it ends there: 404 for an unknown subcommand, or the refusal of input that parses to nothing.
   */
  const posted = async (c: Context<DashboardEnv>, kit: PageKit) => {
    const form = await formOf(c);
    if (!form) return c.notFound();
    const admin = c.get("guild");
    const refuse = (text: string, status: PageStatus = 422) => show(c, kit, { notice: { kind: "alert", text, form: form.subcommand }, typed: { form: form.subcommand, fields: form.fields } }, status);
    const asked = await parse(admin.id, form.subcommand, form.fields);
    if (asked.kind === "refused") return refuse(asked.text);
    const request: BindActor = { guildId: admin.id, actor: admin.actor, authority: admin.authority };
    return { form, admin, asked, refuse, request };
  };

  return {
    css: BINDS_CSS,
    register(routes, kit) {
      routes.get("/dashboard/guilds/:guildId/binds", async (c) => {
        const done = c.req.query("done");
        const notice: BindsNotice | undefined = done && done in DONE ? { kind: "status", text: DONE[done as keyof typeof DONE] } : undefined;
        return show(c, kit, { notice });
      });

      // "Add bind" / "Remove": the checks that need no Roblox request, then the preview.
      routes.post("/dashboard/guilds/:guildId/binds/preview/:subcommand", async (c) => {
        const begun = await posted(c, kit);
        if (begun instanceof Response) return begun;
        const { form, admin, asked, refuse, request } = begun;
        let edit: BindEdit;
        if (asked.kind === "remove") edit = { kind: "remove", bindId: asked.bindId };
        else {
          const condition = asked.kind === "add-rank-role" ? ({ kind: "rank", rank: asked.rank } as const) : ({ kind: "range", groupId: asked.groupId, minRank: asked.minRank, maxRank: asked.maxRank } as const);
          const check = await sources.binds.checkAdd(request, condition, asked.roleId);
          if (check) {
            const names = await view(admin.id);
            if (check.kind !== "already") return refuse(addRefusalText(check, names.roleName));
            return show(c, kit, { notice: { kind: "status", text: bindsText.already(conditionText(check.bind, names.ranks, names.ownGroupId), names.roleName(asked.roleId)), form: form.subcommand }, typed: { form: form.subcommand, fields: form.fields } });
          }
          edit = {
            kind: "add",
            condition: asked.kind === "add-rank-role" ? { kind: "rank", rankId: asked.rank.id } : { kind: "range", groupId: asked.groupId, minRank: asked.minRank, maxRank: asked.maxRank },
            roleId: asked.roleId,
          };
        }
        const result = await sources.previews.preview(admin.id, edit);
        if (result.kind === "unknown-bind") return refuse(bindsText.unknownBind(form.fields.bind ?? ""), 404);
        if (result.kind === "members-unavailable") return refuse(bindsText.membersUnavailable, 503);
        const page = await view(admin.id);
        return kit.render(c, bindsView(kit.viewerOf(c.get("session")), { ...page, preview: { ...form, summary: summaryOf(page, edit), result } satisfies BindsPreviewView }));
      });

      // "Save" / "Remove bind": through the bind service, as /binds would.
      routes.post("/dashboard/guilds/:guildId/binds/:subcommand", async (c) => {
        const begun = await posted(c, kit);
        if (begun instanceof Response) return begun;
        const { admin, asked, refuse, request } = begun;
        const done = (what: keyof typeof DONE) => c.redirect(`/dashboard/guilds/${admin.id}/binds?done=${what}#binds-list`, 303);
        if (asked.kind === "remove") {
          const outcome = await sources.binds.remove(request, asked.bindId);
          return outcome.kind === "removed" ? done("removed") : refuse(bindsText.unknownBind(asked.typed), 404);
        }
        const outcome =
          asked.kind === "add-rank-role"
            ? await sources.binds.addRankRole(request, asked.rank, asked.roleId)
            : await sources.binds.addRange(request, { groupId: asked.groupId, minRank: asked.minRank, maxRank: asked.maxRank }, asked.roleId);
        if (outcome.kind === "added" || outcome.kind === "already") return done(outcome.kind);
        return refuse(addRefusalText(outcome, (await view(admin.id)).roleName));
      });
    },
  };
}

/** The change previewed, in words. */
function summaryOf(page: BindsView, edit: BindEdit): string {
  if (edit.kind === "add") {
    const bind = { ...edit.condition, origin: { kind: "stored", id: 0, rankRole: false }, roleIds: [edit.roleId] } as const;
    return bindsText.previewAdd(conditionText(bind, page.ranks, page.ownGroupId), `"${page.roleName(edit.roleId)}"`);
  }
  const bind = page.binds.find((candidate) => candidate.origin.kind === "stored" && candidate.origin.id === edit.bindId);
  return bind ? bindsText.previewRemove(conditionText(bind, page.ranks, page.ownGroupId), bind.roleIds.map((id) => `"${page.roleName(id)}"`).join(", ")) : "";
}
