/**
 * "Why didn't this member get the role?": the planner's decision for one member, role by role. For
 * each role some bind manages: the binds that give it and whether each matches, whether the member
 * should hold it and holds it, the change a sync would send, and what holds that change back, by
 * the same rules the sync applies (the binds' resolver, the planner's kinds, the role hierarchy's
 * pre-check, which sends a member's edit whole or not at all). Pure, no wording (the dashboard's
 * members page words it).
 */
import { bindMatches, UNLINKED_STANDING, type Bind, type BindSet, type MemberStanding, type RobloxGroupId } from "../ranks/binds.ts";
import type { RoleHierarchy, RoleProblem } from "../ranks/hierarchy.ts";
import type { DiscordRoleId, DiscordUserId } from "../ranks/ladder.ts";
import type { NicknameSkipReason } from "../ranks/nickname.ts";
import type { SyncItem, SyncItemKind } from "./planner.ts";

/** One bind that gives the role, and whether it matches the member (undefined: its group was not read). */
export interface BindVerdict {
  readonly bind: Bind;
  readonly matches: boolean | undefined;
}

/**
 * Why a role the member should (not) hold stays as it is. Each names a cause an admin can act on:
 * the role's own place or permission, another role of the same edit, the member's link or standing.
 */
export type RoleHold =
  /** The bot may not give or take this role (above its highest role, an integration's role, gone, no Manage Roles). */
  | { readonly kind: "role-problem"; readonly problem: RoleProblem }
  /** The member's roles change in one request: another role's problem stops this one too. */
  | { readonly kind: "other-role-blocked"; readonly roleIds: readonly DiscordRoleId[] }
  /** Not linked: a sync gives and takes only the verified and unverified roles of unlinked members. */
  | { readonly kind: "not-linked" }
  /** The member's Roblox rank is not known yet (never read since linking). */
  | { readonly kind: "roblox-unknown" }
  /** Not in the Roblox group and the group lock is off: their roles are left as they are. */
  | { readonly kind: "not-in-group" }
  /** Their Roblox role is not on the ladder (not imported yet): nothing is touched. */
  | { readonly kind: "unranked-role" }
  /** A range bind's Roblox group was not read for this member: a role only it gives is kept if held, not added. */
  | { readonly kind: "group-not-read"; readonly groupIds: readonly RobloxGroupId[] };

export type RoleState =
  /** Holds it and should, or neither. */
  | "in-agreement"
  /** A sync would add or remove it, and nothing stops it. */
  | "will-change"
  /** A sync would add or remove it, but the edit is not sent (see `holds`). */
  | "blocked"
  /** Not as the binds say, but the sync leaves it as it is (see `holds`). */
  | "left-alone";

export interface RoleExplanation {
  readonly roleId: DiscordRoleId;
  /** Every bind that gives this role, in bind order. */
  readonly binds: readonly BindVerdict[];
  /** Should hold it: a matching bind gives it (undefined: only binds that could not be decided might). */
  readonly wanted: boolean | undefined;
  readonly held: boolean;
  /** What a sync would send for this role. */
  readonly change: "add" | "remove" | null;
  readonly state: RoleState;
  readonly holds: readonly RoleHold[];
}

export interface NicknameExplanation {
  /** The nickname the template gives (null: none). */
  readonly wanted: string | null;
  readonly current: string | null;
  /** Why the bot may not set it (the owner, a member above the bot, no Manage Nicknames); null: it will. */
  readonly problem: NicknameSkipReason | null;
}

export interface MemberRolesExplanation {
  /** Every managed role, in the order given (the caller sorts). */
  readonly roles: readonly RoleExplanation[];
  /** Undefined when the nickname stays as it is (no template, or already right). */
  readonly nickname?: NicknameExplanation;
}

/** A linked member as the planner saw them. */
export interface LinkedMemberFacts {
  readonly linked: true;
  /** The planner's item for this member (planSync on their link alone). */
  readonly plan: Pick<SyncItem, "kind" | "addRoleIds" | "removeRoleIds" | "nick">;
  /** Their standing as the binds read it; null when the planner could not read it (Roblox unknown). */
  readonly standing: MemberStanding | null;
}

export interface MemberFacts {
  readonly discordId: DiscordUserId;
  readonly heldRoleIds: readonly DiscordRoleId[];
  readonly currentNick: string | null;
  readonly member: LinkedMemberFacts | { readonly linked: false };
}

