/**
 * Sync of one member (`/sync member:<user>`, and the facts behind `/verify-rank`): Roblox is the
 * truth, except that a Roblox write we queued and that has not landed yet is newer than what
 * Roblox reports, so its target counts instead (design §6.4: a pending write is never reverted).
 * The decision is the bulk sync's own pure planner run on a single link, so both agree.
 */
import type { AuditAction, AuditOutcome, GuildSettings, PendingRobloxWrite, Repositories } from "./storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import { RoleHierarchy } from "../ranks/hierarchy.ts";
import type { Rank } from "../ranks/ladder.ts";
import { planSync, type SyncInput, type SyncItem } from "../sync/planner.ts";
import { groupLockOf, nicknameTemplateOf } from "../sync/sync-context.ts";
import type { GroupMembershipsPort } from "../sync/group-memberships.ts";
import { notedRankOrNone, type AuditNote, type MemberSyncProblem } from "./audit-notes.ts";
import { asPlannerGroups, otherGroupsOfMember } from "./other-groups.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { GuildContexts } from "./guild-context.ts";
import type { GuildMemberView } from "./discord-port.ts";
import { MemberRoleEditor, type RoleEditReason } from "./member-role-editor.ts";
import type { RankChangeDiscord } from "./rank-changes.ts";
import type { Membership } from "./roblox-port.ts";

/** The member has no Roblox account linked, so there is nothing to sync them to (the view words it). */
export class MemberNotLinkedError extends Error {
  override readonly name = "MemberNotLinkedError";
  constructor(readonly discordId: string) {
    super(`member ${discordId} has no linked Roblox account`);
  }
}

export type RobloxStanding =
  | { status: "member"; roleId: number; robloxRank: number; roleName: string; /** null when the role is not on the ladder */ rank: Rank | null }
  | { status: "not-in-group" };

/** Everything known about one member's rank in the three places, and what sync would do. */
export interface MemberRankInspection {
  guildId: string;
  discordId: string;
  /** Null when they are not in the server. */
  displayName: string | null;
  robloxUserId: number;
  robloxUsername: string;
  roblox: RobloxStanding;
  /** The queued Roblox write, when one waits; its target is what sync follows. */
  pendingWrite: PendingRobloxWrite | null;
  pendingRank: Rank | null;
  /** Highest rank role held in Discord (null when none or not in the server). */
  discordRank: Rank | null;
  /** Every rank role held; more than one is a mismatch of its own. */
  discordRanksHeld: Rank[];
  /** Every role the member holds in Discord (null when not in the server). */
  discordRoleIds: readonly string[] | null;
  /** Their server nickname (undefined when not in the server). */
  discordNick: string | null | undefined;
  storedRank: Rank | null;
  /** The sync planner's verdict for this member. */
  plan: SyncItem;
  /** Discord, the database and Roblox (including a queued write) all agree. */
  inSync: boolean;
}

export type ChangeStatus = "unchanged" | "updated" | "would-update" | "blocked" | "failed" | "not-in-guild";

export interface MemberSyncResult extends MemberRankInspection {
  dryRun: boolean;
  discordChange: ChangeStatus;
  storedChange: ChangeStatus;
  /** Why the Discord change was blocked or failed (src/discord/views/member-sync.ts words them). */
  problems: MemberSyncProblem[];
  /** Discord rank and stored rank before and after (after = before on a dry run or failure). */
  before: { discordRank: Rank | null; storedRank: Rank | null };
  after: { discordRank: Rank | null; storedRank: Rank | null };
  outcome: AuditOutcome;
}

export interface MemberSyncServiceOptions {
  repositories: Pick<Repositories, "guilds" | "members" | "pendingWrites">;
  guilds: Pick<RankChangeDiscord, "member" | "botStanding" | "writeMember">;
  contexts: Pick<GuildContexts, "resolve">;
  audit: Pick<AuditTrail, "record">;
  logger: Logger;
  /** Other groups' memberships for range binds (src/sync/group-memberships.ts). */
  groupMemberships?: GroupMembershipsPort;
}

/** The member's Roblox rank as far as it matters here; null when not in the group. */
export type KnownMembership = Pick<Membership, "roleId" | "rank" | "roleName">;

/**
 * What a caller already knows, so nothing is read again: the change feed knows the Roblox
 * standing from the audit-log entry and the Discord roles from the gateway.
 */
export interface KnownMemberFacts {
  membership: KnownMembership | null;
  /** Null when not in the server. */
  discordMember: (Pick<GuildMemberView, "roleIds"> & Partial<GuildMemberView>) | null;
}

