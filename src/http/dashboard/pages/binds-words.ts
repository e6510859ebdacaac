/**
 * The binds page's words: what a bind matches, and the bind service's answers said for a web page,
 * with the same meaning as `/binds`'s replies (src/discord/views/binds.ts) but role names instead of
 * mentions and no markdown.
 */
import { describeRoleProblem } from "../../../discord/views/role-problems.ts";
import type { Bind } from "../../../ranks/binds.ts";
import { formatRank, type Rank } from "../../../ranks/ladder.ts";
import type { AddBindCheck, AddBindOutcome, BindRoleRefusal } from "../../../services/binds.ts";
import { describeCondition } from "../../../discord/views/binds.ts";

const NOTHING_CHANGED = "Nothing was changed.";

/** What a bind matches, as a phrase ("rank Sergeant (Rank 5)", "rank numbers 1–255 in group 42"): /binds list's words, without markdown. */
export function conditionText(bind: Bind, ranks: ReadonlyMap<number, Rank>, ownGroupId: number | undefined): string {
  return describeCondition(bind, ranks, ownGroupId, (rankName) => rankName);
}

/**
 * Why the role can't be given by a bind (the checks /binds makes, which the verified and unverified
 * roles pass too): `purpose` is what the admin tried, "bind" or "choose" (a setting's role).
 */
export function bindRoleRefusalText(refusal: BindRoleRefusal, roleName: string, purpose: "bind" | "choose" = "bind"): string {
  const head = `Can't ${purpose} "${roleName}": `;
  switch (refusal.kind) {
    case "everyone":
      return `@everyone can't be given by a bind: every member has it. Pick another role. ${NOTHING_CHANGED}`;
    case "managed":
      return `${head}it is managed by an integration (a bot's own role, the booster role or a subscription), which Discord lets nobody give or take. Pick a normal role. ${NOTHING_CHANGED}`;
    case "bot-cannot-manage":
      return `${head}${describeRoleProblem(refusal.problem)} ${NOTHING_CHANGED}`;
    case "denied": {
      const { denial } = refusal;
      switch (denial.reason) {
        case "privileged-role":
          return `${head}it grants ${denial.permissions.join(", ")}, so only the server owner or an Administrator may ${purpose} it. ${NOTHING_CHANGED}`;
        case "role-not-below-actor":
          return denial.actorTopRole
            ? `${head}you can only ${purpose} roles below your own highest role (${denial.actorTopRole.name}), and it is not below it. ${NOTHING_CHANGED}`
            : `${head}you can only ${purpose} roles below your own highest role, and you hold none. ${NOTHING_CHANGED}`;
        case "actor-unranked":
          return `${head}you don't hold a rank role, so there is no rank below yours to bind. Ask someone with a higher rank, the server owner or an Administrator. ${NOTHING_CHANGED}`;
        case "rank-not-below-actor":
          return `${head}you can only bind ranks below your own (${formatRank(denial.ownRank)}). ${NOTHING_CHANGED}`;
      }
    }
  }
}

type Refused = Exclude<AddBindOutcome | AddBindCheck, { kind: "added" | "already" }>;

/** A refused add, in words; `roleName` names a role by id. */
export function addRefusalText(outcome: Refused, roleName: (roleId: string) => string): string {
  switch (outcome.kind) {
    case "role-refused":
      return bindRoleRefusalText(outcome.refusal, roleName(outcome.roleId));
    case "bad-range":
      return rangeText(outcome);
    case "bad-group-id":
      return bindsText.badGroupId;
    case "unknown-group":
      return `No Roblox group with id ${outcome.groupId} was found. The id is the number in the group's address: roblox.com/communities/<id>/... ${NOTHING_CHANGED}`;
    case "unreadable-group":
      return `The Roblox credentials in use can't read group ${outcome.groupId}, so it can't be bound. ${NOTHING_CHANGED}`;
  }
}

function rangeText(outcome: Extract<Refused, { kind: "bad-range" }>): string {
  switch (outcome.problem) {
    case "not-integer":
      return bindsText.rangeNotInteger;
    case "out-of-range":
      return `Roblox rank numbers run from 0 (not in the group) to 255 (owner): min-rank and max-rank must lie between them. ${NOTHING_CHANGED}`;
    case "min-above-max":
      return `min-rank (${outcome.minRank}) is above max-rank (${outcome.maxRank}). ${NOTHING_CHANGED}`;
  }
}

export const bindsText = {
  intro: "A bind gives Discord roles to members by their Roblox rank. Roles no bind gives are never touched. The same binds as /binds list in Discord.",
  noBinds: "No binds yet. Add one below, set the verified role in Settings, or run /ranks import in Discord to bind each rank to its Discord role.",
  pickRole: `Pick the Discord role the bind gives. ${NOTHING_CHANGED}`,
  pickRank: `Pick a rank of the ladder. ${NOTHING_CHANGED}`,
  rangeNotInteger: `The rank numbers must be whole numbers from 0 to 255. ${NOTHING_CHANGED}`,
  badGroupId: `The group id is the whole number in the group's address: roblox.com/communities/<id>/... ${NOTHING_CHANGED}`,
  unknownBind: (typed: string) => `This server has no bind ${typed.startsWith("#") ? typed : `#${typed}`}. ${NOTHING_CHANGED}`,
  already: (condition: string, roleName: string) => `A bind already gives "${roleName}" for ${condition}. ${NOTHING_CHANGED}`,
  added: "Bind saved. Members' roles follow at the next sync.",
  alreadySaved: `That bind already existed. ${NOTHING_CHANGED}`,
  removed: "Bind removed. rankbridge stops giving or taking a role no other bind gives; members keep what they hold now.",
  previewAdd: (condition: string, roleNames: string) => `Adding: members with ${condition} hold ${roleNames}.`,
  previewRemove: (condition: string, roleNames: string) => `Removing bind for ${condition} (${roleNames}).`,
  previewBasis: (counted: number) =>
    `Counted from what rankbridge has stored: the ${counted} linked member${counted === 1 ? "" : "s"} in this server, their last known Roblox rank and their Discord roles now. Roblox is not asked; the next sync applies it with fresh ranks.`,
  notInServer: (count: number) => `${count} linked member${count === 1 ? " is" : "s are"} not in this server and ${count === 1 ? "is" : "are"} not counted.`,
  rankUnknown: (count: number) => `${count} linked member${count === 1 ? " has" : "s have"} no stored rank yet (not synced, not in the group, or a rank off the ladder) and ${count === 1 ? "is" : "are"} not counted.`,
  undecided: (groupIds: readonly number[]) =>
    `Membership of group ${groupIds.join(", ")} is not stored, so who holds its range is only known at the next sync: not counted here.`,
  membersUnavailable: `Discord is busy sending this server's member list, so the preview can't be counted now. Try again in half a minute. ${NOTHING_CHANGED}`,
  nothingYet: "Nothing is saved until you press Save.",
  nothingRemovedYet: "Nothing is removed until you press Remove bind.",
};
