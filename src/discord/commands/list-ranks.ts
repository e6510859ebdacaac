import type { APIEmbed } from "discord-api-types/v10";
import type { Rank } from "../../ranks/ladder.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import type { SomeRepositories } from "./dependencies.ts";
import { requireGuild } from "./guards.ts";
import type { SlashCommand } from "./types.ts";
import { escapeMarkdown } from "../views/markdown.ts";

/** Discord caps an embed description at 4096 characters; keep room for the "more" note. */
const DESCRIPTION_BUDGET = 3_900;
export const LADDER_COLOUR = 0x5865f2;
export const EMPTY_LADDER_HINT = "No ranks are set up yet. An admin can run /ranks import to read them from the Roblox group.";

/** One line per rank, lowest first: order, name, Roblox rank number and role id, Discord role. */
export function ladderLines(ranks: readonly Rank[]): string[] {
  return ranks.map((rank, index) => {
    const role = rank.discordRoleId ? `<@&${rank.discordRoleId}>` : "not bound";
    const points = rank.pointsRequired > 0 ? ` · ${rank.pointsRequired} points` : "";
    return `\`${index + 1}.\` **${escapeMarkdown(rank.name)}** · Roblox rank ${rank.robloxRank} (role ${rank.robloxRoleId}) · ${role}${points}`;
  });
}

/** The ladder as one embed; lines that do not fit are counted instead of cut mid-way. */
export function ladderEmbed(title: string, ranks: readonly Rank[], footer?: string): APIEmbed {
  const lines = ladderLines(ranks);
  const shown: string[] = [];
  let length = 0;
  for (const line of lines) {
    if (length + line.length + 1 > DESCRIPTION_BUDGET) break;
    shown.push(line);
    length += line.length + 1;
  }
  const hidden = lines.length - shown.length;
  if (hidden > 0) shown.push(`…and ${hidden} more.`);
  return {
    title,
    color: LADDER_COLOUR,
    description: shown.join("\n") || EMPTY_LADDER_HINT,
    ...(footer ? { footer: { text: footer } } : {}),
  };
}


/** What the ladder's footer reads: the guild's Roblox group. */
export interface GroupFooterDependencies {
  repositories: SomeRepositories<"guilds">;
  contexts: Pick<GuildContexts, "groupIdOf">;
}

/** `/list-ranks` reads the stored ladder and the group it came from. */
export interface ListRanksDependencies extends GroupFooterDependencies {
  repositories: SomeRepositories<"guilds" | "ranks">;
}

export async function groupFooter(deps: GroupFooterDependencies, guildId: string): Promise<string | undefined> {
  const groupId = deps.contexts.groupIdOf(guildId, await deps.repositories.guilds.get(guildId));
  return groupId ? `Roblox group ${groupId} · lowest rank first` : "lowest rank first";
}

/** `/list-ranks`: anyone can see the ladder and which Discord role mirrors each rank. */
export function listRanksCommand(deps: ListRanksDependencies): SlashCommand {
  return {
    definition: {
      name: "list-ranks",
      description: "Show the rank ladder: each rank, its Roblox rank number and its Discord role",
      contexts: [0],
    },
    ephemeral: true,
    async execute({ interaction, respond }) {
      const { guildId } = requireGuild(interaction);
      const ranks = await deps.repositories.ranks.list(guildId);
      if (ranks.length === 0) {
        await respond.reply({ content: EMPTY_LADDER_HINT });
        return;
      }
      await respond.reply({
        embeds: [ladderEmbed("Rank ladder", ranks, await groupFooter(deps, guildId))],
        allowed_mentions: { parse: [] },
      });
    },
  };
}
