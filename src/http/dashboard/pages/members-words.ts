/**
 * The member lookup's words for what the explanation says (src/services/member-explanation.ts):
 * binds, the state of each managed role, what holds a change back and how to fix it, the nickname,
 * the last sync. Role fixes are the slash commands' own (describeRoleProblem).
 */
import { describeRoleProblem } from "../../../discord/views/role-problems.ts";
import type { Bind } from "../../../ranks/binds.ts";
import type { Rank } from "../../../ranks/ladder.ts";
import type { NicknameSkipReason } from "../../../ranks/nickname.ts";
import type { LastMemberSync, ManagedRole, MemberExplanation } from "../../../services/member-explanation.ts";
import type { RobloxRankCheckOutcome } from "../../../services/member-roblox-check.ts";
import type { SyncRunItem, SyncTrigger } from "../../../services/storage-port.ts";
import type { BindVerdict, RoleHold } from "../../../sync/planner-explain.ts";
import { utc } from "../layout.tsx";

export interface Names {
  role(roleId: string): string;
  rank(rankId: number): string;
  /** The guild's own Roblox group, for saying "the group" instead of its id. */
  groupId: number | undefined;
}

export function bindText(bind: Bind, names: Names): string {
  switch (bind.kind) {
    case "rank":
      return bind.origin.kind === "stored" && bind.origin.rankRole ? `rank ${names.rank(bind.rankId)} (its own role)` : `rank ${names.rank(bind.rankId)}`;
    case "range": {
      const group = bind.groupId === names.groupId ? "the server's Roblox group" : `Roblox group ${bind.groupId}`;
      const ranks = bind.minRank === bind.maxRank ? `rank number ${bind.minRank}` : `rank numbers ${bind.minRank}–${bind.maxRank}`;
      return `${ranks} in ${group}`;
    }
    case "linked":
      return bind.origin.kind === "verified-role" ? "the verified role (every linked member)" : "every linked member";
    case "unlinked":
      return bind.origin.kind === "unverified-role" ? "the unverified role (every member not linked)" : "every member not linked";
  }
}

export function verdictText(verdict: BindVerdict): string {
  return verdict.matches === true ? "matches" : verdict.matches === false ? "does not match" : "not known here";
}

export function wantedText(role: ManagedRole): string {
  return role.wanted === true ? "Yes" : role.wanted === false ? "No" : "Not known here";
}

export function stateText(role: ManagedRole, paused: boolean): string {
  const verb = role.change === "add" ? "added" : "removed";
  switch (role.state) {
    case "in-agreement":
      return role.held ? "Holds it, as the binds say." : "Does not hold it, as the binds say.";
    case "will-change":
      return paused ? `Will be ${verb} when the background sync resumes, or by /sync now.` : `Will be ${verb} at the next sync.`;
    case "blocked":
      return `Should be ${verb}, but the bot can't:`;
    case "left-alone":
      return role.held ? "Holds it, and the sync leaves it:" : "Does not hold it, and the sync does not give it:";
  }
}

export function holdText(hold: RoleHold, names: Names): string {
  switch (hold.kind) {
    case "role-problem":
      return describeRoleProblem(hold.problem);
    case "other-role-blocked":
      return `A member's roles change in one request, and ${hold.roleIds.map((id) => `"${names.role(id)}"`).join(", ") || "another role"} can't be changed, so nothing is sent for this member.`;
    case "not-linked":
      return "They have no Roblox account linked: a sync gives and takes only the verified and unverified roles of members who aren't linked. They can link with /link-roblox.";
    case "roblox-unknown":
      return "Their Roblox rank hasn't been read since they linked; the next sync reads it.";
    case "not-in-group":
      return "They are not in the Roblox group, and the group lock is off, so their roles stay as they are (/config group-lock).";
    case "unranked-role":
      return "Their Roblox role is not on the rank ladder; run /ranks import to add it.";
    case "group-not-read":
      return `It depends on their rank in Roblox group ${hold.groupIds.join(", ")}, which this page does not read; the next sync does.`;
  }
}

export function nicknameProblemText(problem: NicknameSkipReason): string {
  switch (problem) {
    case "guild-owner":
      return "Discord lets nobody but the server owner change the owner's nickname.";
    case "above-bot":
      return "Their highest role is not below the bot's highest role, so Discord won't let the bot change their nickname.";
    case "missing-permission":
      return "rankbridge needs the Manage Nicknames permission.";
  }
}

export function storedRankText(rank: Rank | null, storedAt: number | null): string {
  if (storedAt === null) return "Not read yet (the next sync reads it)";
  return rank ? `${rank.name} (Roblox rank number ${rank.robloxRank}), as of ${utc(storedAt)}` : `Not in the group, or a role not on the ladder, as of ${utc(storedAt)}`;
}

const TRIGGERS: Record<SyncTrigger, string> = { manual: "a manual sync", background: "the background sync", resume: "a resumed sync" };
const ITEM_STATUSES: Record<SyncRunItem["status"], string> = { done: "applied", failed: "failed", skipped: "not sent", pending: "waiting", held: "held for an admin's review" };

export function lastSyncText(last: LastMemberSync | null, names: Names): string {
  if (!last) return "No sync has changed or tried to change this member yet.";
  if (last.kind === "audit") {
    const what = last.action === "sync.member" ? "A one-member sync (/sync member)" : "A rank change made on Roblox";
    return `${what} at ${utc(last.at)}: ${last.outcome === "ok" ? "applied" : last.outcome}.`;
  }
  const { run, item } = last;
  const changes = [...item.addRoles.map((id) => `+${names.role(id)}`), ...item.removeRoles.map((id) => `−${names.role(id)}`)].join(", ");
  const trigger = TRIGGERS[run.trigger];
  return `${run.dryRun ? "A dry run of " : ""}${trigger} (run ${run.id}) at ${utc(last.at)}: ${changes || "no role change"}, ${ITEM_STATUSES[item.status]}${item.error ? ` (${item.error})` : ""}.`;
}

export function robloxNowText(now: NonNullable<MemberExplanation["roblox"]["now"]>): string {
  const where = now.membership === null ? "Not in the group" : now.rank ? `${now.rank.name} (Roblox rank number ${now.membership.rank})` : `Roblox rank number ${now.membership.rank}, a role not on the ladder`;
  return `${where}, as Roblox said at ${utc(now.readAt)}`;
}

export function checkText(check: RobloxRankCheckOutcome): string {
  switch (check.kind) {
    case "read":
      return "Roblox was asked just now: the roles below follow its answer. Nothing was changed or stored; the next sync stores it.";
    case "cooldown":
      return `Roblox was asked for this member or server a moment ago; try again after ${utc(check.retryAt).replace(" UTC", "")} UTC (a short wait, so no one can spend the server's Roblox budget).`;
    case "not-linked":
      return "They have no Roblox account linked, so there is nothing to ask Roblox.";
    case "no-group":
      return "This server has no Roblox group yet (/config group in Discord).";
    case "failed":
      return `Roblox could not be read: ${readableError(check.error) ?? "try again in a minute."}`;
  }
}

/** A Roblox error's own sentence for people (RobloxError.userMessage), when it has one. */
function readableError(error: unknown): string | null {
  return error instanceof Error && "userMessage" in error && typeof error.userMessage === "string" ? error.userMessage : null;
}
