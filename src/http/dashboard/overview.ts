/**
 * What a guild's overview page shows, gathered from what the slash commands already read
 * (`/sync-status`, `/list-ranks`): the group, the ladder, the last and next sync and the pending
 * Roblox writes. Only ever built for a guild the person was just found to manage.
 */
import type { Repositories } from "../../db/index.ts";
import { formatDuration } from "../../lib/duration.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import type { GuildSnapshot } from "../../services/discord-port.ts";
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
}

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
  const guild = await sources.guild(guildId);
  const settings = await repositories.guilds.get(guildId);
  const [lastRun] = await repositories.syncRuns.listLatest(guildId, 1);
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
    pendingWrites: await repositories.pendingWrites.count(guildId),
    ladder: (await repositories.ranks.list(guildId)).map((rank) => ({
      name: rank.name,
      robloxRank: rank.robloxRank,
      discordRoleName: rank.discordRoleId ? (guild.roles.get(rank.discordRoleId)?.name ?? `deleted role ${rank.discordRoleId}`) : null,
    })),
  };
}
