/**
 * One group's new audit-log entries applied to one guild bound to it: only the linked members the
 * entries name, each through the one-member sync (services/member-sync.ts) with the standing the
 * entries give and the Discord roles the gateway gives, so each costs one Discord request at most
 * and no roster or membership page. Unlinked members are ignored; a member with a pending Roblox
 * write keeps its target (the planner's rule); leaves beyond the guild's mass-change threshold are
 * held for an admin, like a bulk sync's.
 */
import type { Repositories } from "../../services/storage-port.ts";
import type { Logger } from "../../observability/logger.ts";
import type { RankLadder, RobloxUserId } from "../../ranks/ladder.ts";
import type { GroupMember, RequestTally } from "../../services/roblox-port.ts";
import type { AuditNote } from "../../services/audit-notes.ts";
import type { GuildContext, GuildContexts } from "../../services/guild-context.ts";
import type { KnownMembership, MemberSyncResult, MemberSyncService } from "../../services/member-sync.ts";
import { judgeMassChange, massChangeThresholdOf, type MassChangeVerdict } from "../mass-change-guard.ts";
import { collectMemberRoles, type MemberRolesPort } from "../member-roles.ts";
import { robloxStandingOf } from "../roblox-standing.ts";
import { resolveSyncContext, SyncNotPossibleError } from "../sync-context.ts";
import { foldMember, type MemberChange, type MemberEntry } from "./standings.ts";

export interface FeedApplyDeps {
  repositories: Pick<Repositories, "members">;
  contexts: GuildContexts;
  memberSync: Pick<MemberSyncService, "syncMember">;
  /** Members' roles from the gateway (snapshot or op 8 by user ids): no REST request. */
  memberRoles: MemberRolesPort;
  logger: Logger;
}

export interface AppliedChange {
  readonly discordId: string;
  readonly change: MemberChange;
  readonly result: MemberSyncResult;
}

export type GuildApplyResult =
  | {
      readonly kind: "applied";
      readonly applied: readonly AppliedChange[];
      /** Members whose standing needed a membership read, and the requests it took. */
      readonly confirmed: number;
      readonly robloxRequests: number;
      /** Leaves held by the mass-change guard (the caller asks for a full sync, which holds them for an admin). */
      readonly held: MassChangeVerdict | null;
    }
  | { readonly kind: "skipped"; readonly reason: "not-configured" | "other-group" | "paused" };

export async function applyToGuild(
  deps: FeedApplyDeps,
  guildId: string,
  groupId: number,
  byMember: ReadonlyMap<RobloxUserId, readonly MemberEntry[]>,
  isOwn: (entry: MemberEntry) => boolean,
): Promise<GuildApplyResult> {
  let context: GuildContext;
  try {
    context = await resolveSyncContext(deps.contexts, guildId);
  } catch (error) {
    if (error instanceof SyncNotPossibleError) return { kind: "skipped", reason: "not-configured" };
    throw error;
  }
  // The guild chose another group since the feed's list was made.
  if (context.groupId !== groupId) return { kind: "skipped", reason: "other-group" };
  if (context.settings?.syncPausedReason) return { kind: "skipped", reason: "paused" };
  const { ladder } = context;

  const changes: { discordId: string; change: MemberChange }[] = [];
  // One read for every member the entries name.
  const linkOf = new Map((await deps.repositories.members.findByRobloxUserIds(guildId, [...byMember.keys()])).map((link) => [link.robloxUserId, link]));
  for (const [robloxUserId, entries] of byMember) {
    const link = linkOf.get(robloxUserId);
    if (!link || link.robloxUserId === null) continue;
    const storedRoleId = link.rankId === null ? null : (ladder.byId(link.rankId)?.robloxRoleId ?? null);
    const change = foldMember(robloxUserId, entries, storedRoleId, ladder, isOwn);
    if (change) changes.push({ discordId: link.discordId, change });
  }
  if (changes.length === 0) return { kind: "applied", applied: [], confirmed: 0, robloxRequests: 0, held: null };

  const tally: RequestTally = { requests: 0 };
  const confirmed = await confirmUnknown(context, changes, tally, deps.logger);

  // The guard counts members who newly drop out of the group and would lose their rank.
  const leaving = confirmed.filter(({ change }) => change.standing.kind === "known" && change.standing.membership === null);
  const policyRemoves = (context.settings?.leftGroupPolicy ?? "remove") === "remove";
  const verdict = policyRemoves
    ? judgeMassChange(leaving.length, await deps.repositories.members.countLinked(guildId), massChangeThresholdOf(context.settings))
    : null;
  const held = verdict?.held ? verdict : null;
  const toApply = held ? confirmed.filter((item) => !leaving.includes(item)) : confirmed;

  const wanted = new Set(toApply.map((item) => item.discordId));
  const roles = wanted.size > 0 ? await collectMemberRoles(deps.memberRoles, guildId, { wanted }) : undefined;
  const applied: AppliedChange[] = [];
  for (const { discordId, change } of toApply) {
    if (change.standing.kind !== "known") continue;
    const roleIds = roles?.get(discordId);
    const last = change.entries.at(-1)!;
    const actorName = last.actor?.username ?? null;
    const result = await deps.memberSync.syncMember(guildId, discordId, {
      known: { membership: knownMembership(change.standing.membership, ladder, change), discordMember: roleIds ? { roleIds: [...roleIds] } : null },
      auditReason: { kind: "roblox-change", actorName },
      record: (synced) => ({
        action: "roblox.change",
        note: robloxChangeNote(change, synced, actorName),
        after: { roblox: { action: last.robloxActionType, actorUserId: last.actor?.userId ?? null, createdAt: last.created.getTime(), entries: change.entries.length } },
      }),
    });
    applied.push({ discordId, change, result });
  }
  return { kind: "applied", applied, confirmed: confirmed.filter((item) => item.wasUnknown).length, robloxRequests: tally.requests, held };
}