export interface MemberSyncOptions {
  dryRun?: boolean;
  actorId?: string;
  /** Use these facts instead of reading Roblox and Discord. */
  known?: KnownMemberFacts;
  /** Why, in Discord's own audit log for the role edit (default: a member sync, by the actor). */
  auditReason?: RoleEditReason;
  /** How the change is recorded in rankbridge's audit trail (default: `sync.member` with the ranks before and after). */
  record?: (result: MemberSyncResult) => { action: AuditAction; note: AuditNote; after?: Record<string, unknown> };
}

export class MemberSyncService {
  constructor(private readonly options: MemberSyncServiceOptions) {}

  /**
   * Reads the member's rank everywhere and plans their sync, changing nothing.
   * @throws MemberNotLinkedError; Roblox errors (with `userMessage`) when Roblox cannot be read.
   */
  async inspect(guildId: string, discordId: string, known?: KnownMemberFacts): Promise<MemberRankInspection> {
    const { repositories, guilds } = this.options;
    const context = await this.options.contexts.resolve(guildId);
    const { ladder, roblox, groupId, settings } = context;
    const link = await repositories.members.get(guildId, discordId);
    if (!link || link.robloxUserId === null) throw new MemberNotLinkedError(discordId);
    const robloxUserId = link.robloxUserId;
    const robloxUsername = link.robloxUsername ?? String(robloxUserId);

    const [[discordMember, membership], other] = await Promise.all([
      known ? [known.discordMember, known.membership] : Promise.all([guilds.member(guildId, discordId), roblox.getMembership(groupId, robloxUserId)]),
      otherGroupsOfMember(this.options.groupMemberships, context, robloxUserId, this.options.logger),
    ]);
    const pendingWrite = await repositories.pendingWrites.getForUser(guildId, robloxUserId) ?? null;

    const plan = planSync({
      robloxMemberships: new Map([[robloxUserId, membership ? { roleId: membership.roleId, rank: membership.rank, ...("roles" in membership && { roles: (membership as { roles: Membership["roles"] }).roles }) } : null]]),
      otherGroups: asPlannerGroups(robloxUserId, other),
      links: [{ discordId, robloxUserId, robloxUsername, robloxDisplayName: link.robloxDisplayName, storedRankId: link.rankId }],
      ladder,
      discordMemberRoles: new Map(discordMember ? [[discordId, discordMember.roleIds]] : []),
      pendingRobloxWrites: new Map(pendingWrite ? [[robloxUserId, pendingWrite.targetRobloxRoleId]] : []),
      options: { leftGroupPolicy: groupLockOf(settings) === "off" ? "flag" : "remove" },
      binds: context.binds,
      robloxGroupId: groupId,
      ...nicknameInput(settings, discordId, discordMember),
    }).items[0]!;

    const robloxStanding = standingOf(membership, (roleId) => ladder.byRobloxRoleId(roleId) ?? null);
    const pendingRank = pendingWrite ? (ladder.byRobloxRoleId(pendingWrite.targetRobloxRoleId) ?? null) : null;
    const discordRanksHeld = discordMember ? ladder.ranksHeld(discordMember.roleIds) : [];
    const robloxAgrees =
      !pendingWrite || (robloxStanding.status === "member" && robloxStanding.roleId === pendingWrite.targetRobloxRoleId);
    return {
      guildId,
      discordId,
      displayName: discordMember ? (discordMember.displayName ?? discordMember.username ?? "") : null,
      robloxUserId,
      robloxUsername,
      roblox: robloxStanding,
      pendingWrite,
      pendingRank,
      discordRank: discordMember ? ladder.rankHeld(discordMember.roleIds) : null,
      discordRanksHeld,
      discordRoleIds: discordMember?.roleIds ?? null,
      discordNick: discordMember ? discordMember.nick : undefined,
      storedRank: link.rankId !== null ? (ladder.byId(link.rankId) ?? null) : null,
      plan,
      inSync: plan.kind === "in-sync" && robloxAgrees,
    };
  }

