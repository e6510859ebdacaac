/**
 * GUILD_MEMBER_ADD: a linked member who joins gets their rank role at once, from one Roblox lookup,
 * with the same plan and hierarchy rules as a bulk run. Audited and counted like a bulk change.
 */
import type { GuildSettings, Repositories } from "../services/storage-port.ts";
import { UNLINKED_STANDING } from "../ranks/binds.ts";
import type { SyncGuilds } from "../services/discord-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { RoleHierarchy, type KickSkipReason } from "../ranks/hierarchy.ts";
import type { MemberJoinOutcome as MemberJoinRolesOutcome } from "../services/audit-notes.ts";
import type { GroupLockKicker } from "../services/group-lock.ts";
import type { LinkedAccount } from "./planner.ts";
import type { AuditTrail } from "../services/audit-trail.ts";
import { guildBinds, type GuildContext, type GuildContexts } from "../services/guild-context.ts";
import { MemberRoleEditor, type MemberEditOutcome } from "../services/member-role-editor.ts";
import { asPlannerGroups, otherGroupsOfMember } from "../services/other-groups.ts";
import type { GroupMembershipsPort } from "./group-memberships.ts";
import type { RequestPacer } from "./pacer.ts";
import { planSync, type SyncInput } from "./planner.ts";
import { linkedAccountOf, readRobloxStandings } from "./roblox-standing.ts";
import { bindInputsOf, groupLockOf, nicknameTemplateOf, pendingRobloxWritesOf, resolveSyncContext, SyncNotPossibleError, syncOptionsOf } from "./sync-context.ts";
import type { RequestTally } from "../services/roblox-port.ts";

export interface MemberJoinInput {
  userId: string;
  roleIds: readonly string[];
  /** Their nickname and Discord name from the join event; without them no nickname is set. */
  nick?: string | null;
  accountName?: string;
}

/** How a join went: the roles-set outcomes (as audited), a group-lock kick, or why nothing was tried. */
export type MemberJoinOutcome =
  | { readonly kind: "not-linked" | "not-configured" | "paused" }
  /** Group lock "kick": not in the Roblox group, removed from the server (after a DM when they accept them). */
  | { readonly kind: "kicked"; readonly dmSent: boolean }
  | MemberJoinRolesOutcome;

export interface MemberJoinDeps {
  repositories: Repositories;
  contexts: GuildContexts;
  guilds: SyncGuilds;
  /** The pacer bulk runs share, so a join does not push them over the global limit. */
  pacer: RequestPacer;
  metrics: Metrics;
  audit: AuditTrail;
  logger: Logger;
  /** Other groups' memberships for range binds; without it those binds neither give nor take on join. */
  groupMemberships?: GroupMembershipsPort;
  /** Tells a bulk run going in the guild about the member's roles, so it does not write back stale ones. */
  observeMemberRoles: (guildId: string, userId: string, roleIds: readonly string[]) => void;
  /** Group lock "kick": a linked member who joins while not in the group is told why and removed. */
  kicker?: Pick<GroupLockKicker, "kick">;
}

export async function syncJoinedMember(deps: MemberJoinDeps, guildId: string, member: MemberJoinInput): Promise<MemberJoinOutcome> {
  const { repositories, metrics, logger } = deps;
  deps.observeMemberRoles(guildId, member.userId, member.roleIds);
  const stored = await repositories.members.get(guildId, member.userId);
  const link = stored && linkedAccountOf(stored);
  if (!link) return joinedUnlinked(deps, guildId, member);
  let context: GuildContext;
  try {
    context = await resolveSyncContext(deps.contexts, guildId);
  } catch (error) {
    if (error instanceof SyncNotPossibleError) return { kind: "not-configured" };
    throw error;
  }
  if (context.settings?.syncPausedReason) return { kind: "paused" };

  const tally: RequestTally = { requests: 0 };
  const [memberships, other] = await Promise.all([
    readRobloxStandings(context, [link.robloxUserId], tally),
    otherGroupsOfMember(deps.groupMemberships, context, link.robloxUserId, logger),
  ]);
  const plan = planSync({
    robloxMemberships: memberships,
    links: [link],
    ladder: context.ladder,
    discordMemberRoles: new Map([[member.userId, member.roleIds]]),
    pendingRobloxWrites: await pendingRobloxWritesOf(repositories, guildId),
    options: syncOptionsOf(context, "member"),
    ...bindInputsOf(context),
    ...nicknamesOf(context.settings, member),
    otherGroups: asPlannerGroups(link.robloxUserId, other),
  });
  const item = plan.items[0];
  if (!item) return { kind: "in-sync" };
  if (item.storedRankChange) await repositories.members.setStoredRank(guildId, item.discordId, item.storedRankChange.toRankId);
  // Group lock "kick": a member gone from the group is removed, whatever roles they hold.
  const kicking = item.kind === "left-group" && deps.kicker !== undefined && groupLockOf(context.settings) === "kick";
  if (!kicking && !item.nextRoleIds && item.nick === undefined) return { kind: "in-sync" };

  const standing = await deps.guilds.botStanding(guildId);
  const hierarchy = new RoleHierarchy(standing);
  if (kicking) {
    const kicked = await kickJoined(deps, context, link, member, hierarchy.kickProblem(member.userId, member.roleIds));
    if (kicked) return kicked;
    if (!item.nextRoleIds && item.nick === undefined) return { kind: "in-sync" };
  }
  const applier = new MemberRoleEditor({
    writer: deps.guilds,
    hierarchy,
    pacer: deps.pacer,
    auditReason: { kind: "member-joined" },
  });
  const outcome = await applier.edit(guildId, item, { roleIds: member.roleIds, ...(member.nick !== undefined && { nick: member.nick }) });
  const from = item.fromRank?.name ?? null;
  const to = item.toRank?.name ?? null;
  const result = joinResult(outcome, from, to);
  metrics.syncMembers.inc({ outcome: `join_${result.kind.replaceAll("-", "_")}` });
  if (outcome.kind === "updated") deps.observeMemberRoles(guildId, member.userId, outcome.roleIds);
  await deps.audit.record(guildId, {
    actorId: "system",
    action: "sync.member",
    targetDiscordId: item.discordId,
    targetRobloxUserId: item.robloxUserId,
    before: { rank: from },
    after: { rank: to },
    outcome: result.kind === "updated" ? "ok" : "failed",
    note: { kind: "member-joined", robloxUsername: link.robloxUsername, discordId: item.discordId, result },
  });
  logger.info({ guildId, userId: member.userId, outcome: result.kind }, "linked member joined");
  return result;
}

