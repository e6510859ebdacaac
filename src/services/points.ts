/**
 * Members' points (`/points`): change a member's balance and audit it, or read it with the rank it
 * gives and the next one within reach. The admin check and the options' bounds are the command's;
 * results are plain values the command words.
 */
import type { Actor } from "../ranks/authority.ts";
import type { Rank } from "../ranks/ladder.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { Member, PointsChange, Repositories } from "./storage-port.ts";

export interface PointsPorts {
  members: Pick<Repositories["members"], "get" | "changePoints">;
  ranks: Pick<Repositories["ranks"], "list">;
  audit: Pick<AuditTrail, "record">;
}

export interface PointsChangeRequest {
  guildId: string;
  actor: Actor;
  targetId: string;
  op: PointsChange["op"];
  /** Within the command's bounds (1..MAX_POINTS, or 0.. for `set`). */
  amount: number;
  reason: string | null;
}

export interface PointsChangeResult {
  /** The member's stored row before the change (undefined for someone never seen). */
  member: Member | undefined;
  before: number;
  after: number;
  /** False when the balance was held inside 0..MAX_POINTS instead of the plain sum. */
  exact: boolean;
}

export interface PointsStanding {
  member: Member | undefined;
  points: number;
  rank: Rank | undefined;
  /** The next rank up with a points requirement the member has not reached. */
  next: Rank | undefined;
}

const PAST_TENSE: Record<PointsChange["op"], string> = { add: "Added", remove: "Removed", set: "Set" };

export class Points {
  constructor(private readonly ports: PointsPorts) {}

  async change({ guildId, actor, targetId, op, amount, reason }: PointsChangeRequest): Promise<PointsChangeResult> {
    const member = await this.ports.members.get(guildId, targetId);
    const before = member?.points ?? 0;
    const after = await this.ports.members.changePoints(guildId, targetId, { op, amount });
    await this.ports.audit.record(guildId, {
      actorId: actor.userId,
      action: `points.${op}`,
      targetDiscordId: targetId,
      targetRobloxUserId: member?.robloxUserId ?? null,
      before: { points: before },
      after: { points: after },
      reason,
      detail: `${PAST_TENSE[op]} ${amount} points: ${before} → ${after}`,
    });
    const expected = op === "add" ? before + amount : op === "remove" ? before - amount : amount;
    return { member, before, after, exact: expected === after };
  }

  async standing(guildId: string, targetId: string): Promise<PointsStanding> {
    const member = await this.ports.members.get(guildId, targetId);
    const points = member?.points ?? 0;
    const ranks = await this.ports.ranks.list(guildId);
    const rank = member?.rankId ? ranks.find((candidate) => candidate.id === member.rankId) : undefined;
    const level = rank ? ranks.indexOf(rank) : -1;
    const next = ranks.slice(level + 1).find((candidate) => candidate.pointsRequired > points);
    return { member, points, rank, next };
  }
}
