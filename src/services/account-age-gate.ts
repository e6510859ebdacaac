/**
 * The guild's minimum Roblox account age, applied by both ways of linking (design §3.1): the
 * profile phrase and "Sign in with Roblox". The date comes from the profile read the link does;
 * a refusal is audited (who tried, which account, from when it may link).
 */
import { formatUtcDateTime } from "../lib/dates.ts";
import { judgeAccountAge } from "../ranks/account-age.ts";
import type { RobloxUserId } from "./roblox-port.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { GuildContext } from "./guild-context.ts";
import { tryAgainLaterOnTransientFailure } from "./link-recorder.ts";
import { LinkingError } from "./linking-errors.ts";

type GatedContext = Pick<GuildContext, "guildId" | "settings">;

/** The account a member tries to link. */
export interface AccountToLink {
  readonly id: RobloxUserId;
  readonly name: string;
}

export class AccountAgeGate {
  constructor(
    private readonly audit: Pick<AuditTrail, "record">,
    private readonly now: () => number,
  ) {}

  isOn(context: Pick<GuildContext, "settings">): boolean {
    return (context.settings?.minAccountAgeDays ?? 0) > 0;
  }

  /** @throws LinkingError (account-too-young, account-age-unknown) */
  async require(context: GatedContext, discordId: string, account: AccountToLink, createdMs: number | null): Promise<void> {
    const verdict = judgeAccountAge(createdMs, context.settings?.minAccountAgeDays, this.now());
    if (verdict.allowed) return;
    const eligibleAtMs = verdict.reason === "too-young" ? verdict.eligibleAtMs : undefined;
    await this.audit.record(context.guildId, {
      actorId: discordId,
      action: "link",
      targetDiscordId: discordId,
      targetRobloxUserId: account.id,
      before: null,
      after: null,
      outcome: "failed",
      detail:
        `refused: Roblox ${account.name} ` +
        (eligibleAtMs === undefined
          ? `has no creation date from Roblox, and this server requires accounts at least ${verdict.minDays} days old`
          : `is younger than ${verdict.minDays} days; it may link from ${formatUtcDateTime(eligibleAtMs)}`),
    });
    if (eligibleAtMs === undefined) throw new LinkingError("account-age-unknown", { minAccountAgeDays: verdict.minDays });
    throw new LinkingError("account-too-young", { minAccountAgeDays: verdict.minDays, eligibleAtMs });
  }

  /** As `require`, reading the account's profile first; no read when the guild has no gate. */
  async requireReading(context: GatedContext & Pick<GuildContext, "roblox">, discordId: string, account: AccountToLink): Promise<void> {
    if (!this.isOn(context)) return;
    const profile = await tryAgainLaterOnTransientFailure(() => context.roblox.getUserProfile(account.id));
    await this.require(context, discordId, account, profile.createdMs);
  }
}
