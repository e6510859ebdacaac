/**
 * What a poll of a group's log found, brought to this process's guilds bound to the group: new
 * entries applied to each guild of its shards, a gap or a log that cannot be read answered with a
 * full sync, and the group's status kept. The same whether this process read the log itself or
 * another process did and handed the batch on (relay.ts).
 */
import type { Logger } from "../../observability/logger.ts";
import type { Metrics } from "../../observability/metrics.ts";
import type { AuditLogEntry } from "../../services/roblox-port.ts";
import { applyToGuild, type FeedApplyDeps } from "./apply.ts";
import type { OwnWrites } from "./own-writes.ts";
import type { FeedBatch } from "./relay.ts";
import { entriesByMember, isMemberEntry } from "./standings.ts";
import type { FeedProblemKind, FeedStatus } from "./status.ts";
import type { GroupTopology } from "./topology.ts";

export interface FeedDeliveryDeps {
  status: FeedStatus;
  apply: FeedApplyDeps;
  ownWrites: OwnWrites;
  /** A whole-roster sync of the guild (the safety net); must not throw. */
  fullSync: (guildId: string, reason: string) => void;
  ownsGuild: (guildId: string) => boolean;
  metrics: Pick<Metrics, "changeFeedEntriesApplied" | "changeFeedOwnEntries" | "changeFeedErrors" | "changeFeedDelay">;
  logger: Logger;
  now: () => number;
}

export class FeedDelivery {
  constructor(private readonly deps: FeedDeliveryDeps) {}

  /** Applies the batch to this process's guilds of the group; resolves when it is applied. */
  async deliver(topology: GroupTopology, batch: FeedBatch): Promise<void> {
    if (batch.kind === "entries") {
      if (batch.entries.length === 0) this.deps.status.polled(topology.groupId, batch.polledAt, null);
      else await this.#applyAll(topology, batch.entries, batch.polledAt);
      return;
    }
    if (batch.kind === "gap") return this.gap(topology, batch.reason, batch.polledAt);
    this.problem(topology, batch.problem, batch.detail);
  }

  /** Entries may have been missed (the log's, or batches another process handed on that were lost): a full sync. */
  gap(topology: GroupTopology, reason: "dropped" | "too-many" | "relay", at: number): void {
    this.deps.metrics.changeFeedErrors.inc({ kind: "gap" });
    this.deps.logger.warn({ groupId: topology.groupId, reason, guilds: topology.guildIds }, "change feed: gap in the group's audit log; running a full sync");
    this.fullSyncAll(topology, `gap (${reason})`);
    this.deps.status.gap(topology.groupId, reason, at);
  }

  /** A lasting problem: warned about and answered with a full sync once, when it starts. */
  problem(topology: GroupTopology, kind: FeedProblemKind, detail: string | null): void {
    const metricKind = kind === "no-api-key" ? "no_api_key" : kind === "no-credential" ? null : kind;
    if (!this.deps.status.problem(topology.groupId, kind, detail, this.deps.now())) return;
    if (metricKind) this.deps.metrics.changeFeedErrors.inc({ kind: metricKind });
    if (kind === "no-credential") return;
    this.deps.logger.warn(
      { groupId: topology.groupId, guilds: topology.guildIds, problem: kind },
      `change feed: the audit log of group ${topology.groupId} cannot be read${detail ? `: ${detail}` : kind === "no-api-key" ? ": it needs an Open Cloud API key with the legacy-group:manage scope" : ""}. Changes made on Roblox reach Discord at the periodic sync instead.`,
    );
    if (kind !== "no-api-key") this.fullSyncAll(topology, `audit log ${kind}`);
  }

  fullSyncAll(topology: GroupTopology, reason: string): void {
    for (const guildId of topology.guildIds) if (this.deps.ownsGuild(guildId)) this.deps.fullSync(guildId, reason);
  }

  async #applyAll(topology: GroupTopology, entries: readonly AuditLogEntry[], startedAt: number): Promise<void> {
    const { groupId } = topology;
    const { metrics, logger } = this.deps;
    const byMember = entriesByMember(entries);
    // Decided once per entry (recognising one teaches the feed our actor id), whatever guilds follow.
    const own = new Set(entries.filter((entry) => isMemberEntry(entry) && this.deps.ownWrites.isOwn(groupId, entry)));
    if (own.size > 0) metrics.changeFeedOwnEntries.inc(own.size);
    const isOwn = (entry: AuditLogEntry) => own.has(entry);
    let failed = false;
    for (const guildId of topology.guildIds) {
      if (!this.deps.ownsGuild(guildId)) continue;
      try {
        const result = await applyToGuild(this.deps.apply, guildId, groupId, byMember, isOwn);
        if (result.kind !== "applied") continue;
        for (const { change, result: synced } of result.applied) {
          const last = change.entries.at(-1)!;
          const changed = synced.discordChange === "updated" || synced.storedChange === "updated";
          if (changed) metrics.changeFeedEntriesApplied.inc({ action: last.actionType });
          if (synced.discordChange === "updated") metrics.changeFeedDelay.observe(Math.max(0, this.deps.now() - last.created.getTime()) / 1000);
        }
        if (result.held) {
          logger.warn({ guildId, groupId, leaving: result.held.affected, linked: result.held.linked }, "change feed: more members left the group than the mass-change threshold; held for an admin");
          this.deps.fullSync(guildId, "mass change from the audit log");
        }
      } catch (error) {
        failed = true;
        metrics.changeFeedErrors.inc({ kind: "apply" });
        logger.error({ err: error, guildId, groupId }, "change feed: could not apply the group's changes; running a full sync");
        this.deps.fullSync(guildId, "change feed could not apply");
      }
    }
    this.deps.status.polled(groupId, startedAt, failed ? "apply" : null);
  }
}
