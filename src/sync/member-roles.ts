/**
 * The Discord side of a bulk sync: every member's roles, read through gateway member chunks
 * (1000 members a chunk, no REST budget) instead of one REST call per member, then kept current
 * from gateway events for as long as the run lasts, so a late PATCH never writes back a role set
 * that someone changed in the meantime.
 */
import { GatewayRateLimitError } from "@discordjs/core";

/** One gateway member chunk, reduced to what the sync needs. */
export type MemberRolesChunk = readonly { readonly userId: string; readonly roleIds: readonly string[] }[];

/**
 * Where member roles come from. In `app.ts` this wraps
 * `client.requestGuildMembersIterator({ guild_id, query: "", limit: 0 })`.
 */
export type MemberRolesPort = (guildId: string) => AsyncIterable<MemberRolesChunk>;

/** The gateway kept refusing the member request (RATE_LIMITED) after every wait. */
export class MemberListUnavailableError extends Error {
  override readonly name = "MemberListUnavailableError";
  readonly userMessage = "Discord would not send the member list right now (rate limited). Try again in a minute.";
  constructor(
    readonly guildId: string,
    readonly attempts: number,
  ) {
    super(`the gateway rate-limited the member request of guild ${guildId} ${attempts} times`);
  }
}

export interface CollectMemberRolesOptions {
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
  // Compared by name too: a second copy of @discordjs/util would make `instanceof` miss.
  const isRateLimit = error instanceof GatewayRateLimitError || (error instanceof Error && error.name === "GatewayRateLimitError");
  if (!isRateLimit) return undefined;
  const retryAfter = (error as { data?: { retry_after?: unknown } }).data?.retry_after;
  return typeof retryAfter === "number" && Number.isFinite(retryAfter) ? Math.max(0, retryAfter * 1000) : 0;
}

/**
 * Every member's roles. Discord answers a second "all members" request for a guild within 30 s
 * with RATE_LIMITED; that wait is honoured and the request repeated, rather than failing the run.
 */
export async function collectMemberRoles(
  port: MemberRolesPort,
  guildId: string,
  options: CollectMemberRolesOptions = {},
): Promise<Map<string, readonly string[]>> {
  const maxAttempts = options.maxAttempts ?? 3;
  const sleep = options.sleep ?? ((ms: number) => Bun.sleep(ms));
  for (let attempt = 1; ; attempt++) {
    const roles = new Map<string, readonly string[]>();
    try {
      for await (const chunk of port(guildId)) {
        for (const member of chunk) roles.set(member.userId, member.roleIds);
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
 * Member roles as of the chunk read, with every later gateway update applied. A member missing
 * from it is not in the guild.
 */
export class LiveMemberRoles {
  readonly #roles: Map<string, readonly string[]>;

  constructor(initial: Map<string, readonly string[]>) {
    this.#roles = initial;
  }

  get size(): number {
    return this.#roles.size;
  }

  get(userId: string): readonly string[] | undefined {
    return this.#roles.get(userId);
  }

  /** GUILD_MEMBER_ADD / GUILD_MEMBER_UPDATE, or our own successful edit. */
  set(userId: string, roleIds: readonly string[]): void {
    this.#roles.set(userId, roleIds);
  }

  /** GUILD_MEMBER_REMOVE. */
  delete(userId: string): void {
    this.#roles.delete(userId);
  }

  /** The planner reads it as a map. */
  asMap(): ReadonlyMap<string, readonly string[]> {
    return this.#roles;
  }
}
