/** What happened to a member's rank roles when they linked or unlinked (services/linking-types.ts RoleUpdate). */
import type { RoleUpdate, RoleUpdateSkip } from "../../services/linking-types.ts";
import { describeRoleProblems } from "./role-problems.ts";

const SKIP_REASON: Record<RoleUpdateSkip, string> = {
  "rank-not-on-ladder": "the member's Roblox role isn't on this server's rank ladder",
  "no-ladder": "no rank ladder",
  "not-in-guild": "not a member of this server",
};

export const DISCORD_REFUSED = "Discord refused the role change";

/** Why the roles were not touched or not changed, as a phrase. */
export function roleUpdateReason(roles: Extract<RoleUpdate, { status: "skipped" | "failed" }>): string {
  return roles.status === "skipped" ? SKIP_REASON[roles.reason] : DISCORD_REFUSED;
}

/** The fixes an admin must make, one sentence each. */
export function roleUpdateFixes(roles: Extract<RoleUpdate, { status: "blocked" }>): string {
  return describeRoleProblems(roles.problems).join(" ");
}

/** One line for the audit log: "Discord roles: +<@&1> -<@&2>". */
export function describeRoles(roles: RoleUpdate): string {
  switch (roles.status) {
    case "applied":
      return roles.added.length + roles.removed.length === 0
        ? "Discord roles already right"
        : `Discord roles: ${[...roles.added.map((id) => `+<@&${id}>`), ...roles.removed.map((id) => `-<@&${id}>`)].join(" ")}`;
    case "skipped":
      return `Discord roles untouched: ${roleUpdateReason(roles)}`;
    case "blocked":
      return `Discord roles not changed: ${roleUpdateFixes(roles)}`;
    case "failed":
      return `Discord roles not changed: ${roleUpdateReason(roles)}`;
  }
}
