/**
 * Before a bind is saved or removed on the dashboard (design §9): per role, how many linked members
 * would gain or lose it because of that change. The sync's own planner (planSync) plans the guild
 * twice, with the binds as they are and as they would be, from stored state only: the links and the
 * stored rank of each linked member, the pending Roblox writes, and the members' current Discord
 * roles as the sync reads them (the gateway member list, or the fresh snapshot of it). No Roblox
 * request is made, so a range bind on another group is not decided here (the sync reads those groups
 * when it runs) and a member whose rank is not stored yet is not counted.
 *
 * A member "gains" a role when the plan with the change adds it and the plan without does not;
 * "loses" it when the plan with the change takes it and the plan without does not. So a role no bind
 * manages after the change is never lost, and a role another bind still gives is not lost.
 */
import { BindSet, sameCondition, type Bind, type BindCondition, type RobloxGroupId } from "../ranks/binds.ts";
import type { RankLadder, RobloxMembership, RobloxUserId } from "../ranks/ladder.ts";
import { planSync, type LinkedAccount, type SyncPlan } from "../sync/planner.ts";
import type { CompactMemberRoles } from "../sync/compact-roles.ts";
import { collectMemberRoles, MemberListUnavailableError, type MemberRolesPort } from "../sync/member-roles.ts";
import { pendingRobloxWritesOf } from "../sync/sync-context.ts";
import { ladderOrEmpty } from "./bind-review.ts";
import type { GuildContexts } from "./guild-context.ts";
import { guildBinds } from "./guild-context.ts";
import type { Repositories } from "./storage-port.ts";

export interface BindPreviewPorts {
  repositories: Pick<Repositories, "guilds" | "ranks" | "binds" | "members" | "pendingWrites">;
  contexts: Pick<GuildContexts, "groupIdOf">;
  /** The members' Discord roles, read as the sync reads them (in app.ts: the member snapshots' port). */
  memberRoles: MemberRolesPort;
}

/** The change to preview: a bind to add (a role to an existing or a new condition), or a stored bind to remove. */
export type BindEdit =
  | { readonly kind: "add"; readonly condition: Extract<BindCondition, { kind: "rank" | "range" }>; readonly roleId: string }
  | { readonly kind: "remove"; readonly bindId: number };

/** One role the change moves: how many members would gain it and how many would lose it. */
export interface RoleEffect {
  readonly roleId: string;
  readonly gain: number;
  readonly lose: number;
}

export interface BindPreviewResult {
  readonly kind: "preview";
  /** Roles the change touches, in the order the binds name them; every role the change concerns, even at 0 and 0. */
  readonly roles: readonly RoleEffect[];
  /** Linked members planned with their stored rank and current Discord roles. */
  readonly counted: number;
  /** Linked members who are not in the Discord server now (no roles to change). */
  readonly notInServer: number;
  /** Linked members whose Roblox rank is not stored (not synced yet, not in the group, or a role off the ladder). */
  readonly rankUnknown: number;
  /** Other Roblox groups whose range binds can't be decided without asking Roblox (so their roles neither gain nor lose here). */
  readonly undecidedGroupIds: readonly RobloxGroupId[];
}

export type BindPreview =
  | BindPreviewResult
  | { readonly kind: "unknown-bind" }
  /** Discord kept refusing the member list (one all-members read per guild per 30 s): try again shortly. */
  | { readonly kind: "members-unavailable" };

export class BindPreviews {
  constructor(private readonly ports: BindPreviewPorts) {}

  async preview(guildId: string, edit: BindEdit): Promise<BindPreview> {
    const { repositories } = this.ports;
    const settings = await repositories.guilds.get(guildId);
    const groupId = this.ports.contexts.groupIdOf(guildId, settings);
    const current = await guildBinds(repositories, guildId, settings);
    const next = edited(current, edit);
    if (!next) return { kind: "unknown-bind" };
    const ladder = ladderOrEmpty(await repositories.ranks.list(guildId));

    const links: LinkedAccount[] = (await repositories.members.listLinkedAccounts(guildId)).map((row) => ({
      discordId: row.discordId,
      robloxUserId: row.robloxUserId,
      robloxUsername: row.robloxUsername ?? "",
      storedRankId: row.rankId,
    }));
    const memberships = storedMemberships(links, ladder);
    let roles: CompactMemberRoles | undefined;
    try {
      roles = links.length > 0 ? await collectMemberRoles(this.ports.memberRoles, guildId, { wanted: new Set(links.map((link) => link.discordId)) }) : undefined;
    } catch (error) {
      if (error instanceof MemberListUnavailableError) return { kind: "members-unavailable" };
      throw error;
    }
    const discordMemberRoles = new Map(links.map((link) => [link.discordId, roles?.get(link.discordId)]));
    const input = {
      robloxMemberships: memberships,
      links,
      ladder,
      discordMemberRoles,
      pendingRobloxWrites: await pendingRobloxWritesOf(repositories, guildId),
      // Never "not in the group" here (an unstored rank is unknown), so the policy changes nothing.
      options: { leftGroupPolicy: "flag" as const },
      ...(groupId !== undefined && { robloxGroupId: groupId }),
    };
    const before = planSync({ ...input, binds: current });
    const after = planSync({ ...input, binds: next });
    return {
      kind: "preview",
      roles: effects(before, after, touchedRoles(current, edit)),
      counted: after.counts.update + after.counts["in-sync"],
      notInServer: after.counts["not-in-guild"],
      rankUnknown: after.counts["roblox-unknown"] + after.counts["unranked-role"],
      undecidedGroupIds: undecidedGroups(touchedBinds(current, edit), groupId),
    };
  }
}

