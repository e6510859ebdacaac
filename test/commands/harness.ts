import { API } from "@discordjs/core";
import {
  ApplicationCommandOptionType,
  InteractionResponseType,
  InteractionType,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIApplicationCommandInteractionDataOption,
  type APIEmbed,
  type APIInteraction,
} from "discord-api-types/v10";
import { Writable } from "node:stream";
import { loadConfig, type Config } from "../../src/config/env.ts";
import { openDatabase } from "../../src/db/client.ts";
import { createRepositories } from "../../src/db/index.ts";
import type { CommandDependencies } from "../../src/discord/commands/dependencies.ts";
import { featureCommands } from "../../src/discord/commands/ladder-and-settings.ts";
import { DiscordGuilds } from "../../src/discord/guilds.ts";
import { InteractionRouter } from "../../src/discord/interactions/router.ts";
import { createDiscordRest } from "../../src/discord/rest.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { RobloxClient } from "../../src/roblox/client.ts";
import { SecretBox } from "../../src/security/secrets.ts";
import { AuditTrail } from "../../src/services/audit-trail.ts";
import { GuildContexts } from "../../src/services/guild-context.ts";
import { startDiscordEmulator, type DiscordEmulator, type InjectedInteraction, type InjectInteractionInput } from "../emulators/discord/index.ts";
import { defaultRoles, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";

export const ENCRYPTION_KEY_HEX = "11".repeat(32);
/** The process-wide Roblox key (ROBLOX_API_KEY), owned by the group's ranking account. */
export const PROCESS_API_KEY = "process-wide-open-cloud-key";
export const RANKING_BOT_USER_ID = 2;
export const GROUP_OWNER_USER_ID = 1;

/**
 * The ladder and settings commands as the bot runs them: the real InteractionRouter, repositories on
 * an in-memory database, REST to the Discord emulator and a RobloxClient on the Roblox emulator, all
 * over real sockets. Interactions are made by the Discord emulator and handed to the router
 * directly (no gateway connection), so each test controls exactly when a command runs.
 */
export async function startCommandWorld(options: { encryptionKey?: boolean; defaultGroupId?: number } = {}) {
  const discord = await startDiscordEmulator({
    // Generous buckets: these tests are about behaviour, not rate limiting.
    rateLimits: { defaultBucket: { limit: 200, windowMs: 1000 }, globalPerSecond: 500 },
  });
  const roblox = await startRobloxEmulator();
  roblox.addUser({ id: GROUP_OWNER_USER_ID, name: "GroupOwner" });
  roblox.addUser({ id: RANKING_BOT_USER_ID, name: "RankBot" });
  roblox.addApiKey(PROCESS_API_KEY, { ownerUserId: RANKING_BOT_USER_ID, scopes: ["group:read", "group:write"] });

  const logLines: string[] = [];
  const logger = createLogger({
    level: "debug",
    destination: new Writable({
      write(chunk, _encoding, done) {
        logLines.push(String(chunk));
        done();
      },
    }),
  });
  const env: Record<string, string | undefined> = {
    DISCORD_TOKEN: discord.token,
    DISCORD_API_URL: discord.restBase,
    ROBLOX_API_URL: roblox.urlTemplate,
    ROBLOX_API_KEY: PROCESS_API_KEY,
    ROBLOX_GROUP_ID: options.defaultGroupId ? String(options.defaultGroupId) : undefined,
    DATABASE_PATH: ":memory:",
    ENCRYPTION_KEY: options.encryptionKey === false ? undefined : ENCRYPTION_KEY_HEX,
  };
  const config: Config = loadConfig(env);
  const metrics = createMetrics();
  const database = openDatabase(":memory:");
  const repositories = createRepositories(database.db);
  const rest = createDiscordRest({ apiUrl: discord.restBase, token: discord.token, metrics, logger, offsetMs: 0 });
  const api = new API(rest);
  const robloxClients: RobloxClient[] = [];
  const robloxForApiKey = (apiKey: string) => {
    const client = new RobloxClient({ apiKey, urlTemplate: config.robloxApiUrl, logger });
    robloxClients.push(client);
    return client;
  };
  const defaultRoblox = robloxForApiKey(PROCESS_API_KEY);
  const secrets = new SecretBox(config.encryptionKey);
  const guilds = new DiscordGuilds(api);
  guilds.botUserId = discord.botUserId;
  const deps: CommandDependencies = {
    config,
    logger,
    metrics,
    repositories,
    guilds,
    contexts: new GuildContexts({ repositories, defaultGroupId: config.robloxGroupId, defaultRoblox, robloxForApiKey, secrets, logger }),
    secrets,
    audit: new AuditTrail(repositories, api, logger),
    shardLatencyMs: () => undefined,
  };
  const commands = featureCommands(deps);
  const router = new InteractionRouter({ commands, metrics, logger });

  /**
   * Runs one interaction to completion. The guild snapshot is re-read first, standing in for the
   * gateway's role events that keep it current in the real process.
   */
  async function run(input: InjectInteractionInput): Promise<InjectedInteraction> {
    guilds.forget(input.guildId);
    const injected = discord.injectInteraction(input);
    await router.handle(injected.payload as APIInteraction, api, 0);
    return injected;
  }

  /** A slash command: `command("ranks", sub("bind", str("rank", "Sergeant"), role("role", id)))`. */
  function command(guildId: string, userId: string, name: string, options: APIApplicationCommandInteractionDataOption[] = []) {
    return run({ guildId, userId, commandName: name, options });
  }

  return {
    discord,
    roblox,
    deps,
    repositories,
    commands,
    router,
    api,
    logLines,
    run,
    command,
    /** A guild with the default role ladder of the Roblox emulator's `defaultRoles` group. */
    seedGroup(groupId: number, name = "Army") {
      roblox.createGroup({ id: groupId, name, ownerId: GROUP_OWNER_USER_ID, roles: defaultRoles(groupId) });
      roblox.setMembership(groupId, RANKING_BOT_USER_ID, groupId * 1000 + 2);
    },
    async close() {
      await router.drain();
      for (const client of robloxClients) await client.close();
      database.close();
      await discord.close();
      await roblox.close();
    },
  };
}

export type CommandWorld = Awaited<ReturnType<typeof startCommandWorld>>;

export const sub = (name: string, ...options: APIApplicationCommandInteractionDataBasicOption[]): APIApplicationCommandInteractionDataOption => ({
  type: ApplicationCommandOptionType.Subcommand,
  name,
  options,
});
export const str = (name: string, value: string, focused?: boolean) =>
  ({ type: ApplicationCommandOptionType.String, name, value, ...(focused ? { focused } : {}) }) as APIApplicationCommandInteractionDataBasicOption;
export const int = (name: string, value: number) => ({ type: ApplicationCommandOptionType.Integer, name, value }) as APIApplicationCommandInteractionDataBasicOption;
export const bool = (name: string, value: boolean) => ({ type: ApplicationCommandOptionType.Boolean, name, value }) as APIApplicationCommandInteractionDataBasicOption;
export const user = (name: string, value: string) => ({ type: ApplicationCommandOptionType.User, name, value }) as APIApplicationCommandInteractionDataBasicOption;
export const role = (name: string, value: string) => ({ type: ApplicationCommandOptionType.Role, name, value }) as APIApplicationCommandInteractionDataBasicOption;
export const channel = (name: string, value: string) => ({ type: ApplicationCommandOptionType.Channel, name, value }) as APIApplicationCommandInteractionDataBasicOption;

export interface Answer {
  /** The callback type of the first response (4 reply, 5 deferred, 8 autocomplete, 9 modal). */
  type: InteractionResponseType;
  content: string;
  embeds: APIEmbed[];
  /** Content, embed titles, descriptions and fields as one searchable string. */
  text: string;
  ephemeral: boolean;
  data: any;
}

/** What the user saw: the initial reply, or the deferred reply as last edited. */
export function answerOf(interaction: InjectedInteraction): Answer {
  const first = interaction.callbacks[0];
  if (!first) throw new Error(`interaction ${interaction.id} was never answered`);
  const message = first.type === InteractionResponseType.DeferredChannelMessageWithSource ? interaction.messages[0] : first.data;
  const content: string = message?.content ?? "";
  const embeds: APIEmbed[] = message?.embeds ?? [];
  const embedText = embeds
    .map((embed) => [embed.title, embed.description, ...(embed.fields ?? []).map((f) => `${f.name}: ${f.value}`), embed.footer?.text].filter(Boolean).join("\n"))
    .join("\n");
  const flags = Number(first.data?.flags ?? message?.flags ?? 0);
  return {
    type: first.type,
    content,
    embeds,
    text: [content, embedText].filter(Boolean).join("\n"),
    ephemeral: (flags & 64) === 64,
    data: first.data,
  };
}

/** Requests the bot sent that change Discord state (anything but reads and its own interaction answers). */
export function discordWrites(world: CommandWorld) {
  return world.discord.requests.filter(
    (request) => request.method !== "GET" && !request.path.includes("/interactions/") && !request.path.includes("/webhooks/"),
  );
}

export const AUTOCOMPLETE = InteractionType.ApplicationCommandAutocomplete;
export const MODAL_SUBMIT = InteractionType.ModalSubmit;
