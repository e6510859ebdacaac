/**
 * Finding a member of one guild by what an admin knows of them (design §9's member lookup): a
 * Discord username, display name, nickname or id, or a Roblox username or id. Discord names go
 * through Discord's member search of that guild, Roblox names through that guild's links, so a
 * member of another guild is never found. Typed matches only; the page words them.
 *
 * Who may call it: the dashboard, for the guild whose admin rule it has already checked.
 */
import type { GuildDirectory, GuildMemberSearch, GuildMemberView } from "./discord-port.ts";
import type { Member, Repositories } from "./storage-port.ts";

export interface MemberLookupSources {
  repositories: { members: Pick<Repositories["members"], "get" | "findByRobloxUserId" | "searchByRobloxUsername"> };
  guilds: Pick<GuildDirectory, "member"> & GuildMemberSearch;
}

export interface MemberLookupOptions {
  /** Matches asked of each source (Discord's search, the links); default 10. */
  perSource?: number;
  /** Longest query taken (Discord names are at most 32 characters, Roblox's 20); default 100. */
  maxQueryLength?: number;
}

/** One member the query names: in the server (`discord`), linked (`roblox`), or both. */
export interface MemberMatch {
  readonly discordId: string;
  readonly discord: Pick<GuildMemberView, "username" | "displayName"> | null;
  readonly roblox: { readonly userId: number; readonly username: string | null } | null;
  /** What matched: the Discord side, the Roblox side, or both. */
  readonly by: readonly ("discord" | "roblox")[];
}

const SNOWFLAKE = /^\d{17,20}$/;
const ROBLOX_ID = /^\d{1,19}$/;

export class MemberLookup {
  readonly #perSource: number;
  readonly #maxQueryLength: number;

  constructor(
    private readonly sources: MemberLookupSources,
    options: MemberLookupOptions = {},
  ) {
    this.#perSource = options.perSource ?? 10;
    this.#maxQueryLength = options.maxQueryLength ?? 100;
  }

  /** The query as it is searched: trimmed, a leading "@" dropped, cut to the longest taken. */
  normalize(query: string): string {
    return query.trim().replace(/^@/, "").slice(0, this.#maxQueryLength).trim();
  }

  /** Every member of `guildId` the query names (Discord matches first), each once. */
  async find(guildId: string, rawQuery: string): Promise<MemberMatch[]> {
    const query = this.normalize(rawQuery);
    if (query === "") return [];
    const { guilds, repositories } = this.sources;
    const [byDiscordId, byName, byRobloxId, byRobloxName] = await Promise.all([
      SNOWFLAKE.test(query) ? guilds.member(guildId, query) : null,
      guilds.searchMembers(guildId, query, this.#perSource),
      ROBLOX_ID.test(query) && Number.isSafeInteger(Number(query)) ? repositories.members.findByRobloxUserId(guildId, Number(query)) : undefined,
      repositories.members.searchByRobloxUsername(guildId, query, this.#perSource),
    ]);

    const matches = new Map<string, { discord: GuildMemberView | null; link: Member | null; by: Set<"discord" | "roblox"> }>();
    const add = (discordId: string, side: "discord" | "roblox", found: { discord?: GuildMemberView; link?: Member }) => {
      const match = matches.get(discordId) ?? { discord: null, link: null, by: new Set() };
      if (found.discord) match.discord = found.discord;
      if (found.link) match.link = found.link;
      match.by.add(side);
      matches.set(discordId, match);
    };
    if (byDiscordId) add(byDiscordId.userId, "discord", { discord: byDiscordId });
    for (const member of byName) add(member.userId, "discord", { discord: member });
    for (const link of [byRobloxId, ...byRobloxName]) if (link) add(link.discordId, "roblox", { link });

    // Fill in the other side of each match: the link of a Discord match, the Discord member of a Roblox one.
    return Promise.all(
      [...matches].map(async ([discordId, match]) => {
        const [discord, link] = await Promise.all([
          match.discord ?? guilds.member(guildId, discordId),
          match.link ?? repositories.members.get(guildId, discordId),
        ]);
        return {
          discordId,
          discord: discord ? { username: discord.username, displayName: discord.displayName } : null,
          roblox: link && link.robloxUserId !== null ? { userId: link.robloxUserId, username: link.robloxUsername } : null,
          by: [...match.by],
        };
      }),
    );
  }
}
