/**
 * One member of one guild, explained for the dashboard's member lookup (design §9): their link,
 * their Roblox rank as stored (no Roblox request), their Discord roles, the last sync that touched
 * them, and for every role a bind manages why they hold it or not and what holds a change back.
 * The decision is the sync planner's own, run on this member's stored state, so the page and the
 * next sync agree. Typed facts only; the page words them.
 *
 * Who may call it: the dashboard, for the guild whose admin rule it has already checked. Every read
 * is of that guild: a member of another guild is never found (their Discord read answers "not a
 * member" and their link row is another guild's).
 */
import { guildBinds } from "./guild-context.ts";
import type { GuildDirectory, GuildMemberView } from "./discord-port.ts";
import type { GuildSettings, Member, PendingRobloxWrite, Repositories, SyncRun, SyncRunItem } from "./storage-port.ts";
import type { BindSet, MemberStanding } from "../ranks/binds.ts";
import { RoleHierarchy, type GuildRole } from "../ranks/hierarchy.ts";
import { RankLadder, type Rank, type RobloxMembership } from "../ranks/ladder.ts";
import { explainMemberRoles, type NicknameExplanation, type RoleExplanation } from "../sync/planner-explain.ts";
import { planSync, type SyncInput, type SyncItemKind } from "../sync/planner.ts";
import { StandingReader } from "../sync/planner-standing.ts";
import { groupLockOf, nicknameTemplateOf } from "../sync/sync-context.ts";
import type { RobloxNow } from "./member-roblox-check.ts";

export interface MemberExplanationSources {
  repositories: Pick<Repositories, "guilds" | "members" | "ranks" | "binds" | "pendingWrites" | "syncRuns" | "audit">;
  guilds: Pick<GuildDirectory, "guild" | "member" | "botStanding">;
  /** The guild's Roblox group: its own, or the operator's for a home guild (GuildContexts.groupIdOf). */
  groupIdOf(guildId: string, settings: GuildSettings | undefined): number | undefined;
}

/** The last sync that touched the member: an item of a whole-guild run, or a one-member sync / Roblox change in the audit log. */
export type LastMemberSync =
  | {
      readonly kind: "run";
      readonly at: number;
      readonly run: Pick<SyncRun, "id" | "trigger" | "dryRun" | "status">;
      readonly item: Pick<SyncRunItem, "status" | "error" | "addRoles" | "removeRoles" | "fromRankId" | "toRankId">;
    }
  | { readonly kind: "audit"; readonly at: number; readonly action: "sync.member" | "roblox.change"; readonly outcome: string; readonly actorId: string };

/** A managed role with its place in the guild (undefined: the guild has no such role any more). */
export type ManagedRole = RoleExplanation & { readonly role: GuildRole | undefined };

export interface MemberExplanation {
  readonly guildId: string;
  readonly discordId: string;
  /** Null when they are not in the server (found by their link). */
  readonly discord: (Pick<GuildMemberView, "username" | "displayName" | "nick"> & { readonly isOwner: boolean; readonly roles: readonly HeldRole[] }) | null;
  /** Null when no Roblox account is linked. */
  readonly link: Pick<Member, "robloxUserId" | "robloxUsername" | "robloxDisplayName" | "verifiedBy" | "verifiedAt"> | null;
  readonly roblox: {
    /** The ladder rank the database holds for them, and when it was last set (null: never read). */
    readonly storedRank: Rank | null;
    readonly storedAt: number | null;
    /** A Roblox rank write queued and not through yet: its target is what the sync follows. */
    readonly pendingWrite: (Pick<PendingRobloxWrite, "targetRank" | "attempts" | "nextAttemptAt" | "lastError" | "createdAt"> & { readonly rank: Rank | null }) | null;
    /** The ladder ranks whose Discord role they hold. */
    readonly discordRanks: readonly Rank[];
    /** What Roblox said just now, when the admin asked ("Check on Roblox now"): the explanation follows it instead of the stored rank. */
    readonly now?: RobloxNow & { readonly rank: Rank | null };
  };
  readonly groupId: number | undefined;
  /** The planner's verdict for the member ("not-in-guild" when they left the server); "unlinked" when there was no link to plan. */
  readonly planKind: SyncItemKind | "unlinked";
  /** Every role a bind manages, highest first. */
  readonly roles: readonly ManagedRole[];
  readonly nickname?: NicknameExplanation;
  /** The guild's ladder, for naming rank binds. */
  readonly ranks: readonly Rank[];
  readonly lastSync: LastMemberSync | null;
  /** Background sync paused (changes wait until it resumes): the reason, else null. */
  readonly syncPausedReason: string | null;
}

