import type { API } from "@discordjs/core";
import { DiscordAPIError } from "@discordjs/rest";
import { RESTJSONErrorCodes, type APIGuildMember, type APIRole } from "discord-api-types/v10";
import { permissionsFromRoles, type GuildRole } from "../ranks/hierarchy.ts";
import type { MemberWrite, MemberWriteFailure, MemberWriteResult, RoleEditReason } from "../services/member-role-editor.ts";
import type { GuildBotStanding, GuildMemberSearch, GuildMemberView, GuildSnapshot, SyncGuilds } from "../services/discord-port.ts";
import type { RankChangeDm } from "../ranks/promotion.ts";
import { renderRankChangeDm } from "./views/rank-change-dm.ts";
import { roleEditAuditReason } from "./views/role-edit-reasons.ts";
import type { GroupLockDm } from "../services/group-lock.ts";
import { renderGroupLockDm } from "./views/group-lock.ts";
import {
  asMember,
  asRole,
  DiscordMalformedAnswerError,
  discordChannelRef,
  discordEditedMember,
  discordGuild,
  discordGuildIds,
  discordRoles,
  discordUser,
  parseDiscord,
} from "./schemas.ts";

/** Discord's largest page of `GET /users/@me/guilds`. */
const GUILDS_PAGE = 200;

/** What the features need of a guild: its owner and roles, kept current from gateway events. */
export type { GuildMemberView, GuildSnapshot } from "../services/discord-port.ts";

export function toGuildRole(role: APIRole): GuildRole {
  return { id: role.id, name: role.name, position: role.position, managed: role.managed, permissions: BigInt(role.permissions) };
}

/** A member as the features see it. */

export function toMemberView(member: APIGuildMember): GuildMemberView {
  const user = member.user;
  return {
    userId: user.id,
    username: user.username,
    displayName: member.nick ?? user.global_name ?? user.username,
    nick: member.nick ?? null,
    accountName: user.global_name ?? user.username,
    roleIds: member.roles,
  };
}

/** Told about our own member role edits, e.g. to keep cached member roles current before the gateway echoes them. */
export interface MemberRoleEditObserver {
  /**
   * Called as the edit is sent; the returned function gets the member's roles after it (undefined
   * when it failed) and, when the edit set one, their nickname.
   */
  beginEdit(guildId: string, userId: string): (roleIds: readonly string[] | undefined, nick?: string | null) => void;
}

/**
 * The Discord side of a guild, through one REST instance. Guild snapshots come from GUILD_CREATE
 * and role events (no request), with a REST read when a guild is not cached yet.
 */
/** How long a guild read by REST, and kept current by no gateway event, is used before it is read again. */
export const REST_SNAPSHOT_MAX_AGE_MS = 60_000;

export class DiscordGuilds implements SyncGuilds, GuildMemberSearch {
  readonly #snapshots = new Map<string, GuildSnapshot>();
  /** The bot's own roles per guild, from GUILD_CREATE and its member updates: no request per role check. */
  readonly #botRoles = new Map<string, string[]>();
  #botUserId: string | undefined;

  /**
   * Guilds whose snapshot was read by REST and that no gateway event has touched since, with when:
   * a guild of another process's shard (the dashboard may serve any guild) gets no events here, so
   * its roles and their permissions are read again once they are older than REST_SNAPSHOT_MAX_AGE_MS.
   */
  readonly #readByRest = new Map<string, number>();

  constructor(
    private readonly api: API,
    private readonly roleEdits?: MemberRoleEditObserver,
    private readonly now: () => number = Date.now,
  ) {}

  set botUserId(id: string) {
    this.#botUserId = id;
  }

  get botUserId(): string | undefined {
    return this.#botUserId;
  }

