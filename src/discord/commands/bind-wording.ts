/** What a member is told when a bind is refused or skipped (design §10), and how binds to review are listed. */
import type { BindDenial, BindToReview } from "../../ranks/bind-authority.ts";
import { formatRank } from "../../ranks/ladder.ts";
import { escapeMarkdown } from "../views/markdown.ts";

export function describeBindDenial(denial: BindDenial, roleId: string): string {
  switch (denial.reason) {
    case "privileged-role":
      return `<@&${roleId}> grants ${denial.permissions.join(", ")}, so only the server owner or an Administrator may bind it to a rank.`;
    case "role-not-below-actor":
      return denial.actorTopRole
        ? `you can only bind roles below your own highest role (${escapeMarkdown(denial.actorTopRole.name)}), and <@&${roleId}> is not below it.`
        : `you can only bind roles below your own highest role, and you hold none.`;
    case "actor-unranked":
      return "you don't hold a rank role, so there is no rank below yours to bind. Ask someone with a higher rank, the server owner or an Administrator.";
    case "rank-not-below-actor":
      return `you can only bind ranks below your own (${escapeMarkdown(formatRank(denial.ownRank))}).`;
  }
}

/** One line per stored bind whose role grants server-wide power. */
export function describeBindsToReview(binds: readonly BindToReview[]): string[] {
  return binds.map(
    (bind) => `**${escapeMarkdown(formatRank(bind.rank))}** → <@&${bind.roleId}> grants ${bind.permissions.join(", ")}`,
  );
}
