/**
 * The role hierarchy a run checks every change against, followed live: a role moved or deleted,
 * or the bot's own roles changed (gateway events), rebuilds it at once, so edits not sent yet are
 * judged by the roles as they are now. When Discord still refuses an edit (403), the guild's roles
 * and the bot's roles are read again; every role the refusal can be blamed on is then blocked for
 * the rest of the run, so one cause costs at most one 403 (each counts toward Discord's ban on
 * 10,000 invalid requests in 10 minutes).
 */
import type { GuildSnapshot, SyncGuilds } from "../services/discord-port.ts";
import { permissionsFromRoles, RoleHierarchy, type RoleChangeCheck, type RoleProblem } from "../ranks/hierarchy.ts";

export interface RoleChange {
  readonly addRoleIds?: Iterable<string>;
  readonly removeRoleIds?: Iterable<string>;
}

export class LiveHierarchy {
  #hierarchy: RoleHierarchy;
  #guild: GuildSnapshot;
  #botRoleIds: readonly string[];
  /** Roles Discord refused although the hierarchy allowed them, with why. */
  readonly #refused = new Map<string, RoleProblem>();
  /** 403s answered so far: at most one per cause. */
  refusals = 0;

  constructor(
    private readonly guilds: SyncGuilds,
    standing: { guild: GuildSnapshot; botRoleIds: readonly string[] },
  ) {
    this.#guild = standing.guild;
    this.#botRoleIds = standing.botRoleIds;
    this.#hierarchy = this.#build();
  }

  check(change: RoleChange): RoleChangeCheck {
    const verdict = this.#hierarchy.check(change);
    if (this.#refused.size === 0) return verdict;
    const problems = verdict.ok ? [] : [...verdict.problems];
    for (const roleId of [...(change.addRoleIds ?? []), ...(change.removeRoleIds ?? [])]) {
      const refused = this.#refused.get(roleId);
      if (refused && !problems.some((problem) => problem.roleId === roleId)) problems.push(refused);
    }
    return problems.length === 0 ? { ok: true } : { ok: false, problems };
  }

  /** GUILD_ROLE_UPDATE / GUILD_ROLE_DELETE / GUILD_UPDATE: the cached guild already holds the change. */
  rolesChanged(): void {
    this.#guild = this.guilds.cached(this.#guild.id) ?? this.#guild;
    this.#hierarchy = this.#build();
  }

  /** GUILD_MEMBER_UPDATE of the bot itself. */
  botRolesChanged(roleIds: readonly string[]): void {
    this.#botRoleIds = roleIds;
    this.#hierarchy = this.#build();
  }

  /**
   * Discord answered 403 to `change`: reads the roles again (one request each for the roles and
   * the bot's member), and when they still allow the change, blocks its roles for the run.
   */
  async refused(change: RoleChange, discordError: string): Promise<void> {
    this.refusals++;
    try {
      await this.guilds.refreshRoles(this.#guild.id);
      const botUserId = this.guilds.botUserId;
      const bot = botUserId ? await this.guilds.member(this.#guild.id, botUserId) : null;
      if (bot && botUserId) {
        this.#botRoleIds = bot.roleIds;
        // The cache the next run starts from learns it too.
        this.guilds.observeMemberUpdate(this.#guild.id, botUserId, bot.roleIds);
      }
    } catch {
      // The roles could not be read again: block on what is known (below).
    }
    this.rolesChanged();
    if (!this.#hierarchy.check(change).ok) return;
    for (const roleId of [...(change.addRoleIds ?? []), ...(change.removeRoleIds ?? [])]) {
      const role = this.#guild.roles.get(roleId);
      this.#refused.set(roleId, { kind: "refused-by-discord", roleId, roleName: role?.name ?? roleId, discordError });
    }
  }

  #build(): RoleHierarchy {
    const roles = [...this.#guild.roles.values()];
    return new RoleHierarchy({
      botRoleIds: this.#botRoleIds,
      guildRoles: roles,
      botPermissions: permissionsFromRoles(this.#botRoleIds, roles, this.#guild.id),
    });
  }
}
