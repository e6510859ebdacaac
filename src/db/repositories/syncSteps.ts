import type { Db } from "../client.ts";
import type { SyncRunItem } from "../schema.ts";
import type { AuditInput, AuditRepository } from "./audit.ts";
import { atomically } from "./common.ts";
import type { MemberRepository } from "./members.ts";
import type { SyncItemUpdate, SyncRunItemInput } from "./syncRunItems.ts";
import type { SyncProgressPatch, SyncRunRepository } from "./syncRuns.ts";

/** A member's stored rank as a slice of the plan sets it. */
export interface StoredRankInput {
  discordId: string;
  rankId: number | null;
}

/** What releasing one held item does: store the planned rank, and settle it now or queue it. */
export interface HeldRelease {
  storeRank: boolean;
  /** Settled at once (nothing to apply); undefined: queued for the applier. */
  settle?: SyncItemUpdate;
}

/**
 * The writes of a bulk-sync run that must land together (a crash leaves all of each or none).
 * Each is one transaction inside the store, so the sync never holds a transaction across awaits.
 */
export function createSyncStepRepository(
  db: Db,
  repositories: { syncRuns: Pick<SyncRunRepository, "insertItems" | "updateProgress" | "markItems" | "settleHeldItems">; members: Pick<MemberRepository, "setStoredRank">; audit: Pick<AuditRepository, "append"> },
) {
  const { syncRuns, members, audit } = repositories;

  /** A slice of the plan: its items, the ranks it stores, and the run's progress. */
  function savePlanSlice(guildId: string, runId: number, items: SyncRunItemInput[], storedRanks: readonly StoredRankInput[], progress: SyncProgressPatch): void {
    atomically(db, () => {
      if (items.length > 0) syncRuns.insertItems(guildId, runId, items);
      for (const stored of storedRanks) members.setStoredRank(guildId, stored.discordId, stored.rankId);
      syncRuns.updateProgress(guildId, runId, progress);
    });
  }

  /** Applied marks, their audit rows and the run's progress. */
  function saveMarks(guildId: string, runId: number, marks: SyncItemUpdate[], audits: readonly AuditInput[], progress: SyncProgressPatch): void {
    atomically(db, () => {
      syncRuns.markItems(guildId, runId, marks);
      for (const entry of audits) audit.append(guildId, entry);
      syncRuns.updateProgress(guildId, runId, progress);
    });
  }

  /** Held items become pending; `decide` says per item what else happens. Returns the queued ones. */
  function releaseHeld(guildId: string, runId: number, decide: (item: SyncRunItem) => HeldRelease): SyncRunItem[] {
    return atomically(db, () => {
      const settled: SyncItemUpdate[] = [];
      const queued: SyncRunItem[] = [];
      for (const row of syncRuns.settleHeldItems(guildId, runId, "pending")) {
        const release = decide(row);
        if (release.storeRank) members.setStoredRank(guildId, row.discordId, row.toRankId);
        if (release.settle) settled.push(release.settle);
        else queued.push(row);
      }
      if (settled.length > 0) syncRuns.markItems(guildId, runId, settled);
      return queued;
    });
  }

  return { savePlanSlice, saveMarks, releaseHeld };
}
