// In-memory model of the Discord side: users, guilds (roles, members, channels), DM channels and messages.
// Everything is keyed by Map so bulk work over 100k members stays O(n). Mutations report gateway events
// through `listener`; the gateway decides which sessions receive them.
import {
  ChannelType,
  GatewayDispatchEvents,
  GatewayIntentBits,
  PermissionFlagsBits,
  type APIChannel,
  type APIGuildMember,
  type APIMessage,
  type APIRole,
  type APIUser,
} from "discord-api-types/v10";
import { PastSnowflakeClock, SnowflakeGenerator, compareSnowflakes, snowflakeTimestamp } from "./snowflake.ts";

export interface UserRec {
  id: string;
  username: string;
  globalName: string | null;
  discriminator: string;
  bot: boolean;
  dmsDisabled: boolean;
}

export interface RoleRec {
  id: string;
  name: string;
  permissions: bigint;
  position: number;
  color: number;
  hoist: boolean;
  managed: boolean;
  mentionable: boolean;
  tags?: { bot_id?: string; integration_id?: string; premium_subscriber?: null };
}

export interface MemberRec {
  userId: string;
  /** Role ids without @everyone (as Discord reports them). */
  roles: string[];
  nick: string | null;
  joinedAt: string;
}

export interface ChannelRec {
  id: string;
  type: ChannelType;
  guildId?: string;
  name?: string;
  position: number;
  recipientId?: string;
  lastMessageId: string | null;
  messages: Map<string, APIMessage>;
}

export interface GuildRec {
  id: string;
  /** Discord-epoch ms of the id, cached for shard routing. */
  ts: number;
  name: string;
  ownerId: string;
  roles: Map<string, RoleRec>;
  members: Map<string, MemberRec>;
  channelIds: string[];
  systemChannelId: string;
  botRoleId: string;
  joinedAt: string;
  /** Member ids sorted numerically; rebuilt lazily after joins/leaves (REST paging uses it). */
  sortedMemberIds: string[] | null;
  /** Oldest first. */
  auditLog: AuditLogRec[];
}

/** One entry of a guild's audit log (docs: resources/audit-log); only what the bot's actions write. */
export interface AuditLogRec {
  id: string;
  actionType: number;
  /** Who acted. */
  userId: string;
  targetId: string;
  reason: string | null;
}

export interface StateEvent {
  /** Guild whose shard receives the event; null for DMs (shard 0). */
  guildId: string | null;
  t: GatewayDispatchEvents;
  d: unknown;
  /** Intent bit the session needs to receive it (0: always sent). */
  intent: number;
}

const P = PermissionFlagsBits;
export const DEFAULT_EVERYONE_PERMISSIONS =
  P.CreateInstantInvite | P.ChangeNickname | P.ViewChannel | P.SendMessages | P.SendMessagesInThreads |
  P.CreatePublicThreads | P.CreatePrivateThreads | P.EmbedLinks | P.AttachFiles | P.AddReactions |
  P.UseExternalEmojis | P.UseExternalStickers | P.ReadMessageHistory | P.UseApplicationCommands | P.Connect |
  P.Speak | P.Stream | P.UseVAD | P.UseEmbeddedActivities | P.RequestToSpeak | P.SendVoiceMessages |
  P.SendPolls | P.UseExternalApps;
export const DEFAULT_BOT_PERMISSIONS =
  P.ManageRoles | P.ViewChannel | P.SendMessages | P.EmbedLinks | P.ReadMessageHistory | P.UseExternalEmojis;

export class DiscordState {
  readonly ids = new SnowflakeGenerator(1, 0);
  private readonly userClock: PastSnowflakeClock;
  private readonly guildClock: PastSnowflakeClock;
  readonly users = new Map<string, UserRec>();
  readonly guilds = new Map<string, GuildRec>();
  readonly channels = new Map<string, ChannelRec>();
  readonly dmByUser = new Map<string, string>();
  readonly botUser: UserRec;
  /** The developer account that owns the application. */
  readonly appOwner: UserRec;
  listener?: (event: StateEvent) => void;
  private userCounter = 0;

