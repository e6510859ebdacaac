/**
 * What a guild's overview page shows, gathered from what the slash commands already read
 * (`/sync-status`, `/list-ranks`): the group, the ladder, the last and next sync, the pending
 * Roblox writes, the members out of agreement and the last 30 sync runs. Only ever built for a guild
 * the person was just found to manage. Everything comes from stored state (no Roblox request per
 * view): how far Discord is from Roblox is what the last finished sync found.
 */
import type { Repositories } from "../../db/index.ts";
import { formatDuration } from "../../lib/duration.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import type { GuildSnapshot } from "../../services/discord-port.ts";
import type { SyncRun } from "../../services/storage-port.ts";
import type { SyncScheduler } from "../../sync/scheduler.ts";

export interface GuildOverview {
  guildName: string;
  groupId: number | undefined;
  syncInterval: string;
  syncPausedReason: string | null;
  nextSyncAt: number | undefined;
  lastRun: { status: string; startedAt: number; updated: number; inSync: number; errors: number; dryRun: boolean } | undefined;
  pendingWrites: number;
  ladder: { name: string; robloxRank: number; discordRoleName: string | null }[];
  /** Members out of agreement as the last finished run (real or dry) left them; undefined before any. */
  agreement: OutOfAgreement | undefined;
  /** The last runs, oldest first (at most RECENT_RUNS). */
  recentRuns: RecentRun[];
}

/**
 * What the last finished run found: `found` members whose roles or rank differed from Roblox's
 * (it changed them, failed to, or was blocked); `left` of them still differ after it (all of them
 * after a dry run, which changes nothing).
 */
export interface OutOfAgreement {
  runId: number;
  at: number;
  dryRun: boolean;
  total: number;
  found: number;
  left: number;
}

export interface RecentRun {
  id: number;
  startedAt: number;
  dryRun: boolean;
  status: string;
  changed: number;
  failed: number;
  /** Undefined while it runs. */
  durationMs: number | undefined;
}

export const RECENT_RUNS = 30;

export interface OverviewSources {
  repositories: Pick<Repositories, "guilds" | "ranks" | "syncRuns" | "pendingWrites">;
  contexts: Pick<GuildContexts, "groupIdOf">;
  scheduler: Pick<SyncScheduler, "nextRunFor">;
  /** The guild as the gateway keeps it (role names). */
  guild(guildId: string): Promise<GuildSnapshot>;
  defaultSyncIntervalMs: number;
}

export async function guildOverview(sources: OverviewSources, guildId: string): Promise<GuildOverview> {
  const { repositories } = sources;
  // Independent reads, at once: on PostgreSQL each is a round trip.
  const [guild, settings, runs, pendingWrites, ranks] = await Promise.all([
    sources.guild(guildId),
    repositories.guilds.get(guildId),
    repositories.syncRuns.listLatest(guildId, RECENT_RUNS),
    repositories.pendingWrites.count(guildId),
    repositories.ranks.list(guildId),
  ]);
  const [lastRun] = runs;
  const settled = runs.find((run) => run.status !== "running");
  return {
    guildName: guild.name,
    groupId: sources.contexts.groupIdOf(guildId, settings),
    syncInterval: formatDuration(settings?.syncIntervalMs ?? sources.defaultSyncIntervalMs),
    syncPausedReason: settings?.syncPausedReason ?? null,
    nextSyncAt: sources.scheduler.nextRunFor(guildId)?.getTime(),
    lastRun: lastRun && {
      status: lastRun.status,
      startedAt: lastRun.startedAt,
      updated: lastRun.updated,
      inSync: lastRun.inSync,
      errors: lastRun.errors,
      dryRun: lastRun.dryRun,
    },
    pendingWrites,
    agreement: settled && agreementAfter(settled),
    recentRuns: runs
      .map((run) => ({
        id: run.id,
        startedAt: run.startedAt,
        dryRun: run.dryRun,
        status: run.status,
        changed: run.updated,
        failed: run.errors,
        durationMs: run.finishedAt === null ? undefined : Math.max(0, run.finishedAt - run.startedAt),
      }))
      .reverse(),
    ladder: ranks.map((rank) => ({
      name: rank.name,
      robloxRank: rank.robloxRank,
      discordRoleName: rank.discordRoleId ? (guild.roles.get(rank.discordRoleId)?.name ?? `deleted role ${rank.discordRoleId}`) : null,
    })),
  };
}

function agreementAfter(run: SyncRun): OutOfAgreement {
  const found = run.updated + run.errors + run.skipped;
  return { runId: run.id, at: run.finishedAt ?? run.startedAt, dryRun: run.dryRun, total: run.total, found, left: run.dryRun ? found : found - run.updated };
}
