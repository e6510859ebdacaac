/**
 * How each step of a rank change went (database, Discord roles, Roblox rank, DM), as codes and the
 * facts their lines need, and the overall outcome. src/discord/views/rank-change-steps.ts words them.
 */
import type { RoleProblem } from "./hierarchy.ts";
import type { DiscordRoleId, Rank } from "./ladder.ts";
import type { RankChangePlan } from "./promotion.ts";

export type StepName = "database" | "discord" | "roblox" | "dm";
export type StepStatus = "ok" | "skipped" | "warning" | "failed";

/**
 * How one step went, as a code and the facts its line needs; src/discord/views/rank-change-steps.ts
 * words it. `status` is what the overall outcome and the icon follow.
 */
export type StepOutcome =
  | { readonly step: "database"; readonly status: "skipped"; readonly code: "already-stored"; readonly to: Rank }
  | { readonly step: "database"; readonly status: "ok"; readonly code: "recorded"; readonly to: Rank }
  | { readonly step: "database"; readonly status: "failed"; readonly code: "record-gone" | "save-failed" }
  | { readonly step: "discord"; readonly status: "skipped"; readonly code: "already-matching"; readonly to: Rank }
  | { readonly step: "discord"; readonly status: "warning"; readonly code: "target-role-unbound"; readonly to: Rank }
  | { readonly step: "discord"; readonly status: "warning"; readonly code: "not-in-guild" }
  | { readonly step: "discord"; readonly status: "ok"; readonly code: "roles-given"; readonly roleId: DiscordRoleId; readonly removedRoleIds: readonly DiscordRoleId[] }
  | {
      readonly step: "discord";
      readonly status: "warning";
      readonly code: "old-role-removed";
      readonly to: Rank;
      readonly removedRoleIds: readonly DiscordRoleId[];
    }
  /** `problems`: why the bot may not touch a role (the hierarchy's typed problems); `discordError`: Discord's own words. */
  | { readonly step: "discord"; readonly status: "failed"; readonly code: "not-attempted"; readonly problems: readonly RoleProblem[] }
  | { readonly step: "discord"; readonly status: "failed"; readonly code: "edit-failed"; readonly discordError: string }
  | { readonly step: "roblox"; readonly status: "skipped"; readonly code: "already-at-rank" | "already-pending"; readonly to: Rank }
  | { readonly step: "roblox"; readonly status: "warning"; readonly code: "not-in-group" | "member-is-owner" }
  | { readonly step: "roblox"; readonly status: "warning"; readonly code: "owner-role"; readonly to: Rank }
  | { readonly step: "roblox"; readonly status: "ok"; readonly code: "set" | "already-set"; readonly to: Rank }
  /** `robloxError`: the Roblox client's words for the failure, null when it had none. */
  | { readonly step: "roblox"; readonly status: "failed"; readonly code: "write-failed"; readonly robloxError: string | null; readonly queued: boolean }
  | { readonly step: "dm"; readonly status: "skipped"; readonly code: "rank-unchanged" | "not-in-guild" }
  | { readonly step: "dm"; readonly status: "ok"; readonly code: "sent" }
  | { readonly step: "dm"; readonly status: "warning"; readonly code: "dms-closed" }
  | { readonly step: "dm"; readonly status: "failed"; readonly code: "send-failed"; readonly discordError: string };

export type OverallOutcome = "ok" | "partial" | "failed";

export const STEP_ORDER: readonly StepName[] = ["database", "discord", "roblox", "dm"];

/**
 * ok: nothing failed or needs attention. failed: something failed and nothing was done.
 * partial: anything in between (some steps done, or a warning the admin should read).
 */
export function overallOutcome(outcomes: readonly StepOutcome[]): OverallOutcome {
  const anyFailed = outcomes.some((outcome) => outcome.status === "failed");
  const anyDone = outcomes.some((outcome) => outcome.status === "ok");
  const anyWarning = outcomes.some((outcome) => outcome.status === "warning");
  if (anyFailed && !anyDone) return "failed";
  if (anyFailed || anyWarning) return "partial";
  return "ok";
}

/**
 * Outcomes for the steps the plan decided not to run, so the applier only reports what it ran.
 * A skip that leaves things out of agreement is a warning, not a quiet skip.
 */
export function outcomesOfSkippedSteps(plan: RankChangePlan): StepOutcome[] {
  const { to } = plan;
  const outcomes: StepOutcome[] = [];
  if (plan.database.action === "skip") outcomes.push({ step: "database", status: "skipped", code: "already-stored", to });

  if (plan.discord.action === "skip") {
    const discord = {
      "already-matching": { step: "discord", status: "skipped", code: "already-matching", to },
      "target-role-unbound": { step: "discord", status: "warning", code: "target-role-unbound", to },
      "not-in-guild": { step: "discord", status: "warning", code: "not-in-guild" },
    } as const satisfies Record<typeof plan.discord.reason, StepOutcome>;
    outcomes.push(discord[plan.discord.reason]);
  }

  if (plan.roblox.action === "skip") {
    const roblox = {
      "already-at-rank": { step: "roblox", status: "skipped", code: "already-at-rank", to },
      "already-pending": { step: "roblox", status: "skipped", code: "already-pending", to },
      "not-in-group": { step: "roblox", status: "warning", code: "not-in-group" },
      "owner-role": { step: "roblox", status: "warning", code: "owner-role", to },
      "member-is-owner": { step: "roblox", status: "warning", code: "member-is-owner" },
    } as const satisfies Record<typeof plan.roblox.reason, StepOutcome>;
    outcomes.push(roblox[plan.roblox.reason]);
  }

  if (plan.dm.action === "skip") outcomes.push({ step: "dm", status: "skipped", code: plan.dm.reason });
  return outcomes;
}
