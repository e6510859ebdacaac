/**
 * The Discord guild side the application layer needs, declared here and implemented by the Discord
 * adapter (src/discord/guilds.ts). Services and the sync ask for the narrowest part they use.
 */
import type { BotStanding, GuildRole } from "../ranks/hierarchy.ts";
import type { MemberRolesWriter } from "./member-role-editor.ts";

/** A guild as rankbridge keeps it: its owner and roles. */
export interface GuildSnapshot {
  id: string;
  name: string;
  ownerId: string;
  roles: Map<string, GuildRole>;
}

/** One member as the services see them. */
export interface GuildMemberView {
  userId: string;
  username: string;
  displayName: string;
  /** The server nickname, null when none is set. */
  nick: string | null;
  /** Their Discord name without the server nickname (global name, else username): `{discord-name}`. */
  accountName: string;
  roleIds: string[];
}

/** The bot's standing with the guild it belongs to (what the hierarchy pre-check reads). */
export interface GuildBotStanding extends BotStanding {
  readonly guild: GuildSnapshot;
  readonly botRoleIds: string[];
  readonly guildRoles: GuildRole[];
}

/** Reads of a guild, its members and the bot's standing. */
export interface GuildDirectory {
  guild(guildId: string): Promise<GuildSnapshot>;
  /** Null when the user is not in the guild. */
  member(guildId: string, userId: string): Promise<GuildMemberView | null>;
  botStanding(guildId: string): Promise<GuildBotStanding>;
}

/** Discord's member search in one guild: username, global name or server nickname starting with `query`. */
export interface GuildMemberSearch {
  searchMembers(guildId: string, query: string, limit: number): Promise<GuildMemberView[]>;
}

/** What a whole-server sync and a join need: the reads, the one member edit, and the live role view. */
export interface SyncGuilds extends GuildDirectory, MemberRolesWriter {
  readonly botUserId: string | undefined;
  /** The guild as last seen, without a request. */
  cached(guildId: string): GuildSnapshot | undefined;
  /** Reads the guild's roles again (a 403 said the cached ones are stale). */
  refreshRoles(guildId: string): Promise<void>;
  /** A member's roles as Discord now says they are. */
  observeMemberUpdate(guildId: string, userId: string, roleIds: string[]): void;
}