/**
 * Group lock "kick" for a linked member who joined while not in the group: DM and kick (audited by
 * the kicker). Undefined when the kick is not possible (`problem`): their roles are set as planned.
 */
async function kickJoined(
  deps: MemberJoinDeps,
  context: GuildContext,
  link: LinkedAccount,
  member: MemberJoinInput,
  problem: KickSkipReason | null,
): Promise<MemberJoinOutcome | undefined> {
  if (problem !== null) {
    deps.logger.info({ guildId: context.guildId, userId: member.userId, problem }, "group lock: a member who joined can't be kicked");
    return undefined;
  }
  const outcome = await deps.kicker!.kick(context.guildId, context.groupId, link, { actorId: "system", pacer: deps.pacer, trigger: "joined the server" });
  deps.metrics.syncMembers.inc({ outcome: `join_kick_${outcome.kind.replaceAll("-", "_")}` });
  switch (outcome.kind) {
    case "kicked":
      return { kind: "kicked", dmSent: outcome.dmSent };
    case "left-guild":
      return { kind: "in-sync" };
    default:
      return { kind: "failed", discordError: outcome.message };
  }
}

/** The planner's nickname input for the one member who joined, when the guild has a template on. */
function nicknamesOf(settings: GuildSettings | undefined, member: MemberJoinInput): Pick<SyncInput, "nicknames"> {
  const template = nicknameTemplateOf(settings);
  if (template === null || member.nick === undefined || member.accountName === undefined) return {};
  return { nicknames: { template, members: new Map([[member.userId, { nick: member.nick, discordName: member.accountName }]]) } };
}

/** A member with no link joined: the unverified role (and no linked-only role), in one request when anything changes. */
async function joinedUnlinked(deps: MemberJoinDeps, guildId: string, member: MemberJoinInput): Promise<MemberJoinOutcome> {
  const settings = await deps.repositories.guilds.get(guildId);
  const binds = await guildBinds(deps.repositories, guildId, settings);
  const changes = binds.changes(UNLINKED_STANDING, member.roleIds);
  if (changes.add.length === 0 && changes.remove.length === 0) return { kind: "not-linked" };
  const editor = new MemberRoleEditor({
    writer: deps.guilds,
    hierarchy: new RoleHierarchy(await deps.guilds.botStanding(guildId)),
    pacer: deps.pacer,
    auditReason: { kind: "member-joined" },
  });
  const outcome = await editor.edit(guildId, { discordId: member.userId, addRoleIds: changes.add, removeRoleIds: changes.remove }, member.roleIds);
  if (outcome.kind === "updated") deps.observeMemberRoles(guildId, member.userId, outcome.roleIds);
  const result = joinResult(outcome, null, null);
  deps.metrics.syncMembers.inc({ outcome: `join_unlinked_${result.kind.replaceAll("-", "_")}` });
  return result.kind === "in-sync" ? { kind: "not-linked" } : result;
}

function joinResult(outcome: MemberEditOutcome, from: string | null, to: string | null): MemberJoinRolesOutcome {
  switch (outcome.kind) {
    case "updated":
      return { kind: "updated", from, to };
    case "already-applied":
    case "left-guild":
      return { kind: "in-sync" };
    case "not-attempted":
      return { kind: "not-attempted", problems: outcome.problems };
    case "forbidden":
    case "failed":
      return { kind: "failed", discordError: outcome.message };
  }
}
