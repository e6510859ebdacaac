/**
 * GUILD_MEMBER_ADD: a linked member who joins gets their rank role at once, from one Roblox lookup,
 * with the same plan and hierarchy rules as a bulk run. Audited and counted like a bulk change.
 */
import type { Repositories } from "../services/storage-port.ts";
import type { SyncGuilds } from "../services/discord-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { RoleHierarchy } from "../ranks/hierarchy.ts";
import type { MemberJoinOutcome as MemberJoinRolesOutcome } from "../services/audit-notes.ts";
import type { AuditTrail } from "../services/audit-trail.ts";
import type { GuildContext, GuildContexts } from "../services/guild-context.ts";
import { MemberRoleEditor, type MemberEditOutcome } from "../services/member-role-editor.ts";
import type { RequestPacer } from "./pacer.ts";
import { planSync } from "./planner.ts";
import { linkedAccountOf, readRobloxStandings } from "./roblox-standing.ts";
import { pendingRobloxWritesOf, resolveSyncContext, SyncNotPossibleError, syncOptionsOf } from "./sync-context.ts";
import { type RequestTally } from "../services/roblox-port.ts";

export interface MemberJoinInput {
  userId: string;
  roleIds: readonly string[];
}

/** How a join went: the roles-set outcomes (as audited) or why nothing was tried. */
export type MemberJoinOutcome = { readonly kind: "not-linked" | "not-configured" | "paused" } | MemberJoinRolesOutcome;

export interface MemberJoinDeps {
  repositories: Repositories;
  contexts: GuildContexts;
  guilds: SyncGuilds;
  /** The pacer bulk runs share, so a join does not push them over the global limit. */
  pacer: RequestPacer;
  metrics: Metrics;
  audit: AuditTrail;
  logger: Logger;
  /** Tells a bulk run going in the guild about the member's roles, so it does not write back stale ones. */
  observeMemberRoles: (guildId: string, userId: string, roleIds: readonly string[]) => void;
}

export async function syncJoinedMember(deps: MemberJoinDeps, guildId: string, member: MemberJoinInput): Promise<MemberJoinOutcome> {
  const { repositories, metrics, logger } = deps;
  deps.observeMemberRoles(guildId, member.userId, member.roleIds);
  const stored = repositories.members.get(guildId, member.userId);
  const link = stored && linkedAccountOf(stored);
  if (!link) return { kind: "not-linked" };
  let context: GuildContext;
  try {
    context = await resolveSyncContext(deps.contexts, guildId);
  } catch (error) {
    if (error instanceof SyncNotPossibleError) return { kind: "not-configured" };
    throw error;
  }
  if (context.settings?.syncPausedReason) return { kind: "paused" };

  const tally: RequestTally = { requests: 0 };
  const memberships = await readRobloxStandings(context, [link.robloxUserId], tally);
  const plan = planSync({
    robloxMemberships: memberships,
    links: [link],
    ladder: context.ladder,
    discordMemberRoles: new Map([[member.userId, member.roleIds]]),
    pendingRobloxWrites: pendingRobloxWritesOf(repositories, guildId),
    options: syncOptionsOf(context, "member"),
  });
  const item = plan.items[0];
  if (!item) return { kind: "in-sync" };
  if (item.storedRankChange) repositories.members.setStoredRank(guildId, item.discordId, item.storedRankChange.toRankId);
  if (!item.nextRoleIds) return { kind: "in-sync" };

  const standing = await deps.guilds.botStanding(guildId);
  const applier = new MemberRoleEditor({
    writer: deps.guilds,
    hierarchy: new RoleHierarchy(standing),
    pacer: deps.pacer,
    auditReason: { kind: "member-joined" },
  });
  const outcome = await applier.edit(guildId, item, member.roleIds);
  const from = item.fromRank?.name ?? null;
  const to = item.toRank?.name ?? null;
  const result = joinResult(outcome, from, to);
  metrics.syncMembers.inc({ outcome: `join_${result.kind.replaceAll("-", "_")}` });
  if (outcome.kind === "updated") deps.observeMemberRoles(guildId, member.userId, outcome.roleIds);
  deps.audit.record(guildId, {
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
