/**
 * Who may change whose rank (design §3). Admin commands need Manage Roles or a configured admin
 * role; beyond that an actor can only hand out ranks below their own and only to people below
 * them. The guild owner and Administrators are exempt, as they are in Discord itself.
 */
import { DiscordPermission, hasPermission } from "./hierarchy.ts";
import type { DiscordRoleId, DiscordUserId, Rank, RankLadder } from "./ladder.ts";

/** The member running the command, as the interaction reports them. */
export interface Actor {
  readonly userId: DiscordUserId;
  readonly roleIds: readonly DiscordRoleId[];
  /** The member's resolved guild permissions (interaction `member.permissions`). */
  readonly permissions: bigint;
}

export interface GuildAuthority {
  readonly ownerId: DiscordUserId;
  /** Roles configured as rankbridge admins in this guild, besides Manage Roles holders. */
  readonly adminRoleIds: ReadonlySet<DiscordRoleId> | readonly DiscordRoleId[];
}

/** Why someone is above the rank rules. */
export type Exemption = "guild-owner" | "administrator";

export function exemptionOf(actor: Actor, guild: GuildAuthority): Exemption | null {
  if (actor.userId === guild.ownerId) return "guild-owner";
  if ((actor.permissions & DiscordPermission.Administrator) !== 0n) return "administrator";
  return null;
}

/** May run admin commands (/promote, /sync, ...): owner, Manage Roles, or a configured admin role. */
export function isRankAdmin(actor: Actor, guild: GuildAuthority): boolean {
  if (exemptionOf(actor, guild)) return true;
  if (hasPermission(actor.permissions, DiscordPermission.ManageRoles)) return true;
  const adminRoles: ReadonlySet<DiscordRoleId> = guild.adminRoleIds instanceof Set ? guild.adminRoleIds : new Set(guild.adminRoleIds);
  return actor.roleIds.some((roleId) => adminRoles.has(roleId));
}

export type RankChangeDenial =
  /** Neither Manage Roles nor an admin role. */
  | "not-admin"
  /** An admin who holds no ladder rank has nothing below them to hand out. */
  | "actor-unranked"
  /** Already implied by the rules (one's own rank is never below itself); named for a clearer reply. */
  | "own-rank"
  /** The owner outranks everyone, whatever ladder role they hold. */
  | "target-is-owner"
  | "rank-at-or-above-own"
  | "target-outranks-actor";

/** A denial names the ranks its explanation needs (src/discord/views/rank-rules.ts words it). */
export type RankChangeDecision =
  | { readonly allowed: true; readonly exemption: Exemption | null }
  | { readonly allowed: false; readonly reason: Exclude<RankChangeDenial, "rank-at-or-above-own" | "target-outranks-actor"> }
  | { readonly allowed: false; readonly reason: "rank-at-or-above-own"; readonly ownRank: Rank; readonly toRank: Rank }
  | { readonly allowed: false; readonly reason: "target-outranks-actor"; readonly ownRank: Rank; readonly targetRank: Rank };

export interface RankChangeRequest {
  readonly actor: Actor;
  readonly guild: GuildAuthority;
  readonly ladder: RankLadder;
  readonly target: {
    readonly userId: DiscordUserId;
    /** The rank the target holds now (the caller's best knowledge), or null when unranked. */
    readonly currentRank: Rank | null;
  };
  readonly toRank: Rank;
}

export function decideRankChange(request: RankChangeRequest): RankChangeDecision {
  const { actor, guild, ladder, target, toRank } = request;
  const exemption = exemptionOf(actor, guild);
  if (exemption) return { allowed: true, exemption };

  if (!isRankAdmin(actor, guild)) {
    return { allowed: false, reason: "not-admin" };
  }
  if (target.userId === guild.ownerId) {
    return { allowed: false, reason: "target-is-owner" };
  }
  if (target.userId === actor.userId) {
    return { allowed: false, reason: "own-rank" };
  }

  const ownRank = ladder.actorRank(actor.roleIds);
  if (!ownRank) {
    return { allowed: false, reason: "actor-unranked" };
  }
  const ownLevel = ladder.levelOf(ownRank);
  if (ladder.levelOf(toRank) >= ownLevel) {
    return { allowed: false, reason: "rank-at-or-above-own", ownRank, toRank };
  }
  if (target.currentRank && ladder.levelOf(target.currentRank) >= ownLevel) {
    return { allowed: false, reason: "target-outranks-actor", ownRank, targetRank: target.currentRank };
  }
  return { allowed: true, exemption: null };
}