  constructor(seed: number, botUsername = "rankbridge") {
    // Users from 2016 onward, a few seconds apart; guilds from 2017, hours apart (varied shard bits).
    this.userClock = new PastSnowflakeClock(this.ids, "2016-03-01T00:00:00Z", seed, 5_000);
    this.guildClock = new PastSnowflakeClock(this.ids, "2017-06-01T00:00:00Z", seed ^ 0x9e3779b9, 3_600_000);
    this.botUser = this.createUser({ username: botUsername, bot: true, discriminator: "4821" });
    this.appOwner = this.createUser({ username: `${botUsername}-dev` });
  }

  get applicationId(): string {
    // Applications created since 2019 share their id with the bot user.
    return this.botUser.id;
  }

  private emit(guildId: string | null, t: GatewayDispatchEvents, d: unknown, intent: number): void {
    this.listener?.({ guildId, t, d, intent });
  }

  // ---- users -------------------------------------------------------------------------------------

  createUser(input: { id?: string; username?: string; globalName?: string | null; bot?: boolean; discriminator?: string }): UserRec {
    const id = input.id ?? this.userClock.next();
    const existing = this.users.get(id);
    if (existing) return existing;
    const n = ++this.userCounter;
    const username = input.username ?? `user${n}`;
    const user: UserRec = {
      id,
      username,
      globalName: input.globalName !== undefined ? input.globalName : input.bot ? null : username,
      discriminator: input.discriminator ?? "0",
      bot: input.bot ?? false,
      dmsDisabled: false,
    };
    this.users.set(id, user);
    return user;
  }

  // ---- guilds ------------------------------------------------------------------------------------

  createGuild(input: { name: string; id?: string; ownerId?: string }): GuildRec {
    const id = input.id ?? this.guildClock.next();
    if (this.guilds.has(id)) throw new Error(`guild ${id} already exists`);
    const owner = input.ownerId ? this.users.get(input.ownerId) ?? this.createUser({ id: input.ownerId }) : this.createUser({});
    const now = new Date().toISOString();
    const guild: GuildRec = {
      id,
      ts: snowflakeTimestamp(id),
      name: input.name,
      ownerId: owner.id,
      roles: new Map(),
      members: new Map(),
      channelIds: [],
      systemChannelId: "",
      botRoleId: "",
      joinedAt: now,
      sortedMemberIds: null,
      auditLog: [],
    };
    // @everyone shares the guild id and sits at position 0.
    guild.roles.set(id, this.roleRec(id, "@everyone", 0, DEFAULT_EVERYONE_PERMISSIONS));
    const botRole = this.roleRec(this.ids.next(), this.botUser.username, 1, DEFAULT_BOT_PERMISSIONS);
    botRole.managed = true;
    botRole.tags = { bot_id: this.botUser.id };
    guild.roles.set(botRole.id, botRole);
    guild.botRoleId = botRole.id;
    const channel = this.createChannelRec({ type: ChannelType.GuildText, guildId: id, name: "general", position: 0 });
    guild.channelIds.push(channel.id);
    guild.systemChannelId = channel.id;
    guild.members.set(owner.id, { userId: owner.id, roles: [], nick: null, joinedAt: now });
    guild.members.set(this.botUser.id, { userId: this.botUser.id, roles: [botRole.id], nick: null, joinedAt: now });
    this.guilds.set(id, guild);
    this.emit(id, GatewayDispatchEvents.GuildCreate, null, GatewayIntentBits.Guilds);
    return guild;
  }

  private roleRec(id: string, name: string, position: number, permissions: bigint): RoleRec {
    return { id, name, permissions, position, color: 0, hoist: false, managed: false, mentionable: false };
  }

  /** Roles ordered bottom to top. */
  sortedRoles(guild: GuildRec): RoleRec[] {
    return [...guild.roles.values()].sort((a, b) => a.position - b.position || compareSnowflakes(b.id, a.id));
  }