  /**
   * Fed by the gateway: GUILD_CREATE (whose `members` always include the bot's own) / GUILD_UPDATE.
   * A malformed guild is not kept (the next use reads it by REST, which reports the fault typed)
   * rather than kept with roles missing.
   */
  remember(guild: { id: string; name: string; owner_id: string; roles: APIRole[]; members?: APIGuildMember[] }, source = "gateway GUILD_CREATE"): void {
    const parsed = this.#parsedOrForget(guild.id, () => parseDiscord(source, discordGuild, guild));
    if (!parsed) return;
    const own = this.#botUserId ? guild.members?.find((member) => member.user?.id === this.#botUserId) : undefined;
    const ownRoles = own ? this.#parsedOrForget(guild.id, () => asMember(`${source} (the bot's member)`, own).roles) : undefined;
    if (ownRoles) this.#botRoles.set(guild.id, ownRoles);
    if (source.startsWith("GET ")) this.#readByRest.set(parsed.id, this.now());
    else this.#readByRest.delete(parsed.id);
    this.#snapshots.set(parsed.id, {
      id: parsed.id,
      name: parsed.name,
      ownerId: parsed.owner_id,
      roles: new Map(parsed.roles.map((role) => [role.id, toGuildRole(role as unknown as APIRole)])),
    });
  }

  rememberRole(guildId: string, role: APIRole, source = "gateway GUILD_ROLE_UPDATE"): void {
    const parsed = this.#parsedOrForget(guildId, () => asRole(source, role));
    if (parsed) this.#snapshots.get(guildId)?.roles.set(parsed.id, toGuildRole(parsed));
    this.#readByRest.delete(guildId);
  }

  forgetRole(guildId: string, roleId: string): void {
    this.#snapshots.get(guildId)?.roles.delete(roleId);
    this.#readByRest.delete(guildId);
  }

  /** Reads the guild's roles again by REST (after Discord refused an edit the cached roles allowed). */
  async refreshRoles(guildId: string): Promise<void> {
    const endpoint = `GET /guilds/${guildId}/roles`;
    const roles = parseDiscord(endpoint, discordRoles, await this.api.guilds.getRoles(guildId));
    const snapshot = await this.guild(guildId);
    snapshot.roles.clear();
    for (const role of roles) snapshot.roles.set(role.id, toGuildRole(role as unknown as APIRole));
  }

  #parsedOrForget<T>(guildId: string, parse: () => T): T | undefined {
    try {
      return parse();
    } catch (error) {
      if (!(error instanceof DiscordMalformedAnswerError)) throw error;
      this.#snapshots.delete(guildId);
      return undefined;
    }
  }

  forget(guildId: string): void {
    this.#snapshots.delete(guildId);
    this.#readByRest.delete(guildId);
    this.#botRoles.delete(guildId);
  }

  /** GUILD_MEMBER_UPDATE: keeps the bot's own roles current (other members are not kept here). */
  observeMemberUpdate(guildId: string, userId: string, roleIds: string[]): void {
    if (userId === this.#botUserId) this.#botRoles.set(guildId, roleIds);
  }

  /**
   * The bot's own id and every guild it is in, by REST (`GET /users/@me`, `GET /users/@me/guilds`,
   * 200 a page): what READY and GUILD_CREATE tell a process that began its session, for one that
   * RESUMEd a session another process began.
   */
  async listGuildIds(): Promise<string[]> {
    this.#botUserId ??= parseDiscord("GET /users/@me", discordUser, await this.api.users.getCurrent()).id;
    const ids: string[] = [];
    for (let after: string | undefined; ; ) {
      const page = parseDiscord("GET /users/@me/guilds", discordGuildIds, await this.api.users.getGuilds({ limit: GUILDS_PAGE, ...(after && { after }) }));
      ids.push(...page.map((guild) => guild.id));
      if (page.length < GUILDS_PAGE) return ids;
      after = page.at(-1)!.id;
    }
  }

  /** The guild as the gateway keeps it, or as REST read it less than a minute ago, without any request; undefined otherwise. */
  cached(guildId: string): GuildSnapshot | undefined {
    const readAt = this.#readByRest.get(guildId);
    return readAt === undefined || this.now() - readAt < REST_SNAPSHOT_MAX_AGE_MS ? this.#snapshots.get(guildId) : undefined;
  }

  async guild(guildId: string): Promise<GuildSnapshot> {
    const cached = this.cached(guildId);
    if (cached) return cached;
    const endpoint = `GET /guilds/${guildId}`;
    const guild = parseDiscord(endpoint, discordGuild, await this.api.guilds.get(guildId));
    this.remember(guild as unknown as { id: string; name: string; owner_id: string; roles: APIRole[] }, endpoint);
    return this.#snapshots.get(guildId)!;
  }

  /** The member, or null when they are not in the guild (10007 Unknown member). */
  async member(guildId: string, userId: string): Promise<GuildMemberView | null> {
    try {
      return toMemberView(asMember(`GET /guilds/${guildId}/members/${userId}`, await this.api.guilds.getMember(guildId, userId)));
    } catch (error) {
      if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownMember) return null;
      throw error;
    }
  }

  /** GET /guilds/{guild}/members/search: this guild's members whose names start with `query` (at most `limit`, 1..1000). */
  async searchMembers(guildId: string, query: string, limit: number): Promise<GuildMemberView[]> {
    const endpoint = `GET /guilds/${guildId}/members/search`;
    const found = await this.api.guilds.searchForMembers(guildId, { query, limit: Math.min(Math.max(limit, 1), 1000) });
    return found.map((member) => toMemberView(asMember(endpoint, member)));
  }

  /** The bot's own roles and resulting permissions in the guild, for the hierarchy pre-check. */
  async botStanding(guildId: string): Promise<GuildBotStanding> {
    const guild = await this.guild(guildId);
    const botUserId = this.#botUserId ?? parseDiscord("GET /users/@me", discordUser, await this.api.users.getCurrent()).id;
    this.#botUserId = botUserId;
    const botRoleIds = this.#botRoles.get(guildId) ?? (await this.member(guildId, botUserId))?.roleIds ?? [];
    return {
      guild,
      ownerId: guild.ownerId,
      botRoleIds,
      guildRoles: [...guild.roles.values()],
      botPermissions: permissionsFromRoles(botRoleIds, guild.roles.values(), guildId),
    };
  }

  /** Replaces the member's role set in one request. */
  async setMemberRoles(guildId: string, userId: string, roleIds: string[], reason?: string): Promise<void> {
    await this.#editMember(guildId, userId, { roles: roleIds }, reason);
  }

  /** One PATCH with the member's full role set and/or nickname (null resets it). */
  async #editMember(guildId: string, userId: string, change: MemberWrite, reason?: string): Promise<void> {
    const settle = this.roleEdits?.beginEdit(guildId, userId);
    let after: readonly string[] | undefined;
    let nickAfter: string | null | undefined;
    try {
      const body = { ...(change.roles && { roles: change.roles }), ...(change.nick !== undefined && { nick: change.nick }) };
      const member = await this.api.guilds.editMember(guildId, userId, body, { reason });
      // Discord answers with the member as the edit left them.
      const edited = member ? parseDiscord(`PATCH /guilds/${guildId}/members/${userId}`, discordEditedMember, member) : undefined;
      after = edited ? edited.roles : change.roles;
      if (change.nick !== undefined) nickAfter = edited ? (edited.nick ?? null) : change.nick;
    } finally {
      settle?.(after, nickAfter);
    }
  }

  /** The member editor's port: the same request, with Discord's refusal classified instead of thrown. */
  async writeMember(guildId: string, userId: string, change: MemberWrite, reason: RoleEditReason): Promise<MemberWriteResult> {
    try {
      await this.#editMember(guildId, userId, change, roleEditAuditReason(reason));
      return { ok: true };
    } catch (error) {
      return { ok: false, ...classifyMemberWriteFailure(error) };
    }
  }

  /** The group lock's kick: DELETE /guilds/{guild}/members/{user}, Discord's refusal classified instead of thrown. */
  async kickMember(guildId: string, userId: string, reason: string): Promise<MemberWriteResult> {
    try {
      await this.api.guilds.removeMember(guildId, userId, { reason });
      return { ok: true };
    } catch (error) {
      return { ok: false, ...classifyMemberWriteFailure(error) };
    }
  }

  /** The group lock's DM before a kick, worded by its view. */
  sendGroupLockDm(userId: string, dm: GroupLockDm): Promise<boolean> {
    return this.sendDirectMessage(userId, renderGroupLockDm(dm));
  }

  /** The rank-change service's DM, worded by its view. */
  sendRankChangeDm(userId: string, dm: RankChangeDm, context: { guildName: string }): Promise<boolean> {
    return this.sendDirectMessage(userId, renderRankChangeDm(dm, context));
  }

  /**
   * Sends a direct message; returns false when the member does not accept DMs from the server
   * (50007), which is the member's choice, not a failure of the bot.
   */
  async sendDirectMessage(userId: string, content: string): Promise<boolean> {
    try {
      const channel = parseDiscord("POST /users/@me/channels", discordChannelRef, await this.api.users.createDM(userId));
      await this.api.channels.createMessage(channel.id, { content });
      return true;
    } catch (error) {
      if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.CannotSendMessagesToThisUser) return false;
      throw error;
    }
  }
}

function classifyMemberWriteFailure(error: unknown): MemberWriteFailure {
  if (error instanceof DiscordAPIError) {
    const message = `${error.message} (${error.code})`;
    if (error.code === RESTJSONErrorCodes.UnknownMember || error.code === RESTJSONErrorCodes.UnknownUser) return { kind: "left-guild", message, error };
    return { kind: error.status === 403 ? "forbidden" : "failed", message, error };
  }
  return { kind: "failed", message: error instanceof Error ? error.message : String(error), error };
}
