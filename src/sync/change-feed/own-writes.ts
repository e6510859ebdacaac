/**
 * rankbridge's own Roblox writes, so the change feed never echoes them back (design §3.2): every
 * rank write a Roblox client sends is announced here (RobloxClient's `onRankWritten`), and an audit
 * entry that matches a recent one (same group and member, the role we gave or one we took away) is
 * ours. Its actor is then known to be our credential's user, whose later entries are ours too.
 */
import type { AuditLogEntry, RankWritten } from "../../services/roblox-port.ts";

/** How long after a write its entries are expected in the log. */
const MATCH_WINDOW_MS = 10 * 60_000;

export class OwnWrites {
  /** By `${groupId}:${userId}`: our recent writes to that member. */
  readonly #writes = new Map<string, RankWritten[]>();
  /** By group: user ids that acted for us there (the key owner or the cookie's account). */
  readonly #selfActors = new Map<number, Set<number>>();

  constructor(private readonly now: () => number = Date.now) {}

  /** RobloxClient's `onRankWritten`. */
  readonly record = (write: RankWritten): void => {
    const key = `${write.groupId}:${write.userId}`;
    const recent = (this.#writes.get(key) ?? []).filter((known) => this.now() - known.at < MATCH_WINDOW_MS);
    recent.push(write);
    this.#writes.set(key, recent);
  };

  /** Whether the entry records one of our writes. */
  isOwn(groupId: number, entry: AuditLogEntry): boolean {
    const actorId = entry.actor?.userId;
    if (actorId !== undefined && this.#selfActors.get(groupId)?.has(actorId)) return true;
    if (!entry.target || !this.#matchesWrite(groupId, entry.target.userId, entry)) return false;
    if (actorId !== undefined) {
      const actors = this.#selfActors.get(groupId) ?? new Set<number>();
      actors.add(actorId);
      this.#selfActors.set(groupId, actors);
    }
    return true;
  }

  #matchesWrite(groupId: number, userId: number, entry: AuditLogEntry): boolean {
    const writes = this.#writes.get(`${groupId}:${userId}`);
    if (!writes) return false;
    const created = entry.created.getTime();
    return writes.some((write) => {
      // Roblox's clock and ours differ a little: an entry up to a minute "before" the write still counts.
      if (created < write.at - 60_000 || created > write.at + MATCH_WINDOW_MS) return false;
      switch (entry.actionType) {
        case "ChangeRank":
          return entry.newRole?.id === write.roleId;
        case "AssignRole":
          return entry.role?.id === write.roleId;
        case "UnassignRole":
          return entry.role !== undefined && entry.role.id !== write.roleId;
        default:
          return false;
      }
    });
  }
}
