/**
 * What a bulk sync run tells people: the in-flight reply (progress bar, counts, ETA), the summary
 * when it ends, and the log line per update. Pure text; delivery lives in reporter.ts.
 */
import type { RankLadder } from "../ranks/ladder.ts";
import { renderProgress, renderSummary, renderUpdateList, escapeMarkdown, type UpdateListEntry } from "./progress.ts";
import { ButtonStyle, ComponentType, type APIActionRowComponent, type APIComponentInMessageActionRow } from "discord-api-types/v10";
import type { HeldPlan } from "./active-run.ts";
import { formatDuration } from "./schedule.ts";

/** Members the run handled without a Discord change, by why. */
export interface RunBreakdown {
  /** The bot may not manage one of their roles: reported, not attempted. */
  notAttempted: number;
  /** Left the Roblox group; kept because the guild's policy is "flag". */
  leftGroupFlagged: number;
  /** Left the Roblox group; rank roles removed (policy "remove"). Counted in `updated` too. */
  leftGroupRemoved: number;
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
}

export const emptyBreakdown = (): RunBreakdown => ({
  notAttempted: 0,
  leftGroupFlagged: 0,
  leftGroupRemoved: 0,
  notInGuild: 0,
  unrankedRole: 0,
  robloxUnknown: 0,
  duplicateLink: 0,
  leftGuild: 0,
  filteredOut: 0,
  storedRankUpdates: 0,
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

/** Shorter waits go unmentioned (as for commands: rate-limit-wait.ts). */
const WAIT_NOTE_AFTER_MS = 2_000;

/** Discord's message limit, less a margin for the markup around lists. */
const MESSAGE_LIMIT = 2000;

export function processedOf(view: Pick<RunView, "updated" | "inSync" | "errors" | "skipped">): number {
  return view.updated + view.inSync + view.errors + view.skipped;
}

/**
 * The in-flight reply. The ETA comes from the Discord changes left and the rate they go at, since
 * members already in sync cost nothing and the rate limit sets the pace of the rest.
 */
export function renderRunProgress(view: RunView): string {
  const processed = processedOf(view);
  const expectedRatePerSecond = expectedMemberRate(view, processed);
  const title = view.dryRun ? "**Rank sync (dry run)**: planning…" : view.planning && processed === 0 ? "**Rank sync**: reading Roblox and Discord…" : "**Rank sync** in progress";
  const body = renderProgress({
    total: Math.max(view.total, processed),
    processed,
    updated: view.updated,
    inSync: view.inSync,
    errors: view.errors,
    startedAtMs: view.startedAtMs,
    nowMs: view.nowMs,
    ...(expectedRatePerSecond !== undefined ? { expectedRatePerSecond } : {}),
  });
  const wait = view.waitingReason
    ? `\n⏸️ Waiting for Roblox: ${view.waitingReason}. The sync carries on by itself when Roblox answers again.`
    : view.robloxWaitMs !== undefined && view.robloxWaitMs > WAIT_NOTE_AFTER_MS
      ? `\nRoblox is limiting requests right now; the sync continues in about ${formatDuration(view.robloxWaitMs)}.`
      : "";
  return `${title} (run #${view.runId})\n${body}${wait}`;
}

function expectedMemberRate(view: RunView, processed: number): number | undefined {
  const membersLeft = Math.max(0, view.total - processed);
  if (membersLeft === 0 || view.changeRatePerSecond === undefined || view.changesLeft === 0) return undefined;
  const secondsLeft = view.changesLeft / view.changeRatePerSecond;
  return secondsLeft > 0 ? membersLeft / secondsLeft : undefined;
}

/** The end-of-run reply: outcome, counts, what needs an admin, then who changed. */
export function renderRunSummary(view: RunView): string {
  const elapsed = formatDuration(view.nowMs - view.startedAtMs);
  const members = view.total.toLocaleString("en-US");
  const head = {
    done: view.dryRun ? `**Dry run** of run #${view.runId}: nothing was changed (${members} members checked in ${elapsed}).` : `**Rank sync complete** (run #${view.runId}, ${members} members, ${elapsed}).`,
    failed: `**Rank sync failed** (run #${view.runId}, after ${elapsed}): ${view.error ?? "unknown error"}`,
    paused: `**Rank sync paused** (run #${view.runId}, after ${elapsed}): ${view.error ?? ""}`,
    stopped: `**Rank sync interrupted** (run #${view.runId}): the bot is restarting; it continues where it stopped.`,
    running: `**Rank sync** (run #${view.runId}) is still running.`,
  }[view.state];

  const lines = [head, ...(view.hold ? [renderHeldPlan(view.hold, view.dryRun)] : []), view.dryRun ? renderDryRunCounts(view) : renderSummary(view), ...detailLines(view)];
  const text = lines.join("\n");
  if (view.updated === 0 || view.updates.length === 0) return text;
  const label = view.dryRun ? "Would change:" : "Updates:";
  const budget = MESSAGE_LIMIT - text.length - label.length - 2;
  if (budget < 40) return text;
  const list = renderUpdateList(view.updates, { maxLines: 20, maxChars: budget, notListed: Math.max(0, view.updated - view.updates.length) });
  return `${text}\n${label}\n${list}`;
}

function renderDryRunCounts(view: RunView): string {
  const count = (n: number) => n.toLocaleString("en-US");
  return `Would sync: ${count(view.updated)} · Already in sync: ${count(view.inSync)} · Errors: ${count(view.errors)}`;
}

function detailLines(view: RunView): string[] {
  const b = view.breakdown;
  const count = (n: number) => n.toLocaleString("en-US");
  const lines: string[] = [];
  if (b.notAttempted > 0) {
    lines.push(`Not attempted (the bot may not change their roles): ${count(b.notAttempted)}`);
    for (const problem of view.problems.slice(0, 3)) lines.push(`  → ${problem}`);
  }
  if (b.leftGroupFlagged > 0) {
    const names = view.flaggedNames.map(escapeMarkdown).join(", ");
    const more = b.leftGroupFlagged > view.flaggedNames.length ? ", …" : "";
    lines.push(`Left the Roblox group, roles kept (policy: flag): ${count(b.leftGroupFlagged)}${names ? ` (${names}${more})` : ""}`);
  }
  if (b.leftGroupRemoved > 0) lines.push(`Left the Roblox group, rank roles removed: ${count(b.leftGroupRemoved)}`);
  if (b.notInGuild > 0) lines.push(`Linked but not in this server: ${count(b.notInGuild)}`);
  if (b.leftGuild > 0) lines.push(`Left this server during the sync: ${count(b.leftGuild)}`);
  if (b.unrankedRole > 0) lines.push(`Roblox role not on the rank ladder (run /ranks import): ${count(b.unrankedRole)}`);
  if (b.robloxUnknown > 0) lines.push(`No answer from Roblox: ${count(b.robloxUnknown)}`);
  if (b.duplicateLink > 0) lines.push(`Duplicate links skipped: ${count(b.duplicateLink)}`);
  if (b.filteredOut > 0) lines.push(`Outside this server's rank filter: ${count(b.filteredOut)}`);
  if (b.storedRankUpdates > 0) lines.push(`${view.dryRun ? "Stored ranks to update" : "Stored ranks updated"}: ${count(b.storedRankUpdates)}`);
  return lines;
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


/** Why the mass-change guard held a run, with the counts and a sample of names. */
export function renderHeldPlan(hold: HeldPlan, dryRun = false): string {
  const count = (n: number) => n.toLocaleString("en-US");
  const names = hold.sample.map(escapeMarkdown).join(", ");
  const more = hold.affected > hold.sample.length ? ", …" : "";
  const what =
    `take the rank roles from, or count as gone from the Roblox group, ${count(hold.affected)} of ${count(hold.linked)} linked ` +
    `members (the limit is more than ${hold.percent}% and more than ${count(hold.members)})`;
  if (dryRun) {
    return `⚠️ A real sync would ${what}, so it would wait for an admin to confirm.${names ? `\nAffected: ${names}${more}` : ""}`;
  }
  return (
    `⚠️ This sync would ${what}. Nothing of that was applied: Roblox may have sent an empty or partial answer.` +
    (names ? `\nAffected: ${names}${more}` : "") +
    `\nPress **Apply** to apply it anyway, or **Cancel** to drop it (changes to the other members went through).`
  );
}

/** The held-run reason kept on the guild (shown by /sync-status while background syncs wait). */
export function heldPauseReason(runId: number, hold: HeldPlan): string {
  return `run #${runId} would strip the ranks of ${hold.affected} of ${hold.linked} linked members; an admin must Apply or Cancel it (or run /sync force:true)`;
}

/** Apply / Cancel under a held run (custom ids route to /sync's button handler). */
export function heldRunButtons(runId: number): APIActionRowComponent<APIComponentInMessageActionRow>[] {
  return [
    {
      type: ComponentType.ActionRow,
      components: [
        { type: ComponentType.Button, style: ButtonStyle.Danger, label: "Apply", custom_id: `sync:apply:${runId}` },
        { type: ComponentType.Button, style: ButtonStyle.Secondary, label: "Cancel", custom_id: `sync:cancel:${runId}` },
      ],
    },
  ];
}
