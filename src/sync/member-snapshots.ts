/**
 * The roles of a guild's members that a sync can need, kept for a short while after a member
 * fetch, so a second bulk run soon after the first (`/sync dry-run:true`, then `/sync`) starts at
 * once instead of waiting out Discord's one-all-members-request-per-guild-per-30-s window.
 *
 * Only the members a run wanted (the linked ones, and the unlinked ones its MemberKeep rule says are
 * out of line with the verified/unverified roles) are held, in compact form (compact-roles.ts);
 * the chunks stream through and every other member is dropped as it is read. A member linked
 * after the snapshot was built is fetched on their own when a run wants them.
 *
 * A snapshot is never served stale: gateway member events and our own successful role edits are
 * applied to it, it expires `ttlMs` after its fetch completed, and it is dropped when events may
 * have been missed (a new gateway session, READY) or when roles change without member events
 * (a deleted role). Expired snapshots are dropped by a timer, so a large guild's map is not kept.
 */
import type { Logger } from "../observability/logger.ts";
import type { MemberKeep, MemberName, MemberRolesChunk, MemberRolesPort } from "./member-roles.ts";
import { GuildMemberSnapshot, type PendingEdit } from "./member-snapshot.ts";

export const DEFAULT_MEMBER_SNAPSHOT_TTL_MS = 60_000;
/** Discord's own chunk size; the consumer cannot tell a served snapshot from a fetch. */
const CHUNK_SIZE = 1000;
/**
 * Wanted members a snapshot does not cover (linked after it was built) are fetched on their own,
 * by `user_ids` (100 a gateway request, outside the all-members window), up to this many; more
 * than that and the whole snapshot is fetched again.
 */
export const MAX_MEMBERS_FILLED_IN = 1000;

export interface MemberSnapshotsOptions {
  /** How long a snapshot is served after its fetch completed. Default 60 s; 0 keeps none. */
  ttlMs?: number;
  now?: () => number;
  /** Debug lines: whether a run was served from a snapshot or fetched. */
  logger?: Logger;
}

/** What one guild's member state holds, for `/metrics`. */
export interface MemberStateSize {
  guildId: string;
  /** Members whose roles are held. */
  members: number;
  approximateBytes: number;
}

export class MemberSnapshots {
  readonly #snapshots = new Map<string, GuildMemberSnapshot>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;

  /**
   * The wanted members' roles (every member's without `wanted`): from a fresh snapshot when there
   * is one, else from `fetchPort` (recorded as the next snapshot when the fetch completes). Only
   * the wanted members are held.
   */
  readonly port: MemberRolesPort;

