/**
 * The Discord side of a bulk sync: every member's roles, read through gateway member chunks
 * (1000 members a chunk, no REST budget) instead of one REST call per member, then kept current
 * from gateway events for as long as the run lasts, so a late PATCH never writes back a role set
 * that someone changed in the meantime.
 */
import { CompactMemberRoles } from "./compact-roles.ts";

/** One gateway member chunk, reduced to what the sync needs. */
export type MemberRolesChunk = readonly { readonly userId: string; readonly roleIds: readonly string[] }[];

/**
 * Where member roles come from: at least the `wanted` members who are in the guild (every member
 * when `wanted` is absent); others may come along and are ignored. In `app.ts` this is the gateway
 * (src/discord/member-chunks.ts): op 8 by `user_ids` for a few members, else all members.
 */
export type MemberRolesPort = (guildId: string, wanted?: ReadonlySet<string>) => AsyncIterable<MemberRolesChunk>;

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
      for await (const chunk of port(guildId, wanted)) {
        for (const member of chunk) if (!wanted || wanted.has(member.userId)) roles.set(member.userId, member.roleIds);
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
 * member missing from it is not in the guild; members outside `wanted` are never held.
 */
export class LiveMemberRoles {
  readonly #roles: CompactMemberRoles;
  readonly #wanted: ReadonlySet<string> | undefined;

  constructor(initial: CompactMemberRoles, wanted?: ReadonlySet<string>) {
    this.#roles = initial;
    this.#wanted = wanted;
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
