/**
 * The text of a bulk sync's reply: a progress bar while it runs, a summary when it ends, the list
 * of who changed, the held-run notice and its Apply / Cancel buttons (written and read here).
 * Discord caps a message at 2000 characters, so every list is bounded.
 */
import { ButtonStyle, ComponentType } from "discord-api-types/v10";
import type { HeldPlan } from "../../sync/run-state.ts";
import { estimateRemainingMs, progressFraction, type SyncProgress, type UpdateListEntry } from "../../sync/progress.ts";
import { processedOf, type RunView } from "../../sync/run-report.ts";
import { formatDuration } from "../../sync/schedule.ts";
import type { MessageComponents } from "../../sync/sync-messages.ts";
import { escapeMarkdown } from "./markdown.ts";

const FILLED = "▰";
const EMPTY = "▱";

/**
 * "▰▰▰▰▱▱▱▱▱▱ 40%". Rounds down, so a run shows 100% only once it is really complete.
 */
export function renderProgressBar(fraction: number, width = 10): string {
  const clamped = Number.isFinite(fraction) ? Math.min(1, Math.max(0, fraction)) : 0;
  const filled = Math.floor(clamped * width);
  return `${FILLED.repeat(filled)}${EMPTY.repeat(width - filled)} ${Math.floor(clamped * 100)}%`;
}


const count = (value: number): string => value.toLocaleString("en-US");

/** "Synced: 12 · Already in sync: 980 · Errors: 3" */
export function renderSummary(counts: { readonly updated: number; readonly inSync: number; readonly errors: number }): string {
  return `Synced: ${count(counts.updated)} · Already in sync: ${count(counts.inSync)} · Errors: ${count(counts.errors)}`;
}

/**
 * The in-flight reply:
 *   ▰▰▰▰▱▱▱▱▱▱ 40%
 *   4,000 / 10,000 members · about 2m 30s left
 *   Synced: 12 · Already in sync: 3,980 · Errors: 8
 */
export function renderProgress(progress: SyncProgress): string {
  const remainingMs = estimateRemainingMs(progress);
  const eta = remainingMs === null ? "estimating time left…" : remainingMs === 0 ? "done" : `about ${formatDuration(remainingMs)} left`;
  return [
    renderProgressBar(progressFraction(progress)),
    `${count(progress.processed)} / ${count(progress.total)} members · ${eta}`,
    renderSummary(progress),
  ].join("\n");
}
export interface UpdateListLimits {
  /** Most entry lines shown before "... and N more". */
  readonly maxLines?: number;
  /** Character budget for the whole list, "... and N more" included. */
  readonly maxChars?: number;
  /** Entries that exist but were not passed in (a long run keeps only its first few); added to "N more". */
  readonly notListed?: number;
}

/**
 * "Player1 (<@123>): E0 | Enlist → E1 | Soldier", one line per entry, then "... and N more" for
 * whatever did not fit in `maxLines` lines or `maxChars` characters.
 */
export function renderUpdateList(entries: readonly UpdateListEntry[], limits: UpdateListLimits = {}): string {
  const maxLines = Math.max(0, limits.maxLines ?? 20);
  const maxChars = limits.maxChars ?? 1500;
  const lines: string[] = [];
  let used = 0;
  const notListed = Math.max(0, limits.notListed ?? 0);
  for (const entry of entries) {
    if (lines.length >= maxLines) break;
    const line = renderUpdateLine(entry);
    const left = entries.length - lines.length - 1 + notListed;
    // Keep room for the "... and N more" line that would follow if this is not the last entry.
    const reserve = left > 0 ? moreLine(left).length + 1 : 0;
    const cost = (lines.length > 0 ? 1 : 0) + line.length;
    if (used + cost + reserve > maxChars) break;
    lines.push(line);
    used += cost;
  }
  const hidden = entries.length - lines.length + notListed;
  if (hidden > 0) lines.push(moreLine(hidden));
  return lines.join("\n");
}

function moreLine(hidden: number): string {
  return `... and ${count(hidden)} more`;
}