/** Explains every managed role of one member who is in the guild. */
export function explainMemberRoles(binds: BindSet, hierarchy: Pick<RoleHierarchy, "check" | "problemWith" | "nicknameProblem">, facts: MemberFacts): MemberRolesExplanation {
  const { heldRoleIds } = facts;
  const { add, remove, standing, leftAloneBecause } = changesOf(binds, facts);
  // One request per member: if any changing role has a problem, none of the changes is sent.
  const check = hierarchy.check({ addRoleIds: add, removeRoleIds: remove });
  const problemRoleIds = check.ok ? [] : check.problems.flatMap((problem) => (problem.roleId === null ? [] : [problem.roleId]));

  // Roblox unknown: only being linked at all can be decided.
  const presenceOnly = facts.member.linked ? LINKED_ONLY : UNLINKED_STANDING;
  const roles: RoleExplanation[] = [];
  for (const [roleId, givers] of binds.byRole()) {
    const verdicts = givers.map((bind) => ({ bind, matches: standing === null && !isPresenceBind(bind) ? undefined : bindMatches(bind, standing ?? presenceOnly) }));
    const wanted = verdicts.some((v) => v.matches === true) ? true : verdicts.some((v) => v.matches === undefined) ? undefined : false;
    const held = heldRoleIds.includes(roleId);
    const change = add.includes(roleId) ? "add" : remove.includes(roleId) ? "remove" : null;
    let state: RoleState;
    const holds: RoleHold[] = [];
    if (change !== null) {
      const own = check.ok ? null : hierarchy.problemWith(roleId);
      if (own) holds.push({ kind: "role-problem", problem: own });
      else if (!check.ok) holds.push({ kind: "other-role-blocked", roleIds: problemRoleIds.filter((id) => id !== roleId) });
      state = holds.length > 0 ? "blocked" : "will-change";
    } else if (wanted === held) {
      state = "in-agreement";
    } else {
      state = "left-alone";
      const groupIds = undecidedGroups(verdicts);
      if (leftAloneBecause && (leftAloneBecause.kind !== "not-in-group" || wanted !== undefined)) holds.push(leftAloneBecause);
      else if (groupIds.length > 0) holds.push({ kind: "group-not-read", groupIds });
    }
    roles.push({ roleId, binds: verdicts, wanted, held, change, state, holds });
  }

  const plan = facts.member.linked ? facts.member.plan : undefined;
  const nickname =
    plan?.nick === undefined
      ? undefined
      : { wanted: plan.nick, current: facts.currentNick, problem: hierarchy.nicknameProblem(facts.discordId, nextRoles(heldRoleIds, add, remove, check.ok)) };
  return { roles, ...(nickname && { nickname }) };
}

const LINKED_ONLY: MemberStanding = Object.freeze({ linked: true, rankIds: Object.freeze([]), groups: new Map() });

const isPresenceBind = (bind: Bind) => bind.kind === "linked" || bind.kind === "unlinked";

/** The roles a sync would add and remove, the standing the binds read, and why the planner touches nothing (when it does not). */
function changesOf(
  binds: BindSet,
  facts: MemberFacts,
): { add: readonly DiscordRoleId[]; remove: readonly DiscordRoleId[]; standing: MemberStanding | null; leftAloneBecause: RoleHold | undefined } {
  if (!facts.member.linked) {
    // A whole-guild sync brings unlinked members in line with the presence binds alone (run-unlinked.ts).
    const changes = binds.presence()?.changes(UNLINKED_STANDING, facts.heldRoleIds);
    return { add: changes?.add ?? [], remove: changes?.remove ?? [], standing: UNLINKED_STANDING, leftAloneBecause: { kind: "not-linked" } };
  }
  const { plan, standing } = facts.member;
  return { add: plan.addRoleIds, remove: plan.removeRoleIds, standing, leftAloneBecause: holdOfKind(plan.kind) };
}

/** The planner kinds that touch no role, as holds. */
function holdOfKind(kind: SyncItemKind): RoleHold | undefined {
  switch (kind) {
    case "roblox-unknown":
      return { kind: "roblox-unknown" };
    case "unranked-role":
      return { kind: "unranked-role" };
    case "left-group":
      // Reached only when nothing changes: group lock off ("flag"), or nothing to take.
      return { kind: "not-in-group" };
    default:
      return undefined;
  }
}

function undecidedGroups(verdicts: readonly BindVerdict[]): RobloxGroupId[] {
  const groups = new Set<RobloxGroupId>();
  for (const { bind, matches } of verdicts) if (matches === undefined && bind.kind === "range") groups.add(bind.groupId);
  return [...groups];
}

/** The member's roles after the edit (the nickname check reads the member's top role then). */
function nextRoles(held: readonly DiscordRoleId[], add: readonly DiscordRoleId[], remove: readonly DiscordRoleId[], sent: boolean): DiscordRoleId[] {
  if (!sent) return [...held];
  return [...held.filter((roleId) => !remove.includes(roleId)), ...add.filter((roleId) => !held.includes(roleId))];
}
