/**
 * Stored binds that break design §10's rule for privileged roles (made before the rule, or by
 * someone who may no longer make them) are reported, never deleted: by `/config show`, and in the
 * log when a guild arrives at start-up.
 */
import type { Repositories } from "./storage-port.ts";
import type { GuildDirectory } from "./discord-port.ts";
import type { Logger } from "../observability/logger.ts";
import { bindsToReview, type BindToReview } from "../ranks/bind-authority.ts";
import { InvalidLadderError, RankLadder, type Rank } from "../ranks/ladder.ts";

/** The stored ladder, or an empty one when it is broken (what `/ranks import` repairs). */
export function ladderOrEmpty(ranks: readonly Rank[]): RankLadder {
  try {
    return new RankLadder(ranks);
  } catch (error) {
    if (error instanceof InvalidLadderError) return new RankLadder([]);
    throw error;
  }
}

export async function storedBindsToReview(
  deps: { repositories: Pick<Repositories, "ranks">; guilds: Pick<GuildDirectory, "guild"> },
  guildId: string,
): Promise<BindToReview[]> {
  const guild = await deps.guilds.guild(guildId);
  return bindsToReview(ladderOrEmpty(await deps.repositories.ranks.list(guildId)), guild.roles.values());
}

/** Warns once per guild and process about binds to review; never throws. */
export function bindReviewLogger(deps: { repositories: Pick<Repositories, "ranks">; guilds: Pick<GuildDirectory, "guild">; logger: Logger }) {
  const warned = new Set<string>();
  return async (guildId: string): Promise<void> => {
    if (warned.has(guildId)) return;
    warned.add(guildId);
    try {
      const binds = await storedBindsToReview(deps, guildId);
      if (binds.length === 0) return;
      deps.logger.warn(
        {
          guildId,
          binds: binds.map((bind) => ({ rankId: bind.rank.id, rank: bind.rank.name, roleId: bind.roleId, permissions: bind.permissions })),
        },
        "ranks are bound to Discord roles with server-wide permissions; only the owner or an Administrator may bind those: review them with /config show",
      );
    } catch (error) {
      deps.logger.warn({ err: error, guildId }, "could not review the guild's binds");
    }
  };
}
