/**
 * Importing a guild's rank ladder from its Roblox group (`/ranks import`): read the group's roles,
 * bind each to the Discord role of the same name, optionally create the roles that are missing,
 * replace the stored ladder and audit it. Binds by name obey design §10 like any bind (ranks below
 * the actor's own, roles below their highest role) and never give a role with server-wide
 * permissions; those are returned as skipped. No wording here: the command words the result.
 */
import type { GuildSettings, LadderEntry, LadderReplaceResult } from "./storage-port.ts";
import type { Actor } from "../ranks/authority.ts";
import { decideBind, decideRankBind, privilegedPermissionsOf, type BindDenial } from "../ranks/bind-authority.ts";
import { DiscordPermission, hasPermission, type BotStanding, type GuildRole } from "../ranks/hierarchy.ts";
import { GUEST_ROBLOX_RANK, type Rank } from "../ranks/ladder.ts";
import { bindingWarning, chooseBindings, type BindingWarning, type SkippedBind } from "../ranks/binding.ts";
import type { AuditTrail } from "./audit-trail.ts";
import { ladderOrEmpty } from "./bind-review.ts";
import { GroupNotConfiguredError, type GuildContexts } from "./guild-context.ts";
import type { GroupRole } from "./roblox-port.ts";

export { nameKey, type BindingWarning, type SkippedBind } from "../ranks/binding.ts";

/** Discord's cap on roles per guild. */
export const MAX_GUILD_ROLES = 250;
export const MAX_RANK_NAME_LENGTH = 100;

/** Creating roles was asked for, but the bot lacks Manage Roles. */
export class ManageRolesMissingError extends Error {
  override readonly name = "ManageRolesMissingError";
  constructor(readonly guildId: string) {
    super(`the bot lacks Manage Roles in guild ${guildId}`);
  }
}

/** The group has no roles besides Guest. */
export class EmptyGroupError extends Error {
  override readonly name = "EmptyGroupError";
  constructor(readonly groupId: number) {
    super(`Roblox group ${groupId} has no roles besides Guest`);
  }
}

/** Creating the missing roles would pass Discord's per-guild limit. */
export class TooManyRolesError extends Error {
  override readonly name = "TooManyRolesError";
  constructor(
    readonly toCreate: number,
    readonly max: number,
  ) {
    super(`creating ${toCreate} roles would pass the limit of ${max} roles per guild`);
  }
}

/** The Discord side of an import: the bot's standing and creating a bare rank role. */
export interface LadderImportDiscord {
  botStanding(guildId: string): Promise<BotStanding & { guildRoles: GuildRole[] }>;
  /** Creates a role with no permissions, named after the rank, and keeps the guild's snapshot current. */
  createRankRole(guildId: string, name: string): Promise<GuildRole>;
}

export interface LadderImportPorts {
  settings: { get(guildId: string): Promise<GuildSettings | undefined> };
  ranks: { list(guildId: string): Promise<Rank[]>; replace(guildId: string, entries: readonly LadderEntry[]): Promise<LadderReplaceResult> };
  contexts: Pick<GuildContexts, "groupIdOf" | "isHome" | "accessFor">;
  discord: LadderImportDiscord;
  audit: Pick<AuditTrail, "record">;
}

export interface LadderImportRequest {
  guildId: string;
  actor: Actor;
  ownerId: string;
  adminRoleIds: string[];
  createMissingRoles: boolean;
}


export interface LadderImportResult {
  groupId: number;
  ladder: LadderReplaceResult;
  createdRoleIds: string[];
  /** The role creation that failed (the import went ahead with the roles made so far). */
  creationFailure?: { roleName: string; error: unknown };
  /** Ranks above the actor's own: no role was created for them. */
  notCreated: GroupRole[];
  skipped: SkippedBind<GroupRole>[];
  warning?: BindingWarning;
}

export class LadderImportService {
  constructor(private readonly ports: LadderImportPorts) {}