/** The binds with the edit applied (a role added to a condition already bound joins that bind, as the repository stores it); null when the bind to remove is not this guild's. */
function edited(current: BindSet, edit: BindEdit): BindSet | null {
  if (edit.kind === "remove") {
    const kept = current.binds.filter((bind) => !(bind.origin.kind === "stored" && bind.origin.id === edit.bindId));
    return kept.length === current.binds.length ? null : new BindSet(kept);
  }
  const existing = current.binds.find((bind) => bind.origin.kind === "stored" && sameCondition(bind, edit.condition));
  if (existing) {
    return new BindSet(current.binds.map((bind) => (bind === existing && !bind.roleIds.includes(edit.roleId) ? { ...bind, roleIds: [...bind.roleIds, edit.roleId] } : bind)));
  }
  // Not stored yet: no id (0 is never a stored bind's).
  return new BindSet([...current.binds, { ...edit.condition, origin: { kind: "stored", id: 0, rankRole: false }, roleIds: [edit.roleId] }]);
}

function touchedBinds(current: BindSet, edit: BindEdit): Bind[] {
  if (edit.kind === "add") return [{ ...edit.condition, origin: { kind: "stored", id: 0, rankRole: false }, roleIds: [edit.roleId] }];
  return current.binds.filter((bind) => bind.origin.kind === "stored" && bind.origin.id === edit.bindId);
}

/** The roles whose givers the edit changes. */
function touchedRoles(current: BindSet, edit: BindEdit): string[] {
  return [...new Set(touchedBinds(current, edit).flatMap((bind) => bind.roleIds))];
}

/** Groups other than the guild's own that the changed binds read: undecided without asking Roblox. */
function undecidedGroups(binds: readonly Bind[], ownGroupId: RobloxGroupId | undefined): RobloxGroupId[] {
  const groups = new Set<RobloxGroupId>();
  for (const bind of binds) if (bind.kind === "range" && bind.groupId !== ownGroupId) groups.add(bind.groupId);
  return [...groups];
}

/** A linked member's standing as stored: their stored rank's Roblox role; absent (unknown) when no rank is stored. */
function storedMemberships(links: readonly LinkedAccount[], ladder: RankLadder): Map<RobloxUserId, RobloxMembership | null> {
  const memberships = new Map<RobloxUserId, RobloxMembership | null>();
  for (const link of links) {
    const rank = link.storedRankId === null ? undefined : ladder.byId(link.storedRankId);
    if (rank) memberships.set(link.robloxUserId, { roleId: rank.robloxRoleId, rank: rank.robloxRank });
  }
  return memberships;
}

/** Per role, members the plan after the change adds it for (or takes it from) and the plan before does not. */
function effects(before: SyncPlan, after: SyncPlan, roleIds: readonly string[]): RoleEffect[] {
  const tally = new Map(roleIds.map((roleId) => [roleId, { roleId, gain: 0, lose: 0 }]));
  // Both plans are of the same links in the same order with no filter: item i is the same member.
  after.items.forEach((item, index) => {
    const was = before.items[index]!;
    for (const roleId of item.addRoleIds) if (!was.addRoleIds.includes(roleId)) bump(tally, roleId, "gain");
    for (const roleId of item.removeRoleIds) if (!was.removeRoleIds.includes(roleId)) bump(tally, roleId, "lose");
  });
  return [...tally.values()];
}

function bump(tally: Map<string, { roleId: string; gain: number; lose: number }>, roleId: string, which: "gain" | "lose"): void {
  const entry = tally.get(roleId) ?? { roleId, gain: 0, lose: 0 };
  entry[which]++;
  tally.set(roleId, entry);
}
