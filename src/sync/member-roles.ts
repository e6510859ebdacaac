/**
 * The Discord side of a bulk sync: every member's roles, read through gateway member chunks
 * (1000 members a chunk, no REST budget) instead of one REST call per member, then kept current
 * from gateway events for as long as the run lasts, so a late PATCH never writes back a role set
 * that someone changed in the meantime.
 */
import { CompactMemberRoles } from "./compact-roles.ts";

/** A member's nickname and Discord name (global name, else username), for nickname templates. */
export interface MemberName {
  readonly nick: string | null;
  readonly discordName: string;
}

/** One gateway member chunk, reduced to what the sync needs; `name` when the chunk carried it. */
export type MemberRolesChunk = readonly { readonly userId: string; readonly roleIds: readonly string[]; readonly name?: MemberName }[];

/**
 * Where member roles come from: at least the `wanted` members who are in the guild (every member
 * when `wanted` is absent); others may come along and are ignored. In `app.ts` this is the gateway
 * (src/discord/member-chunks.ts): op 8 by `user_ids` for a few members, else all members.
 */
export type MemberRolesPort = (guildId: string, wanted?: ReadonlySet<string>, also?: MemberKeep) => AsyncIterable<MemberRolesChunk>;

/**
 * Members outside `wanted` a run still needs, told by their roles alone: members with no link who
 * lack the unverified role or hold the verified role. With it the port reads every member (the
 * all-members request) and keeps, besides the wanted ones, those `keep` accepts; everyone else is
 * dropped as read. `key` names the rule (a snapshot kept under one rule serves only that rule).
 */
export interface MemberKeep {
  readonly key: string;
  keep(roleIds: readonly string[]): boolean;
}

/** The gateway kept refusing the member request (RATE_LIMITED) after every wait (the view words it). */
export class MemberListUnavailableError extends Error {
  override readonly name = "MemberListUnavailableError";
  constructor(
    readonly guildId: string,
    readonly attempts: number,
  ) {
    super(`the gateway rate-limited the member request of guild ${guildId} ${attempts} times`);
  }
}

export interface CollectMemberRolesOptions {
  /** The members a decision can need (the linked ones); every member when absent. */
  wanted?: ReadonlySet<string>;
  /** How often a RATE_LIMITED answer is waited out before giving up. Default 3. */
  maxAttempts?: number;
  /** Added to Discord's retry_after so the retry lands after the window, not on its edge. */
  retryMarginMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** Told about each wait, for logs. */
  onRateLimited?: (waitMs: number, attempt: number) => void;
  /** Members outside `wanted` kept for their roles (see MemberKeep). */
  also?: MemberKeep;
  /** Filled with the wanted members' names (nickname templates need them); not kept when absent. */
  names?: Map<string, MemberName>;
}

/** Seconds Discord asked us to wait, when the error is a gateway RATE_LIMITED answer. */
export function gatewayRetryAfterMs(error: unknown): number | undefined {
  // Recognised by its name and shape, not its class: the port passes @discordjs' GatewayRateLimitError
  // through, and the sync imports no Discord library (a second copy of @discordjs/util would make
  // `instanceof` miss anyway).
  const isRateLimit = error instanceof Error && error.name === "GatewayRateLimitError";
  if (!isRateLimit) return undefined;
  const retryAfter = (error as { data?: { retry_after?: unknown } }).data?.retry_after;
  return typeof retryAfter === "number" && Number.isFinite(retryAfter) ? Math.max(0, retryAfter * 1000) : 0;
}

/**
 * The wanted members' roles, in compact form. Discord answers a second "all members" request for a guild within 30 s
 * with RATE_LIMITED; that wait is honoured and the request repeated, rather than failing the run.
 */