/** A role the member holds, and whether a bind manages it (rankbridge never touches the others). */
export interface HeldRole {
  readonly roleId: string;
  readonly role: GuildRole | undefined;
  readonly managed: boolean;
}

export class MemberExplanations {
  constructor(private readonly sources: MemberExplanationSources) {}

  /**
   * The member explained; undefined when they are neither in the server nor linked in it. With
   * `robloxNow` (a fresh read of their Roblox rank) the planner follows it instead of the stored rank.
   */
  async explain(guildId: string, discordId: string, options: { robloxNow?: RobloxNow } = {}): Promise<MemberExplanation | undefined> {
    const { robloxNow } = options;
    const { repositories, guilds } = this.sources;
    const [member, link, settings] = await Promise.all([guilds.member(guildId, discordId), repositories.members.get(guildId, discordId), repositories.guilds.get(guildId)]);
    const linked = link && link.robloxUserId !== null ? link : undefined;
    if (!member && !linked) return undefined;
    const [guild, ladderRows, binds, pending, lastSync] = await Promise.all([
      guilds.guild(guildId),
      repositories.ranks.list(guildId),
      guildBinds(repositories, guildId, settings),
      linked ? repositories.pendingWrites.getForUser(guildId, linked.robloxUserId!) : undefined,
      this.#lastSync(guildId, discordId),
    ]);
    const ladder = new RankLadder(ladderRows);
    const groupId = this.sources.groupIdOf(guildId, settings);
    const planned = linked ? planMember({ ladder, binds, settings, groupId, link: linked, member, pending, robloxNow }) : undefined;

    let roles: ManagedRole[] = [];
    let nickname: NicknameExplanation | undefined;
    if (member) {
      const hierarchy = new RoleHierarchy(await guilds.botStanding(guildId));
      const explained = explainMemberRoles(binds, hierarchy, {
        discordId,
        heldRoleIds: member.roleIds,
        currentNick: member.nick,
        member: planned ? { linked: true, plan: planned.item, standing: planned.standing } : { linked: false },
      });
      roles = explained.roles.map((role) => ({ ...role, role: guild.roles.get(role.roleId) })).sort(byPosition);
      nickname = explained.nickname;
    }
    const storedRank = linked?.rankId != null ? (ladder.byId(linked.rankId) ?? null) : null;
    return {
      guildId,
      discordId,
      discord: member && {
        username: member.username,
        displayName: member.displayName,
        nick: member.nick,
        isOwner: guild.ownerId === discordId,
        roles: member.roleIds
          .filter((roleId) => roleId !== guildId)
          .map((roleId) => ({ roleId, role: guild.roles.get(roleId), managed: binds.isManaged(roleId) }))
          .sort(byPosition),
      },
      link: linked
        ? { robloxUserId: linked.robloxUserId, robloxUsername: linked.robloxUsername, robloxDisplayName: linked.robloxDisplayName, verifiedBy: linked.verifiedBy, verifiedAt: linked.verifiedAt }
        : null,
      roblox: {
        storedRank,
        storedAt: linked?.rankUpdatedAt ?? null,
        pendingWrite: pending
          ? { targetRank: pending.targetRank, attempts: pending.attempts, nextAttemptAt: pending.nextAttemptAt, lastError: pending.lastError, createdAt: pending.createdAt, rank: ladder.byRobloxRoleId(pending.targetRobloxRoleId) ?? null }
          : null,
        discordRanks: member ? ladder.ranksHeld(member.roleIds) : [],
        ...(robloxNow && linked && { now: { ...robloxNow, rank: robloxNow.membership ? (ladder.byRobloxRoleId(robloxNow.membership.roleId) ?? null) : null } }),
      },
      groupId,
      planKind: planned ? planned.item.kind : "unlinked",
      roles,
      ...(nickname && { nickname }),
      ranks: ladder.ranks,
      lastSync,
      syncPausedReason: settings?.syncPausedReason ?? null,
    };
  }

