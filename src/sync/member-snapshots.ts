/**
 * Every member's roles of a guild, kept for a short while after a full member fetch, so a second
 * bulk run soon after the first (`/sync dry-run:true`, then `/sync`) starts at once instead of
 * waiting out Discord's one-all-members-request-per-guild-per-30-s window.
 *
 * A snapshot is never served stale: gateway member events and our own successful role edits are
 * applied to it, it expires `ttlMs` after its fetch completed, and it is dropped when events may
 * have been missed (a new gateway session, READY) or when roles change without member events
 * (a deleted role). Expired snapshots are dropped by a timer, so a large guild's map is not kept.
 */
import type { Logger } from "../observability/logger.ts";
import type { MemberRolesChunk, MemberRolesPort } from "./member-roles.ts";

export const DEFAULT_MEMBER_SNAPSHOT_TTL_MS = 60_000;
/** Discord's own chunk size; the consumer cannot tell a served snapshot from a fetch. */
const CHUNK_SIZE = 1000;

export interface MemberSnapshotsOptions {
  /** How long a snapshot is served after its fetch completed. Default 60 s; 0 keeps none. */
  ttlMs?: number;
  now?: () => number;
  /** Debug lines: whether a run was served from a snapshot or fetched. */
  logger?: Logger;
}

/** One of our own role edits while it is in flight. */
interface PendingEdit {
  readonly snapshot: GuildSnapshot;
  /** A gateway event for the member arrived meanwhile: the edit's result may be older than the snapshot. */
  overtaken: boolean;
}

class GuildSnapshot {
  readonly roles = new Map<string, readonly string[]>();
  /**
   * While the fetch runs: members an event or our own edit touched. Their event is at least as new
   * as their chunk, so a chunk arriving later does not overwrite it.
   */
  touched: Set<string> | undefined = new Set();
  completedAt: number | undefined;
  expiry: ReturnType<typeof setTimeout> | undefined;
  readonly edits = new Map<string, Set<PendingEdit>>();

  get fetching(): boolean {
    return this.completedAt === undefined;
  }

  /** A gateway event or our own edit, newest first-hand knowledge of the member. */
  apply(userId: string, roleIds: readonly string[] | null): void {
    if (roleIds === null) this.roles.delete(userId);
    else this.roles.set(userId, roleIds);
    this.touched?.add(userId);
  }

  addChunk(chunk: MemberRolesChunk): void {
    for (const member of chunk) {
      if (!this.touched?.has(member.userId)) this.roles.set(member.userId, member.roleIds);
    }
  }
}

export class MemberSnapshots {
  readonly #snapshots = new Map<string, GuildSnapshot>();
  readonly #ttlMs: number;
  readonly #now: () => number;
  readonly #logger: Logger | undefined;

  /**
   * Members' roles of a guild: from a fresh snapshot when there is one, else from `fetchPort`
   * (recorded as the next snapshot when the fetch completes).
   */
  readonly port: MemberRolesPort;

  constructor(
    private readonly fetchPort: MemberRolesPort,
    options: MemberSnapshotsOptions = {},
  ) {
    this.#ttlMs = options.ttlMs ?? DEFAULT_MEMBER_SNAPSHOT_TTL_MS;
    this.#now = options.now ?? Date.now;
    this.#logger = options.logger;
    this.port = (guildId) => this.#read(guildId);
  }

  /** Guilds whose snapshot (or fetch being recorded) is held in memory. */
  get size(): number {
    return this.#snapshots.size;
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
  observeUpdate(guildId: string, userId: string, roleIds: readonly string[]): void {
    this.#observe(guildId, userId, roleIds);
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
  beginEdit(guildId: string, userId: string): (roleIds: readonly string[] | undefined) => void {
    const snapshot = this.#current(guildId);
    // A fetch starting after this point cannot tell our result from a newer event: the echo serves.
    if (!snapshot) return () => {};
    const edit: PendingEdit = { snapshot, overtaken: false };
    const pending = snapshot.edits.get(userId) ?? new Set<PendingEdit>();
    pending.add(edit);
    snapshot.edits.set(userId, pending);
    return (roleIds) => {
      pending.delete(edit);
      if (pending.size === 0 && snapshot.edits.get(userId) === pending) snapshot.edits.delete(userId);
      if (roleIds === undefined || edit.overtaken || this.#current(guildId) !== snapshot) return;
      snapshot.apply(userId, roleIds);
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

  #observe(guildId: string, userId: string, roleIds: readonly string[] | null): void {
    const snapshot = this.#current(guildId);
    if (!snapshot) return;
    for (const edit of snapshot.edits.get(userId) ?? []) edit.overtaken = true;
    snapshot.apply(userId, roleIds);
  }

  /** The guild's snapshot or fetch being recorded; an expired snapshot is dropped on the way. */
  #current(guildId: string): GuildSnapshot | undefined {
    const snapshot = this.#snapshots.get(guildId);
    if (snapshot && !snapshot.fetching && this.#now() - snapshot.completedAt! >= this.#ttlMs) {
      this.invalidate(guildId);
      return undefined;
    }
    return snapshot;
  }

  async *#read(guildId: string): AsyncGenerator<MemberRolesChunk> {
    const snapshot = this.#current(guildId);
    if (snapshot && !snapshot.fetching) {
      // Copied now: what changes from here on reaches the run through its own event hooks.
      const members = [...snapshot.roles].map(([userId, roleIds]) => ({ userId, roleIds }));
      this.#logger?.debug({ guildId, members: members.length, ageMs: this.#now() - snapshot.completedAt! }, "member roles served from a snapshot");
      for (let start = 0; start < members.length; start += CHUNK_SIZE) yield members.slice(start, start + CHUNK_SIZE);
      return;
    }
    if (snapshot) {
      // Another fetch of the guild is being recorded (only one run per guild, so rare): fetch alongside.
      this.#logger?.debug({ guildId }, "member roles fetched from the gateway while another fetch is recorded");
      yield* this.fetchPort(guildId);
      return;
    }
    this.#logger?.debug({ guildId }, "member roles fetched from the gateway (no fresh snapshot)");
    yield* this.#fetchAndRecord(guildId);
  }

  async *#fetchAndRecord(guildId: string): AsyncGenerator<MemberRolesChunk> {
    const snapshot = new GuildSnapshot();
    this.#snapshots.set(guildId, snapshot);
    let complete = false;
    try {
      for await (const chunk of this.fetchPort(guildId)) {
        if (this.#snapshots.get(guildId) === snapshot) snapshot.addChunk(chunk);
        yield chunk;
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

  #keep(guildId: string, snapshot: GuildSnapshot): void {
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
