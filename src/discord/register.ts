import type { API } from "@discordjs/core";
import type { RESTPostAPIChatInputApplicationCommandsJSONBody } from "discord-api-types/v10";
import type { Logger } from "../observability/logger.ts";

/** Where the last registered command set's hash is kept (the `meta` table in production). */
export interface KeyValueStore {
  get(key: string): Promise<string | undefined>;
  set(key: string, value: string): Promise<void>;
}

export interface RegisterCommandsOptions {
  api: API;
  applicationId: string;
  definitions: readonly RESTPostAPIChatInputApplicationCommandsJSONBody[];
  /** Register in this guild only (instant, for development) instead of globally. */
  devGuildId: string | undefined;
  store: KeyValueStore;
  logger: Logger;
}

export function hashCommandDefinitions(definitions: readonly RESTPostAPIChatInputApplicationCommandsJSONBody[]): string {
  return new Bun.CryptoHasher("sha256").update(JSON.stringify(definitions)).digest("hex");
}

/**
 * Bulk-overwrites the application's commands only when the set changed since the last start:
 * command writes are limited (200 creates a day per guild) and a global overwrite takes effect slowly.
 */
export async function registerCommands(options: RegisterCommandsOptions): Promise<"registered" | "unchanged"> {
  const { api, applicationId, definitions, devGuildId, store, logger } = options;
  const scope = devGuildId ? `guild:${devGuildId}` : "global";
  const key = `commands:${applicationId}:${scope}`;
  const hash = hashCommandDefinitions(definitions);

  if (await store.get(key) === hash) {
    logger.info({ scope, commands: definitions.length }, "slash commands unchanged");
    return "unchanged";
  }
  const body = [...definitions];
  if (devGuildId) await api.applicationCommands.bulkOverwriteGuildCommands(applicationId, devGuildId, body);
  else await api.applicationCommands.bulkOverwriteGlobalCommands(applicationId, body);
  await store.set(key, hash);
  logger.info({ scope, commands: definitions.length }, "slash commands registered");
  return "registered";
}