/** Members whose entries could not tell their standing get it from one batched membership read (50 users a request). */
async function confirmUnknown(
  context: GuildContext,
  changes: readonly { discordId: string; change: MemberChange }[],
  tally: RequestTally,
  logger: Logger,
): Promise<{ discordId: string; change: MemberChange; wasUnknown: boolean }[]> {
  const unknown = changes.filter(({ change }) => change.standing.kind === "unknown").map(({ change }) => change.robloxUserId);
  let found: Map<RobloxUserId, GroupMember> | undefined;
  if (unknown.length > 0) {
    try {
      found = await context.roblox.membershipsOf(context.groupId, unknown, tally);
    } catch (error) {
      // Left for the periodic sync: a member whose rank cannot be known is not touched.
      logger.warn({ err: error, guildId: context.guildId, members: unknown.length }, "change feed: could not confirm members' Roblox ranks");
    }
  }
  type Confirmed = { discordId: string; change: MemberChange; wasUnknown: boolean };
  return changes.flatMap(({ discordId, change }): Confirmed[] => {
    if (change.standing.kind === "known") return [{ discordId, change, wasUnknown: false }];
    if (!found) return [];
    const member = found.get(change.robloxUserId);
    const membership = member ? robloxStandingOf(member, context.ladder) : null;
    return [{ discordId, change: { ...change, standing: { kind: "known" as const, membership } }, wasUnknown: true }];
  });
}

function knownMembership(membership: { roleId: number; rank: number } | null, ladder: RankLadder, change: MemberChange): KnownMembership | null {
  if (!membership) return null;
  const named = change.entries.findLast((entry) => entry.newRole?.id === membership.roleId)?.newRole?.name;
  return { ...membership, roleName: ladder.byRobloxRoleId(membership.roleId)?.name ?? named ?? String(membership.roleId) };
}

/** What the audit trail keeps of the change (src/discord/views/audit-notes.ts words it). */
function robloxChangeNote(change: MemberChange, result: MemberSyncResult, actorName: string | null): AuditNote {
  const last = change.entries.at(-1)!;
  const first = change.entries[0]!;
  const inGroup = change.standing.kind === "known" && change.standing.membership !== null;
  return {
    kind: "roblox-change",
    action: last.actionType,
    robloxUsername: result.robloxUsername,
    from: first.oldRole?.name ?? result.before.storedRank?.name ?? result.before.discordRank?.name ?? null,
    to: inGroup ? (result.plan.toRank?.name ?? (result.roblox.status === "member" ? result.roblox.roleName : null)) : null,
    actorName,
    actorUserId: last.actor?.userId ?? null,
    bySelf: last.actor?.userId === change.robloxUserId,
    problems: result.problems,
  };
}
