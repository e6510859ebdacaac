/**
 * The shared end of both proofs (profile phrase, "Sign in with Roblox"): store the link (moving it
 * from another member when the prover owns the account), set the rank roles, audit it.
 */
import type { Member, Repositories, VerificationMethod } from "./storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { HeldRobloxRole } from "../ranks/binds.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { GuildContext } from "./guild-context.ts";
import { roleOutcome, type LinkRoles } from "./link-roles.ts";
import { LinkingError, NotInGroupError } from "./linking-errors.ts";
import type { LinkCompleted } from "./linking-types.ts";
import { isRobloxError, type Membership, type RobloxUserId } from "./roblox-port.ts";

export interface LinkRecorderOptions {
  repositories: Pick<Repositories, "members">;
  audit: Pick<AuditTrail, "record">;
  logger: Logger;
  roles: LinkRoles;
  now: () => number;
}

export class LinkRecorder {
  constructor(private readonly options: LinkRecorderOptions) {}

  async complete(
    context: GuildContext,
    discordId: string,
    proven: { robloxUserId: RobloxUserId; robloxUsername: string; robloxDisplayName?: string | null; method: VerificationMethod },
    /** Read already: the membership (beside the proof) and the member's Discord roles (from the interaction). */
    known: { membership?: Membership | null; memberRoleIds?: readonly string[] } = {},
  ): Promise<LinkCompleted> {
    const { guildId } = context;
    const membership = known.membership === undefined ? await this.membership(context, proven.robloxUserId) : known.membership;
    if (!membership) throw new NotInGroupError(context.groupId, proven.robloxUsername);

    const members = this.options.repositories.members;
    const input = {
      robloxUserId: proven.robloxUserId,
      robloxUsername: proven.robloxUsername,
      robloxDisplayName: proven.robloxDisplayName ?? null,
      verifiedBy: proven.method,
      verifiedAt: this.options.now(),
    };
    let linked = await members.link(guildId, discordId, input);
    let tookOverFrom: Member | undefined;
    if (!linked.ok) {
      // Both ways of getting here carry proof of ownership, so the link moves to the prover.
      tookOverFrom = await members.unlink(guildId, linked.linkedTo);
      linked = await members.link(guildId, discordId, input);
      if (!linked.ok) {
        throw new LinkingError("account-taken");
      }
    }

    const rank = context.ladder.byRobloxRoleId(membership.roleId) ?? null;
    await members.setStoredRank(guildId, discordId, rank?.id ?? null);
    const roles = await this.options.roles.applyLinked(
      context,
      discordId,
      {
        robloxUserId: proven.robloxUserId,
        robloxUsername: proven.robloxUsername,
        robloxDisplayName: proven.robloxDisplayName ?? null,
        rank,
        groupRoles: groupRolesOf(membership, context),
      },
      { kind: "linked", robloxUsername: proven.robloxUsername },
      known.memberRoleIds,
    );

    if (tookOverFrom) await this.#recordTakeover(guildId, discordId, tookOverFrom, proven);
    await this.options.audit.record(guildId, {
      actorId: discordId,
      action: "link",
      targetDiscordId: discordId,
      targetRobloxUserId: proven.robloxUserId,
      before: linked.previous?.robloxUserId != null ? linkSnapshot(linked.previous) : null,
      after: { ...linkSnapshot(linked.member), rankId: rank?.id ?? null },
      outcome: roleOutcome(roles),
      note: {
        kind: "linked",
        discordId,
        robloxUsername: proven.robloxUsername,
        method: proven.method,
        robloxRoleName: membership.roleName,
        robloxRank: membership.rank,
        movedFrom: tookOverFrom?.discordId ?? null,
        roles,
      },
    });
    this.options.logger.info(
      { guildId, discordId, robloxUserId: proven.robloxUserId, method: proven.method, rankId: rank?.id ?? null, roles: roles.status },
      "member linked",
    );
    return {
      guildId,
      discordId,
      robloxUserId: proven.robloxUserId,
      robloxUsername: proven.robloxUsername,
      method: proven.method,
      rank,
      robloxRoleName: membership.roleName,
      robloxRank: membership.rank,
      roles,
      tookOverFrom: tookOverFrom?.discordId ?? null,
    };
  }

  /** The previous holder loses the link and, like on /unlink, the rank roles it justified. */
  async #recordTakeover(
    guildId: string,
    newDiscordId: string,
    previous: Member,
    proven: { robloxUsername: string; method: VerificationMethod },
  ): Promise<void> {
    const roles = await this.options.roles.applyUnlinked(guildId, previous.discordId, { kind: "link-moved", robloxUsername: proven.robloxUsername }, previous);
    await this.options.audit.record(guildId, {
      actorId: newDiscordId,
      action: "unlink",
      targetDiscordId: previous.discordId,
      targetRobloxUserId: previous.robloxUserId,
      before: linkSnapshot(previous),
      after: null,
      outcome: roleOutcome(roles),
      note: { kind: "link-moved", robloxUsername: proven.robloxUsername, method: proven.method, fromDiscordId: previous.discordId, toDiscordId: newDiscordId, roles },
    });
  }

  async membership(context: GuildContext, robloxUserId: RobloxUserId): Promise<Membership | null> {
    return tryAgainLaterOnTransientFailure(() => context.roblox.getMembership(context.groupId, robloxUserId));
  }
}
/**
 * Failures that may pass (outage, rate limit, network) become one "try again later" message; the
 * others keep their own typed error.
 */
export async function tryAgainLaterOnTransientFailure<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isRobloxError(error) && error.retryable) {
      throw new LinkingError("roblox-unavailable", { step: "lookup", causeMessage: error.userMessage }, { cause: error });
    }
    throw error;
  }
}

/**
 * Every role the membership shows in the group with its rank number. Roles beyond the main one
 * have their rank number from the ladder (the membership names them without one); a role the
 * ladder does not know is left out.
 */
function groupRolesOf(membership: Membership, context: GuildContext): HeldRobloxRole[] {
  const roles: HeldRobloxRole[] = [{ roleId: membership.roleId, rank: membership.rank }];
  for (const roleId of membership.roleIds) {
    const rank = context.ladder.byRobloxRoleId(roleId);
    if (roleId !== membership.roleId && rank) roles.push({ roleId, rank: rank.robloxRank });
  }
  return roles;
}

export function linkSnapshot(member: Member) {
  return { robloxUserId: member.robloxUserId, robloxUsername: member.robloxUsername, verifiedBy: member.verifiedBy };
}
