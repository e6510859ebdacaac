/**
 * Binds as admins change them (design §3.1: `/binds add-rank-role|add-range|list|remove`, and the
 * verified/unverified roles of `/config`). Every new bind passes the same checks before anything is
 * stored: not @everyone, not a managed role, a role the bot can give, the actor's ceiling
 * (decideBind: roles below their highest, privileged roles only by the owner or an Administrator,
 * ranks below theirs), a range within 0-255, a group Roblox knows. Every change is audited. No
 * wording here: outcomes are typed and the commands word them (src/discord/views/binds.ts).
 */
import type { Actor } from "../ranks/authority.ts";
import { decideBind, type BindDenial } from "../ranks/bind-authority.ts";
import { BindSet, rangeProblem, sameCondition, settingBinds, type Bind, type BindCondition, type RangeProblem } from "../ranks/binds.ts";
import { RoleHierarchy, type RoleProblem } from "../ranks/hierarchy.ts";
import type { Rank } from "../ranks/ladder.ts";
import { ladderOrEmpty } from "./bind-review.ts";
import { isRobloxError } from "./roblox-port.ts";
import type { Repositories, StoredBind } from "./storage-port.ts";
import type { AdminAuthority } from "./admin-gate.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { GuildBotStanding } from "./discord-port.ts";
import type { GuildContexts } from "./guild-context.ts";

export interface BindServicePorts {
  binds: Pick<Repositories["binds"], "list" | "get" | "add" | "remove" | "forgetRole">;
  ranks: Pick<Repositories["ranks"], "list">;
  guilds: Pick<Repositories["guilds"], "get" | "upsert">;
  discord: { botStanding(guildId: string): Promise<GuildBotStanding> };
  contexts: Pick<GuildContexts, "groupIdOf" | "accessFor">;
  audit: Pick<AuditTrail, "record">;
}

/** Who asks, with the authority the admin gate found. */
export interface BindActor {
  readonly guildId: string;
  readonly actor: Actor;
  readonly authority: AdminAuthority;
}

/** Why a role cannot be given by a bind; nothing was stored. */
export type BindRoleRefusal =
  | { readonly kind: "everyone" }
  /** A bot's own role, the booster role or an integration's: nobody can give it. */
  | { readonly kind: "managed" }
  | { readonly kind: "bot-cannot-manage"; readonly problem: RoleProblem }
  | { readonly kind: "denied"; readonly denial: BindDenial };

export type AddBindOutcome =
  | { readonly kind: "added"; readonly bind: StoredBind; readonly roleId: string; readonly merged: boolean }
  | { readonly kind: "already"; readonly bind: StoredBind; readonly roleId: string }
  | { readonly kind: "role-refused"; readonly roleId: string; readonly refusal: BindRoleRefusal }
  | { readonly kind: "bad-range"; readonly problem: RangeProblem; readonly minRank: number; readonly maxRank: number }
  | { readonly kind: "bad-group-id" }
  | { readonly kind: "unknown-group"; readonly groupId: number }
  | { readonly kind: "unreadable-group"; readonly groupId: number };

/** What adding answers before anything is stored or Roblox is asked (see BindService.checkAdd). */
export type AddBindCheck = Extract<AddBindOutcome, { kind: "already" | "role-refused" | "bad-range" | "bad-group-id" }>;

export type RemoveBindOutcome = { readonly kind: "removed"; readonly bind: StoredBind } | { readonly kind: "unknown" };

/** What `/binds list` shows: each managed role with the binds giving it, and what names them. */
export interface BindOverview {
  readonly byRole: ReadonlyMap<string, readonly Bind[]>;
  readonly ranks: ReadonlyMap<number, Rank>;
  readonly ownGroupId: number | undefined;
}

export class BindService {
  constructor(private readonly ports: BindServicePorts) {}

  /**
   * The checks a role passes before any bind may give it (also the verified/unverified roles).
   * `rank`: the rank the bind gives, for the rank ceiling; absent for binds that give none.
   */
  async roleRefusal(request: BindActor, roleId: string, rank?: Rank | Pick<Rank, "robloxRank">): Promise<BindRoleRefusal | null> {
    const { guildId, actor, authority } = request;
    if (roleId === guildId) return { kind: "everyone" };
    const standing = await this.ports.discord.botStanding(guildId);
    const problem = new RoleHierarchy(standing).problemWith(roleId);
    if (problem?.kind === "managed") return { kind: "managed" };
    if (problem) return { kind: "bot-cannot-manage", problem };
    const role = standing.guildRoles.find((candidate) => candidate.id === roleId)!;
    // A broken ladder has no ranks to bind by; a bind that gives none is still judged on its role.
    const ladder = ladderOrEmpty(await this.ports.ranks.list(guildId));
    const decision = decideBind({ actor, guild: authority, ladder, rank, role, guildRoles: standing.guildRoles });
    return decision.allowed ? null : { kind: "denied", denial: decision.denial };
  }

