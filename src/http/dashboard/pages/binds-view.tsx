/**
 * The binds page as HTML: the binds with a Remove button each, the two "Add bind" forms named after
 * `/binds add-rank-role` and `/binds add-range` (fields after their options), and, before anything
 * is saved or removed, the preview with its "Save" (or "Remove bind") form carrying what was typed.
 */
import type { FC } from "hono/jsx";
import type { Bind } from "../../../ranks/binds.ts";
import type { GuildRole } from "../../../ranks/hierarchy.ts";
import { formatRank, type Rank } from "../../../ranks/ladder.ts";
import type { BindPreviewResult } from "../../../services/bind-preview.ts";
import { GuildLayout, type Viewer } from "../layout.tsx";
import { bindsText, conditionText } from "./binds-words.ts";
import { RoleSelect } from "./role-select.tsx";

export type BindsSubcommand = "add-rank-role" | "add-range" | "remove";
export type BindFields = Partial<Record<"rank" | "role" | "group" | "min-rank" | "max-rank" | "bind", string>>;

/** A line above a form (or above the list): a refusal, or what was done. */
export interface BindsNotice {
  kind: "alert" | "status";
  text: string;
  /** The form it belongs to; absent: the list. */
  form?: BindsSubcommand;
}

export interface BindsPreviewView {
  subcommand: BindsSubcommand;
  fields: BindFields;
  /** What the change is, in words. */
  summary: string;
  result: BindPreviewResult;
}

export interface BindsView {
  guild: { id: string; name: string };
  binds: readonly Bind[];
  /** The ladder, bottom rank first. */
  ladder: readonly Rank[];
  ranks: ReadonlyMap<number, Rank>;
  ownGroupId: number | undefined;
  /** Roles a bind may give, highest first. */
  roles: readonly GuildRole[];
  roleName(roleId: string): string;
  notice?: BindsNotice;
  /** What was typed into a refused form, kept. */
  typed?: { form: BindsSubcommand; fields: BindFields };
  preview?: BindsPreviewView;
}

const Notice: FC<{ notice?: BindsNotice; form?: BindsSubcommand }> = ({ notice, form }) =>
  notice && notice.form === form ? (
    <p role={notice.kind} class={notice.kind === "alert" ? "refusal" : "saved"}>
      {notice.text}
    </p>
  ) : null;

const Hidden: FC<{ fields: BindFields }> = ({ fields }) => (
  <>
    {Object.entries(fields).map(([name, value]) => (
      <input type="hidden" name={name} value={value} />
    ))}
  </>
);

const NumberField: FC<{ id: string; name: string; min: number; max?: number; value?: string; hint: string }> = (props) => (
  <p class="field">
    <label for={props.id}>{props.name}</label>
    <input id={props.id} name={props.name} type="number" min={props.min} max={props.max} step={1} required value={props.value ?? ""} aria-describedby={`${props.id}-hint`} />
    <span class="hint" id={`${props.id}-hint`}>
      {props.hint}
    </span>
  </p>
);

