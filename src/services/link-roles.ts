/**
 * The roles (and nickname) a link justifies, as the guild's binds say: on link the matching binds'
 * roles (rank roles, verified role, ranges) and the template's nickname; on unlink the unlinked
 * binds' roles (the unverified role) and none of the linked ones, and the nickname the template
 * gave for the old link reset. Through the one member editor, in one request.
 */
import type { Logger } from "../observability/logger.ts";
import { UNLINKED_STANDING, type HeldRobloxRole, type MemberStanding } from "../ranks/binds.ts";
import { RoleHierarchy } from "../ranks/hierarchy.ts";
import type { Rank } from "../ranks/ladder.ts";
import { renderNickname } from "../ranks/nickname.ts";
import { nicknameTemplateOf } from "../sync/sync-context.ts";
import type { GroupMembershipsPort } from "../sync/group-memberships.ts";
import type { GuildContext, GuildContexts } from "./guild-context.ts";
import { otherGroupsOfMember } from "./other-groups.ts";
import type { RoleUpdate } from "./linking-types.ts";
import { MemberRoleEditor, type MemberNow, type MemberRolesWriter, type RoleEditReason } from "./member-role-editor.ts";
import type { BotStanding } from "../ranks/hierarchy.ts";

export interface LinkRolesOptions {
  guilds: MemberRolesWriter & {
    member(guildId: string, userId: string): Promise<{ roleIds: string[]; nick?: string | null; accountName?: string } | null>;
    botStanding(guildId: string): Promise<BotStanding>;
  };
  contexts: Pick<GuildContexts, "resolve">;
  logger: Logger;
  /** Other groups' memberships for range binds; without it those binds neither give nor take on link. */
  groupMemberships?: GroupMembershipsPort;
}

/** Who the member is in Roblox, as the link just proved. */
export interface LinkedStanding {
  readonly robloxUserId: number;
  readonly robloxUsername: string;
  /** Their Roblox display name (`{display-name}`); the username stands in when null or absent. */
  readonly robloxDisplayName?: string | null;
  /** Their ladder rank; null when their Roblox role is not on the ladder. */
  readonly rank: Rank | null;
  /** Every role they hold in the guild's group. */
  readonly groupRoles: readonly HeldRobloxRole[];
}

type EditPlan = (now: MemberNow & { accountName?: string }) => { add: string[]; remove: string[]; nick?: string | null };

export class LinkRoles {
  constructor(private readonly options: LinkRolesOptions) {}

  /** One request: the roles the binds give a linked member with this standing (others they manage removed), and the nickname. */
  async applyLinked(context: GuildContext, discordId: string, linked: LinkedStanding, reason: RoleEditReason, knownRoleIds?: readonly string[]): Promise<RoleUpdate> {
    // Rank binds follow the ladder rank; ranges read every role held (Roblox's base role included).
    const rankIds = linked.rank ? [linked.rank.id] : [];
    const other = await otherGroupsOfMember(this.options.groupMemberships, context, linked.robloxUserId, this.options.logger);
    const standing: MemberStanding = {
      linked: true,
      rankIds,
      groups: new Map([...other.groups, [context.groupId, linked.groupRoles]]),
      unknownGroupIds: other.unknownGroupIds,
    };
    const template = nicknameTemplateOf(context.settings);
    const plan: EditPlan = (now) => {
      const changes = context.binds.changes(standing, now.roleIds);
      const nick = template
        ? renderNickname(template, {
            robloxUsername: linked.robloxUsername,
            displayName: linked.robloxDisplayName ?? null,
            robloxUserId: linked.robloxUserId,
            rank: linked.rank,
            discordName: now.accountName ?? linked.robloxUsername,
          })
        : null;
      return { add: [...changes.add], remove: [...changes.remove], ...(nick !== null && { nick }) };
    };
    // The nickname compares with the member's current one, which the interaction's role list lacks.
    return this.#changeRoles(context.guildId, discordId, reason, plan, template ? undefined : knownRoleIds);
  }

  /**
   * The roles of a member with no link: the unverified role, none of the linked-only ones. With
   * `previous` (the link just removed) and a template on, a nickname the bot set from the template
   * for that link (the member's nickname is what it renders to) is reset in the same request; one
   * they chose themselves is left. The owner's and a member above the bot's is never attempted.
   */
  async applyUnlinked(guildId: string, discordId: string, reason: RoleEditReason, previous?: PreviousLink): Promise<RoleUpdate> {
    let context: GuildContext;
    try {
      context = await this.options.contexts.resolve(guildId);
    } catch (error) {
      // No group configured any more: no ladder, and no bind that could have given a role.
      this.options.logger.debug({ err: error, guildId }, "no binds to apply on unlink");
      return { status: "skipped", reason: "no-ladder" };
    }
    const template = previous ? nicknameTemplateOf(context.settings) : null;
    return this.#changeRoles(guildId, discordId, reason, (now) => {
      const changes = context.binds.changes(UNLINKED_STANDING, now.roleIds);
      const resetNick = template !== null && previous !== undefined && now.nick && now.nick === templateNick(context, template, previous, now.accountName);
      return { add: [...changes.add], remove: [...changes.remove], ...(resetNick && { nick: null }) };
    });
  }

  async #changeRoles(
    guildId: string,
    discordId: string,
    reason: RoleEditReason,
    plan: EditPlan,
    knownRoleIds?: readonly string[],
  ): Promise<RoleUpdate> {
    try {
      const member = knownRoleIds ? { roleIds: [...knownRoleIds] } : await this.options.guilds.member(guildId, discordId);
      if (!member) return { status: "skipped", reason: "not-in-guild" };
      const { add, remove, nick } = plan(member);
      if (add.length === 0 && remove.length === 0 && (nick === undefined || nick === member.nick)) return { status: "applied", added: [], removed: [] };
      const editor = new MemberRoleEditor({
        writer: this.options.guilds,
        hierarchy: new RoleHierarchy(await this.options.guilds.botStanding(guildId)),
        auditReason: reason,
      });
      const edited = await editor.edit(
        guildId,
        { discordId, addRoleIds: add, removeRoleIds: remove, ...(nick !== undefined && { nick }) },
        "nick" in member ? { roleIds: member.roleIds, nick: member.nick ?? null } : member.roleIds,
      );
      switch (edited.kind) {
        case "updated":
          return { status: "applied", added: edited.added, removed: edited.removed, ...(edited.nickname && { nickname: edited.nickname }) };
        case "already-applied":
          return { status: "applied", added: [], removed: [], ...(edited.nickname && { nickname: edited.nickname }) };
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

/** The link an unlink just removed, as stored: what the template rendered from. */
export interface PreviousLink {
  readonly robloxUserId: number | null;
  readonly robloxUsername: string | null;
  readonly robloxDisplayName?: string | null;
  readonly rankId: number | null;
}

/** The nickname the template gave the old link (its stored rank), or null when it cannot be told. */
function templateNick(context: GuildContext, template: string, previous: PreviousLink, accountName: string | undefined): string | null {
  if (previous.robloxUserId === null || accountName === undefined) return null;
  const robloxUsername = previous.robloxUsername ?? String(previous.robloxUserId);
  return renderNickname(template, {
    robloxUsername,
    displayName: previous.robloxDisplayName ?? null,
    robloxUserId: previous.robloxUserId,
    rank: previous.rankId !== null ? (context.ladder.byId(previous.rankId) ?? null) : null,
    discordName: accountName,
  });
}

export function roleOutcome(roles: RoleUpdate): "ok" | "partial" {
  return roles.status === "blocked" || roles.status === "failed" ? "partial" : "ok";
}