  /** The newer of the member's last whole-guild run item and their last one-member sync or Roblox change. */
  async #lastSync(guildId: string, discordId: string): Promise<LastMemberSync | null> {
    const { repositories } = this.sources;
    const [runItem, entries] = await Promise.all([repositories.syncRuns.lastItemForMember(guildId, discordId), repositories.audit.listForMember(guildId, discordId, 20)]);
    const entry = entries.find((row) => row.action === "sync.member" || row.action === "roblox.change");
    const fromRun: LastMemberSync | null = runItem
      ? { kind: "run", at: runItem.run.startedAt, run: runItem.run, item: runItem.item }
      : null;
    const fromAudit: LastMemberSync | null = entry
      ? { kind: "audit", at: entry.createdAt, action: entry.action as "sync.member" | "roblox.change", outcome: entry.outcome, actorId: entry.actorId }
      : null;
    if (!fromRun) return fromAudit;
    if (!fromAudit) return fromRun;
    return fromAudit.at > fromRun.at ? fromAudit : fromRun;
  }
}

const byPosition = (a: { role: GuildRole | undefined }, b: { role: GuildRole | undefined }) => (b.role?.position ?? -1) - (a.role?.position ?? -1);

interface PlanFacts {
  ladder: RankLadder;
  binds: BindSet;
  settings: GuildSettings | undefined;
  groupId: number | undefined;
  link: Member;
  member: GuildMemberView | null;
  pending: PendingRobloxWrite | undefined;
  robloxNow: RobloxNow | undefined;
}

/**
 * The planner on this one link, from stored state: the stored rank stands for Roblox's answer (a
 * rank never read since linking is "unknown"; a rank read and cleared is "not in the group") unless
 * Roblox was just read for it; other
 * groups are not read, so range binds on them are undecided, as in a sync whose read of them failed.
 */
function planMember(facts: PlanFacts): { item: ReturnType<typeof planSync>["items"][number]; standing: MemberStanding | null } {
  const { ladder, link, member, settings } = facts;
  const robloxUserId = link.robloxUserId!;
  const stored = link.rankId !== null ? ladder.byId(link.rankId) : undefined;
  const memberships = new Map<number, RobloxMembership | null>();
  if (facts.robloxNow) memberships.set(robloxUserId, facts.robloxNow.membership);
  else if (stored) memberships.set(robloxUserId, { roleId: stored.robloxRoleId, rank: stored.robloxRank });
  else if (link.rankUpdatedAt !== null) memberships.set(robloxUserId, null);
  const template = nicknameTemplateOf(settings);
  const account = { discordId: link.discordId, robloxUserId, robloxUsername: link.robloxUsername ?? String(robloxUserId), robloxDisplayName: link.robloxDisplayName, storedRankId: link.rankId };
  const input: SyncInput = {
    robloxMemberships: memberships,
    links: [account],
    ladder,
    discordMemberRoles: new Map(member ? [[link.discordId, member.roleIds]] : []),
    pendingRobloxWrites: new Map(facts.pending ? [[robloxUserId, facts.pending.targetRobloxRoleId]] : []),
    options: { leftGroupPolicy: groupLockOf(settings) === "off" ? "flag" : "remove" },
    binds: facts.binds,
    ...(facts.groupId !== undefined && { robloxGroupId: facts.groupId }),
    ...(template !== null && member && { nicknames: { template, members: new Map([[link.discordId, { nick: member.nick, discordName: member.accountName }]]) } }),
  };
  const item = planSync(input).items[0]!;
  const standing = item.kind === "roblox-unknown" ? null : new StandingReader(input, facts.binds).of(account, item.toRank, item.fromPendingWrite);
  return { item, standing };
}
