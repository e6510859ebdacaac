/** The direct message a member gets when their rank changes. */
import { formatRank } from "../../ranks/ladder.ts";
import type { RankChangeDm } from "../../ranks/promotion.ts";

/** The DM text for a planned rank change. */
export function renderRankChangeDm(dm: RankChangeDm, context: { readonly guildName: string }): string {
  const verb = dm.direction === "up" ? "promoted" : dm.direction === "down" ? "demoted" : "moved";
  const previous = dm.from ? ` (was ${formatRank(dm.from)})` : "";
  const reason = dm.reason ? `\nReason: ${dm.reason}` : "";
  return `You were ${verb} to **${formatRank(dm.to)}** in ${context.guildName}${previous}.${reason}`;
}
