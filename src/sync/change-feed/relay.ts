/**
 * The change feed in a cluster (design §8): one process reads a group's audit log each interval and
 * hands what it found to every process whose guilds are bound to the group. The reader holds the
 * group's feed lease; what it read goes out as one batch per poll, in order, and each process takes
 * the batches after its own position and applies them to the guilds of its shards.
 *
 * A port: `src/cluster/feed-relay.ts` implements it over Redis. Without one (no REDIS_URL) each
 * process reads its groups itself, with a cursor of its own (ChangeFeedOptions.cursorScope).
 */
import type { AuditLogEntry } from "../../services/roblox-port.ts";

/** What one poll of a group's log found, as every follower applies it. */
export type FeedBatch =
  /** New entries, oldest first; none when nothing changed (still sent: followers see the read and its time). */
  | { readonly kind: "entries"; readonly polledAt: number; readonly entries: readonly AuditLogEntry[] }
  /** Entries may have been missed: every follower runs a full sync of its guilds bound to the group. */
  | { readonly kind: "gap"; readonly polledAt: number; readonly reason: "dropped" | "too-many" }
  /** The log cannot be read with the reader's key (403, disabled): followers say so and run a full sync once. */
  | { readonly kind: "problem"; readonly polledAt: number; readonly problem: "forbidden" | "unavailable"; readonly detail: string | null };

/** The right to read a group's log for the cluster; `token` fences the cursor. */
export interface FeedClaim {
  readonly token: number;
  /** False when it was lost (expired and taken, or the store emptied). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export interface ReceivedBatches {
  /** Batches after this process's position, oldest first. */
  readonly batches: readonly FeedBatch[];
  /** Batches between the position and these were lost (trimmed, the store restarted empty): a full sync is owed. */
  readonly gap: boolean;
  /** Where the process stands once these are applied: pass to `acknowledge`. */
  readonly position: string;
}

export interface FeedRelay {
  /** Takes the group's read lease; undefined when another process holds it. Throws when the store cannot be asked. */
  claim(groupId: number, ttlMs: number): Promise<FeedClaim | undefined>;
  /** Hands a poll's batch to every follower of the group. Throws when the store cannot be asked. */
  publish(groupId: number, batch: FeedBatch): Promise<void>;
  /**
   * What was published for each group since this process's position. A group followed for the first
   * time starts at the newest batch (what came before is the periodic sync's, as at the feed's start).
   */
  receive(groupIds: readonly number[]): Promise<Map<number, ReceivedBatches>>;
  /** The batches up to `position` are applied: a process started again with the same shards goes on from here. */
  acknowledge(groupId: number, position: string): Promise<void>;
}
