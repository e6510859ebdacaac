/**
 * Who may change whose rank (design §3). Admin commands need Manage Roles or a configured admin
 * role; beyond that an actor can only hand out ranks below their own and only to people below
 * them. The guild owner and Administrators are exempt, as they are in Discord itself.
 */
import { DiscordPermission, hasPermission } from "./hierarchy.ts";
import { formatRank, type DiscordRoleId, type DiscordUserId, type Rank, type RankLadder } from "./ladder.ts";

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

export type RankChangeDecision =
  | { readonly allowed: true; readonly exemption: Exemption | null }
  | { readonly allowed: false; readonly reason: RankChangeDenial; readonly message: string };

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
    return deny("not-admin", "You need the Manage Roles permission or a rankbridge admin role to change ranks.");
  }
  if (target.userId === guild.ownerId) {
    return deny("target-is-owner", "The server owner's rank can only be changed by the owner or an Administrator.");
  }
  if (target.userId === actor.userId) {
    return deny("own-rank", "You can't change your own rank. Ask someone above you.");
  }

  const ownRank = ladder.actorRank(actor.roleIds);
  if (!ownRank) {
    return deny("actor-unranked", "You don't hold a rank role, so there is no rank below yours to give. Ask someone with a higher rank.");
  }
  const ownLevel = ladder.levelOf(ownRank);
  if (ladder.levelOf(toRank) >= ownLevel) {
    return deny(
      "rank-at-or-above-own",
      `You can only give ranks below your own (${formatRank(ownRank)}); ${formatRank(toRank)} is not below it.`,
    );
  }
  if (target.currentRank && ladder.levelOf(target.currentRank) >= ownLevel) {
    return deny(
      "target-outranks-actor",
      `This member holds ${formatRank(target.currentRank)}, which is not below your rank (${formatRank(ownRank)}).`,
    );
  }
  return { allowed: true, exemption: null };
}

function deny(reason: RankChangeDenial, message: string): RankChangeDecision {
  return { allowed: false, reason, message };
}
