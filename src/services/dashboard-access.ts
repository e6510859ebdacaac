/**
 * Who may manage a guild from the web dashboard (design §9): the same admin rule as the slash
 * commands (admin-gate.ts: Manage Roles, the configured admin role, the owner, Administrator), one
 * rule on two surfaces. It is decided by the bot, from the member's CURRENT roles in that guild and
 * the guild's current role permissions, on every request; never from the OAuth guild list, which is
 * only what the person's browser was told at sign-in.
 *
 * The member's roles are read by REST (one GET member) and kept at most `memberTtlMs` (60 s, the
 * contract's ceiling); a gateway member event replaces them at once, so rights taken away in Discord
 * usually stop working on the next request, and within 60 s even when the event is lost.
 */
import { permissionsFromRoles } from "../ranks/hierarchy.ts";
import type { Actor } from "../ranks/authority.ts";
import { type AdminAuthority, NotRankAdminError, requireRankAdmin, type AdminGateSources } from "./admin-gate.ts";
import type { GuildMemberView, GuildSnapshot } from "./discord-port.ts";

/** The contract's ceiling on how old the roles behind a decision may be. */
export const MAX_MEMBER_AGE_MS = 60_000;

export interface DashboardAccessSources {
  settings: AdminGateSources["settings"];
  guilds: {
    /** The guild as the gateway keeps it, with no request. */
    cached(guildId: string): GuildSnapshot | undefined;
    /** The guild, by REST when it is not cached; rejects when the bot is not in it. */
    guild(guildId: string): Promise<GuildSnapshot>;
    /** The member, or null when they are not in the guild. */
    member(guildId: string, userId: string): Promise<GuildMemberView | null>;
    /**
     * Every guild the bot is in, by REST: in a cluster this process keeps only its own shards'
     * guilds, and the dashboard may serve any of them.
     */
    listGuildIds?(): Promise<string[]>;
  };
}

export interface DashboardAccessOptions {
  now?: () => number;
  /** How long a member's roles are reused; at most MAX_MEMBER_AGE_MS. */
  memberTtlMs?: number;
}

/** A guild the person may manage: what the pages may show of it. */
export interface ManagedGuild {
  id: string;
  name: string;
}

/**
 * A guild the person may manage, with who they are in it: the same actor and authority a slash
 * command's admin check yields, so a change made on the web passes the same hierarchy checks.
 */
export interface ManagingAdmin extends ManagedGuild {
  actor: Actor;
  authority: AdminAuthority;
}

interface HeldRoles {
  /** null: not a member of the guild. */
  roleIds: readonly string[] | null;
  at: number;
}

const SNOWFLAKE = /^\d{17,20}$/;
const MAX_MEMBERS_HELD = 10_000;

export class DashboardAccess {
  readonly #members = new Map<string, HeldRoles>();
  /** The bot's guilds as Discord listed them, and when: read at most once a minute. */
  #botGuilds: { ids: ReadonlySet<string>; at: number } | undefined;
  /** Guilds the bot could not read (not in them): not asked again for a while, each ask is an invalid request. */
  readonly #unknownGuilds = new Map<string, number>();
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(
    private readonly sources: DashboardAccessSources,
    options: DashboardAccessOptions = {},
  ) {
    this.#now = options.now ?? Date.now;
    this.#ttlMs = Math.min(options.memberTtlMs ?? MAX_MEMBER_AGE_MS, MAX_MEMBER_AGE_MS);
  }

  /**
   * The guild when `userId` may manage it now, else null: not an admin, not a member, a guild the
   * bot is not in, or not a guild id at all. The caller answers all of them alike.
   */
  async mayManage(guildId: string, userId: string): Promise<ManagingAdmin | null> {
    if (!SNOWFLAKE.test(guildId)) return null;
    const guild = await this.#guild(guildId);
    if (!guild) return null;
    const roleIds = await this.#roleIds(guildId, userId);
    if (roleIds === null) return null;
    const actor: Actor = { userId, roleIds, permissions: permissionsFromRoles(roleIds, guild.roles.values(), guildId) };
    try {
      const authority = await requireRankAdmin({ settings: this.sources.settings, guilds: { guild: async () => guild } }, guildId, actor);
      return { id: guild.id, name: guild.name, actor, authority };
    } catch (error) {
      if (error instanceof NotRankAdminError) return null;
      throw error;
    }
  }

  /** Of `guildIds` (the person's guilds as Discord listed them), those the bot is in and they may manage. */
  async manageable(guildIds: readonly string[], userId: string): Promise<ManagedGuild[]> {
    const found: ManagedGuild[] = [];
    // Only guilds the bot is in: asking Discord about every guild of the person's would cost a refused request each.
    const uncached = guildIds.filter((id) => !this.sources.guilds.cached(id));
    const botGuilds = uncached.length > 0 ? await this.#botGuildIds() : new Set<string>();
    for (const guildId of guildIds.filter((id) => this.sources.guilds.cached(id) || botGuilds.has(id))) {
      const guild = await this.mayManage(guildId, userId);
      if (guild) found.push({ id: guild.id, name: guild.name });
    }
    return found.sort((a, b) => a.name.localeCompare(b.name));
  }

  /**
   * A gateway member event: the roles it carries are the current ones. Only people whose roles are
   * held (dashboard users of the last minute) are updated; every other member's event is ignored.
   */
  observeMember(guildId: string, userId: string, roleIds: readonly string[] | null): void {
    const key = `${guildId}:${userId}`;
    if (!this.#members.has(key)) return;
    this.#members.set(key, { roleIds: roleIds ? [...roleIds] : null, at: this.#now() });
  }

  async #botGuildIds(): Promise<ReadonlySet<string>> {
    const list = this.sources.guilds.listGuildIds;
    if (!list) return new Set();
    if (this.#botGuilds && this.#now() - this.#botGuilds.at < this.#ttlMs) return this.#botGuilds.ids;
    this.#botGuilds = { ids: new Set(await list.call(this.sources.guilds)), at: this.#now() };
    return this.#botGuilds.ids;
  }

  async #guild(guildId: string): Promise<GuildSnapshot | null> {
    const cached = this.sources.guilds.cached(guildId);
    if (cached) return cached;
    const unknownSince = this.#unknownGuilds.get(guildId);
    if (unknownSince !== undefined && this.#now() - unknownSince < this.#ttlMs) return null;
    try {
      return await this.sources.guilds.guild(guildId);
    } catch {
      // Not in it, or Discord would not say: either way no one manages it from here.
      this.#unknownGuilds.set(guildId, this.#now());
      return null;
    }
  }

  /** Entries past their age are useless; dropping them keeps the map to the people active in the last minute. */
  #dropStale(): void {
    const now = this.#now();
    for (const [key, held] of this.#members) if (now - held.at >= this.#ttlMs) this.#members.delete(key);
    for (const [guildId, since] of this.#unknownGuilds) if (now - since >= this.#ttlMs) this.#unknownGuilds.delete(guildId);
  }

  async #roleIds(guildId: string, userId: string): Promise<readonly string[] | null> {
    const key = `${guildId}:${userId}`;
    const held = this.#members.get(key);
    if (held && this.#now() - held.at < this.#ttlMs) return held.roleIds;
    const member = await this.sources.guilds.member(guildId, userId);
    const roleIds = member ? member.roleIds : null;
    if (this.#members.size >= MAX_MEMBERS_HELD) this.#dropStale();
    this.#members.set(key, { roleIds, at: this.#now() });
    return roleIds;
  }
}