  constructor(
    private readonly fetchPort: MemberRolesPort,
    options: MemberSnapshotsOptions = {},
  ) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_MEMBER_SNAPSHOT_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    this.port = (guildId, wanted, also) => this.#read(guildId, wanted, also);
  }

  /** Guilds whose snapshot (or fetch being recorded) is held in memory. */
  get size(): number {
    return this.#snapshots.size;
  }

  /** Members held and approximate bytes, per guild with a snapshot (or a fetch being recorded). */
  sizes(): MemberStateSize[] {
    return [...this.#snapshots].map(([guildId, snapshot]) => ({
      guildId,
      members: snapshot.roles.size,
      approximateBytes: snapshot.approximateBytes(),
    }));
  }

  /** Whether a fresh snapshot of the guild would be served now. */
  isFresh(guildId: string): boolean {
    return this.#current(guildId)?.fetching === false;
  }

  /** GUILD_MEMBER_ADD. */
  observeAdd(guildId: string, userId: string, roleIds: readonly string[]): void {
    this.#observe(guildId, userId, roleIds);
  }

  /** GUILD_MEMBER_UPDATE. */
  observeUpdate(guildId: string, userId: string, roleIds: readonly string[], name?: MemberName): void {
    this.#observe(guildId, userId, roleIds, name);
  }

  /** GUILD_MEMBER_REMOVE. */
  observeRemove(guildId: string, userId: string): void {
    this.#observe(guildId, userId, null);
  }

  /**
   * Our own role edit of a member, called as it is sent. The returned function takes the member's
   * roles once Discord accepted it (undefined when it failed). The result is applied only when no
   * gateway event for the member arrived meanwhile: such an event may be newer than our edit (someone
   * changed the roles just after), and the gateway echo of our edit brings its result anyway.
   */
  beginEdit(guildId: string, userId: string): (roleIds: readonly string[] | undefined, nick?: string | null) => void {
    const snapshot = this.#current(guildId);
    // A fetch starting after this point cannot tell our result from a newer event: the echo serves.
    if (!snapshot?.tracks(userId)) return () => {};
    const edit: PendingEdit = { snapshot, overtaken: false };
    const pending = snapshot.edits.get(userId) ?? new Set<PendingEdit>();
    pending.add(edit);
    snapshot.edits.set(userId, pending);
    return (roleIds, nick) => {
      pending.delete(edit);
      if (pending.size === 0 && snapshot.edits.get(userId) === pending) snapshot.edits.delete(userId);
      if (roleIds === undefined || edit.overtaken || this.#current(guildId) !== snapshot) return;
      snapshot.apply(userId, roleIds);
      if (nick !== undefined) snapshot.setNick(userId, nick);
    };
  }

  /** Drops the guild's snapshot, and keeps a fetch in flight from becoming one. */
  invalidate(guildId: string): void {
    const snapshot = this.#snapshots.get(guildId);
    if (!snapshot) return;
    clearTimeout(snapshot.expiry);
    this.#snapshots.delete(guildId);
  }

  /** A new gateway session (READY): events may have been missed, so no snapshot can be trusted. */
  invalidateAll(): void {
    for (const guildId of [...this.#snapshots.keys()]) this.invalidate(guildId);
  }

  #observe(guildId: string, userId: string, roleIds: readonly string[] | null, name?: MemberName): void {
    const snapshot = this.#current(guildId);
    if (!snapshot) return;
    for (const edit of snapshot.edits.get(userId) ?? []) edit.overtaken = true;
    snapshot.apply(userId, roleIds);
    if (name && snapshot.covers(userId)) snapshot.names.set(userId, name);
  }

  /** The guild's snapshot or fetch being recorded; an expired snapshot is dropped on the way. */
  #current(guildId: string): GuildMemberSnapshot | undefined {
    const snapshot = this.#snapshots.get(guildId);
    if (snapshot && !snapshot.fetching && this.#now() - snapshot.completedAt! >= this.#ttlMs) {
      this.invalidate(guildId);
      return undefined;
    }
    return snapshot;
  }

  async *#read(guildId: string, wanted: ReadonlySet<string> | undefined, also: MemberKeep | undefined): AsyncGenerator<MemberRolesChunk> {
    const snapshot = this.#current(guildId);
    // A snapshot kept under another rule for unlinked members does not know who this one needs.
    const sameRule = snapshot?.also?.key === also?.key;
    if (snapshot && !snapshot.fetching && sameRule) {
      if (await this.#fillInUncovered(guildId, snapshot, wanted)) {
        this.#logger?.debug({ guildId, members: snapshot.roles.size, ageMs: this.#now() - snapshot.completedAt! }, "member roles served from a snapshot");
        yield* this.#serve(snapshot, wanted);
        return;
      }
      this.invalidate(guildId);
    } else if (snapshot?.fetching) {
      // Another fetch of the guild is being recorded (only one run per guild, so rare): fetch alongside.
      this.#logger?.debug({ guildId }, "member roles fetched from the gateway while another fetch is recorded");
      yield* this.fetchPort(guildId, wanted, also);
      return;
    } else if (snapshot) this.invalidate(guildId);
    this.#logger?.debug({ guildId }, "member roles fetched from the gateway (no fresh snapshot)");
    yield* this.#fetchAndRecord(guildId, wanted, also);
  }

  /**
   * Makes the snapshot cover every wanted member: members linked since it was built are fetched
   * on their own. False when it cannot serve this read (too many missing, or it was dropped).
   */
  async #fillInUncovered(guildId: string, snapshot: GuildMemberSnapshot, wanted: ReadonlySet<string> | undefined): Promise<boolean> {
    if (!wanted) return snapshot.coversEveryone;
    const uncovered: string[] = [];
    for (const userId of wanted) if (!snapshot.covers(userId)) uncovered.push(userId);
    if (uncovered.length === 0) return true;
    if (uncovered.length > MAX_MEMBERS_FILLED_IN) return false;
    this.#logger?.debug({ guildId, members: uncovered.length }, "member roles of members the snapshot does not cover fetched on their own");
    // Events for them from now on are applied, and win over their chunk as during a full fetch.
    snapshot.fillIn(uncovered);
    snapshot.touched = new Set();
    const missing = new Set(uncovered);
    let complete = false;
    try {
      for await (const chunk of this.fetchPort(guildId, missing)) {
        // Only the missing members: anyone else in the answer is already covered, and newer here.
        if (this.#snapshots.get(guildId) === snapshot) snapshot.addChunk(chunk.filter((member) => missing.has(member.userId)));
      }
      complete = true;
    } finally {
      snapshot.touched = undefined;
      // Half filled in, its coverage would claim members it never heard of: dropped.
      if (!complete) this.invalidate(guildId);
    }
    return this.#snapshots.get(guildId) === snapshot;
  }

  /**
   * The wanted members the snapshot holds, then those its `also` rule holds, chunk by chunk; each
   * chunk is copied as it is built.
   */
  *#serve(snapshot: GuildMemberSnapshot, wanted: ReadonlySet<string> | undefined): Generator<MemberRolesChunk> {
    let chunk: { userId: string; roleIds: readonly string[]; name?: MemberName }[] = [];
    const also = wanted && snapshot.also ? [...snapshot.roles.keys()].filter((userId) => !wanted.has(userId)) : [];
    for (const userId of wanted ? [...wanted, ...also] : [...snapshot.roles.keys()]) {
      const roleIds = snapshot.roles.get(userId);
      if (roleIds === undefined) continue; // not in the guild
      const name = snapshot.names.get(userId);
      chunk.push(name ? { userId, roleIds, name } : { userId, roleIds });
      if (chunk.length === CHUNK_SIZE) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length > 0) yield chunk;
  }

  async *#fetchAndRecord(guildId: string, wanted: ReadonlySet<string> | undefined, also: MemberKeep | undefined): AsyncGenerator<MemberRolesChunk> {
    const snapshot = new GuildMemberSnapshot(wanted, also);
    this.#snapshots.set(guildId, snapshot);
    let complete = false;
    try {
      for await (const chunk of this.fetchPort(guildId, wanted, also)) {
        // Only what a decision can need is passed on or kept; the chunk itself is dropped here.
        const kept =
          this.#snapshots.get(guildId) === snapshot
            ? snapshot.addChunk(chunk)
            : chunk.filter((member) => !wanted || wanted.has(member.userId) || also?.keep(member.roleIds));
        if (kept.length > 0) yield kept;
      }
      complete = true;
    } finally {
      // Invalidated meanwhile: left alone. Failed or abandoned part-way: a partial list is no snapshot.
      if (this.#snapshots.get(guildId) === snapshot) {
        if (complete && this.#ttlMs > 0) this.#keep(guildId, snapshot);
        else this.#snapshots.delete(guildId);
      }
    }
  }

  #keep(guildId: string, snapshot: GuildMemberSnapshot): void {
    snapshot.completedAt = this.#now();
    snapshot.touched = undefined;
    snapshot.expiry = setTimeout(() => {
      if (this.#snapshots.get(guildId) === snapshot) this.#snapshots.delete(guildId);
    }, this.#ttlMs);
    // A snapshot never keeps the process alive.
    snapshot.expiry.unref?.();
    this.#logger?.debug({ guildId, members: snapshot.roles.size, ttlMs: this.#ttlMs }, "member roles snapshot kept");
  }
}
