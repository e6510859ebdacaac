/**
 * The settings an admin changes one at a time (design §3.1, plus the sync interval and the log
 * channel), validated and audited here, so `/config` and the web dashboard's settings page refuse
 * the same input for the same reasons and leave the same audit entry (one rule, two surfaces).
 * Outcomes are typed; each surface words them.
 */
import { isValidMinAccountAge } from "../ranks/account-age.ts";
import { DiscordPermission, hasPermission } from "../ranks/hierarchy.ts";
import { NICKNAME_OFF, unknownPlaceholders } from "../ranks/nickname.ts";
import { DurationOutOfRangeError, InvalidDurationError, parseDuration } from "../lib/duration.ts";
import type { BindActor, BindRoleRefusal, BindService } from "./binds.ts";
import type { GuildDirectory } from "./discord-port.ts";
import type { GuildSettingsService } from "./guild-settings.ts";
import type { GroupLockMode, Repositories } from "./storage-port.ts";

/** Shorter periods would spend the rate limits on little but re-checking unchanged members. */
export const MIN_SYNC_INTERVAL_MS = 15 * 60_000;
export const MAX_SYNC_INTERVAL_MS = 7 * 86_400_000;
/** Room for a few placeholders and text; the nickname is cut to 32 characters anyway. */
export const MAX_NICKNAME_TEMPLATE_LENGTH = 100;
/** Every mode, as a record so that a mode added to the schema fails the type-check here until it is known. */
const GROUP_LOCK_MODES: Record<GroupLockMode, true> = { off: true, "remove-roles": true, kick: true };
/** Words that put the sync interval back to the bot's default. */
const DEFAULT_INTERVAL_WORDS = new Set(["default", "reset", "none", "off"]);

export type MemberRoleSetting = "verified" | "unverified";

export type MemberRoleOutcome =
  | { readonly kind: "saved"; readonly roleId: string | null }
  /** One role for both would be given and taken on every sync. */
  | { readonly kind: "same-as-other"; readonly roleId: string }
  | { readonly kind: "role-refused"; readonly roleId: string; readonly refusal: BindRoleRefusal };

export type NicknameOutcome =
  | { readonly kind: "saved"; readonly template: string | null; readonly botMayManageNicknames: boolean }
  | { readonly kind: "empty" }
  | { readonly kind: "unknown-placeholders"; readonly unknown: readonly string[] };

export type GroupLockOutcome = { readonly kind: "saved"; readonly mode: GroupLockMode; readonly botMayKick: boolean } | { readonly kind: "invalid" };

export type AccountAgeOutcome = { readonly kind: "saved"; readonly days: number } | { readonly kind: "invalid" };

export type SyncIntervalOutcome =
  /** `intervalMs` null: the bot's default again. */
  | { readonly kind: "saved"; readonly intervalMs: number | null }
  | { readonly kind: "invalid"; readonly error: InvalidDurationError | DurationOutOfRangeError };

export type LogChannelOutcome =
  | { readonly kind: "saved"; readonly channelId: string | null }
  | { readonly kind: "not-a-channel-here"; readonly channelId: string }
  | { readonly kind: "cannot-post"; readonly channelId: string };

/** How a candidate log channel stands: in this guild and postable by the bot (proved by posting, the only reliable test). */
export type LogChannelCheck = "ok" | "not-here" | "cannot-post";

export interface LogChannelProbe {
  /** Posts a short notice that rankbridge will log there, from `actorId`'s change. */
  check(guildId: string, channelId: string, actorId: string): Promise<LogChannelCheck>;
}

export interface SettingChangesPorts {
  guilds: Pick<Repositories["guilds"], "get">;
  settings: Pick<GuildSettingsService, "change">;
  binds: Pick<BindService, "roleRefusal">;
  discord: Pick<GuildDirectory, "botStanding">;
  logChannels: LogChannelProbe;
}

export class SettingChanges {
  constructor(private readonly ports: SettingChangesPorts) {}

