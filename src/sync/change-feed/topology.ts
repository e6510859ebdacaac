/**
 * Which Roblox groups the change feed reads, for which guilds, with whose credential (design §3.2,
 * §10). One feed per group, however many guilds bind it. The credential is one a bound guild may
 * use for it: a home guild's (its own stored key, else the operator's), or a visiting guild's own
 * stored key. The operator's credential never reads a group only visiting guilds chose, and a key
 * that cannot read the log (403) is passed over for another bound guild's key when there is one.
 */
import type { Repositories } from "../../services/storage-port.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import type { CredentialOwner } from "../../services/roblox-access.ts";
import type { RobloxAuditLogReader } from "../../services/roblox-port.ts";

export interface GroupTopology {
  readonly groupId: number;
  /** Guilds of this process bound to the group, in id order. */
  readonly guildIds: readonly string[];
  /** The credential that reads its log; null when no bound guild may use one for it. */
  readonly reader: RobloxAuditLogReader | null;
  readonly credential: CredentialOwner | null;
}

export interface TopologyInputs {
  repositories: Pick<Repositories, "guilds">;
  contexts: Pick<GuildContexts, "groupIdOf" | "accessFor">;
  /** Readers known to be refused this group's log: tried last. */
  refused: (groupId: number, reader: RobloxAuditLogReader) => boolean;
}

export async function feedTopology(inputs: TopologyInputs, guildIds: Iterable<string>): Promise<Map<number, GroupTopology>> {
  const byGroup = new Map<number, { guildIds: string[]; candidates: { reader: RobloxAuditLogReader; credential: CredentialOwner }[] }>();
  for (const guildId of [...guildIds].sort()) {
    const settings = await inputs.repositories.guilds.get(guildId);
    const groupId = inputs.contexts.groupIdOf(guildId, settings);
    if (groupId === undefined) continue;
    const group = byGroup.get(groupId) ?? { guildIds: [], candidates: [] };
    byGroup.set(groupId, group);
    group.guildIds.push(guildId);
    const access = await inputs.contexts.accessFor(guildId, settings);
    // A visiting guild without a usable key of its own reads public data through the operator's
    // credential; its group's log is not read with it.
    if (!access.home && access.readCredential !== "guild-key") continue;
    if (!group.candidates.some((candidate) => candidate.reader === access.auditLog)) group.candidates.push({ reader: access.auditLog, credential: access.readCredential });
  }

  const topology = new Map<number, GroupTopology>();
  for (const [groupId, group] of byGroup) {
    const usable = group.candidates.filter((candidate) => candidate.reader.auth === "api-key");
    const chosen = usable.find((candidate) => !inputs.refused(groupId, candidate.reader)) ?? usable[0] ?? group.candidates[0];
    topology.set(groupId, { groupId, guildIds: group.guildIds, reader: chosen?.reader ?? null, credential: chosen?.credential ?? null });
  }
  return topology;
}