  /**
   * New roles go to position 1 (just above @everyone) unless a position is given; roles at or above the
   * insertion point move up one, as in Discord, and each move is reported as GUILD_ROLE_UPDATE.
   */
  createRole(
    guild: GuildRec,
    input: { name?: string; position?: number; permissions?: bigint; color?: number; hoist?: boolean; mentionable?: boolean; managed?: boolean },
  ): RoleRec {
    const top = guild.roles.size; // positions are 0..size-1
    const position = Math.max(1, Math.min(input.position ?? 1, top));
    const moved: RoleRec[] = [];
    for (const r of guild.roles.values()) {
      if (r.position >= position && r.id !== guild.id) {
        r.position++;
        moved.push(r);
      }
    }
    const role = this.roleRec(this.ids.next(), input.name ?? "new role", position, input.permissions ?? 0n);
    role.color = input.color ?? 0;
    role.hoist = input.hoist ?? false;
    role.mentionable = input.mentionable ?? false;
    role.managed = input.managed ?? false;
    if (role.managed) role.tags = { integration_id: this.ids.next() };
    guild.roles.set(role.id, role);
    this.emit(guild.id, GatewayDispatchEvents.GuildRoleCreate, { guild_id: guild.id, role: roleJSON(role) }, GatewayIntentBits.Guilds);
    for (const r of moved) this.emitRoleUpdate(guild, r);
    return role;
  }

  emitRoleUpdate(guild: GuildRec, role: RoleRec): void {
    this.emit(guild.id, GatewayDispatchEvents.GuildRoleUpdate, { guild_id: guild.id, role: roleJSON(role) }, GatewayIntentBits.Guilds);
  }

  /** Moves a role to `position`, shifting the roles in between; returns every role that moved. */
  moveRole(guild: GuildRec, role: RoleRec, position: number): RoleRec[] {
    const ordered = this.sortedRoles(guild).filter((r) => r.id !== guild.id && r.id !== role.id);
    const target = Math.max(1, Math.min(position, ordered.length + 1));
    ordered.splice(target - 1, 0, role);
    const moved: RoleRec[] = [];
    ordered.forEach((r, i) => {
      if (r.position !== i + 1) {
        r.position = i + 1;
        moved.push(r);
      }
    });
    return moved;
  }

  deleteRole(guild: GuildRec, role: RoleRec): void {
    guild.roles.delete(role.id);
    for (const m of guild.members.values()) {
      const i = m.roles.indexOf(role.id);
      if (i >= 0) m.roles.splice(i, 1);
    }
    for (const r of guild.roles.values()) if (r.position > role.position) r.position--;
    this.emit(guild.id, GatewayDispatchEvents.GuildRoleDelete, { guild_id: guild.id, role_id: role.id }, GatewayIntentBits.Guilds);
  }

  // ---- members -----------------------------------------------------------------------------------

  addMember(guild: GuildRec, input: { id?: string; username?: string; roles?: string[]; nick?: string | null; bot?: boolean }, silent = false): MemberRec {
    const user = input.id ? this.users.get(input.id) ?? this.createUser({ id: input.id, username: input.username, bot: input.bot }) : this.createUser({ username: input.username, bot: input.bot });
    const existing = guild.members.get(user.id);
    if (existing) return existing;
    for (const r of input.roles ?? []) if (!guild.roles.has(r)) throw new Error(`unknown role ${r} in guild ${guild.id}`);
    const member: MemberRec = {
      userId: user.id,
      roles: (input.roles ?? []).filter((r) => r !== guild.id),
      nick: input.nick ?? null,
      joinedAt: new Date().toISOString(),
    };
    guild.members.set(user.id, member);
    guild.sortedMemberIds = null;
    if (!silent) this.emit(guild.id, GatewayDispatchEvents.GuildMemberAdd, { ...this.memberJSON(member), guild_id: guild.id }, GatewayIntentBits.GuildMembers);
    return member;
  }

