/**
 * The settings of one guild (`/dashboard/guilds/{guild_id}/settings`): what design §3.1 sets, plus
 * the sync interval and the log channel. One form per setting, posted to `settings/{name}` where the
 * name is the `/config` subcommand's and each field is named after its option, so an admin who knows
 * the command knows the form. Every change goes through the same service as `/config`
 * (SettingChanges): the same checks, the same refusals, the same audit entry, with the signed-in
 * person as the actor.
 */
import type { Context } from "hono";
import type { FC } from "hono/jsx";
import { DiscordPermission, hasPermission, type GuildRole } from "../../../ranks/hierarchy.ts";
import { formatDuration } from "../../../lib/duration.ts";
import { MAX_ACCOUNT_AGE_DAYS } from "../../../ranks/account-age.ts";
import { NICKNAME_PLACEHOLDERS } from "../../../ranks/nickname.ts";
import type { GuildBotStanding, GuildSnapshot } from "../../../services/discord-port.ts";
import type { SettingChanges } from "../../../services/setting-changes.ts";
import { MAX_NICKNAME_TEMPLATE_LENGTH } from "../../../services/setting-changes.ts";
import type { GroupLockMode, GuildSettings } from "../../../services/storage-port.ts";
import { groupLockOf } from "../../../sync/sync-context.ts";
import type { DashboardEnv, GuildPage } from "../guild-page.ts";
import { GuildLayout, type Viewer } from "../layout.tsx";
import { assignableRoles, RoleSelect } from "./role-select.tsx";
import { GROUP_LOCK_CHOICES, refusalText } from "./settings-words.ts";

export interface SettingsPageSources {
  settings: { get(guildId: string): Promise<GuildSettings | undefined> };
  /** The guild as the gateway keeps it (its roles). */
  guild(guildId: string): Promise<GuildSnapshot>;
  botStanding(guildId: string): Promise<GuildBotStanding>;
  /** The guild's text channels, for the log channel. */
  textChannels(guildId: string): Promise<{ id: string; name: string }[]>;
  changes: Pick<SettingChanges, "memberRole" | "nicknameTemplate" | "groupLock" | "minAccountAge" | "syncInterval" | "logChannel">;
  defaultSyncIntervalMs: number;
}

/** The forms, by the `/config` subcommand each stands for. */
const SETTINGS = ["verified-role", "unverified-role", "nickname", "group-lock", "min-account-age", "sync-interval", "log-channel"] as const;
type SettingName = (typeof SETTINGS)[number];
const isSettingName = (name: string): name is SettingName => (SETTINGS as readonly string[]).includes(name);

/** What one form says after a save: saved, or refused with the reason (and the value typed, kept). */
interface FormResult {
  setting: SettingName;
  refusal?: string;
  typed?: string;
}

interface SettingsView {
  guild: { id: string; name: string };
  settings: GuildSettings | undefined;
  roles: GuildRole[];
  channels: { id: string; name: string }[];
  groupLock: GroupLockMode;
  botMayKick: boolean;
  botMayManageNicknames: boolean;
  defaultSyncIntervalMs: number;
  result?: FormResult;
}

export function settingsPage(sources: SettingsPageSources): GuildPage {
  const view = async (guildId: string, result?: FormResult): Promise<SettingsView> => {
    const [guild, settings, standing, channels] = await Promise.all([
      sources.guild(guildId),
      sources.settings.get(guildId),
      sources.botStanding(guildId),
      sources.textChannels(guildId),
    ]);
    return {
      guild: { id: guild.id, name: guild.name },
      settings,
      roles: assignableRoles(guild),
      channels,
      groupLock: groupLockOf(settings),
      botMayKick: hasPermission(standing.botPermissions, DiscordPermission.KickMembers),
      botMayManageNicknames: hasPermission(standing.botPermissions, DiscordPermission.ManageNicknames),
      defaultSyncIntervalMs: sources.defaultSyncIntervalMs,
      result,
    };
  };

  return {
    css: SETTINGS_CSS,
    register(routes, kit) {
      routes.get("/dashboard/guilds/:guildId/settings", async (c) => {
        const saved = c.req.query("saved");
        const result = saved && isSettingName(saved) ? { setting: saved } : undefined;
        return kit.render(c, settingsView(kit.viewerOf(c.get("session")), await view(c.get("guild").id, result)));
      });
      routes.post("/dashboard/guilds/:guildId/settings/:setting", async (c) => {
        const setting = c.req.param("setting");
        if (!isSettingName(setting)) return c.notFound();
        const refusal = await save(c, setting, sources);
        if (refusal === null) return c.redirect(`/dashboard/guilds/${c.get("guild").id}/settings?saved=${setting}#${setting}`, 303);
        return kit.render(c, settingsView(kit.viewerOf(c.get("session")), await view(c.get("guild").id, { setting, ...refusal })), 422);
      });
    },
  };
}

