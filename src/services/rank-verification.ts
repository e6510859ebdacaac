/**
 * `/verify-rank` as the guide defines it: the member's Discord rank against their Roblox rank.
 * The stored rank is bookkeeping: when Discord and Roblox agree but the stored rank is stale (an
 * admin fixed the Discord role by hand), the stored rank is corrected and audited, and the answer
 * is still "in sync". A Discord/Roblox disagreement stays a mismatch whatever the stored rank says.
 */
import type { Repositories } from "./storage-port.ts";
import type { Rank } from "../ranks/ladder.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { MemberRankInspection, MemberSyncService } from "./member-sync.ts";
import { notedRankOrNone } from "./audit-notes.ts";

export interface RankVerification extends MemberRankInspection {
  /** The stale stored rank this check replaced with the one Discord and Roblox agree on. */
  storedRankCorrected: { from: Rank | null; to: Rank | null } | null;
}

export interface RankVerificationOptions {
  memberSync: Pick<MemberSyncService, "inspect">;
  repositories: Pick<Repositories, "members">;
  audit: Pick<AuditTrail, "record">;
}

/** Reads the three ranks; corrects a stale stored rank when Discord and Roblox agree. */
export async function verifyMemberRank(
  options: RankVerificationOptions,
  guildId: string,
  discordId: string,
  actorId: string,
): Promise<RankVerification> {
  const inspection = await options.memberSync.inspect(guildId, discordId);
  const { plan } = inspection;
  // "update" with no Discord role change: Discord already shows the rank Roblox (or a queued write) says.
  const discordAgrees = plan.kind === "update" && plan.nextRoleIds === null && inspection.displayName !== null;
  if (!discordAgrees || !plan.storedRankChange) return { ...inspection, storedRankCorrected: null };

  const from = inspection.storedRank;
  const to = plan.toRank;
  await options.repositories.members.setStoredRank(guildId, discordId, plan.storedRankChange.toRankId);
  await options.audit.record(guildId, {
    actorId,
    action: "sync.member",
    targetDiscordId: discordId,
    targetRobloxUserId: inspection.robloxUserId,
    before: { storedRankId: plan.storedRankChange.fromRankId },
    after: { storedRankId: plan.storedRankChange.toRankId },
    outcome: "ok",
    note: { kind: "stored-rank-corrected", from: notedRankOrNone(from), to: notedRankOrNone(to) },
  });
  const robloxAgrees =
    !inspection.pendingWrite || (inspection.roblox.status === "member" && inspection.roblox.roleId === inspection.pendingWrite.targetRobloxRoleId);
  return { ...inspection, storedRank: to, inSync: robloxAgrees, storedRankCorrected: { from, to } };
}
