/**
 * A bulk sync run as its reports see it (RunView: counts, breakdown, hold, waits), the log line per
 * update, and the words a run needs from its view (RunWording: the Discord one is
 * src/discord/views/sync-run.ts). Delivery lives in reporter.ts.
 */
import type { KickSkipReason, RoleProblem } from "../ranks/hierarchy.ts";
import type { RankLadder } from "../ranks/ladder.ts";
import type { SyncAlertFacts } from "./alerts.ts";
import type { UpdateListEntry } from "./progress.ts";
import type { HeldPlan } from "./run-state.ts";
import type { MessageComponents } from "./sync-messages.ts";
import type { SyncNotPossibleReason } from "./sync-context.ts";

/** Members the run handled without a Discord change, by why. */
export interface RunBreakdown {
  /** The bot may not manage one of their roles: reported, not attempted. */
  notAttempted: number;
  /** Left the Roblox group; kept because the guild's policy is "flag". */
  leftGroupFlagged: number;
  /** Left the Roblox group; rank roles removed (policy "remove"). Counted in `updated` too. */
  leftGroupRemoved: number;
  /** Left the Roblox group; removed from the server (group lock "kick"). Counted in `updated` too. */
  leftGroupKicked: number;
  /** Left the Roblox group; group lock "kick", but the bot may not kick them (their bound roles are taken instead). */
  kickSkipped: number;
  /** Linked but not in this Discord server. */
  notInGuild: number;
  /** Their Roblox role is not on the rank ladder (not imported yet). */
  unrankedRole: number;
  /** Roblox gave no answer for them. */
  robloxUnknown: number;
  duplicateLink: number;
  /** Left the Discord server while the run was going. */
  leftGuild: number;
  /** Outside the guild's rank filter. */
  filteredOut: number;
  /** Stored ranks brought in line with Roblox (no Discord request needed). */
  storedRankUpdates: number;
  /** The nickname template's nickname was not set: the server owner, a member above the bot, or no Manage Nicknames. */
  nicknameSkipped: number;
  /** Members with no link given the unverified role or relieved of the verified role. Counted in `updated` too. */
  unlinkedUpdated: number;
}

export const emptyBreakdown = (): RunBreakdown => ({
  notAttempted: 0,
  leftGroupFlagged: 0,
  leftGroupRemoved: 0,
  leftGroupKicked: 0,
  kickSkipped: 0,
  notInGuild: 0,
  unrankedRole: 0,
  robloxUnknown: 0,
  duplicateLink: 0,
  leftGuild: 0,
  filteredOut: 0,
  storedRankUpdates: 0,
  nicknameSkipped: 0,
  unlinkedUpdated: 0,
});

export type RunState = "running" | "done" | "failed" | "paused" | "stopped";

/** A run as the reports see it. */
export interface RunView {
  readonly runId: number;
  readonly dryRun: boolean;
  readonly state: RunState;
  /** Still reading Roblox and planning (the total may still grow on a resumed run). */
  readonly planning: boolean;
  readonly total: number;
  readonly updated: number;
  readonly inSync: number;
  readonly errors: number;
  readonly skipped: number;
  /** Planned Discord changes not applied yet. */
  readonly changesLeft: number;
  /** Discord changes per second so far, for the ETA; undefined until measurable. */
  readonly changeRatePerSecond: number | undefined;
  readonly startedAtMs: number;
  readonly nowMs: number;
  readonly breakdown: RunBreakdown;
  /** How to fix what blocked "not attempted" members (unique messages). */
  readonly problems: readonly string[];
  /** Roblox names of members flagged for leaving the group (first few). */
  readonly flaggedNames: readonly string[];
  /** First updates, for the list; `updated` says how many there are in all. */
  readonly updates: readonly UpdateListEntry[];
  readonly error: string | null;
  /** The mass-change guard held the run for an admin. */
  readonly hold: HeldPlan | null;
  /** Roblox stopped answering: the run waits and carries on by itself. */
  readonly waitingReason: string | null;
  /** How long requests already waiting for a Roblox rate limit still wait, when known. */
  readonly robloxWaitMs?: number;
}

export function processedOf(view: Pick<RunView, "updated" | "inSync" | "errors" | "skipped">): number {
  return view.updated + view.inSync + view.errors + view.skipped;
}


/** "Player1: E0 | Enlist → E1 | Soldier": one log line per update of a background run. */
export function updateLogLine(entry: UpdateListEntry): string {
  return `${entry.robloxUsername}: ${entry.from ?? "no rank"} → ${entry.to ?? "no rank"}`;
}

/** A rank id of a stored plan, as a label; the ladder may have changed since the plan. */
export function rankLabelOf(ladder: RankLadder, rankId: number | null): string | null {
  if (rankId === null) return null;
  const rank = ladder.byId(rankId);
  return rank ? rank.name : `rank #${rankId}`;
}

/** How a run was closed other than by running to its end. */
export type RunRecordNote =
  | { readonly kind: "interrupted" }
  /** A paused run that a new /sync replaced; `previousError`: why it had paused. */
  | { readonly kind: "replaced"; readonly previousError: string | null }
  | { readonly kind: "held-cancelled"; readonly cancelled: number };

/** What a run says, worded by the view the composition root gives it. */
export interface RunWording {
  /** The in-flight reply. */
  progress(view: RunView): string;
  /** The end-of-run reply. */
  summary(view: RunView): string;
  /** Under the first progress message in a channel: the summary follows there. */
  summaryComesHere(): string;
  /** The /sync reply once its token can no longer be edited: where the report goes on. */
  movedToChannel(channelId: string): string;
  /** The held-run reason kept on the guild (shown while background syncs wait). */
  heldPauseReason(runId: number, hold: HeldPlan): string;
  /** Apply / Cancel under a held run. */
  heldRunButtons(runId: number): MessageComponents;
  /** Why a run paused after `streak` refused role changes in a row (Discord's `message`), and the fix. */
  forbiddenPause(streak: number, message: string): string;
  /** Why the group lock could not kick a member (their bound roles are taken instead), and the fix. */
  kickSkipped(reason: KickSkipReason): string;
  /** Why a sync cannot start, and how to fix it (`home`: the operator's default group could apply). */
  notPossible(reason: SyncNotPossibleReason, home: boolean): string;
  /** How to fix what stops the bot changing a role (kept in the run's problems and item rows). */
  roleProblem(problem: RoleProblem): string;
  /** What stopped a run, for its summary and the record. */
  runError(error: unknown): string;
  /** Why a run ended the way its record says, kept in its `error` column (shown by /sync-status). */
  runRecord(note: RunRecordNote): string;
  /** The alert a guild's webhook gets. */
  alert(guildId: string, facts: SyncAlertFacts): string;
}
