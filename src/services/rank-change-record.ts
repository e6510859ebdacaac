/**
 * How a rank change's steps read in its record: the audit entry (stored, shown by /audit and in the
 * log channel) and the admin's reply use the same lines, one per step with its icon.
 */
import { overallOutcome, STEP_ORDER, type OverallOutcome, type StepName, type StepOutcome, type StepStatus } from "../ranks/promotion.ts";

const STEP_LABEL: Record<StepName, string> = {
  database: "Database",
  discord: "Discord roles",
  roblox: "Roblox rank",
  dm: "Direct message",
};

/**
 * "skipped" means the state was already right, so it shows as done. ➖ keeps it apart from work
 * actually performed without suggesting anything is wrong.
 */
const STATUS_ICON: Record<StepStatus, string> = {
  ok: "✅",
  skipped: "➖",
  warning: "⚠️",
  failed: "❌",
};

/** One line per step, always in step order: "✅ Roblox rank: set to E1 | Soldier (Rank 3)". */
export function renderOutcomeLines(outcomes: readonly StepOutcome[]): string[] {
  return [...outcomes]
    .sort((a, b) => STEP_ORDER.indexOf(a.step) - STEP_ORDER.indexOf(b.step))
    .map((outcome) => `${STATUS_ICON[outcome.status]} ${STEP_LABEL[outcome.step]}: ${outcome.detail}`);
}

export function summarizeOutcomes(outcomes: readonly StepOutcome[]): { readonly overall: OverallOutcome; readonly text: string } {
  return { overall: overallOutcome(outcomes), text: renderOutcomeLines(outcomes).join("\n") };
}

