/**
 * The rank roles a link justifies: set when a member links (the rank's role added, every other
 * ladder role removed), taken when the link goes. Through the one member-role editor.
 */
import type { Logger } from "../observability/logger.ts";
import { RoleHierarchy } from "../ranks/hierarchy.ts";
import type { Rank, RankLadder } from "../ranks/ladder.ts";
import type { GuildContexts } from "./guild-context.ts";
import type { RoleUpdate } from "./linking-types.ts";
import { MemberRoleEditor, type MemberRolesWriter, type RoleEditReason } from "./member-role-editor.ts";
import type { BotStanding } from "../ranks/hierarchy.ts";

export interface LinkRolesOptions {
  guilds: MemberRolesWriter & {
    member(guildId: string, userId: string): Promise<{ roleIds: string[] } | null>;
    botStanding(guildId: string): Promise<BotStanding>;
  };
  contexts: Pick<GuildContexts, "resolve">;
  logger: Logger;
}

export class LinkRoles {
  constructor(private readonly options: LinkRolesOptions) {}

  /** One request: the rank's role added, every other ladder role removed; the hierarchy checked first. */
  async setRankRole(
    guildId: string,
    discordId: string,
    rank: Rank | null,
    ladder: RankLadder,
    reason: RoleEditReason,
    knownRoleIds?: readonly string[],
  ): Promise<RoleUpdate> {
    if (!rank) return { status: "skipped", reason: "rank-not-on-ladder" };
    const bound = ladder.boundDiscordRoleIds();
    const plan = (held: string[]) => ({
      add: rank.discordRoleId !== null && !held.includes(rank.discordRoleId) ? [rank.discordRoleId] : [],
      remove: held.filter((id) => bound.has(id) && id !== rank.discordRoleId),
    });
    return this.#changeRoles(guildId, discordId, reason, plan, knownRoleIds);
  }

  async removeRankRoles(guildId: string, discordId: string, reason: RoleEditReason): Promise<RoleUpdate> {
    let bound: ReadonlySet<string>;
    try {
      bound = (await this.options.contexts.resolve(guildId)).ladder.boundDiscordRoleIds();
    } catch (error) {
      // No group configured any more: there is no ladder, so no rank role to take.
      this.options.logger.debug({ err: error, guildId }, "no ladder to remove rank roles by");
      return { status: "skipped", reason: "no-ladder" };
    }
    return this.#changeRoles(guildId, discordId, reason, (held) => ({ add: [], remove: held.filter((id) => bound.has(id)) }));
  }

  async #changeRoles(
    guildId: string,
    discordId: string,
    reason: RoleEditReason,
    plan: (held: string[]) => { add: string[]; remove: string[] },
    knownRoleIds?: readonly string[],
  ): Promise<RoleUpdate> {
    try {
      const member = knownRoleIds ? { roleIds: [...knownRoleIds] } : await this.options.guilds.member(guildId, discordId);
      if (!member) return { status: "skipped", reason: "not-in-guild" };
      const { add, remove } = plan(member.roleIds);
      if (add.length === 0 && remove.length === 0) return { status: "applied", added: [], removed: [] };
      const editor = new MemberRoleEditor({
        writer: this.options.guilds,
        hierarchy: new RoleHierarchy(await this.options.guilds.botStanding(guildId)),
        auditReason: reason,
      });
      const edited = await editor.edit(guildId, { discordId, addRoleIds: add, removeRoleIds: remove }, member.roleIds);
      switch (edited.kind) {
        case "updated":
          return { status: "applied", added: edited.added, removed: edited.removed };
        case "already-applied":
          return { status: "applied", added: [], removed: [] };
        case "not-attempted":
          return { status: "blocked", problems: edited.problems };
        default:
          this.options.logger.warn({ err: edited.error, guildId, discordId }, "could not update rank roles");
          return { status: "failed", reason: "discord-refused" };
      }
    } catch (error) {
      this.options.logger.warn({ err: error, guildId, discordId }, "could not update rank roles");
      return { status: "failed", reason: "discord-refused" };
    }
  }
}

export function roleOutcome(roles: RoleUpdate): "ok" | "partial" {
  return roles.status === "blocked" || roles.status === "failed" ? "partial" : "ok";
}
