/**
 * Which gateway events feed what. Guild owners, roles and members come from the gateway, so the
 * hierarchy pre-checks cost no request and a running sync follows changes as they happen.
 */
import { type Client, GatewayDispatchEvents } from "@discordjs/core";
import type { Logger } from "../observability/logger.ts";
import type { BulkSync } from "../sync/bulk-sync.ts";
import type { MemberSnapshots } from "../sync/member-snapshots.ts";
import type { SyncScheduler } from "../sync/scheduler.ts";
import type { ChangeFeed } from "../sync/change-feed/feed.ts";
import type { DashboardAccess } from "../services/dashboard-access.ts";
import type { DiscordGuilds } from "./guilds.ts";
import type { InteractionRouter } from "./interactions/router.ts";

/** What the member and role events keep current. */
export interface GatewayEventTargets {
  guilds: Pick<DiscordGuilds, "botUserId" | "remember" | "forget" | "rememberRole" | "forgetRole" | "observeMemberUpdate">;
  memberSnapshots: Pick<MemberSnapshots, "invalidateAll" | "invalidate" | "observeAdd" | "observeUpdate" | "observeRemove">;
  bulkSync: Pick<BulkSync, "observeRolesChanged" | "observeMemberUpdate" | "observeMemberRemove" | "onMemberJoin">;
  scheduler: Pick<SyncScheduler, "addGuild" | "removeGuild">;
  /** The Roblox change feed reads the groups of the guilds on our shards; absent when it is off. */
  changeFeed?: Pick<ChangeFeed, "addGuild" | "removeGuild">;
  /** A role deleted in Discord leaves every bind (and the verified/unverified setting), audited. */
  roleDeleted(guildId: string, roleId: string): unknown;
  /** Design §10: binds of privileged roles made before the rule are logged for review, not deleted. */
  reviewBinds(guildId: string): Promise<unknown>;
  /**
   * The guilds on a shard, by REST: for a shard that RESUMEd a session another process began (it
   * replaced one that died or was restarted), to which no READY or GUILD_CREATE will come.
   */
  guildsOnShard(shardId: number): Promise<string[]>;
  interactions: Pick<InteractionRouter, "handle">;
  /** The web dashboard's view of members' roles (design §9): a member event makes it current at once. */
  dashboardAccess?: Pick<DashboardAccess, "observeMember">;
  logger: Logger;
}

export function wireGatewayEvents(client: Client, targets: GatewayEventTargets): void {
  const { guilds, memberSnapshots, bulkSync, scheduler, logger } = targets;
  /** Shards whose guilds this process knows: it saw their session begin (READY) or read them after a RESUME. */
  const shardsKnown = new Set<number>();

  /** The guild is on one of our shards: its background work is ours. */
  const guildAvailable = (guildId: string) => {
    // Scheduling reads the guild's last run: with the database away it is left for the next start of the scheduler.
    scheduler.addGuild(guildId).catch((error: unknown) => logger.error({ err: error, guildId }, "could not schedule the guild's sync"));
    targets.changeFeed?.addGuild(guildId);
    void targets.reviewBinds(guildId);
  };

  client.on(GatewayDispatchEvents.Ready, ({ data, shardId }) => {
    shardsKnown.add(shardId);
    guilds.botUserId = data.user.id;
    // A new session, not a resume: member events may have been missed.
    memberSnapshots.invalidateAll();
  });
  client.on(GatewayDispatchEvents.Resumed, ({ shardId }) => {
    if (shardsKnown.has(shardId)) return;
    shardsKnown.add(shardId);
    targets.guildsOnShard(shardId).then(
      (guildIds) => {
        logger.info({ shard: shardId, guilds: guildIds.length }, "resumed a session another process began; its guilds were read from Discord");
        for (const guildId of guildIds) guildAvailable(guildId);
      },
      (error: unknown) => logger.error({ err: error, shard: shardId }, "could not read the resumed shard's guilds: their background sync waits for the next start"),
    );
  });
  client.on(GatewayDispatchEvents.GuildCreate, ({ data }) => {
    guilds.remember(data);
    // A new session (after op 9) brings the roles as they are now: a running sync follows them.
    bulkSync.observeRolesChanged(data.id);
    guildAvailable(data.id);
  });
  client.on(GatewayDispatchEvents.GuildUpdate, ({ data }) => {
    guilds.remember(data, "gateway GUILD_UPDATE");
    bulkSync.observeRolesChanged(data.id);
  });
  client.on(GatewayDispatchEvents.GuildDelete, ({ data }) => {
    // Removed, or an outage during which member events may be missed.
    memberSnapshots.invalidate(data.id);
    if (data.unavailable) return; // an outage, not a removal: the guild comes back with GUILD_CREATE
    guilds.forget(data.id);
    scheduler.removeGuild(data.id);
    targets.changeFeed?.removeGuild(data.id);
  });
  client.on(GatewayDispatchEvents.GuildMemberAdd, ({ data }) => {
    targets.dashboardAccess?.observeMember(data.guild_id, data.user.id, data.roles);
    memberSnapshots.observeAdd(data.guild_id, data.user.id, data.roles);
    // Bots never link: no bind (not even the unverified role) is theirs.
    if (data.user.bot) return;
    bulkSync
      .onMemberJoin(data.guild_id, {
        userId: data.user.id,
        roleIds: data.roles,
        nick: data.nick ?? null,
        accountName: data.user.global_name ?? data.user.username,
      })
      .catch((error) => logger.warn({ err: error, guildId: data.guild_id }, "could not give a joining member their rank"));
  });
  client.on(GatewayDispatchEvents.GuildMemberUpdate, ({ data }) => {
    targets.dashboardAccess?.observeMember(data.guild_id, data.user.id, data.roles);
    guilds.observeMemberUpdate(data.guild_id, data.user.id, data.roles);
    const name = { nick: data.nick ?? null, discordName: data.user.global_name ?? data.user.username };
    memberSnapshots.observeUpdate(data.guild_id, data.user.id, data.roles, name);
    bulkSync.observeMemberUpdate(data.guild_id, data.user.id, data.roles, name);
  });
  client.on(GatewayDispatchEvents.GuildMemberRemove, ({ data }) => {
    targets.dashboardAccess?.observeMember(data.guild_id, data.user.id, null);
    memberSnapshots.observeRemove(data.guild_id, data.user.id);
    bulkSync.observeMemberRemove(data.guild_id, data.user.id);
  });
  client.on(GatewayDispatchEvents.GuildRoleCreate, ({ data }) => guilds.rememberRole(data.guild_id, data.role));
  client.on(GatewayDispatchEvents.GuildRoleUpdate, ({ data }) => {
    guilds.rememberRole(data.guild_id, data.role);
    // A role moved above the bot mid-sync: the edits not sent yet are judged again at once.
    bulkSync.observeRolesChanged(data.guild_id);
  });
  client.on(GatewayDispatchEvents.GuildRoleDelete, ({ data }) => {
    guilds.forgetRole(data.guild_id, data.role_id);
    try {
      targets.roleDeleted(data.guild_id, data.role_id);
    } catch (error) {
      logger.warn({ err: error, guildId: data.guild_id, roleId: data.role_id }, "could not remove a deleted role from the binds");
    }
    bulkSync.observeRolesChanged(data.guild_id);
    // Discord takes the role off its members without a member event each.
    memberSnapshots.invalidate(data.guild_id);
  });
  client.on(GatewayDispatchEvents.InteractionCreate, ({ data, api, shardId }) => {
    void targets.interactions.handle(data, api, shardId);
  });
}
