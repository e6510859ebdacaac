/**
 * Binding a rank to a Discord role and unbinding it (`/ranks bind|unbind`): read the stored ladder,
 * check that the bot can give the role and that the admin may bind it (design §10: binds obey the
 * ceiling, or a bind would lift its author or a friend above their rank), store it and audit it.
 * No wording here: outcomes are typed and the command words them.
 */
import type { Actor } from "../ranks/authority.ts";
import { decideBind, type BindDenial } from "../ranks/bind-authority.ts";
import { RoleHierarchy, type RoleProblem } from "../ranks/hierarchy.ts";
import { formatRank, RankLadder, type Rank } from "../ranks/ladder.ts";
import type { AdminAuthority } from "./admin-gate.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { GuildBotStanding } from "./discord-port.ts";
import type { Repositories } from "./storage-port.ts";

export interface RankBindPorts {
  ranks: Pick<Repositories["ranks"], "list" | "bind" | "unbind">;
  discord: { botStanding(guildId: string): Promise<GuildBotStanding> };
  audit: Pick<AuditTrail, "record">;
}

export interface RankBindRequest {
  guildId: string;
  actor: Actor;
  authority: AdminAuthority;
  rank: Rank;
  roleId: string;
}

export type RankBindOutcome =
  | { readonly kind: "bound"; readonly rank: Rank; readonly roleId: string; readonly previousRoleId: string | null }
  | { readonly kind: "already-bound"; readonly rank: Rank; readonly roleId: string }
  /** The bot cannot give or remove the role. */
  | { readonly kind: "bot-cannot-manage"; readonly rank: Rank; readonly roleId: string; readonly problem: RoleProblem }
  /** The admin may not bind this rank to this role (design §10). */
  | { readonly kind: "denied"; readonly rank: Rank; readonly roleId: string; readonly denial: BindDenial }
  /** The role already mirrors another rank; one role mirrors one rank. */
  | { readonly kind: "role-taken"; readonly roleId: string; readonly holder: Rank }
  /** The rank was removed between the command's read and this one. */
  | { readonly kind: "rank-gone" };

export type RankUnbindOutcome =
  | { readonly kind: "unbound"; readonly rank: Rank; readonly roleId: string }
  | { readonly kind: "not-bound"; readonly rank: Rank }
  | { readonly kind: "rank-gone" };

export class RankBinds {
  constructor(private readonly ports: RankBindPorts) {}

  /** The stored ladder. @throws InvalidLadderError when it breaks the ladder's rules. */
  async ladder(guildId: string): Promise<RankLadder> {
    return new RankLadder(await this.ports.ranks.list(guildId));
  }

  async bind({ guildId, actor, authority, rank: picked, roleId }: RankBindRequest): Promise<RankBindOutcome> {
    const standing = await this.ports.discord.botStanding(guildId);
    const ladder = await this.ladder(guildId);
    const rank = ladder.byId(picked.id);
    if (!rank) return { kind: "rank-gone" };
    const problem = new RoleHierarchy(standing).problemWith(roleId);
    if (problem) return { kind: "bot-cannot-manage", rank, roleId, problem };
    const role = standing.guildRoles.find((candidate) => candidate.id === roleId);
    if (role) {
      const decision = decideBind({ actor, guild: authority, ladder, rank, role, guildRoles: standing.guildRoles });
      if (!decision.allowed) return { kind: "denied", rank, roleId, denial: decision.denial };
    }
    const holder = ladder.byDiscordRoleId(roleId);
    if (holder && holder.id !== rank.id) return { kind: "role-taken", roleId, holder };
    if (rank.discordRoleId === roleId) return { kind: "already-bound", rank, roleId };

    await this.ports.ranks.bind(guildId, rank.id, roleId);
    await this.ports.audit.record(guildId, {
      actorId: actor.userId,
      action: "ranks.bind",
      before: { rank: rank.name, discordRoleId: rank.discordRoleId },
      after: { rank: rank.name, discordRoleId: roleId },
      detail: `${formatRank(rank)} bound to role ${roleId}`,
    });
    return { kind: "bound", rank, roleId, previousRoleId: rank.discordRoleId };
  }

  async unbind(guildId: string, actor: Actor, picked: Rank): Promise<RankUnbindOutcome> {
    const rank = (await this.ladder(guildId)).byId(picked.id);
    if (!rank) return { kind: "rank-gone" };
    if (!rank.discordRoleId) return { kind: "not-bound", rank };
    await this.ports.ranks.unbind(guildId, rank.id);
    await this.ports.audit.record(guildId, {
      actorId: actor.userId,
      action: "ranks.unbind",
      before: { rank: rank.name, discordRoleId: rank.discordRoleId },
      after: { rank: rank.name, discordRoleId: null },
      detail: `${formatRank(rank)} unbound from role ${rank.discordRoleId}`,
    });
    return { kind: "unbound", rank, roleId: rank.discordRoleId };
  }
}
