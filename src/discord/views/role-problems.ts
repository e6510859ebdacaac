/** Why the bot may not give or take a role, and how to fix it (src/ranks/hierarchy.ts RoleProblem). */
import type { RoleProblem } from "../../ranks/hierarchy.ts";

const ROLES_SETTINGS = "Server Settings → Roles";

export function describeRoleProblem(problem: RoleProblem): string {
  switch (problem.kind) {
    case "unknown-role":
      return `The Discord role ${problem.roleId} no longer exists. Bind the rank to an existing role (or run /ranks import).`;
    case "managed":
      return `"${problem.roleName}" is managed by an integration and cannot be given or taken by bots. Bind the rank to a normal role.`;
    case "above-bot":
      // With no role of its own, its integration role is named after the bot.
      return `Move the ${problem.botRoleName ?? "rankbridge"} role above "${problem.roleName}" in ${ROLES_SETTINGS}.`;
    case "refused-by-discord":
      return `Discord refused a change of "${problem.roleName}" (${problem.discordError}). Check the role order and rankbridge's permissions in ${ROLES_SETTINGS}, then run /sync again.`;
    case "missing-permission":
      return `rankbridge needs the Manage Roles permission. Grant it to its role in ${ROLES_SETTINGS}.`;
  }
}

/** Each fix once, in the order first met (several roles can share one, e.g. the missing permission). */
export function describeRoleProblems(problems: readonly RoleProblem[]): string[] {
  return [...new Set(problems.map(describeRoleProblem))];
}
