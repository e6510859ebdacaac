import type { Repositories, GuildSettings } from "../db/index.ts";
import type { Logger } from "../observability/logger.ts";
import { RankLadder } from "../ranks/ladder.ts";
import type { RobloxClient } from "../roblox/client.ts";
import { scopedToGuild } from "../roblox/fair-share.ts";
import type { SecretBox } from "../security/secrets.ts";

export class GroupNotConfiguredError extends Error {
  readonly userMessage =
    "This server has no Roblox group yet. An admin can set one with `/config group`, or the bot operator can set ROBLOX_GROUP_ID.";
  constructor(readonly guildId: string) {
    super(`guild ${guildId} has no Roblox group configured`);
    this.name = "GroupNotConfiguredError";
  }
}

/** Everything a feature needs to act for one guild, resolved once per command or run. */
export interface GuildContext {
  guildId: string;
  settings: GuildSettings | undefined;
  groupId: number;
  /** The guild's own Roblox client when it stored an API key; the process-wide one otherwise. */
  roblox: RobloxClient;
  ladder: RankLadder;
}

export interface GuildContextOptions {
  repositories: Repositories;
  defaultGroupId: number | undefined;
  defaultRoblox: RobloxClient;
  /** Builds a client for a guild's own API key (its own rate limits: limits are per key owner). */
  robloxForApiKey: (apiKey: string) => RobloxClient;
  secrets: SecretBox;
  logger: Logger;
}

export class GuildContexts {
  readonly #clientsByKey = new Map<string, RobloxClient>();

  constructor(private readonly options: GuildContextOptions) {}

  async resolve(guildId: string): Promise<GuildContext> {
    const { repositories } = this.options;
    const settings = repositories.guilds.get(guildId);
    const groupId = settings?.robloxGroupId ?? this.options.defaultGroupId;
    if (!groupId) throw new GroupNotConfiguredError(guildId);
    return {
      guildId,
      settings,
      groupId,
      roblox: scopedToGuild(await this.robloxFor(guildId, settings), guildId),
      ladder: new RankLadder(repositories.ranks.list(guildId)),
    };
  }

  async robloxFor(guildId: string, settings: GuildSettings | undefined): Promise<RobloxClient> {
    const sealed = settings?.robloxApiKeyEncrypted;
    if (!sealed) return this.options.defaultRoblox;
    try {
      const apiKey = await this.options.secrets.decrypt(sealed, `guild:${guildId}`);
      let client = this.#clientsByKey.get(apiKey);
      if (!client) {
        client = this.options.robloxForApiKey(apiKey);
        this.#clientsByKey.set(apiKey, client);
      }
      return client;
    } catch (error) {
      this.options.logger.warn({ err: error, guildId }, "the guild's stored Roblox API key cannot be used; using the default credentials");
      return this.options.defaultRoblox;
    }
  }
}