/** Saves one setting through the service; null when saved, else what to tell the admin. */
async function save(c: Context<DashboardEnv>, setting: SettingName, sources: SettingsPageSources): Promise<{ refusal: string; typed: string } | null> {
  const admin = c.get("guild");
  const form = await c.req.parseBody();
  const field = (name: string) => (typeof form[name] === "string" ? (form[name] as string) : "");
  const { changes } = sources;
  const actorId = admin.actor.userId;
  const names = async () => {
    const guild = await sources.guild(admin.id);
    return (roleId: string) => guild.roles.get(roleId)?.name ?? roleId;
  };
  switch (setting) {
    case "verified-role":
    case "unverified-role": {
      const roleId = field("role") || null;
      const outcome = await changes.memberRole(
        { guildId: admin.id, actor: admin.actor, authority: admin.authority },
        setting === "verified-role" ? "verified" : "unverified",
        roleId,
      );
      return outcome.kind === "saved" ? null : { refusal: refusalText.memberRole(outcome, await names()), typed: roleId ?? "" };
    }
    case "nickname": {
      const outcome = await changes.nicknameTemplate(admin.id, actorId, field("template"));
      return outcome.kind === "saved" ? null : { refusal: refusalText.nickname(outcome), typed: field("template") };
    }
    case "group-lock": {
      const outcome = await changes.groupLock(admin.id, actorId, field("mode"));
      return outcome.kind === "saved" ? null : { refusal: refusalText.groupLock(outcome), typed: field("mode") };
    }
    case "min-account-age": {
      const text = field("days").trim();
      const outcome = await changes.minAccountAge(admin.id, actorId, /^\d{1,9}$/.test(text) ? Number(text) : undefined);
      return outcome.kind === "saved" ? null : { refusal: refusalText.accountAge(outcome), typed: text };
    }
    case "sync-interval": {
      const outcome = await changes.syncInterval(admin.id, actorId, field("duration"));
      return outcome.kind === "saved" ? null : { refusal: refusalText.syncInterval(outcome), typed: field("duration") };
    }
    case "log-channel": {
      const channelId = field("channel") || null;
      const outcome = await changes.logChannel(admin.id, actorId, channelId);
      if (outcome.kind === "saved") return null;
      const channels = await sources.textChannels(admin.id);
      return { refusal: refusalText.logChannel(outcome, (id) => channels.find((channel) => channel.id === id)?.name ?? id), typed: channelId ?? "" };
    }
  }
}

const Setting: FC<{ name: SettingName; title: string; guildId: string; csrf: string; result?: FormResult; children?: unknown }> = (props) => {
  const result = props.result?.setting === props.name ? props.result : undefined;
  return (
    <section id={props.name} aria-labelledby={`${props.name}-title`}>
      <h3 id={`${props.name}-title`}>
        {props.title} <span class="command">/config {props.name}</span>
      </h3>
      {result?.refusal && (
        <p role="alert" class="refusal">
          {result.refusal}
        </p>
      )}
      {result && !result.refusal && (
        <p role="status" class="saved">
          Saved.
        </p>
      )}
      <form method="post" action={`/dashboard/guilds/${props.guildId}/settings/${props.name}`}>
        <input type="hidden" name="csrf" value={props.csrf} />
        {props.children}
        <button type="submit">Save</button>
      </form>
    </section>
  );
};