  /**
   * @throws GroupNotConfiguredError, ManageRolesMissingError, EmptyGroupError, TooManyRolesError,
   *   and the Roblox client's errors when the group's roles cannot be read
   */
  async importLadder(request: LadderImportRequest): Promise<LadderImportResult> {
    const { guildId, actor, ownerId, adminRoleIds, createMissingRoles } = request;
    const { contexts, discord } = this.ports;
    // Not contexts.resolve(): that validates the stored ladder, and a broken ladder is what an import repairs.
    const settings = await this.ports.settings.get(guildId);
    const groupId = contexts.groupIdOf(guildId, settings);
    if (!groupId) throw new GroupNotConfiguredError(guildId, contexts.isHome(guildId));
    const roblox = (await contexts.accessFor(guildId, settings)).read;
    const standing = await discord.botStanding(guildId);
    if (createMissingRoles && !hasPermission(standing.botPermissions, DiscordPermission.ManageRoles)) throw new ManageRolesMissingError(guildId);

    const robloxRoles = (await roblox.listRoles(groupId))
      .filter((role) => role.rank !== GUEST_ROBLOX_RANK)
      .sort((a, b) => a.rank - b.rank || a.id - b.id);
    if (robloxRoles.length === 0) throw new EmptyGroupError(groupId);

    const previous = await this.ports.ranks.list(guildId);
    // The actor's own rank comes from the ladder before the import; a broken one counts as empty.
    const previousLadder = ladderOrEmpty(previous);
    const guild = { ownerId, adminRoleIds };
    // Design §10: a bind by name obeys the ceiling like any bind, and never gives a privileged role.
    const mayBindByName = (robloxRole: GroupRole, role: GuildRole): BindDenial | null => {
      const permissions = privilegedPermissionsOf(role);
      if (permissions.length > 0) return { reason: "privileged-role", permissions };
      const decision = decideBind({ actor, guild, ladder: previousLadder, rank: { robloxRank: robloxRole.rank }, role, guildRoles: standing.guildRoles });
      return decision.allowed ? null : decision.denial;
    };
    const { bindings, skipped } = chooseBindings(robloxRoles, previous, standing, guildId, mayBindByName);
    const withoutRole = robloxRoles.filter((role) => !bindings.has(role.id));
    // A created role sits at the bottom, where the actor could give it to themselves: only ranks below theirs.
    const creatable = (role: GroupRole) => decideRankBind({ actor, guild, ladder: previousLadder, rank: { robloxRank: role.rank } }).allowed;
    const unbound = createMissingRoles ? withoutRole.filter(creatable) : withoutRole;
    const notCreated = createMissingRoles ? withoutRole.filter((role) => !creatable(role)) : [];

    const createdRoleIds: string[] = [];
    let creationFailure: LadderImportResult["creationFailure"];
    if (createMissingRoles && unbound.length > 0) {
      if (standing.guildRoles.length + unbound.length > MAX_GUILD_ROLES) throw new TooManyRolesError(unbound.length, MAX_GUILD_ROLES);
      // Discord puts new roles at the bottom, below the bot's role; creating from the top rank down
      // leaves them in ladder order.
      for (const robloxRole of [...unbound].reverse()) {
        try {
          const role = await discord.createRankRole(guildId, robloxRole.name.slice(0, MAX_RANK_NAME_LENGTH));
          bindings.set(robloxRole.id, role.id);
          createdRoleIds.push(role.id);
        } catch (error) {
          // The import itself still goes ahead: the roles created so far are bound.
          creationFailure = { roleName: robloxRole.name, error };
          break;
        }
      }
    }

    const entries: LadderEntry[] = robloxRoles.map((role) => ({
      name: role.name,
      robloxRoleId: role.id,
      robloxRank: role.rank,
      discordRoleId: bindings.get(role.id) ?? null,
    }));
    const ladder = await this.ports.ranks.replace(guildId, entries);
    await this.ports.audit.record(guildId, {
      actorId: actor.userId,
      action: "ranks.import",
      before: ladderSnapshot(previous),
      after: ladderSnapshot(ladder.ladder),
      outcome: creationFailure ? "partial" : "ok",
      note: { kind: "ladder-imported", rankCount: ladder.ladder.length, groupId, createdRoleCount: createdRoleIds.length },
    });
    const warning = bindingWarning(ladder.ladder, standing, new Set(createdRoleIds));
    return { groupId, ladder, createdRoleIds, creationFailure, notCreated, skipped, ...(warning ? { warning } : {}) };
  }
}

/** Rank rows as kept in audit before/after: enough to see what changed, nothing more. */
function ladderSnapshot(ranks: readonly Rank[]) {
  return ranks.map((rank) => ({ name: rank.name, robloxRoleId: rank.robloxRoleId, robloxRank: rank.robloxRank, discordRoleId: rank.discordRoleId }));
}