export async function collectMemberRoles(
  port: MemberRolesPort,
  guildId: string,
  options: CollectMemberRolesOptions = {},
): Promise<CompactMemberRoles> {
  const { wanted } = options;
  const maxAttempts = options.maxAttempts ?? 3;
  const sleep = options.sleep ?? ((ms: number) => Bun.sleep(ms));
  for (let attempt = 1; ; attempt++) {
    const roles = new CompactMemberRoles();
    try {
      for await (const chunk of port(guildId, wanted, options.also)) {
        for (const member of chunk) {
          if (wanted && !wanted.has(member.userId) && !options.also?.keep(member.roleIds)) continue;
          roles.set(member.userId, member.roleIds);
          if (options.names && member.name) options.names.set(member.userId, member.name);
        }
      }
      return roles;
    } catch (error) {
      const waitMs = gatewayRetryAfterMs(error);
      if (waitMs === undefined) throw error;
      if (attempt >= maxAttempts) throw new MemberListUnavailableError(guildId, attempt);
      const totalWait = waitMs + (options.retryMarginMs ?? 250);
      options.onRateLimited?.(totalWait, attempt);
      await sleep(totalWait);
    }
  }
}

/**
 * The run's member roles as of the chunk read, with every later gateway update applied. A wanted
 * member missing from it is not in the guild; members outside `wanted` are held only while `also`
 * keeps them (unlinked members a sync must bring in line).
 */
export class LiveMemberRoles {
  readonly #roles: CompactMemberRoles;
  readonly #wanted: ReadonlySet<string> | undefined;
  readonly #also: MemberKeep | undefined;
  /** Names as the member list gave them, updated by our own nickname edits; empty when no template needs them. */
  readonly #names: Map<string, MemberName>;

  constructor(initial: CompactMemberRoles, wanted?: ReadonlySet<string>, names?: Map<string, MemberName>, also?: MemberKeep) {
    this.#roles = initial;
    this.#wanted = wanted;
    this.#also = also;
    this.#names = names ?? new Map();
  }

  /** The member's nickname now, undefined when not known. */
  nickOf(userId: string): string | null | undefined {
    return this.#names.get(userId)?.nick;
  }

  /** Our own nickname edit went through. */
  setNick(userId: string, nick: string | null): void {
    const name = this.#names.get(userId);
    if (name) this.#names.set(userId, { ...name, nick });
  }

  /** GUILD_MEMBER_UPDATE: the member's name as it is now (kept only while names are, and for wanted members). */
  setName(userId: string, name: MemberName): void {
    if (this.#names.has(userId) && (!this.#wanted || this.#wanted.has(userId))) this.#names.set(userId, name);
  }

  /** What the planner reads for a slice of linked members' nicknames (only those whose name is known). */
  namesOf(userIds: Iterable<string>): ReadonlyMap<string, MemberName> {
    const names = new Map<string, MemberName>();
    for (const userId of userIds) {
      const name = this.#names.get(userId);
      if (name) names.set(userId, name);
    }
    return names;
  }

  get size(): number {
    return this.#roles.size;
  }

  approximateBytes(): number {
    return this.#roles.approximateBytes();
  }

  get(userId: string): readonly string[] | undefined {
    return this.#roles.get(userId);
  }

  /** GUILD_MEMBER_ADD / GUILD_MEMBER_UPDATE, or our own successful edit. */
  set(userId: string, roleIds: readonly string[]): void {
    if (!this.#wanted || this.#wanted.has(userId)) this.#roles.set(userId, roleIds);
    else if (this.#also?.keep(roleIds)) this.#roles.set(userId, roleIds);
    // An unwanted member held before and in line now: their roles stay current, for the applier's check.
    else if (this.#roles.has(userId)) this.#roles.set(userId, roleIds);
  }

  /** Members held who are not wanted (kept by `also`), with their roles: the unlinked members to bring in line. */
  *unwanted(): Generator<[string, readonly string[]]> {
    if (!this.#wanted) return;
    for (const entry of this.#roles.entries()) if (!this.#wanted.has(entry[0])) yield entry;
  }

  /** GUILD_MEMBER_REMOVE. */
  delete(userId: string): void {
    this.#roles.delete(userId);
  }

  /** What the planner reads for a slice of linked members. */
  rolesOf(userIds: Iterable<string>): ReadonlyMap<string, readonly string[] | undefined> {
    const roles = new Map<string, readonly string[] | undefined>();
    for (const userId of userIds) roles.set(userId, this.#roles.get(userId));
    return roles;
  }
}
