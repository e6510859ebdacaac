import type { GuildSettings, Repositories } from "./storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import { BindSet, settingBinds } from "../ranks/binds.ts";
import { RankLadder } from "../ranks/ladder.ts";
import { scopedToGuild } from "./guild-scope.ts";
import type { SecretBox } from "../security/secrets.ts";
import { GuildKeyChecks, type GuildKeyCheck } from "./guild-key-check.ts";
import { decideRobloxAccess, type RobloxAccess, type RobloxReader } from "./roblox-access.ts";
import type { RobloxRankWriter } from "./roblox-port.ts";

/** The guild has no Roblox group (src/discord/views/errors.ts says how to set one). */
export class GroupNotConfiguredError extends Error {
  readonly reason = "no-group";
  constructor(
    readonly guildId: string,
    /** Whether the operator's ROBLOX_GROUP_ID could have applied (home guilds only). */
    readonly home: boolean,
  ) {
    super(`guild ${guildId} has no Roblox group configured`);
    this.name = "GroupNotConfiguredError";
  }
}

/** Everything a feature needs to act for one guild, resolved once per command or run. */
export interface GuildContext {
  guildId: string;
  settings: GuildSettings | undefined;
  groupId: number;
  /** Reads (the guild's own key when it stored a usable one; the operator's credential otherwise). */
  roblox: RobloxReader;
  /** Who may write ranks for this guild: ask `access.writer(groupId)` before any write. */
  access: RobloxAccess;
  ladder: RankLadder;
  /** Every bind of the guild: its stored binds (the ladder's rank roles among them) and its verified/unverified roles. */
  binds: BindSet;
}

export interface GuildContextOptions {
  repositories: Repositories;
  defaultGroupId: number | undefined;
  /** The operator's guilds (HOME_GUILD_IDS); all others are visiting guilds. */
  homeGuildIds: ReadonlySet<string>;
  defaultRoblox: RobloxRankWriter;
  /** Builds a client for a guild's own API key (its own rate limits: limits are per key owner). */
  robloxForApiKey: (apiKey: string) => RobloxRankWriter;
  secrets: SecretBox;
  logger: Logger;
  now?: () => number;
}

/** Resolves guild contexts and decides, in one place, whose Roblox credential acts for a guild (design §10). */
export class GuildContexts {
  readonly #clientsByKey = new Map<string, RobloxRankWriter>();
  readonly #keyChecks: GuildKeyChecks;
  /** Guilds whose stored key failed to decrypt, so /readyz can count them without decrypting every key. */
  readonly #unusableKeys = new Set<string>();

  constructor(private readonly options: GuildContextOptions) {
    this.#keyChecks = new GuildKeyChecks({ logger: options.logger.child({ component: "guild-keys" }), now: options.now });
  }

  isHome(guildId: string): boolean {
    return this.options.homeGuildIds.has(guildId);
  }

  /** The guild's group: its own choice, or ROBLOX_GROUP_ID for a home guild; visiting guilds never get the operator's group by default. */
  groupIdOf(guildId: string, settings: GuildSettings | undefined): number | undefined {
    return settings?.robloxGroupId ?? (this.isHome(guildId) ? this.options.defaultGroupId : undefined);
  }

  async resolve(guildId: string): Promise<GuildContext> {
    const { repositories } = this.options;
    const settings = await repositories.guilds.get(guildId);
    const groupId = this.groupIdOf(guildId, settings);
    if (!groupId) throw new GroupNotConfiguredError(guildId, this.isHome(guildId));
    const access = await this.accessFor(guildId, settings);
    const ladder = new RankLadder(await repositories.ranks.list(guildId));
    return { guildId, settings, groupId, roblox: scopedToGuild(access.read, guildId), access, ladder, binds: await guildBinds(repositories, guildId, settings) };
  }

  /** The access decision alone (for paths that must not validate the ladder, or have no group yet). */
  async accessFor(guildId: string, settings: GuildSettings | undefined): Promise<RobloxAccess> {
    const { storedKey, client } = await this.#storedKey(guildId, settings);
    return decideRobloxAccess({
      guildId,
      home: this.isHome(guildId),
      operator: this.options.defaultRoblox,
      guildKey: client,
      storedKey,
      confirmWrite: (keyClient, groupId) => this.#keyChecks.confirmWrite(keyClient, groupId),
    });
  }

  /** What Roblox says a key may do in a group (before it is stored); builds a client for it. */
  async checkApiKey(apiKey: string, groupId: number): Promise<GuildKeyCheck> {
    const client = this.#clientFor(apiKey);
    this.#keyChecks.forget(client);
    return this.#keyChecks.check(client, groupId);
  }

  /** How many guilds (of those whose stored key was tried) hold a key that cannot be used; for /readyz. */
  get unusableKeyCount(): number {
    return this.#unusableKeys.size;
  }

  /**
   * Tries every stored key once (at start-up), so /readyz and the logs report unusable ones
   * before anyone runs a command. Returns the guild ids whose key is unusable.
   */
  async checkStoredKeys(): Promise<string[]> {
    for (const settings of await this.options.repositories.guilds.listWithApiKey()) await this.#storedKey(settings.guildId, settings);
    return [...this.#unusableKeys];
  }

  async #storedKey(
    guildId: string,
    settings: GuildSettings | undefined,
  ): Promise<{ storedKey: "none" | "usable" | "unusable"; client: RobloxRankWriter | undefined }> {
    const sealed = settings?.robloxApiKeyEncrypted;
    if (!sealed) {
      this.#unusableKeys.delete(guildId);
      return { storedKey: "none", client: undefined };
    }
    try {
      const apiKey = await this.options.secrets.decrypt(sealed, `guild:${guildId}`);
      this.#unusableKeys.delete(guildId);
      return { storedKey: "usable", client: this.#clientFor(apiKey) };
    } catch (error) {
      if (!this.#unusableKeys.has(guildId)) {
        // The error names the cause (no ENCRYPTION_KEY, wrong key, damaged value), never the key.
        this.options.logger.warn(
          { guildId, reason: error instanceof Error ? error.name : "unknown" },
          "the guild's stored Roblox API key cannot be decrypted: no rank is written for it until an admin stores it again",
        );
      }
      this.#unusableKeys.add(guildId);
      return { storedKey: "unusable", client: undefined };
    }
  }

  #clientFor(apiKey: string): RobloxRankWriter {
    let client = this.#clientsByKey.get(apiKey);
    if (!client) {
      client = this.options.robloxForApiKey(apiKey);
      this.#clientsByKey.set(apiKey, client);
    }
    return client;
  }
}

/** The guild's binds as the resolver reads them. */
export async function guildBinds(repositories: Pick<Repositories, "binds">, guildId: string, settings: GuildSettings | undefined): Promise<BindSet> {
  return new BindSet([
    ...await repositories.binds.list(guildId),
    ...settingBinds({ verifiedRoleId: settings?.verifiedRoleId ?? null, unverifiedRoleId: settings?.unverifiedRoleId ?? null }),
  ]);
}
