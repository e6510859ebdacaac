/**
 * What a run is made of besides its live state: its counts, the changes it queues, the held plan,
 * and the progress stored in `sync_runs.progress` so a restart can go on (parsed back defensively).
 */
import type { MemberEdit } from "../services/member-role-editor.ts";
import type { BackgroundHooks } from "./bulk-sync-types.ts";
import type { RunReporter } from "./reporter.ts";
import type { RoleProblem } from "../ranks/hierarchy.ts";
import type { SyncRunItemInput } from "../services/storage-port.ts";
import { emptyBreakdown, type RunBreakdown, type RunState, type RunWording } from "./run-report.ts";
import type { UpdateListEntry } from "./progress.ts";

export interface Counts {
  updated: number;
  inSync: number;
  errors: number;
  skipped: number;
  breakdown: RunBreakdown;
}

export const emptyCounts = (): Counts => ({ updated: 0, inSync: 0, errors: 0, skipped: 0, breakdown: emptyBreakdown() });

export function addCounts(into: Counts, delta: Counts): void {
  into.updated += delta.updated;
  into.inSync += delta.inSync;
  into.errors += delta.errors;
  into.skipped += delta.skipped;
  for (const key of Object.keys(delta.breakdown) as (keyof RunBreakdown)[]) into.breakdown[key] += delta.breakdown[key];
}

export function sumCounts(a: Counts, b: Counts): Counts {
  const sum = emptyCounts();
  addCounts(sum, a);
  addCounts(sum, b);
  return sum;
}

/** A planned Discord change on its way to the applier. */
/** A member change to record in the audit log once its mark is saved. */
export interface MemberAudit {
  readonly change: QueuedChange;
  readonly from: string | null;
  readonly to: string | null;
}

export interface QueuedChange extends MemberEdit {
  readonly robloxUserId: number | null;
  readonly robloxUsername: string;
  readonly fromRankId: number | null;
  readonly toRankId: number | null;
}

/** The run's cursor and report details, stored in `sync_runs.progress` so a restart can go on. */
export interface StoredProgress {
  v: 1;
  /** Linked members are planned in Discord-id order; the last one planned. */
  cursor: string | null;
  planned: number;
  planningDone: boolean;
  breakdown: RunBreakdown;
  problems: string[];
  flaggedNames: string[];
  updates: UpdateListEntry[];
  strategy: string | null;
  resumes: number;
  /** Stripping changes need not wait for the mass-change guard: it passed, an admin approved, or /sync force. */
  guardOpen: boolean;
  /** The guard held the run: what an admin is asked to confirm. */
  hold: HeldPlan | null;
}

/** What the mass-change guard held (kept with the run so /sync-status and the buttons can show it). */
export interface HeldPlan {
  readonly affected: number;
  readonly linked: number;
  readonly percent: number;
  readonly members: number;
  /** Roblox names of the first few affected members. */
  readonly sample: readonly string[];
}

function parseHold(value: unknown): HeldPlan | null {
  if (!value || typeof value !== "object") return null;
  const hold = value as Partial<HeldPlan>;
  const numbers = [hold.affected, hold.linked, hold.percent, hold.members];
  if (!numbers.every((n) => typeof n === "number")) return null;
  const sample = Array.isArray(hold.sample) ? hold.sample.filter((name): name is string => typeof name === "string") : [];
  return { affected: hold.affected!, linked: hold.linked!, percent: hold.percent!, members: hold.members!, sample };
}

/** Whether a stored run's progress says the mass-change guard holds it. */
export function isHeldProgress(value: unknown): boolean {
  return parseProgress(value).hold !== null;
}

export function parseProgress(value: unknown): StoredProgress {
  const stored = (value && typeof value === "object" ? value : {}) as Partial<StoredProgress>;
  return {
    v: 1,
    cursor: typeof stored.cursor === "string" ? stored.cursor : null,
    planned: typeof stored.planned === "number" ? stored.planned : 0,
    planningDone: stored.planningDone === true,
    breakdown: { ...emptyBreakdown(), ...(stored.breakdown ?? {}) },
    problems: Array.isArray(stored.problems) ? stored.problems.filter((p): p is string => typeof p === "string") : [],
    flaggedNames: Array.isArray(stored.flaggedNames) ? stored.flaggedNames.filter((p): p is string => typeof p === "string") : [],
    updates: Array.isArray(stored.updates) ? stored.updates : [],
    strategy: typeof stored.strategy === "string" ? stored.strategy : null,
    resumes: typeof stored.resumes === "number" ? stored.resumes : 0,
    guardOpen: stored.guardOpen === true,
    hold: parseHold(stored.hold),
  };
}

/** How this process came to run a stored run. */
export interface RunSetup {
  /** Carried on after a restart rather than started here. */
  readonly resumed: boolean;
  /** The admin who ran /sync; null for background and resumed runs. */
  readonly actorId: string | null;
  readonly reporter: RunReporter;
  readonly hooks: BackgroundHooks;
  /** `/sync force:true`, or an admin's Apply: the mass-change guard does not hold this run. */
  readonly openGuard?: boolean;
}

/** How a run ended, for its outcome. */
export interface RunEnd {
  readonly state: RunState;
  readonly counts: Counts;
  readonly nowMs: number;
  readonly error: string | null;
  readonly summary: string;
}


/** A change the role hierarchy forbids: counted as not attempted, its fixes noted on the run, its row stored as skipped. */
export function skipForRoleProblems(
  run: { readonly problems: Set<string> },
  delta: Counts,
  rows: SyncRunItemInput[],
  row: SyncRunItemInput,
  problems: readonly RoleProblem[],
  wording: Pick<RunWording, "roleProblem">,
): void {
  delta.skipped++;
  delta.breakdown.notAttempted++;
  const fixes = problems.map((problem) => wording.roleProblem(problem));
  for (const fix of fixes) run.problems.add(fix);
  rows.push({ ...row, status: "skipped", error: fixes.join(" ") });
}
