import type { APIEmbed } from "discord-api-types/v10";
import type { SyncRun } from "../../db/schema.ts";
import type { BulkSync } from "../../sync/bulk-sync.ts";
import { formatDuration } from "../../sync/schedule.ts";
import type { SyncScheduler } from "../../sync/scheduler.ts";
import type { AdminCheckDependencies, DefaultSyncPeriod, SomeRepositories } from "./dependencies.ts";
import { requireAdmin } from "./guards.ts";
import { GUILD_ONLY, MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import type { SlashCommand } from "./types.ts";
import { truncate } from "../views/markdown.ts";
import { feedStatusText } from "../views/change-feed.ts";
import type { FeedStatus } from "../../sync/change-feed/status.ts";

const COLOUR = { ok: 0x2ecc71, warning: 0xf1c40f, paused: 0xe74c3c } as const;
const RUNS_SHOWN = 5;

/** `/sync-status` reads the guild's runs and pending writes after the admin check. */
export type StatusRepositories = SomeRepositories<"guilds" | "syncRuns" | "pendingWrites">;
export type SyncStatusDependencies = AdminCheckDependencies & DefaultSyncPeriod & { repositories: StatusRepositories };

export interface SyncStatusServices {
  bulkSync: Pick<BulkSync, "progressText">;
  scheduler: Pick<SyncScheduler, "nextRunFor">;
  /** The Roblox change feed's state (design §3.2); undefined when it is off. */
  changeFeed?: Pick<FeedStatus, "forGuild" | "intervalMs"> | undefined;
}

const STATUS_ICONS: Record<SyncRun["status"], string> = { running: "⏳", done: "✅", failed: "❌", paused: "⏸️" };
const count = (value: number) => value.toLocaleString("en-US");
const relative = (ms: number) => `<t:${Math.floor(ms / 1000)}:R>`;

/** `/sync-status`: the last runs, the next one, what waits to be retried and what went wrong. */
export function syncStatusCommand(deps: SyncStatusDependencies, services: SyncStatusServices): SlashCommand {
  return {
    definition: {
      name: "sync-status",
      description: "Show the last rank syncs, the next one, failures and Roblox changes waiting to be retried",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: [...GUILD_ONLY],
    },
    ephemeral: true,
    async execute({ interaction, respond }) {
      const { guildId } = await requireAdmin(interaction, deps);
      const embed = await syncStatusEmbed(guildId, deps.repositories, services, deps.config.syncIntervalMs, Date.now());
      await respond.reply({ allowed_mentions: { parse: [] }, embeds: [embed] });
    },
  };
}

export async function syncStatusEmbed(
  guildId: string,
  repositories: StatusRepositories,
  services: SyncStatusServices,
  defaultIntervalMs: number,
  now: number,
): Promise<APIEmbed> {
  const settings = await repositories.guilds.get(guildId);
  const runs = await repositories.syncRuns.listLatest(guildId, 20);
  const fields: NonNullable<APIEmbed["fields"]> = [];

  const intervalMs = settings?.syncIntervalMs ?? defaultIntervalMs;
  const next = services.scheduler.nextRunFor(guildId);
  const schedule = settings?.syncPausedReason
    ? `**Paused**: ${settings.syncPausedReason}\nRun /sync to try again once it is fixed.`
    : `Every ${formatDuration(intervalMs)}${next ? `; next ${relative(next.getTime())}` : "; next run not scheduled yet"}`;
  fields.push({ name: "Background sync", value: truncate(schedule, 1024) });

  const feed = feedStatusText(services.changeFeed?.forGuild(guildId), services.changeFeed?.intervalMs ?? null, now);
  fields.push({ name: "Roblox change feed", value: truncate(feed.text, 1024) });

  const progress = services.bulkSync.progressText(guildId);
  if (progress) fields.push({ name: "Running now", value: truncate(progress, 1024) });

  fields.push({ name: "Last runs", value: runs.length ? truncate(runs.slice(0, RUNS_SHOWN).map((run) => describeRun(run, now)).join("\n"), 1024) : "No sync has run yet." });

  const pending = await repositories.pendingWrites.list(guildId);
  const pendingText =
    pending.length === 0
      ? "None"
      : `${count(pending.length)} waiting; next attempt ${relative(pending[0]!.nextAttemptAt)}` +
        (pending[0]!.lastError ? `\nLast error: ${truncate(pending[0]!.lastError, 200)}` : "");
  fields.push({ name: "Pending Roblox writes", value: pendingText });

  const failures = runs.filter((run) => (run.status === "failed" || run.status === "paused" || run.errors > 0) && run.status !== "running").slice(0, 3);
  if (failures.length > 0) {
    fields.push({
      name: "Recent failures",
      value: truncate(
        failures
          .map((run) => `#${run.id} ${relative(run.startedAt)}: ${run.error ?? `${count(run.errors)} member${run.errors === 1 ? "" : "s"} could not be updated`}`)
          .join("\n"),
        1024,
      ),
    });
  }

  const colour = settings?.syncPausedReason ? COLOUR.paused : failures.length > 0 || pending.length > 0 || feed.problem ? COLOUR.warning : COLOUR.ok;
  return { title: "Rank sync status", color: colour, fields };
}

function describeRun(run: SyncRun, now: number): string {
  const end = run.finishedAt ?? now;
  const what = [
    `${STATUS_ICONS[run.status]} #${run.id} ${run.trigger}${run.dryRun ? " (dry run)" : ""}${resumedAfterRestart(run) ? " (resumed after a restart)" : ""} ${relative(run.startedAt)}`,
    run.status === "running" ? "running" : formatDuration(end - run.startedAt),
    `${count(run.updated)} updated, ${count(run.inSync)} in sync, ${count(run.errors)} errors`,
    `requests: Roblox ${count(run.robloxRequests)}, Discord ${count(run.discordRequests)}`,
  ];
  return what.join(" · ");
}

function resumedAfterRestart(run: SyncRun): boolean {
  const resumes = (run.progress as { resumes?: unknown } | null)?.resumes;
  return typeof resumes === "number" && resumes > 0;
}

