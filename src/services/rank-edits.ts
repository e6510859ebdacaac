/**
 * Editing a rank's display name or points requirement (`/ranks edit`): the name must differ from
 * every other rank's, the change is stored and audited. The command checks the options' bounds;
 * outcomes are typed and the command words them.
 */
import type { Actor } from "../ranks/authority.ts";
import { nameKey } from "../ranks/binding.ts";
import { formatRank, RankLadder, type Rank } from "../ranks/ladder.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { Repositories } from "./storage-port.ts";

export interface RankEditPorts {
  ranks: Pick<Repositories["ranks"], "list" | "edit">;
  audit: Pick<AuditTrail, "record">;
}

export interface RankEditRequest {
  guildId: string;
  actor: Actor;
  rank: Rank;
  /** Already normalised (spaces collapsed) and within the length limit. */
  name?: string;
  pointsRequired?: number;
}

export type RankEditOutcome =
  | { readonly kind: "edited"; readonly before: Rank; readonly after: Rank }
  /** Another rank already has that name (compared as `/ranks import` compares names). */
  | { readonly kind: "name-taken"; readonly clash: Rank }
  | { readonly kind: "rank-gone" };

export class RankEdits {
  constructor(private readonly ports: RankEditPorts) {}

  async edit({ guildId, actor, rank, name, pointsRequired }: RankEditRequest): Promise<RankEditOutcome> {
    // @throws InvalidLadderError when the stored ladder breaks the ladder's rules.
    const ladder = new RankLadder(await this.ports.ranks.list(guildId));
    if (name !== undefined) {
      const clash = ladder.ranks.find((other) => other.id !== rank.id && nameKey(other.name) === nameKey(name));
      if (clash) return { kind: "name-taken", clash };
    }
    const updated = await this.ports.ranks.edit(guildId, rank.id, { name, pointsRequired });
    if (!updated) return { kind: "rank-gone" };
    await this.ports.audit.record(guildId, {
      actorId: actor.userId,
      action: "ranks.edit",
      before: { name: rank.name, pointsRequired: rank.pointsRequired },
      after: { name: updated.name, pointsRequired: updated.pointsRequired },
      detail: `Edited ${formatRank(rank)}`,
    });
    return { kind: "edited", before: rank, after: updated };
  }
}