  /** `/binds add-rank-role`: the rank gives `roleId` too. */
  async addRankRole(request: BindActor, rank: Rank, roleId: string): Promise<AddBindOutcome> {
    const refused = await this.checkAdd(request, { kind: "rank", rank }, roleId);
    if (refused) return refused;
    return await this.#add(request, { kind: "rank", rankId: rank.id }, roleId, { rank: rank.name });
  }

  /**
   * What adding the bind would answer, asking Discord's cached state only (no Roblox request, nothing
   * stored): a refusal, "already", or null when it may be saved. A range's group is read from Roblox
   * only when saving. The dashboard checks this before it previews a bind; adding checks it again.
   */
  async checkAdd(request: BindActor, bind: { kind: "rank"; rank: Rank } | { kind: "range"; groupId: number; minRank: number; maxRank: number }, roleId: string): Promise<AddBindCheck | null> {
    if (bind.kind === "rank") {
      const refusal = await this.roleRefusal(request, roleId, bind.rank);
      if (refusal) return { kind: "role-refused", roleId, refusal };
      return await this.#already(request.guildId, { kind: "rank", rankId: bind.rank.id }, roleId);
    }
    const { groupId, minRank, maxRank } = bind;
    if (!Number.isSafeInteger(groupId) || groupId < 1) return { kind: "bad-group-id" };
    const problem = rangeProblem(minRank, maxRank);
    if (problem) return { kind: "bad-range", problem, minRank, maxRank };
    const settings = await this.ports.guilds.get(request.guildId);
    // A range in the guild's own group gives a rank's worth of roles: it obeys the rank ceiling at its top.
    const ownGroup = groupId === this.ports.contexts.groupIdOf(request.guildId, settings);
    const refusal = await this.roleRefusal(request, roleId, ownGroup ? { robloxRank: maxRank } : undefined);
    if (refusal) return { kind: "role-refused", roleId, refusal };
    return await this.#already(request.guildId, { kind: "range", groupId, minRank, maxRank }, roleId);
  }

  /** `/binds add-range`: members whose rank number in `groupId` lies in min..max hold `roleId`. */
  async addRange(request: BindActor, range: { groupId: number; minRank: number; maxRank: number }, roleId: string): Promise<AddBindOutcome> {
    const { groupId, minRank, maxRank } = range;
    const refused = await this.checkAdd(request, { kind: "range", groupId, minRank, maxRank }, roleId);
    if (refused) return refused;
    const settings = await this.ports.guilds.get(request.guildId);
    // The group must exist on Roblox (and be readable with the guild's credentials): a typo binds nothing.
    const access = await this.ports.contexts.accessFor(request.guildId, settings);
    try {
      await access.read.getGroup(groupId);
    } catch (error) {
      if (isRobloxError(error) && error.kind === "group_not_found") return { kind: "unknown-group", groupId };
      if (isRobloxError(error) && error.kind === "missing_permission") return { kind: "unreadable-group", groupId };
      throw error;
    }
    return await this.#add(request, { kind: "range", groupId, minRank, maxRank }, roleId, {});
  }

  /** `/binds remove`: one stored bind of this guild; the roles it gave are left on their holders. */
  async remove(request: BindActor, bindId: number): Promise<RemoveBindOutcome> {
    const bind = await this.ports.binds.get(request.guildId, bindId);
    if (!bind) return { kind: "unknown" };
    await this.ports.binds.remove(request.guildId, bindId);
    await this.ports.audit.record(request.guildId, {
      actorId: request.actor.userId,
      action: "binds.remove",
      before: { bindId, ...conditionFields(bind), roleIds: bind.roleIds, rankRole: bind.origin.rankRole },
      after: null,
      detail: `Bind #${bindId} removed (${describeForAudit(bind)}; roles ${bind.roleIds.join(", ")})`,
    });
    return { kind: "removed", bind };
  }