  /**
   * Brings the member's Discord roles and stored rank in line with their Roblox rank (or the
   * target of their queued Roblox write). One role request at most, and none that the role
   * hierarchy would refuse.
   */
  async syncMember(guildId: string, discordId: string, options: MemberSyncOptions = {}): Promise<MemberSyncResult> {
    const dryRun = options.dryRun ?? false;
    const inspection = await this.inspect(guildId, discordId, options.known);
    const { plan } = inspection;
    const before = { discordRank: inspection.discordRank, storedRank: inspection.storedRank };
    const after = { ...before };
    const problems: MemberSyncProblem[] = [];
    let discordChange: ChangeStatus = inspection.displayName === null ? "not-in-guild" : "unchanged";
    let storedChange: ChangeStatus = "unchanged";
    const log = this.options.logger.child({ guildId, discordId, robloxUserId: inspection.robloxUserId });

    if (plan.nextRoleIds || plan.nick !== undefined) {
      if (dryRun) discordChange = "would-update";
      else {
        const editor = new MemberRoleEditor({
          writer: this.options.guilds,
          hierarchy: new RoleHierarchy(await this.options.guilds.botStanding(guildId)),
          auditReason: options.auditReason ?? { kind: "member-sync", actorId: options.actorId ?? null },
        });
        const edited = await editor.edit(
          guildId,
          { discordId, addRoleIds: plan.addRoleIds, removeRoleIds: plan.removeRoleIds, ...(plan.nick !== undefined && { nick: plan.nick }) },
          inspection.discordRoleIds
            ? { roleIds: inspection.discordRoleIds, ...(inspection.discordNick !== undefined && { nick: inspection.discordNick }) }
            : undefined,
        );
        if (edited.kind === "not-attempted") {
          discordChange = "blocked";
          problems.push(...edited.problems.map((problem) => ({ kind: "role" as const, problem })));
        } else if (edited.kind === "updated" || edited.kind === "already-applied") {
          discordChange = "updated";
          after.discordRank = plan.toRank?.discordRoleId ? plan.toRank : null;
        } else {
          log.warn({ err: edited.error }, "could not update the member's Discord roles during sync");
          discordChange = "failed";
          problems.push({ kind: "discord-refused", discordError: edited.error instanceof Error ? edited.error.message : String(edited.error) });
        }
      }
    }

    if (plan.storedRankChange) {
      if (dryRun) storedChange = "would-update";
      else {
        try {
          await this.options.repositories.members.setStoredRank(guildId, discordId, plan.storedRankChange.toRankId);
          storedChange = "updated";
          after.storedRank = plan.toRank;
        } catch (error) {
          log.error({ err: error }, "could not store the synced rank");
          storedChange = "failed";
          problems.push({ kind: "stored-rank-not-saved" });
        }
      }
    }

    const failures = [discordChange, storedChange].filter((status) => status === "blocked" || status === "failed").length;
    const successes = [discordChange, storedChange].filter((status) => status === "updated").length;
    const outcome: AuditOutcome = failures === 0 ? "ok" : successes > 0 ? "partial" : "failed";
    const result: MemberSyncResult = { ...inspection, dryRun, discordChange, storedChange, problems, before, after, outcome };
    if (!dryRun && (successes > 0 || failures > 0)) {
      const recorded = options.record?.(result);
      await this.options.audit.record(guildId, {
        actorId: options.actorId ?? "system",
        action: recorded?.action ?? "sync.member",
        targetDiscordId: discordId,
        targetRobloxUserId: inspection.robloxUserId,
        before: { discordRankId: before.discordRank?.id ?? null, storedRankId: before.storedRank?.id ?? null },
        after: {
          discordRankId: after.discordRank?.id ?? null,
          storedRankId: after.storedRank?.id ?? null,
          fromPendingWrite: plan.fromPendingWrite,
          addRoleIds: plan.addRoleIds,
          removeRoleIds: plan.removeRoleIds,
          ...recorded?.after,
        },
        outcome,
        note: recorded?.note ?? {
          kind: "member-synced",
          discord: { from: notedRankOrNone(before.discordRank), to: notedRankOrNone(after.discordRank) },
          stored: { from: notedRankOrNone(before.storedRank), to: notedRankOrNone(after.storedRank) },
          problems,
        },
      });
    }
    return result;
  }
}

/**
 * The planner's nickname input for one member, when the guild has a template on and the member is
 * here with their nickname and name known (facts handed in by the change feed may lack them).
 */
function nicknameInput(
  settings: GuildSettings | undefined,
  discordId: string,
  member: { nick?: string | null; accountName?: string } | null,
): Pick<SyncInput, "nicknames"> {
  const template = nicknameTemplateOf(settings);
  if (template === null || !member || member.nick === undefined || member.accountName === undefined) return {};
  return { nicknames: { template, members: new Map([[discordId, { nick: member.nick, discordName: member.accountName }]]) } };
}

function standingOf(membership: KnownMembership | null, rankOf: (roleId: number) => Rank | null): RobloxStanding {
  if (!membership) return { status: "not-in-group" };
  return { status: "member", roleId: membership.roleId, robloxRank: membership.rank, roleName: membership.roleName, rank: rankOf(membership.roleId) };
}
