/**
 * Per-member and per-guild budgets for the commands that spend Roblox reads on someone's behalf
 * (design §10: one member cannot spend the guild's or the operator's Roblox budget). Counting is
 * rate-limiter-flexible's in-memory fixed window, one counter per member and one per guild and kind.
 */
import { RateLimiterMemory, RateLimiterRes } from "rate-limiter-flexible";

/** What a command spends: starting or confirming a link, or reading someone's ranks. */
export type CooldownKind = "link" | "lookup";

export interface CooldownLimit {
  /** Attempts allowed per window. */
  points: number;
  windowSeconds: number;
}

export type CooldownLimits = Record<CooldownKind, { member: CooldownLimit; guild: CooldownLimit }>;

/**
 * A member links once and may retry a typo or press "I've added it" a few times. A guild's link
 * limit sits above the most an onboarding day can use: Discord lets the bot edit 10 members a second
 * in a guild, one edit a link, and a link is two interactions (the command and the button), so
 * 1,200 a minute, plus half again for retries. Below that, one guild's burst is kept from the
 * others' share of the credential by the limiter's fair share (src/roblox/fair-share.ts), not here.
 * Lookups are admins' commands: 60 a minute a guild.
 */
export const DEFAULT_COOLDOWNS: CooldownLimits = {
  link: { member: { points: 5, windowSeconds: 60 }, guild: { points: 1_800, windowSeconds: 60 } },
  lookup: { member: { points: 10, windowSeconds: 60 }, guild: { points: 60, windowSeconds: 60 } },
};

export type CooldownDecision = { allowed: true } | { allowed: false; scope: "member" | "guild"; retryAt: number };

export class Cooldowns {
  readonly #limiters: Record<CooldownKind, { member: RateLimiterMemory; guild: RateLimiterMemory }>;

  constructor(limits: CooldownLimits = DEFAULT_COOLDOWNS) {
    const limiter = (kind: CooldownKind, scope: "member" | "guild") =>
      new RateLimiterMemory({ keyPrefix: `${kind}:${scope}`, points: limits[kind][scope].points, duration: limits[kind][scope].windowSeconds });
    this.#limiters = {
      link: { member: limiter("link", "member"), guild: limiter("link", "guild") },
      lookup: { member: limiter("lookup", "member"), guild: limiter("lookup", "guild") },
    };
  }

  /** Spends one attempt of `kind` for the member in the guild, or says when the next is allowed. */
  async take(kind: CooldownKind, guildId: string, userId: string): Promise<CooldownDecision> {
    const { member, guild } = this.#limiters[kind];
    const memberKey = `${guildId}:${userId}`;
    try {
      await member.consume(memberKey);
    } catch (refusal) {
      return refused(refusal, "member");
    }
    try {
      await guild.consume(guildId);
    } catch (refusal) {
      // The guild is out, not the member: their attempt was not spent.
      await member.reward(memberKey);
      return refused(refusal, "guild");
    }
    return { allowed: true };
  }
}

function refused(refusal: unknown, scope: "member" | "guild"): CooldownDecision {
  // The memory limiter rejects with a RateLimiterRes only; anything else is a bug worth surfacing.
  if (!(refusal instanceof RateLimiterRes)) throw refusal;
  return { allowed: false, scope, retryAt: Date.now() + refusal.msBeforeNext };
}

/** The reply: who is limited and when to try again, as a Discord relative timestamp. */
export function cooldownMessage(decision: Extract<CooldownDecision, { allowed: false }>): string {
  const when = `<t:${Math.ceil(decision.retryAt / 1000)}:R>`;
  return decision.scope === "member"
    ? `You're doing that too often. Try again ${when}.`
    : `This server is doing that too often right now. Try again ${when}.`;
}