const Preview: FC<{ view: BindsView; preview: BindsPreviewView; base: string; csrf: string }> = ({ view, preview, base, csrf }) => {
  const { result } = preview;
  const removing = preview.subcommand === "remove";
  return (
    <section id="preview" aria-labelledby="preview-title" class="preview">
      <h3 id="preview-title">Preview</h3>
      <p>{preview.summary}</p>
      <table>
        <caption>Members who would gain or lose each role</caption>
        <thead>
          <tr>
            <th scope="col">Role</th>
            <th scope="col">Would gain it</th>
            <th scope="col">Would lose it</th>
          </tr>
        </thead>
        <tbody>
          {result.roles.map((role) => (
            <tr>
              <th scope="row">{view.roleName(role.roleId)}</th>
              <td data-role={role.roleId} data-effect="gain">
                {String(role.gain)}
              </td>
              <td data-role={role.roleId} data-effect="lose">
                {String(role.lose)}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      <p class="hint">{bindsText.previewBasis(result.counted)}</p>
      {result.notInServer > 0 && <p class="hint">{bindsText.notInServer(result.notInServer)}</p>}
      {result.rankUnknown > 0 && <p class="hint">{bindsText.rankUnknown(result.rankUnknown)}</p>}
      {result.undecidedGroupIds.length > 0 && <p class="warning">{bindsText.undecided(result.undecidedGroupIds)}</p>}
      <p>{removing ? bindsText.nothingRemovedYet : bindsText.nothingYet}</p>
      <form method="post" action={`${base}/${preview.subcommand}`} class="confirm">
        <input type="hidden" name="csrf" value={csrf} />
        <Hidden fields={preview.fields} />
        <button type="submit">{removing ? "Remove bind" : "Save"}</button>
        <a href={base}>Cancel</a>
      </form>
    </section>
  );
};

export function bindsView(viewer: Viewer, view: BindsView) {
  const base = `/dashboard/guilds/${view.guild.id}/binds`;
  const csrf = viewer.csrfToken;
  const typed = (form: BindsSubcommand): BindFields => (view.typed?.form === form ? view.typed.fields : view.preview?.subcommand === form ? view.preview.fields : {});
  const rankTyped = typed("add-rank-role");
  const rangeTyped = typed("add-range");
  return (
    <GuildLayout viewer={viewer} guild={view.guild} current="/binds" heading="Binds">
      <p>{bindsText.intro}</p>
      {view.preview && <Preview view={view} preview={view.preview} base={base} csrf={csrf} />}
      <section id="binds-list" aria-labelledby="binds-list-title">
        <h3 id="binds-list-title">
          Binds <span class="command">/binds list</span>
        </h3>
        <Notice notice={view.notice} form="remove" />
        <Notice notice={view.notice} />
        {view.binds.length === 0 ? (
          <p>{bindsText.noBinds}</p>
        ) : (
          <table>
            <caption>Each bind, what it matches and the roles it gives</caption>
            <thead>
              <tr>
                <th scope="col">Bind</th>
                <th scope="col">Members with</th>
                <th scope="col">Hold</th>
                <th scope="col">
                  <span class="command">/binds remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {view.binds.map((bind) => (
                <tr>
                  <th scope="row">{bind.origin.kind === "stored" ? `#${bind.origin.id}` : "setting"}</th>
                  <td>{conditionText(bind, view.ranks, view.ownGroupId)}</td>
                  <td>{bind.roleIds.map(view.roleName).join(", ")}</td>
                  <td>
                    {bind.origin.kind === "stored" ? (
                      <form method="post" action={`${base}/preview/remove`}>
                        <input type="hidden" name="csrf" value={csrf} />
                        <input type="hidden" name="bind" value={String(bind.origin.id)} />
                        <button type="submit" class="secondary" aria-label={`Remove bind #${bind.origin.id}`}>
                          Remove
                        </button>
                      </form>
                    ) : (
                      <a href={`/dashboard/guilds/${view.guild.id}/settings`}>Change in Settings</a>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <section id="add-rank-role" aria-labelledby="add-rank-role-title">
        <h3 id="add-rank-role-title">
          Add a rank bind <span class="command">/binds add-rank-role</span>
        </h3>
        <p class="hint">A ladder rank gives this role too (a rank may give several roles).</p>
        <Notice notice={view.notice} form="add-rank-role" />
        {view.ladder.length === 0 ? (
          <p>No ranks yet: run /ranks import in Discord.</p>
        ) : (
          <form method="post" action={`${base}/preview/add-rank-role`}>
            <input type="hidden" name="csrf" value={csrf} />
            <p class="field">
              <label for="add-rank-role-rank">rank</label>
              <select id="add-rank-role-rank" name="rank" required>
                <option value="" selected={!rankTyped.rank}>
                  Pick a rank
                </option>
                {[...view.ladder].reverse().map((rank) => (
                  <option value={String(rank.id)} selected={String(rank.id) === rankTyped.rank}>
                    {formatRank(rank)}
                  </option>
                ))}
              </select>
            </p>
            <p class="field">
              <RoleSelect id="add-rank-role-role" roles={view.roles} chosen={rankTyped.role} empty="Pick a role" required />
            </p>
            <button type="submit">Add bind</button>
          </form>
        )}
      </section>
      <section id="add-range" aria-labelledby="add-range-title">
        <h3 id="add-range-title">
          Add a range bind <span class="command">/binds add-range</span>
        </h3>
        <p class="hint">Members whose rank number in a Roblox group lies in a range hold a role.</p>
        <Notice notice={view.notice} form="add-range" />
        <form method="post" action={`${base}/preview/add-range`}>
          <input type="hidden" name="csrf" value={csrf} />
          <NumberField
            id="add-range-group"
            name="group"
            min={1}
            value={rangeTyped.group ?? (view.ownGroupId === undefined ? undefined : String(view.ownGroupId))}
            hint="The Roblox group id (this server's or another, such as an ally)"
          />
          <NumberField id="add-range-min-rank" name="min-rank" min={0} max={255} value={rangeTyped["min-rank"]} hint="Lowest rank number, 0 to 255 (0: not in the group)" />
          <NumberField id="add-range-max-rank" name="max-rank" min={0} max={255} value={rangeTyped["max-rank"]} hint="Highest rank number, 0 to 255" />
          <p class="field">
            <RoleSelect id="add-range-role" roles={view.roles} chosen={rangeTyped.role} empty="Pick a role" required />
          </p>
          <button type="submit">Add bind</button>
        </form>
      </section>
    </GuildLayout>
  );
}

/** Contrast: .secondary's #1b1b1f on white 16.9:1; hints #4a4a55 on white 8.9:1; the notices as on the settings page. */
export const BINDS_CSS = `
#binds-list,#add-rank-role,#add-range,.preview{margin:1.5rem 0;padding-top:.5rem;border-top:1px solid #d8d8e0}
.preview{border:2px solid #3a45c6;border-radius:.4rem;padding:.5rem 1rem 1rem}
section h3{margin:.25rem 0 .5rem}
.command{font-family:ui-monospace,monospace;font-weight:400;font-size:.9rem;color:#4a4a55}
.hint{margin:.25rem 0 .5rem;color:#4a4a55}
.field .hint{display:block;font-size:.9rem;margin:.1rem 0 0}
.field{margin:.5rem 0}
.warning{border-left:4px solid #8a5a00;padding:.25rem .75rem;background:#fff6e0}
.refusal{border-left:4px solid #b3261e;padding:.25rem .75rem;background:#fdecea}
.saved{border-left:4px solid #1e6b34;padding:.25rem .75rem;background:#e9f6ec}
form label{display:block;font-weight:600;margin:.25rem 0}
form select,form input[type=number]{font:inherit;padding:.35rem .5rem;border:1px solid #5c5c66;border-radius:.3rem;min-width:16rem;max-width:100%}
td form{margin:0}
button.secondary{background:#fff;color:#1b1b1f;border-color:#5c5c66;padding:.25rem .75rem}
.confirm{display:flex;gap:1rem;align-items:center}
`;
