/**
 * The pieces command dependency types are made of. Each command declares its own small type (what
 * its handler reads and which services it calls) beside its handler; app.ts hands it no more.
 */
import type { Config } from "../../config/env.ts";
import type { Repositories } from "../../db/index.ts";
import type { DiscordGuilds } from "../guilds.ts";

/** Only the named repositories. */
export type SomeRepositories<K extends keyof Repositories> = Pick<Repositories, K>;

/** What the admin check (`requireAdmin` in guards.ts) reads: the guild's admin role and its owner. */
export interface AdminCheckDependencies {
  repositories: SomeRepositories<"guilds">;
  guilds: Pick<DiscordGuilds, "guild">;
}

/** The bot's default background sync period, which a guild's own setting overrides. */
export interface DefaultSyncPeriod {
  config: Pick<Config, "syncIntervalMs"> & Partial<Pick<Config, "changeFeedIntervalMs">>;
}
