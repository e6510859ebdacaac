/**
 * Concurrent single lookups coalesced into Roblox's batch requests, with `dataloader`.
 *
 * One `RobloxBatchLoaders` belongs to one `RobloxClient`, i.e. to one set of credentials, and the
 * membership loaders are kept per group: a lookup is only ever answered by a request made with
 * the same credentials for the same group, so one guild's question never gets another guild's
 * answer.
 *
 * Nothing is cached (`cache: false`): every load is answered by a request made after it was asked.
 *
 * When to send: a lookup arriving while no batch of its kind is in flight goes out on the next
 * turn of the event loop (lookups of the same moment join it). While a batch is in flight (often:
 * waiting for a rate limit), new lookups gather and go together when it returns, up to the
 * endpoint's maximum per request. So requests in flight never outnumber one per full batch, and
 * the busier the limit, the fuller each request. Username lookups also keep a least interval
 * between requests (see `usernamesMinIntervalMs`).
 */
import DataLoader from "dataloader";
import type { GroupMember, RobloxUser, RobloxUserId } from "./types.ts";

export interface BatchReads {
  /** At most `usernamesPerRequest` names; unknown names are left out of the answer. */
  usersByUsernames(usernames: string[]): Promise<Array<RobloxUser & { requestedUsername: string }>>;
  /** At most `membershipsPerRequest` users; non-members are left out. */
  membersAmong(groupId: number, userIds: RobloxUserId[]): Promise<GroupMember[]>;
}

export interface BatchLimits {
  usernamesPerRequest: number;
  membershipsPerRequest: number;
  /**
   * Least time between two username requests that are not full. The legacy users host has an
   * undocumented limit shared by everything on this address: a steady onboarding stream (ten
   * links a second) then costs one request every second or two instead of ten a second, for at most this much added
   * to a reply (a lone lookup, after a quiet spell, goes out at once).
   */
  usernamesMinIntervalMs?: number;
}

/**
 * Holds a batch back while another of its kind is in flight, and (when `minIntervalMs` is set)
 * until that long after the previous one went out, so a steady stream of lookups goes out in
 * batches rather than one request each.
 */
class DispatchGate {
  #inFlight = 0;
  #waiting: Array<() => void> = [];
  #timer: ReturnType<typeof setTimeout> | undefined;
  #lastDispatch = Number.NEGATIVE_INFINITY;

  constructor(private readonly minIntervalMs = 0) {}

  /** dataloader's `batchScheduleFn`. */
  readonly schedule = (dispatch: () => void): void => {
    this.#waiting.push(dispatch);
    this.#arm();
  };

  /** Wraps a batch request so the gate knows when it is done. */
  async track<T>(request: () => Promise<T>): Promise<T> {
    this.#inFlight++;
    try {
      return await request();
    } finally {
      this.#inFlight--;
      this.#arm();
    }
  }

  #arm(): void {
    if (this.#inFlight > 0 || this.#timer !== undefined || this.#waiting.length === 0) return;
    // At least one turn of the event loop, so lookups made at the same moment go together.
    const delay = Math.max(0, this.#lastDispatch + this.minIntervalMs - Date.now());
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#lastDispatch = Date.now();
      const waiting = this.#waiting;
      this.#waiting = [];
      for (const dispatch of waiting) dispatch();
    }, delay);
  }
}

export class RobloxBatchLoaders {
  readonly #usernameGate: DispatchGate;
  readonly #usernames: DataLoader<string, RobloxUser | null, string>;
  readonly #memberships = new Map<number, DataLoader<RobloxUserId, GroupMember | null>>();

  constructor(
    private readonly reads: BatchReads,
    private readonly limits: BatchLimits,
  ) {
    this.#usernameGate = new DispatchGate(limits.usernamesMinIntervalMs);
    this.#usernames = new DataLoader<string, RobloxUser | null, string>(
      (names) => this.#usernameGate.track(() => this.#loadUsernames(names)),
      { cache: false, maxBatchSize: limits.usernamesPerRequest, batchScheduleFn: this.#usernameGate.schedule },
    );
  }

  /** The user a (current or previous) username names, or null; case-insensitive. */
  userByUsername(username: string): Promise<RobloxUser | null> {
    return this.#usernames.load(username.toLowerCase());
  }

  /** The user's membership in the group, or null when not a member. */
  membership(groupId: number, userId: RobloxUserId): Promise<GroupMember | null> {
    let loader = this.#memberships.get(groupId);
    if (!loader) {
      const gate = new DispatchGate();
      loader = new DataLoader<RobloxUserId, GroupMember | null>(
        (userIds) => gate.track(() => this.#loadMemberships(groupId, userIds)),
        { cache: false, maxBatchSize: this.limits.membershipsPerRequest, batchScheduleFn: gate.schedule },
      );
      this.#memberships.set(groupId, loader);
    }
    return loader.load(userId);
  }

  async #loadUsernames(names: readonly string[]): Promise<Array<RobloxUser | null>> {
    const unique = [...new Set(names)];
    const found = new Map<string, RobloxUser>();
    for (const user of await this.reads.usersByUsernames(unique)) {
      found.set(user.requestedUsername.toLowerCase(), { id: user.id, name: user.name, displayName: user.displayName });
    }
    return names.map((name) => found.get(name) ?? null);
  }

  async #loadMemberships(groupId: number, userIds: readonly RobloxUserId[]): Promise<Array<GroupMember | null>> {
    const members = await this.reads.membersAmong(groupId, [...new Set(userIds)]);
    const byUser = new Map(members.map((member) => [member.userId, member]));
    return userIds.map((userId) => byUser.get(userId) ?? null);
  }
}
