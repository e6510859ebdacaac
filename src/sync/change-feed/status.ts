/**
 * What the change feed can say about itself: per group, the last poll, how far it is caught up,
 * errors, and a lasting problem (a key that may not read the log, no API key, ...). Read by
 * `/sync-status` (per guild), `/readyz` (the process) and `/metrics` (the lag). No wording: the
 * views turn the kinds into sentences; `detail` is Roblox's or the typed error's own message.
 */
import type { CredentialOwner } from "../../services/roblox-access.ts";
import type { GroupTopology } from "./topology.ts";

export type FeedProblemKind =
  /** The key may not read the log (403): `detail` names the scope and group permission to grant. */
  | "forbidden"
  /** Roblox refuses the log otherwise (disabled, group gone). */
  | "unavailable"
  /** The group is read with a cookie or no credential; the log needs an Open Cloud API key. */
  | "no-api-key"
  /** Only visiting guilds bind the group and none stored a key: the operator's key does not read it. */
  | "no-credential";

export interface GroupFeedState {
  readonly groupId: number;
  readonly guildIds: readonly string[];
  readonly credential: CredentialOwner | null;
  /** Start of the last poll that read the log, epoch ms. */
  readonly lastPollAt: number | null;
  /** Every entry before this has been read and applied (the start of the last complete poll); null before one. */
  readonly caughtUpTo: number | null;
  /** Polls or applies that failed since the process started. */
  readonly errors: number;
  readonly lastError: { readonly message: string; readonly at: number } | null;
  /** The last gap, answered with a full sync (`relay`: batches another process handed on were lost). */
  readonly lastGap: { readonly reason: "dropped" | "too-many" | "relay"; readonly at: number } | null;
  /** In a cluster with Redis: true while another process of the bot reads the log and hands its entries on. */
  readonly readElsewhere: boolean;
  readonly problem: { readonly kind: FeedProblemKind; readonly detail: string | null; readonly since: number } | null;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };

export class FeedStatus {
  readonly #groups = new Map<number, Mutable<GroupFeedState>>();

  constructor(readonly intervalMs: number) {}

  track(topology: GroupTopology): void {
    const state = this.#groups.get(topology.groupId);
    if (state) {
      state.guildIds = topology.guildIds;
      state.credential = topology.credential;
      return;
    }
    this.#groups.set(topology.groupId, {
      groupId: topology.groupId,
      guildIds: topology.guildIds,
      credential: topology.credential,
      lastPollAt: null,
      caughtUpTo: null,
      errors: 0,
      lastError: null,
      lastGap: null,
      readElsewhere: false,
      problem: null,
    });
  }

  retain(groupIds: ReadonlySet<number>): void {
    for (const groupId of this.#groups.keys()) if (!groupIds.has(groupId)) this.#groups.delete(groupId);
  }

  /** A poll that read the log; `failure` when applying failed somewhere (a full sync was started). */
  polled(groupId: number, startedAt: number, failure: "apply" | null): void {
    const state = this.#groups.get(groupId);
    if (!state) return;
    state.lastPollAt = startedAt;
    state.problem = null;
    if (failure) {
      state.errors++;
      state.lastError = { message: "a change could not be applied; a full sync was started", at: startedAt };
    } else state.caughtUpTo = startedAt;
  }

  gap(groupId: number, reason: "dropped" | "too-many" | "relay", at: number): void {
    const state = this.#groups.get(groupId);
    if (!state) return;
    state.lastPollAt = at;
    state.problem = null;
    state.lastGap = { reason, at };
    state.caughtUpTo = at;
  }

  failed(groupId: number, message: string, at: number): void {
    const state = this.#groups.get(groupId);
    if (!state) return;
    state.errors++;
    state.lastError = { message, at };
  }

  /** Whether this process reads the group's log (false: another process holds its feed lease). */
  readHere(groupId: number, here: boolean): void {
    const state = this.#groups.get(groupId);
    if (state) state.readElsewhere = !here;
  }

  /** Records a lasting problem; true when it is new (so it is warned about once). */
  problem(groupId: number, kind: FeedProblemKind, detail: string | null, at: number): boolean {
    const state = this.#groups.get(groupId);
    if (!state) return false;
    if (state.problem?.kind === kind) return false;
    state.problem = { kind, detail, since: at };
    if (kind === "forbidden" || kind === "unavailable") state.errors++;
    return true;
  }

  groups(): GroupFeedState[] {
    return [...this.#groups.values()];
  }

  /** The state of the group the guild is bound to, if the feed reads (or tried to read) it. */
  forGuild(guildId: string): GroupFeedState | undefined {
    return [...this.#groups.values()].find((state) => state.guildIds.includes(guildId));
  }
}