function renderUpdateLine(entry: UpdateListEntry): string {
  if (entry.unlinked) {
    const roles = [...(entry.added ?? []).map((id) => `+<@&${id}>`), ...(entry.removed ?? []).map((id) => `−<@&${id}>`)].join(" ");
    return [`<@${entry.discordId}>: not linked`, roles].filter(Boolean).join(" · ");
  }
  const who = escapeMarkdown(entry.robloxUsername) + (entry.discordId ? ` (<@${entry.discordId}>)` : "");
  if (entry.kicked) return `${who}: ${escapeMarkdown(entry.from ?? "no rank")} → removed from the server (not in the Roblox group)`;
  const rank = entry.from === entry.to && (entry.added || entry.removed || entry.nick !== undefined)
    ? escapeMarkdown(entry.to ?? "no rank")
    : `${escapeMarkdown(entry.from ?? "no rank")} → ${escapeMarkdown(entry.to ?? "no rank")}`;
  const roles = [...(entry.added ?? []).map((id) => `+<@&${id}>`), ...(entry.removed ?? []).map((id) => `−<@&${id}>`)].join(" ");
  const nick = entry.nick === undefined ? "" : entry.nick === null ? "nickname cleared" : `nickname “${escapeMarkdown(entry.nick)}”`;
  return [`${who}: ${rank}`, roles, nick].filter(Boolean).join(" · ");
}


/** Shorter waits go unmentioned (as for commands: rate-limit-wait.ts). */
const WAIT_NOTE_AFTER_MS = 2_000;

/** Discord's message limit, less a margin for the markup around lists. */
const MESSAGE_LIMIT = 2000;

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
  if (b.notAttempted > 0) lines.push(`Not attempted (the bot may not change their roles): ${count(b.notAttempted)}`);
  if (b.kickSkipped > 0) lines.push(`Not in the Roblox group, but the group lock could not remove them from this server: ${count(b.kickSkipped)}`);
  if (b.notAttempted > 0 || b.kickSkipped > 0) for (const problem of view.problems.slice(0, 3)) lines.push(`  → ${problem}`);
  if (b.leftGroupFlagged > 0) {
    const names = view.flaggedNames.map(escapeMarkdown).join(", ");
    const more = b.leftGroupFlagged > view.flaggedNames.length ? ", …" : "";
    lines.push(`Left the Roblox group, roles kept (policy: flag): ${count(b.leftGroupFlagged)}${names ? ` (${names}${more})` : ""}`);
  }
  if (b.leftGroupRemoved > 0) lines.push(`Left the Roblox group, rank roles removed: ${count(b.leftGroupRemoved)}`);
  if (b.leftGroupKicked > 0) {
    lines.push(`Not in the Roblox group, ${view.dryRun ? "would be removed" : "removed"} from this server (group lock: kick): ${count(b.leftGroupKicked)}`);
  }
  if (b.notInGuild > 0) lines.push(`Linked but not in this server: ${count(b.notInGuild)}`);
  if (b.leftGuild > 0) lines.push(`Left this server during the sync: ${count(b.leftGuild)}`);
  if (b.unrankedRole > 0) lines.push(`Roblox role not on the rank ladder (run /ranks import): ${count(b.unrankedRole)}`);
  if (b.robloxUnknown > 0) lines.push(`No answer from Roblox: ${count(b.robloxUnknown)}`);
  if (b.duplicateLink > 0) lines.push(`Duplicate links skipped: ${count(b.duplicateLink)}`);
  if (b.filteredOut > 0) lines.push(`Outside this server's rank filter: ${count(b.filteredOut)}`);
  if (b.nicknameSkipped > 0) lines.push(`Nickname left as it is (server owner, above the bot, or no Manage Nicknames): ${count(b.nicknameSkipped)}`);
  if (b.unlinkedUpdated > 0) lines.push(`${view.dryRun ? "Members with no link to give the unverified role or take the verified one" : "Members with no link given the unverified role or relieved of the verified one"}: ${count(b.unlinkedUpdated)}`);
  if (b.storedRankUpdates > 0) lines.push(`${view.dryRun ? "Stored ranks to update" : "Stored ranks updated"}: ${count(b.storedRankUpdates)}`);
  return lines;
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
export function heldRunButtons(runId: number): MessageComponents {
  return [
    {
      type: ComponentType.ActionRow,
      components: [
        { type: ComponentType.Button, style: ButtonStyle.Danger, label: "Apply", custom_id: encodeHeldRunButton({ verb: "apply", runId }) },
        { type: ComponentType.Button, style: ButtonStyle.Secondary, label: "Cancel", custom_id: encodeHeldRunButton({ verb: "cancel", runId }) },
      ],
    },
  ];
}

/** A press on a held run's buttons: `sync:apply:<runId>` or `sync:cancel:<runId>`. */
export type HeldRunButton = { verb: "apply" | "cancel"; runId: number };

export function encodeHeldRunButton(button: HeldRunButton): string {
  return `sync:${button.verb}:${button.runId}`;
}

/** Reads the part after `sync:` (the router's `action`); null when it is not a button this view wrote. */
export function decodeHeldRunButton(action: string): HeldRunButton | null {
  const [verb, runIdText] = action.split(":");
  const runId = Number(runIdText);
  if ((verb !== "apply" && verb !== "cancel") || !Number.isSafeInteger(runId)) return null;
  return { verb, runId };
}
