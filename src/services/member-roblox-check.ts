/**
 * "Check on Roblox now" for the member lookup: one read of a linked member's rank in the guild's
 * group (the one-member sync's own inspection, through the guild's fair share of its credential),
 * so the explanation can follow Roblox rather than the stored rank. Nothing is stored or changed.
 *
 * One admin cannot spend the guild's Roblox budget with it (design §10): a member is read at most
 * once per `perMemberMs`, a guild at most once per `perGuildMs`; a refused check says when to try
 * again. The cooldowns are this process's (in a cluster, each process keeps its own: the
 * credential's fair share still bounds the whole).
 */
import type { Logger } from "../observability/logger.ts";
import { GroupNotConfiguredError } from "./guild-context.ts";
import { MemberNotLinkedError, type MemberSyncService } from "./member-sync.ts";

export interface RobloxRankCheckOptions {
  memberSync: Pick<MemberSyncService, "inspect">;
  logger: Pick<Logger, "warn">;
  now?: () => number;
  /** Between two checks of one member; default 30 s. */
  perMemberMs?: number;
  /** Between two checks in one guild; default 5 s. */
  perGuildMs?: number;
}

/** What Roblox said, as of `readAt`: their role and rank number in the group, or null when not in it. */
export interface RobloxNow {
  readonly membership: { readonly roleId: number; readonly rank: number } | null;
  readonly readAt: number;
}

export type RobloxRankCheckOutcome =
  | { readonly kind: "read"; readonly now: RobloxNow }
  | { readonly kind: "cooldown"; readonly retryAt: number }
  | { readonly kind: "not-linked" | "no-group" }
  /** Roblox could not be read (the page words the error: a Roblox error's own sentence, or a generic one). */
  | { readonly kind: "failed"; readonly error: unknown };

export class RobloxRankCheck {
  readonly #lastByMember = new Map<string, number>();
  readonly #lastByGuild = new Map<string, number>();
  readonly #now: () => number;
  readonly #perMemberMs: number;
  readonly #perGuildMs: number;

  constructor(private readonly options: RobloxRankCheckOptions) {
    this.#now = options.now ?? Date.now;
    this.#perMemberMs = options.perMemberMs ?? 30_000;
    this.#perGuildMs = options.perGuildMs ?? 5_000;
  }

  async check(guildId: string, discordId: string): Promise<RobloxRankCheckOutcome> {
    const at = this.#now();
    const memberKey = `${guildId}:${discordId}`;
    const retryAt = Math.max((this.#lastByMember.get(memberKey) ?? -Infinity) + this.#perMemberMs, (this.#lastByGuild.get(guildId) ?? -Infinity) + this.#perGuildMs);
    if (retryAt > at) return { kind: "cooldown", retryAt };
    this.#lastByMember.set(memberKey, at);
    this.#lastByGuild.set(guildId, at);
    this.#forgetOld(at);
    try {
      const inspection = await this.options.memberSync.inspect(guildId, discordId);
      const membership = inspection.roblox.status === "member" ? { roleId: inspection.roblox.roleId, rank: inspection.roblox.robloxRank } : null;
      return { kind: "read", now: { membership, readAt: at } };
    } catch (error) {
      if (error instanceof MemberNotLinkedError) return { kind: "not-linked" };
      if (error instanceof GroupNotConfiguredError) return { kind: "no-group" };
      this.options.logger.warn({ err: error, guildId, discordId }, "could not read a member's Roblox rank for the member lookup");
      return { kind: "failed", error };
    }
  }

  /** Entries past their cooldown are dropped, so the maps stay as small as the recent checks. */
  #forgetOld(at: number): void {
    for (const [key, last] of this.#lastByMember) if (last + this.#perMemberMs <= at) this.#lastByMember.delete(key);
    for (const [key, last] of this.#lastByGuild) if (last + this.#perGuildMs <= at) this.#lastByGuild.delete(key);
  }
}