  /** `/config verified-role` / `unverified-role`: a new role passes every bind's checks; null unsets it. */
  async memberRole(request: BindActor, which: MemberRoleSetting, roleId: string | null): Promise<MemberRoleOutcome> {
    const { guildId, actor } = request;
    const key = which === "verified" ? "verifiedRoleId" : "unverifiedRoleId";
    const otherKey = which === "verified" ? "unverifiedRoleId" : "verifiedRoleId";
    if (roleId) {
      if ((await this.ports.guilds.get(guildId))?.[otherKey] === roleId) return { kind: "same-as-other", roleId };
      const refusal = await this.ports.binds.roleRefusal(request, roleId);
      if (refusal) return { kind: "role-refused", roleId, refusal };
    }
    await this.ports.settings.change(guildId, actor.userId, key, roleId, { kind: "setting-changed", setting: key, value: roleId });
    return { kind: "saved", roleId };
  }

  /** `/config nickname`: "off" turns it off; a placeholder rankbridge doesn't know is refused, since every member would show it as typed. */
  async nicknameTemplate(guildId: string, actorId: string, input: string): Promise<NicknameOutcome> {
    const trimmed = input.trim();
    if (trimmed === "") return { kind: "empty" };
    const template = trimmed.toLowerCase() === NICKNAME_OFF ? null : trimmed.slice(0, MAX_NICKNAME_TEMPLATE_LENGTH);
    if (template) {
      const unknown = unknownPlaceholders(template);
      if (unknown.length > 0) return { kind: "unknown-placeholders", unknown };
    }
    await this.ports.settings.change(guildId, actorId, "nicknameTemplate", template, { kind: "setting-changed", setting: "nicknameTemplate", value: template });
    const botMayManageNicknames = template ? hasPermission((await this.ports.discord.botStanding(guildId)).botPermissions, DiscordPermission.ManageNicknames) : true;
    return { kind: "saved", template, botMayManageNicknames };
  }

  /** `/config group-lock`: what happens to a linked member who is not in the guild's group. */
  async groupLock(guildId: string, actorId: string, mode: string | undefined): Promise<GroupLockOutcome> {
    if (mode === undefined || !Object.hasOwn(GROUP_LOCK_MODES, mode)) return { kind: "invalid" };
    const lockMode = mode as GroupLockMode;
    await this.ports.settings.change(guildId, actorId, "groupLockMode", lockMode, { kind: "setting-changed", setting: "groupLockMode", value: lockMode });
    const botMayKick = lockMode === "kick" ? hasPermission((await this.ports.discord.botStanding(guildId)).botPermissions, DiscordPermission.KickMembers) : true;
    return { kind: "saved", mode: lockMode, botMayKick };
  }

  /** `/config min-account-age`: 0 turns the gate off. */
  async minAccountAge(guildId: string, actorId: string, days: number | undefined): Promise<AccountAgeOutcome> {
    if (days === undefined || !isValidMinAccountAge(days)) return { kind: "invalid" };
    await this.ports.settings.change(guildId, actorId, "minAccountAgeDays", days, { kind: "setting-changed", setting: "minAccountAgeDays", value: days }, 0);
    return { kind: "saved", days };
  }

  /** `/config sync-interval`: a duration between 15 minutes and 7 days, or "default". */
  async syncInterval(guildId: string, actorId: string, input: string): Promise<SyncIntervalOutcome> {
    const trimmed = input.trim();
    let intervalMs: number | null = null;
    if (!DEFAULT_INTERVAL_WORDS.has(trimmed.toLowerCase())) {
      try {
        intervalMs = parseDuration(trimmed, { min: MIN_SYNC_INTERVAL_MS, max: MAX_SYNC_INTERVAL_MS });
      } catch (error) {
        if (error instanceof InvalidDurationError || error instanceof DurationOutOfRangeError) return { kind: "invalid", error };
        throw error;
      }
    }
    await this.ports.settings.change(guildId, actorId, "syncIntervalMs", intervalMs, { kind: "setting-changed", setting: "syncIntervalMs", value: intervalMs });
    return { kind: "saved", intervalMs };
  }

  /** `/config log-channel`: a text channel of this guild the bot can post in; null: no channel. */
  async logChannel(guildId: string, actorId: string, channelId: string | null): Promise<LogChannelOutcome> {
    if (channelId) {
      const check = await this.ports.logChannels.check(guildId, channelId, actorId);
      if (check === "not-here") return { kind: "not-a-channel-here", channelId };
      if (check === "cannot-post") return { kind: "cannot-post", channelId };
    }
    await this.ports.settings.change(guildId, actorId, "logChannelId", channelId, { kind: "setting-changed", setting: "logChannelId", value: channelId });
    return { kind: "saved", channelId };
  }
}
