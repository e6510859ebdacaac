import {
  ApplicationCommandOptionType,
  InteractionResponseType,
  InteractionType,
  type APIApplicationCommandInteractionDataBasicOption,
  type APIApplicationCommandInteractionDataOption,
  type APIEmbed,
  type APIGuild,
  type APIInteraction,
  GatewayDispatchEvents,
  type GatewayGuildMemberUpdateDispatchData,
} from "discord-api-types/v10";
import { startDiscordEmulator, type InjectedInteraction, type InjectInteractionInput } from "../emulators/discord/index.ts";
import { defaultRoles, startRobloxEmulator } from "../emulators/roblox/index.ts";
import type { RankbridgeOptions } from "../../src/app.ts";
import { SecretBox } from "../../src/security/secrets.ts";
import { createInProcessBot, emulatorEnv } from "../support/in-process-bot.ts";

export const ENCRYPTION_KEY_HEX = "11".repeat(32);
/** The process-wide Roblox key (ROBLOX_API_KEY), owned by the group's ranking account. */
export const PROCESS_API_KEY = "process-wide-open-cloud-key";
export const RANKING_BOT_USER_ID = 2;
export const GROUP_OWNER_USER_ID = 1;

/**
 * The ladder and settings commands as the bot runs them: the bot as the real process composes it
 * (src/app.ts) on a temporary database file (seeded and read through the harness's own connection), with REST to the Discord emulator and Roblox clients on the
 * Roblox emulator, all over real sockets. Interactions are made by the Discord emulator and handed
 * to the router directly (no gateway connection), so each test controls exactly when a command runs.
 */
export async function startCommandWorld(options: { encryptionKey?: boolean; defaultGroupId?: number; homeGuild?: boolean; cooldowns?: RankbridgeOptions["cooldowns"] } = {}) {
  const discord = await startDiscordEmulator({
    // Generous buckets: these tests are about behaviour, not rate limiting.
    rateLimits: { defaultBucket: { limit: 200, windowMs: 1000 }, globalPerSecond: 500 },
  });
  const roblox = await startRobloxEmulator();
  roblox.addUser({ id: GROUP_OWNER_USER_ID, name: "GroupOwner" });
  roblox.addUser({ id: RANKING_BOT_USER_ID, name: "RankBot" });
  roblox.addApiKey(PROCESS_API_KEY, { ownerUserId: RANKING_BOT_USER_ID, scopes: ["group:read", "group:write"] });

  // The operator's own server (HOME_GUILD_IDS), made before the bot so its id can be configured.
  const homeGuild = options.homeGuild ? discord.createGuild({ name: "Operator HQ" }) : undefined;
  const inProcess = createInProcessBot({
    env: {
      ...emulatorEnv(discord, roblox),
      HOME_GUILD_IDS: homeGuild?.id,
      ROBLOX_API_KEY: PROCESS_API_KEY,
      ROBLOX_GROUP_ID: options.defaultGroupId ? String(options.defaultGroupId) : undefined,
      ENCRYPTION_KEY: options.encryptionKey === false ? undefined : ENCRYPTION_KEY_HEX,
    },
    logLevel: "debug",
    options: { discordRest: { offsetMs: 0 }, cooldowns: options.cooldowns },
  });
  const { bot } = inProcess;
  inProcess.standIn(discord.botUserId);
  const { repositories } = inProcess.storage;
  // This world runs on SQLite (no DATABASE_URL).
  const database = inProcess.storage.database!;
  // What the tests read beside the commands: the ladder (for autocomplete) and a secret box with the
  // bot's ENCRYPTION_KEY, which opens what the bot sealed.
  const deps = { repositories, secrets: new SecretBox(inProcess.config.encryptionKey) };
  const commands = bot.commands.ladderAndSettings;

  /**
   * What a connected shard would have told the bot about the guild since the last command: the
   * guild with its owner and roles (GUILD_UPDATE) and the bot's own roles (GUILD_MEMBER_UPDATE),
   * delivered through the app's gateway handlers as in the real process.
   */
  function guildEvents(guildId: string): void {
    const guild = discord.guild(guildId);
    if (!guild) return;
    inProcess.dispatch({
      t: GatewayDispatchEvents.GuildUpdate,
      d: { id: guild.id, name: guild.name, owner_id: guild.ownerId, roles: discord.roles(guildId) } as APIGuild,
    });
    const botRoles = discord.memberRoleIds(guildId, discord.botUserId);
    const botUser = discord.user(discord.botUserId);
    if (botRoles && botUser) {
      inProcess.dispatch({
        t: GatewayDispatchEvents.GuildMemberUpdate,
        d: { guild_id: guildId, user: botUser, roles: botRoles } as GatewayGuildMemberUpdateDispatchData,
      });
    }
  }

  /** Runs one interaction to completion, after the gateway events that keep the bot's view of the guild current. */
  async function run(input: InjectInteractionInput): Promise<InjectedInteraction> {
    guildEvents(input.guildId);
    const injected = discord.injectInteraction(input);
    await inProcess.handle(injected.payload as APIInteraction);
    return injected;
  }

  /** A slash command: `command("ranks", sub("bind", str("rank", "Sergeant"), role("role", id)))`. */
  function command(guildId: string, userId: string, name: string, options: APIApplicationCommandInteractionDataOption[] = []) {
    return run({ guildId, userId, commandName: name, options });
  }

  return {
    discord,
    roblox,
    homeGuild,
    bot,
    /** A gateway event, as a connected shard would deliver it. */
    dispatch: inProcess.dispatch,
    deps,
    repositories,
    commands,
    /** Every slash command the bot registers. */
    allCommands: Object.values(bot.commands).flat(),
    database,
    /** The bot's REST client, for registering the command definitions as the process does. */
    api: bot.parts.api,
    logLines: inProcess.logText,
    run,
    command,
    /** A guild with the default role ladder of the Roblox emulator's `defaultRoles` group. */
    seedGroup(groupId: number, name = "Army") {
      roblox.createGroup({ id: groupId, name, ownerId: GROUP_OWNER_USER_ID, roles: defaultRoles(groupId) });
      roblox.setMembership(groupId, RANKING_BOT_USER_ID, groupId * 1000 + 2);
    },
    async close() {
      await inProcess.close();
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
export const MESSAGE_COMPONENT = InteractionType.MessageComponent;
