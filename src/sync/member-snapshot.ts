/**
 * One guild's member snapshot (see member-snapshots.ts): the covered members' roles in compact
 * form, which members it covers, and what is in flight while it is being fetched or edited.
 */
import { approximateIdSetBytes, CompactMemberRoles } from "./compact-roles.ts";
import type { MemberKeep, MemberName, MemberRolesChunk } from "./member-roles.ts";

/** One of our own role edits while it is in flight. */
export interface PendingEdit {
  readonly snapshot: GuildMemberSnapshot;
  /** A gateway event for the member arrived meanwhile: the edit's result may be older than the snapshot. */
  overtaken: boolean;
}

export class GuildMemberSnapshot {
  readonly roles = new CompactMemberRoles();
  /** Covered members' names as their chunk gave them (nickname templates compare with them). */
  readonly names = new Map<string, MemberName>();
  /**
   * The members the snapshot knows about (held, or known not to be in the guild): those a run
   * wanted when it was fetched, plus those filled in later. Undefined: every member.
   */
  readonly #coverage: ReadonlySet<string> | undefined;
  readonly #filledIn = new Set<string>();
  /**
   * While a fetch runs: members an event or our own edit touched. Their event is at least as new
   * as their chunk, so a chunk arriving later does not overwrite it.
   */
  touched: Set<string> | undefined = new Set();
  completedAt: number | undefined;
  expiry: ReturnType<typeof setTimeout> | undefined;
  readonly edits = new Map<string, Set<PendingEdit>>();

  /**
   * Members outside the coverage held for their roles (unlinked members out of line). With it the
   * snapshot knows every member: one it does not hold is in line under this rule, or not in the guild.
   */
  readonly also: MemberKeep | undefined;

  constructor(coverage: ReadonlySet<string> | undefined, also?: MemberKeep) {
    this.#coverage = coverage;
    this.also = also;
  }

  /** Whether an event or edit of the member is applied (covered, or judged by `also`). */
  tracks(userId: string): boolean {
    return this.also !== undefined || this.covers(userId);
  }

  get fetching(): boolean {
    return this.completedAt === undefined;
  }

  /** Whether it holds every member (and can serve a read that wants them all). */
  get coversEveryone(): boolean {
    return this.#coverage === undefined;
  }

  covers(userId: string): boolean {
    return this.#coverage === undefined || this.#coverage.has(userId) || this.#filledIn.has(userId);
  }

  /** From here on the members are covered; their roles come from `addChunk` or events. */
  fillIn(userIds: readonly string[]): void {
    for (const userId of userIds) this.#filledIn.add(userId);
  }

  /** A gateway event or our own edit, newest first-hand knowledge of the member. */
  apply(userId: string, roleIds: readonly string[] | null): void {
    if (!this.covers(userId)) {
      if (!this.also) return; // never needed; fetched on its own if it ever is
      // Held only while out of line: a member put in line (or gone) is dropped.
      if (roleIds !== null && this.also.keep(roleIds)) this.roles.set(userId, roleIds);
      else this.roles.delete(userId);
      this.touched?.add(userId);
      return;
    }
    if (roleIds === null) {
      this.roles.delete(userId);
      this.names.delete(userId);
    } else this.roles.set(userId, roleIds);
    this.touched?.add(userId);
  }

  /** Our own nickname edit went through. */
  setNick(userId: string, nick: string | null): void {
    const name = this.names.get(userId);
    if (name) this.names.set(userId, { ...name, nick });
  }

  /** The chunk's covered members, recorded; what the run gets. */
  addChunk(chunk: MemberRolesChunk): MemberRolesChunk {
    const kept = this.#coverage === undefined ? chunk : chunk.filter((member) => this.covers(member.userId) || this.also?.keep(member.roleIds));
    for (const member of kept) {
      if (!this.touched?.has(member.userId)) this.roles.set(member.userId, member.roleIds);
      if (member.name) this.names.set(member.userId, member.name);
    }
    return kept;
  }

  approximateBytes(): number {
    return this.roles.approximateBytes() + approximateIdSetBytes(this.#coverage) + approximateIdSetBytes(this.#filledIn);
  }
}
