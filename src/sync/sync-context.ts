/**
 * What a sync needs from a guild's setup before it can plan anything: its context with a Roblox
 * group and a rank ladder (or a `SyncNotPossibleError` saying how to fix it), the planner options
 * its settings imply, and the Roblox writes still pending there.
 */
import type { GroupLockMode, GuildSettings, Repositories } from "../services/storage-port.ts";
import { nicknameTemplateActive } from "../ranks/nickname.ts";
import { UNLINKED_STANDING } from "../ranks/binds.ts";
import type { MemberKeep } from "./member-roles.ts";
import type { RobloxRoleId, RobloxUserId } from "../ranks/ladder.ts";
import { GroupNotConfiguredError, type GuildContext, type GuildContexts } from "../services/guild-context.ts";
import type { SyncInput, SyncOptions } from "./planner.ts";

/** Why a sync cannot start: no group or no ranks (an admin can fix it), the bot stopping, another run starting. */
export type SyncNotPossibleReason = "no-group" | "no-ranks" | "stopping" | "starting";

/** A sync that cannot start; the view (RunWording.notPossible) says why and how to fix it. */
export class SyncNotPossibleError extends Error {
  override readonly name = "SyncNotPossibleError";
  constructor(
    readonly reason: SyncNotPossibleReason,
    /** no-group: whether the operator's ROBLOX_GROUP_ID could have applied. */
    readonly home = false,
  ) {
    super(`sync not possible: ${reason}`);
  }
}

/** The guild's context, provided it has a group and ranks to sync to. */
export async function resolveSyncContext(contexts: GuildContexts, guildId: string): Promise<GuildContext> {
  let context: GuildContext;
  try {
    context = await contexts.resolve(guildId);
  } catch (error) {
    if (error instanceof GroupNotConfiguredError) throw new SyncNotPossibleError("no-group", error.home);
    throw error;
  }
  if (context.ladder.isEmpty) {
    throw new SyncNotPossibleError("no-ranks");
  }
  return context;
}

/**
 * What happens to a linked member who is not in the guild's group. Guilds that never chose a mode
 * keep what their left-group policy said: "remove" is remove-roles, "flag" is off.
 */
export function groupLockOf(settings: Pick<GuildSettings, "groupLockMode" | "leftGroupPolicy"> | undefined): GroupLockMode {
  return settings?.groupLockMode ?? (settings?.leftGroupPolicy === "flag" ? "off" : "remove-roles");
}

/** The guild's nickname template, when one is on. */
export function nicknameTemplateOf(settings: Pick<GuildSettings, "nicknameTemplate"> | undefined): string | null {
  const template = settings?.nicknameTemplate;
  return nicknameTemplateActive(template) ? template : null;
}

/** The binds and group the planner resolves roles with. */
export function bindInputsOf(context: Pick<GuildContext, "binds" | "groupId">): Pick<SyncInput, "binds" | "robloxGroupId"> {
  return { binds: context.binds, robloxGroupId: context.groupId };
}

/** The planner options of the guild's settings; the rank filter narrows bulk runs only, never one member's sync. */
export function syncOptionsOf(context: GuildContext, scope: "bulk" | "member"): SyncOptions {
  const filter = scope === "bulk" ? context.settings?.syncRankFilter : null;
  return {
    // "kick" takes the roles too; the kick itself is not the planner's.
    leftGroupPolicy: groupLockOf(context.settings) === "off" ? "flag" : "remove",
    ...(filter && filter.length > 0 ? { rankFilter: new Set(filter) } : {}),
  };
}

/** Roblox writes queued but not through yet, by user: their target role, not Roblox's stale answer, is the truth. */
export async function pendingRobloxWritesOf(repositories: Pick<Repositories, "pendingWrites">, guildId: string): Promise<Map<RobloxUserId, RobloxRoleId>> {
  return new Map((await repositories.pendingWrites.list(guildId)).map((write) => [write.robloxUserId, write.targetRobloxRoleId]));
}

/**
 * Which unlinked members a whole-guild run brings in line: those lacking a role the unlinked binds
 * give (the unverified role) or holding one only linked binds give (the verified role). Undefined
 * when the guild has neither (unlinked members are then neither read nor held), and for a
 * rank-filtered run (an unlinked member has no rank to filter by).
 */
export function unlinkedKeepOf(context: Pick<GuildContext, "binds" | "settings">): MemberKeep | undefined {
  const presence = context.binds.presence();
  if (!presence) return undefined;
  if ((context.settings?.syncRankFilter?.length ?? 0) > 0) return undefined;
  const key = [...presence.byRole()].map(([roleId, binds]) => `${roleId}:${binds.map((bind) => bind.kind).sort().join("+")}`).sort().join(",");
  return {
    key,
    keep: (roleIds) => {
      const changes = presence.changes(UNLINKED_STANDING, roleIds);
      return changes.add.length > 0 || changes.remove.length > 0;
    },
  };
}
