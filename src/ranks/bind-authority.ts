/**
 * Who may tie a rank to a Discord role (design §10). A bind decides who gets the role at the next
 * sync and what rank its holders count as, so it obeys the same ceiling as rank changes: an actor
 * binds only ranks below their own, and only roles below their own highest role (Discord's own rule
 * for Manage Roles). Roles that grant server-wide power are bound only by the guild owner or an
 * Administrator, and never by name on import. Pure: typed decisions, no wording.
 */
import { exemptionOf, type Actor, type GuildAuthority } from "./authority.ts";
import { compareRolePositions, type GuildRole } from "./hierarchy.ts";
import type { DiscordRoleId, Rank, RankLadder } from "./ladder.ts";

/** The permissions that make a role too powerful to hand out through a bind (Discord's bit values). */
export const PRIVILEGED_PERMISSIONS = {
  Administrator: 1n << 3n,
  "Manage Server": 1n << 5n,
  "Manage Roles": 1n << 28n,
  "Kick Members": 1n << 1n,
  "Ban Members": 1n << 2n,
  "Manage Channels": 1n << 4n,
  "Manage Webhooks": 1n << 29n,
  "Mention Everyone": 1n << 17n,
} as const;

export type PrivilegedPermission = keyof typeof PRIVILEGED_PERMISSIONS;

/** The privileged permissions a role grants, in the order above; empty for an ordinary role. */
export function privilegedPermissionsOf(role: Pick<GuildRole, "permissions">): PrivilegedPermission[] {
  return (Object.keys(PRIVILEGED_PERMISSIONS) as PrivilegedPermission[]).filter(
    (name) => (role.permissions & PRIVILEGED_PERMISSIONS[name]) !== 0n,
  );
}

export type BindDenial =
  /** The role grants server-wide power: only the owner or an Administrator may bind it. */
  | { readonly reason: "privileged-role"; readonly permissions: readonly PrivilegedPermission[] }
  /** The role is at or above the actor's own highest role (or the actor has no role at all). */
  | { readonly reason: "role-not-below-actor"; readonly actorTopRole: GuildRole | null }
  /** The actor holds no ladder rank, so no rank is below theirs. */
  | { readonly reason: "actor-unranked" }
  /** The rank is at or above the actor's own. */
  | { readonly reason: "rank-not-below-actor"; readonly ownRank: Rank };

export type BindDecision = { readonly allowed: true } | { readonly allowed: false; readonly denial: BindDenial };

export interface BindRequest {
  readonly actor: Actor;
  readonly guild: GuildAuthority;
  /** The ladder as stored before this bind: the actor's own rank is read from it. */
  readonly ladder: RankLadder;
  /**
   * The rank to bind; on import, a Roblox role not on the stored ladder yet (ranks compare by Roblox
   * rank number); for a range bind on the guild's own group, its top rank number. Absent for binds
   * that give no rank (verified/unverified roles, ranges in another group): then only the role is judged.
   */
  readonly rank?: Rank | Pick<Rank, "robloxRank">;
  readonly role: GuildRole;
  readonly guildRoles: Iterable<GuildRole>;
}

export function decideBind({ actor, guild, ladder, rank, role, guildRoles }: BindRequest): BindDecision {
  const exempt = exemptionOf(actor, guild) !== null;
  const privileged = privilegedPermissionsOf(role);
  if (privileged.length > 0 && !exempt) return deny({ reason: "privileged-role", permissions: privileged });
  if (exempt) return { allowed: true };

  const actorTopRole = highestRole(actor.roleIds, guildRoles);
  if (!actorTopRole || compareRolePositions(actorTopRole, role) <= 0) return deny({ reason: "role-not-below-actor", actorTopRole });
  if (!rank) return { allowed: true };
  const rankDenial = rankDenialFor(actor, ladder, rank);
  return rankDenial ? deny(rankDenial) : { allowed: true };
}

/**
 * The rank half of the rule alone, for a role that does not exist yet (`/ranks import
 * create-missing-roles` makes it at the bottom, where any Manage Roles holder could take it).
 */
export function decideRankBind(request: Pick<BindRequest, "actor" | "guild" | "ladder"> & Required<Pick<BindRequest, "rank">>): BindDecision {
  if (exemptionOf(request.actor, request.guild) !== null) return { allowed: true };
  const rankDenial = rankDenialFor(request.actor, request.ladder, request.rank);
  return rankDenial ? deny(rankDenial) : { allowed: true };
}

function rankDenialFor(actor: Actor, ladder: RankLadder, rank: NonNullable<BindRequest["rank"]>): BindDenial | null {
  const ownRank = ladder.actorRank(actor.roleIds);
  if (!ownRank) return { reason: "actor-unranked" };
  const onLadder = "id" in rank && ladder.byId(rank.id) !== undefined;
  const notBelow = onLadder ? ladder.levelOf(rank as Rank) >= ladder.levelOf(ownRank) : rank.robloxRank >= ownRank.robloxRank;
  return notBelow ? { reason: "rank-not-below-actor", ownRank } : null;
}

/** A stored bind that gives a privileged role: reported for review, never deleted silently. */
export interface BindToReview {
  readonly rank: Rank;
  readonly roleId: DiscordRoleId;
  readonly roleName: string;
  readonly permissions: readonly PrivilegedPermission[];
}

/** Binds of `ladder` whose Discord role grants server-wide power (design §10: reported, not deleted). */
export function bindsToReview(ladder: RankLadder, guildRoles: Iterable<GuildRole>): BindToReview[] {
  const rolesById = new Map<DiscordRoleId, GuildRole>();
  for (const role of guildRoles) rolesById.set(role.id, role);
  const found: BindToReview[] = [];
  for (const rank of ladder.ranks) {
    const role = rank.discordRoleId ? rolesById.get(rank.discordRoleId) : undefined;
    const permissions = role ? privilegedPermissionsOf(role) : [];
    if (role && permissions.length > 0) found.push({ rank, roleId: role.id, roleName: role.name, permissions });
  }
  return found;
}

function highestRole(roleIds: Iterable<DiscordRoleId>, guildRoles: Iterable<GuildRole>): GuildRole | null {
  const held = new Set(roleIds);
  let top: GuildRole | null = null;
  for (const role of guildRoles) {
    if (held.has(role.id) && (!top || compareRolePositions(role, top) > 0)) top = role;
  }
  return top;
}

function deny(denial: BindDenial): BindDecision {
  return { allowed: false, denial };
}