  removeMember(guild: GuildRec, userId: string): boolean {
    const member = guild.members.get(userId);
    if (!member) return false;
    guild.members.delete(userId);
    guild.sortedMemberIds = null;
    this.emit(guild.id, GatewayDispatchEvents.GuildMemberRemove, { guild_id: guild.id, user: this.userJSON(this.user(userId)) }, GatewayIntentBits.GuildMembers);
    return true;
  }

  recordAuditLog(guild: GuildRec, entry: Omit<AuditLogRec, "id">): AuditLogRec {
    const rec = { id: this.ids.next(), ...entry };
    guild.auditLog.push(rec);
    return rec;
  }

  /** Replaces a member's roles; emits GUILD_MEMBER_UPDATE when something changed. */
  setMemberRoles(guild: GuildRec, member: MemberRec, roles: readonly string[]): boolean {
    const next = [...new Set(roles)].filter((r) => r !== guild.id);
    const changed = next.length !== member.roles.length || next.some((r) => !member.roles.includes(r));
    if (!changed) return false;
    member.roles = next;
    this.emitMemberUpdate(guild, member);
    return true;
  }

  emitMemberUpdate(guild: GuildRec, member: MemberRec): void {
    this.emit(guild.id, GatewayDispatchEvents.GuildMemberUpdate, { ...this.memberJSON(member), guild_id: guild.id }, GatewayIntentBits.GuildMembers);
  }

  sortedMemberIds(guild: GuildRec): string[] {
    guild.sortedMemberIds ??= [...guild.members.keys()].sort(compareSnowflakes);
    return guild.sortedMemberIds;
  }

  user(id: string): UserRec {
    const u = this.users.get(id);
    if (!u) throw new Error(`unknown user ${id}`);
    return u;
  }

  /** Guilds the user shares with the bot (bots may only DM such users). */
  sharesGuildWithBot(userId: string): boolean {
    for (const g of this.guilds.values()) if (g.members.has(userId)) return true;
    return false;
  }

  // ---- channels and messages ---------------------------------------------------------------------

  createChannelRec(input: { type: ChannelType; guildId?: string; name?: string; position?: number; recipientId?: string }): ChannelRec {
    const ch: ChannelRec = {
      id: this.ids.next(),
      type: input.type,
      guildId: input.guildId,
      name: input.name,
      position: input.position ?? 0,
      recipientId: input.recipientId,
      lastMessageId: null,
      messages: new Map(),
    };
    this.channels.set(ch.id, ch);
    return ch;
  }

  createGuildChannel(guild: GuildRec, name: string, type: ChannelType = ChannelType.GuildText): ChannelRec {
    const ch = this.createChannelRec({ type, guildId: guild.id, name, position: guild.channelIds.length });
    guild.channelIds.push(ch.id);
    this.emit(guild.id, GatewayDispatchEvents.ChannelCreate, this.channelJSON(ch), GatewayIntentBits.Guilds);
    return ch;
  }

  dmChannelFor(userId: string): ChannelRec {
    const existing = this.dmByUser.get(userId);
    if (existing) return this.channels.get(existing)!;
    const ch = this.createChannelRec({ type: ChannelType.DM, recipientId: userId });
    this.dmByUser.set(userId, ch.id);
    return ch;
  }

  /** Stores a message and reports MESSAGE_CREATE (ephemeral messages are not broadcast). */
  storeMessage(channel: ChannelRec, message: APIMessage): void {
    channel.messages.set(message.id, message);
    channel.lastMessageId = message.id;
    if ((message.flags ?? 0) & 64) return;
    const guildId = channel.guildId ?? null;
    this.emit(
      guildId,
      GatewayDispatchEvents.MessageCreate,
      guildId ? { ...message, guild_id: guildId } : message,
      guildId ? GatewayIntentBits.GuildMessages : GatewayIntentBits.DirectMessages,
    );
  }

