/**
 * Discord's role hierarchy, checked before any role request is sent. A request Discord must refuse
 * (403, code 50013) still counts toward its 10,000-invalid-requests-per-10-minutes ban, so we refuse
 * it ourselves and tell the admin how to fix the server instead.
 */
import type { DiscordRoleId } from "./ladder.ts";

/** The permission bits rankbridge reasons about (Discord's values). */
export const DiscordPermission = {
  Administrator: 1n << 3n,
  ManageRoles: 1n << 28n,
} as const;

/** True when `permissions` grants `flag`; Administrator grants everything, as in Discord. */
export function hasPermission(permissions: bigint, flag: bigint): boolean {
  return (permissions & DiscordPermission.Administrator) !== 0n || (permissions & flag) === flag;
}

export interface GuildRole {
  readonly id: DiscordRoleId;
  readonly name: string;
  readonly position: number;
  /** Owned by an integration (a bot's own role, booster, subscription): nobody can assign it. */
  readonly managed: boolean;
  readonly permissions: bigint;
}

/**
 * Discord's order: higher position is higher; on equal positions the older role (smaller id) is
 * higher. Returns >0 when `a` is above `b`.
 */
export function compareRolePositions(a: Pick<GuildRole, "id" | "position">, b: Pick<GuildRole, "id" | "position">): number {
  if (a.position !== b.position) return a.position - b.position;
  return compareSnowflakes(b.id, a.id);
}

/** Snowflakes as decimal strings compare by length, then lexically; no BigInt parse needed. */
function compareSnowflakes(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Permissions from a member's roles plus @everyone (whose role id is the guild id). */
export function permissionsFromRoles(
  memberRoleIds: Iterable<DiscordRoleId>,
  guildRoles: Iterable<GuildRole>,
  everyoneRoleId: DiscordRoleId,
): bigint {
  const wanted = new Set(memberRoleIds);
  wanted.add(everyoneRoleId);
  let permissions = 0n;
  for (const role of guildRoles) if (wanted.has(role.id)) permissions |= role.permissions;
  return permissions;
}

export type RoleProblemKind = RoleProblem["kind"];

/** Why the bot may not give or take a role; src/discord/views/role-problems.ts says how to fix each. */
export type RoleProblem =
  | {
      readonly kind: "unknown-role" | "managed";
      readonly roleId: DiscordRoleId;
      /** The role's name, or its id when the guild no longer has it. */
      readonly roleName: string;
    }
  | {
      readonly kind: "above-bot";
      readonly roleId: DiscordRoleId;
      readonly roleName: string;
      /** The bot's highest role, which must be moved above this one; null when it has none of its own. */
      readonly botRoleName: string | null;
    }
  | {
      /** Discord answered 403 although the roles allowed the change; `discordError` is its own words. */
      readonly kind: "refused-by-discord";
      readonly roleId: DiscordRoleId;
      readonly roleName: string;
      readonly discordError: string;
    }
  | {
      /** Applies to every role at once, so it names none. */
      readonly kind: "missing-permission";
      readonly roleId: null;
      readonly roleName: null;
    };

export type RoleChangeCheck = { readonly ok: true } | { readonly ok: false; readonly problems: readonly RoleProblem[] };

export interface BotStanding {
  /** The bot member's role ids in this guild. */
  readonly botRoleIds: Iterable<DiscordRoleId>;
  readonly guildRoles: Iterable<GuildRole>;
  /** The bot's guild-level permissions (see permissionsFromRoles). */
  readonly botPermissions: bigint;
}


/**
 * What the bot may do to roles in one guild. Built once per guild (per sync run), then asked per
 * member, so a bulk sync pays for the role scan once.
 */
export class RoleHierarchy {
  private readonly rolesById = new Map<DiscordRoleId, GuildRole>();
  private readonly botTopRole: GuildRole | undefined;
  private readonly canManageRoles: boolean;
  private readonly verdictCache = new Map<DiscordRoleId, RoleProblem | null>();

  constructor(standing: BotStanding) {
    for (const role of standing.guildRoles) this.rolesById.set(role.id, role);
    let top: GuildRole | undefined;
    for (const roleId of standing.botRoleIds) {
      const role = this.rolesById.get(roleId);
      if (role && (!top || compareRolePositions(role, top) > 0)) top = role;
    }
    this.botTopRole = top;
    this.canManageRoles = hasPermission(standing.botPermissions, DiscordPermission.ManageRoles);
  }

  /** Checks every role the bot wants to add or remove for one member. */
  check(change: { readonly addRoleIds?: Iterable<DiscordRoleId>; readonly removeRoleIds?: Iterable<DiscordRoleId> }): RoleChangeCheck {
    const roleIds = new Set<DiscordRoleId>([...(change.addRoleIds ?? []), ...(change.removeRoleIds ?? [])]);
    if (roleIds.size === 0) return { ok: true };
    if (!this.canManageRoles) return { ok: false, problems: [missingPermissionProblem()] };
    const problems: RoleProblem[] = [];
    for (const roleId of roleIds) {
      const problem = this.problemWith(roleId);
      if (problem) problems.push(problem);
    }
    return problems.length === 0 ? { ok: true } : { ok: false, problems };
  }

  /** Why the bot cannot assign or remove this role, or null when it can. */
  problemWith(roleId: DiscordRoleId): RoleProblem | null {
    if (!this.canManageRoles) return missingPermissionProblem();
    const cached = this.verdictCache.get(roleId);
    if (cached !== undefined) return cached;
    const verdict = this.judge(roleId);
    this.verdictCache.set(roleId, verdict);
    return verdict;
  }

  private judge(roleId: DiscordRoleId): RoleProblem | null {
    const role = this.rolesById.get(roleId);
    if (!role) {
      return {
        kind: "unknown-role",
        roleId,
        roleName: roleId,
      };
    }
    if (role.managed) {
      return {
        kind: "managed",
        roleId,
        roleName: role.name,
      };
    }
    // A bot may only manage roles strictly below its own highest role.
    if (!this.botTopRole || compareRolePositions(this.botTopRole, role) <= 0) {
      return { kind: "above-bot", roleId, roleName: role.name, botRoleName: this.botTopRole?.name ?? null };
    }
    return null;
  }
}

/** One-shot form of RoleHierarchy for a single change (e.g. one /promote). */
export function checkRoleChange(
  standing: BotStanding,
  change: { readonly addRoleIds?: Iterable<DiscordRoleId>; readonly removeRoleIds?: Iterable<DiscordRoleId> },
): RoleChangeCheck {
  return new RoleHierarchy(standing).check(change);
}

function missingPermissionProblem(): RoleProblem {
  return {
    kind: "missing-permission",
    roleId: null,
    roleName: null,
  };
}