  /**
   * GUILD_ROLE_DELETE: the role is gone from Discord, so no bind may point at it. It leaves every
   * bind that gave it (a bind left with no role is deleted) and the verified/unverified setting
   * naming it; each change is audited with the system as actor. Returns the binds that gave it.
   */
  async roleDeleted(guildId: string, roleId: string): Promise<StoredBind[]> {
    const affected = await this.ports.binds.forgetRole(guildId, roleId);
    for (const bind of affected) {
      const left = bind.roleIds.filter((id) => id !== roleId);
      await this.ports.audit.record(guildId, {
        actorId: "system",
        action: "binds.remove",
        before: { bindId: bind.origin.id, ...conditionFields(bind), roleIds: bind.roleIds, rankRole: bind.origin.rankRole },
        after: left.length > 0 ? { bindId: bind.origin.id, ...conditionFields(bind), roleIds: left } : null,
        detail:
          left.length > 0
            ? `Role ${roleId} was deleted in Discord: bind #${bind.origin.id} (${describeForAudit(bind)}) no longer gives it`
            : `Role ${roleId} was deleted in Discord: bind #${bind.origin.id} (${describeForAudit(bind)}) removed, it gave no other role`,
      });
    }
    const settings = await this.ports.guilds.get(guildId);
    for (const setting of ["verifiedRoleId", "unverifiedRoleId"] as const) {
      if (settings?.[setting] !== roleId) continue;
      await this.ports.guilds.upsert(guildId, { [setting]: null });
      await this.ports.audit.record(guildId, {
        actorId: "system",
        action: "config",
        before: { [setting]: roleId },
        after: { [setting]: null },
        detail: `Role ${roleId} was deleted in Discord: the ${setting === "verifiedRoleId" ? "verified" : "unverified"} role is unset`,
      });
    }
    return affected;
  }

  /** The guild's stored binds, oldest first (for autocomplete). */
  async stored(guildId: string): Promise<StoredBind[]> {
    return await this.ports.binds.list(guildId);
  }

  /** Every managed role and the binds it comes from: stored binds and the verified/unverified settings. */
  async overview(guildId: string): Promise<BindOverview> {
    const settings = await this.ports.guilds.get(guildId);
    const binds = new BindSet([
      ...await this.ports.binds.list(guildId),
      ...settingBinds({ verifiedRoleId: settings?.verifiedRoleId ?? null, unverifiedRoleId: settings?.unverifiedRoleId ?? null }),
    ]);
    return {
      byRole: binds.byRole(),
      ranks: new Map((await this.ports.ranks.list(guildId)).map((rank) => [rank.id, rank])),
      ownGroupId: this.ports.contexts.groupIdOf(guildId, settings),
    };
  }

  async #already(guildId: string, condition: BindCondition, roleId: string): Promise<AddBindCheck | null> {
    const existing = (await this.ports.binds.list(guildId)).find((bind) => sameCondition(bind, condition) && bind.roleIds.includes(roleId));
    return existing ? { kind: "already", bind: existing, roleId } : null;
  }

  async #add(request: BindActor, condition: BindCondition, roleId: string, names: { rank?: string }): Promise<AddBindOutcome> {
    const existing = await this.#already(request.guildId, condition, roleId);
    if (existing) return existing;
    const { bind, created } = await this.ports.binds.add(request.guildId, condition, [roleId]);
    await this.ports.audit.record(request.guildId, {
      actorId: request.actor.userId,
      action: "binds.add",
      before: null,
      after: { bindId: bind.origin.id, ...conditionFields(bind), ...names, roleIds: bind.roleIds },
      detail: `Bind #${bind.origin.id} (${describeForAudit(bind)}) gives role ${roleId}`,
    });
    return { kind: "added", bind, roleId, merged: !created };
  }
}

function conditionFields(bind: BindCondition) {
  switch (bind.kind) {
    case "rank":
      return { kind: bind.kind, rankId: bind.rankId };
    case "range":
      return { kind: bind.kind, groupId: bind.groupId, minRank: bind.minRank, maxRank: bind.maxRank };
    default:
      return { kind: bind.kind };
  }
}

/** The audit row's own record of a condition, by ids (the log channel's view words rows as it likes). */
function describeForAudit(bind: BindCondition): string {
  switch (bind.kind) {
    case "rank":
      return `rank #${bind.rankId}`;
    case "range":
      return `group ${bind.groupId} ranks ${bind.minRank}-${bind.maxRank}`;
    default:
      return bind.kind;
  }
}