export function settingsView(viewer: Viewer, view: SettingsView) {
  const { settings, result, guild } = view;
  const typed = (name: SettingName) => (result?.setting === name && result.refusal ? result.typed : undefined);
  const common = { guildId: guild.id, csrf: viewer.csrfToken, result };
  const interval = settings?.syncIntervalMs ?? null;
  return (
    <GuildLayout viewer={viewer} guild={guild} current="/settings" heading="Settings">
      <p>Each setting is saved on its own, exactly as the /config command in Discord would save it, and shows in /config show.</p>
      <Setting name="verified-role" title="Verified role" {...common}>
        <p class="hint">Linked members hold this role; it is taken when they unlink.</p>
        <RoleSelect id="verified-role-role" roles={view.roles} chosen={typed("verified-role") ?? settings?.verifiedRoleId} empty="None" />
      </Setting>
      <Setting name="unverified-role" title="Unverified role" {...common}>
        <p class="hint">Members who are not linked hold this role until they link.</p>
        <RoleSelect id="unverified-role-role" roles={view.roles} chosen={typed("unverified-role") ?? settings?.unverifiedRoleId} empty="None" />
      </Setting>
      <Setting name="nickname" title="Nickname" {...common}>
        <p class="hint" id="nickname-hint">
          Placeholders: {NICKNAME_PLACEHOLDERS.map((name) => `{${name}}`).join(", ")}. "off" leaves nicknames alone. Nicknames are cut to 32 characters.
        </p>
        {!view.botMayManageNicknames && settings?.nicknameTemplate && (
          <p class="warning">rankbridge doesn't have the Manage Nicknames permission yet, so no nickname is set until its role is given it.</p>
        )}
        <label for="nickname-template">template</label>
        <input
          id="nickname-template"
          name="template"
          type="text"
          maxlength={MAX_NICKNAME_TEMPLATE_LENGTH}
          aria-describedby="nickname-hint"
          value={typed("nickname") ?? settings?.nicknameTemplate ?? "off"}
        />
      </Setting>
      <Setting name="group-lock" title="Group lock" {...common}>
        <p class="hint">What happens to a linked member who is not in this server's Roblox group.</p>
        {view.groupLock === "kick" && !view.botMayKick && (
          <p class="warning">rankbridge doesn't have the Kick Members permission yet, so nobody is removed (their bound roles are taken instead).</p>
        )}
        <label for="group-lock-mode">mode</label>
        <select id="group-lock-mode" name="mode">
          {GROUP_LOCK_CHOICES.map((choice) => (
            <option value={choice.value} selected={(typed("group-lock") ?? view.groupLock) === choice.value}>
              {choice.text}
            </option>
          ))}
        </select>
      </Setting>
      <Setting name="min-account-age" title="Minimum Roblox account age" {...common}>
        <p class="hint" id="min-account-age-hint">
          Roblox accounts younger than this many days cannot link here; 0 turns it off (at most {MAX_ACCOUNT_AGE_DAYS}).
        </p>
        <label for="min-account-age-days">days</label>
        <input
          id="min-account-age-days"
          name="days"
          type="number"
          min={0}
          max={MAX_ACCOUNT_AGE_DAYS}
          step={1}
          aria-describedby="min-account-age-hint"
          value={typed("min-account-age") ?? String(settings?.minAccountAgeDays ?? 0)}
        />
      </Setting>
      <Setting name="sync-interval" title="Background sync interval" {...common}>
        <p class="hint" id="sync-interval-hint">
          Like 6h, 1d or 90m, from 15 minutes to 7 days; "default" uses the bot's default ({formatDuration(view.defaultSyncIntervalMs)}).
        </p>
        <label for="sync-interval-duration">duration</label>
        <input
          id="sync-interval-duration"
          name="duration"
          type="text"
          aria-describedby="sync-interval-hint"
          value={typed("sync-interval") ?? (interval === null ? "default" : formatDuration(interval))}
        />
      </Setting>
      <Setting name="log-channel" title="Log channel" {...common}>
        <p class="hint">Every audited action is also posted here. Saving posts a short notice there, to prove rankbridge can.</p>
        <label for="log-channel-channel">channel</label>
        <select id="log-channel-channel" name="channel">
          <option value="" selected={!(typed("log-channel") ?? settings?.logChannelId)}>
            None
          </option>
          {view.channels.map((channel) => (
            <option value={channel.id} selected={channel.id === (typed("log-channel") ?? settings?.logChannelId)}>
              #{channel.name}
            </option>
          ))}
        </select>
      </Setting>
    </GuildLayout>
  );
}

const SETTINGS_CSS = `
section{margin:1.5rem 0;padding-top:.5rem;border-top:1px solid #d8d8e0}
section h3{margin:.25rem 0 .5rem}
.command{font-family:ui-monospace,monospace;font-weight:400;font-size:.9rem;color:#4a4a55}
.hint{margin:.25rem 0 .5rem;color:#4a4a55}
.warning{border-left:4px solid #8a5a00;padding:.25rem .75rem;background:#fff6e0}
.refusal{border-left:4px solid #b3261e;padding:.25rem .75rem;background:#fdecea}
.saved{border-left:4px solid #1e6b34;padding:.25rem .75rem;background:#e9f6ec}
form label{display:block;font-weight:600;margin:.25rem 0}
form select,form input[type=text],form input[type=number]{font:inherit;padding:.35rem .5rem;border:1px solid #5c5c66;border-radius:.3rem;min-width:16rem;max-width:100%}
form button{margin-left:.5rem}
`;