  newMessage(channelId: string, fields: Partial<APIMessage> & { content?: string }): APIMessage {
    return {
      id: this.ids.next(),
      type: 0,
      channel_id: channelId,
      author: this.userJSON(this.botUser),
      content: "",
      timestamp: new Date().toISOString(),
      edited_timestamp: null,
      tts: false,
      mention_everyone: false,
      mentions: [],
      mention_roles: [],
      attachments: [],
      embeds: [],
      components: [],
      pinned: false,
      flags: 0,
      ...fields,
    } as APIMessage;
  }

  // ---- JSON shapes (as the REST API and gateway send them) ---------------------------------------

  userJSON(u: UserRec): APIUser {
    return {
      id: u.id,
      username: u.username,
      avatar: null,
      discriminator: u.discriminator,
      public_flags: 0,
      flags: 0,
      ...(u.bot ? { bot: true } : {}),
      banner: null,
      accent_color: null,
      global_name: u.globalName,
      avatar_decoration_data: null,
      collectibles: null,
      primary_guild: null,
    } as unknown as APIUser;
  }

  memberJSON(m: MemberRec, withUser = true): APIGuildMember {
    const json: Record<string, unknown> = {
      avatar: null,
      banner: null,
      communication_disabled_until: null,
      flags: 0,
      joined_at: m.joinedAt,
      nick: m.nick,
      pending: false,
      premium_since: null,
      roles: [...m.roles],
      mute: false,
      deaf: false,
    };
    if (withUser) json.user = this.userJSON(this.user(m.userId));
    return json as unknown as APIGuildMember;
  }

  channelJSON(c: ChannelRec): APIChannel {
    if (c.type === ChannelType.DM) {
      return {
        id: c.id,
        type: ChannelType.DM,
        last_message_id: c.lastMessageId,
        flags: 0,
        recipients: [this.userJSON(this.user(c.recipientId!))],
      } as unknown as APIChannel;
    }
    return {
      id: c.id,
      type: c.type,
      guild_id: c.guildId,
      name: c.name,
      position: c.position,
      flags: 0,
      parent_id: null,
      permission_overwrites: [],
      nsfw: false,
      topic: null,
      last_message_id: c.lastMessageId,
      rate_limit_per_user: 0,
    } as unknown as APIChannel;
  }

  /** GET /guilds/{id} shape (GuildWithCountsResponse). */
  guildJSON(g: GuildRec, withCounts: boolean): Record<string, unknown> {
    return {
      id: g.id,
      name: g.name,
      icon: null,
      description: null,
      home_header: null,
      splash: null,
      discovery_splash: null,
      features: [],
      banner: null,
      owner_id: g.ownerId,
      application_id: null,
      region: "deprecated",
      afk_channel_id: null,
      afk_timeout: 300,
      system_channel_id: g.systemChannelId,
      system_channel_flags: 0,
      widget_enabled: false,
      widget_channel_id: null,
      verification_level: 0,
      roles: this.sortedRoles(g).map(roleJSON),
      default_message_notifications: 0,
      mfa_level: 0,
      explicit_content_filter: 0,
      max_presences: null,
      max_members: 500_000,
      max_stage_video_channel_users: 50,
      max_video_channel_users: 25,
      vanity_url_code: null,
      premium_tier: 0,
      premium_subscription_count: 0,
      preferred_locale: "en-US",
      rules_channel_id: null,
      safety_alerts_channel_id: null,
      public_updates_channel_id: null,
      premium_progress_bar_enabled: false,
      nsfw: false,
      nsfw_level: 0,
      emojis: [],
      stickers: [],
      incidents_data: null,
      ...(withCounts ? { approximate_member_count: g.members.size, approximate_presence_count: 0 } : {}),
    };
  }
}

export function roleJSON(r: RoleRec): APIRole {
  return {
    id: r.id,
    name: r.name,
    permissions: r.permissions.toString(),
    position: r.position,
    color: r.color,
    colors: { primary_color: r.color, secondary_color: null, tertiary_color: null },
    hoist: r.hoist,
    managed: r.managed,
    mentionable: r.mentionable,
    icon: null,
    unicode_emoji: null,
    flags: 0,
    ...(r.tags ? { tags: { ...r.tags } } : {}),
  } as unknown as APIRole;
}
