import { DiscordAPIError } from "@discordjs/rest";
import {
  ApplicationCommandOptionType,
  ChannelType,
  ComponentType,
  RESTJSONErrorCodes,
  TextInputStyle,
  type APIEmbedField,
  type APIModalSubmitInteraction,
} from "discord-api-types/v10";
import { LEFT_GROUP_POLICIES, type GuildSettings, type LeftGroupPolicy } from "../../db/schema.ts";
import type { GuildSettingsPatch } from "../../db/repositories/guilds.ts";
import { DiscordPermission, hasPermission } from "../../ranks/hierarchy.ts";
import { AmbiguousRankError, UnknownRankError } from "../../ranks/ladder.ts";
import { RobloxClient } from "../../roblox/client.ts";
import { RobloxError } from "../../roblox/errors.ts";
import { SecretsUnavailableError } from "../../security/secrets.ts";
import { DurationOutOfRangeError, formatDuration, InvalidDurationError, parseDuration } from "../../sync/schedule.ts";
import { MASS_CHANGE_SUBCOMMAND, massChangeField, massChangeSubcommand, setMassChangeThreshold } from "./config-mass-change.ts";
import type { CommandDependencies } from "./dependencies.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import { escapeMarkdown, LADDER_COLOUR } from "./list-ranks.ts";
import { CommandOptions } from "./options.ts";
import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import { storedLadder } from "./ranks.ts";
import type { CommandContext, ModalContext, SlashCommand } from "./types.ts";

/** Shorter periods would spend the rate limits on little but re-checking unchanged members. */
export const MIN_SYNC_INTERVAL_MS = 15 * 60_000;
export const MAX_SYNC_INTERVAL_MS = 7 * 86_400_000;
const API_KEY_ACTION = "api-key";
const API_KEY_INPUT_ID = "api-key";
/** Open Cloud keys are long; Discord allows up to 4000 characters in a text input. */
const API_KEY_MAX_LENGTH = 4_000;
const RESET_WORDS = new Set(["default", "reset", "none", "off"]);
const ALL_RANKS_WORDS = new Set(["all", "*", "every", "none"]);

const LEFT_GROUP_EXPLANATIONS: Record<LeftGroupPolicy, string> = {
  remove: "members who leave the Roblox group lose their rank roles at the next sync",
  flag: "members who leave the Roblox group keep their roles and are reported by sync",
};

/** `/config ...`: the guild's settings (group, admin role, log channel, sync, its own Roblox API key). */
export function configCommand(deps: CommandDependencies): SlashCommand {
  return {
    definition: {
      name: "config",
      description: "Show or change rankbridge's settings for this server",
      default_member_permissions: MANAGE_ROLES_PERMISSION,
      contexts: [0],
      options: [
        { type: ApplicationCommandOptionType.Subcommand, name: "show", description: "Show this server's settings" },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "group",
          description: "Set the Roblox group this server mirrors",
          options: [
            {
              type: ApplicationCommandOptionType.Integer,
              name: "group-id",
              description: "The number in the group's address (roblox.com/communities/<id>/...)",
              required: true,
              min_value: 1,
            },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "admin-role",
          description: "Set the role whose members may use admin commands besides Manage Roles holders",
          options: [
            { type: ApplicationCommandOptionType.Role, name: "role", description: "The admin role; leave empty to remove it" },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "log-channel",
          description: "Set the channel where every rank change is logged",
          options: [
            {
              type: ApplicationCommandOptionType.Channel,
              name: "channel",
              description: "The log channel; leave empty to stop logging to a channel",
              channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement],
            },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "sync-interval",
          description: "Set how often the background sync runs",
          options: [
            {
              type: ApplicationCommandOptionType.String,
              name: "duration",
              description: "Like 30m, 6h or 1d (at least 15m); \"default\" for the bot's default",
              required: true,
              max_length: 20,
            },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "left-group",
          description: "What happens to members who leave the Roblox group",
          options: [
            {
              type: ApplicationCommandOptionType.String,
              name: "policy",
              description: "remove: take their rank roles; flag: keep them and report",
              required: true,
              choices: LEFT_GROUP_POLICIES.map((policy) => ({ name: policy, value: policy })),
            },
          ],
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "sync-ranks",
          description: "Limit the background sync to some ranks",
          options: [
            {
              type: ApplicationCommandOptionType.String,
              name: "ranks",
              description: "Rank names separated by commas, or \"all\"",
              required: true,
              max_length: 1_000,
            },
          ],
        },
        massChangeSubcommand,
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "api-key",
          description: "Store this server's own Roblox Open Cloud API key (asked in a private form)",
        },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "api-key-clear",
          description: "Forget this server's Roblox API key and use the bot's own credentials",
        },
      ],
    },
    ephemeral: true,
    async execute(context) {
      const options = new CommandOptions(context.interaction.data);
      switch (options.subcommand) {
        case "show":
          return showSettings(deps, context);
        case "group":
          return setGroup(deps, context, options);
        case "admin-role":
          return setAdminRole(deps, context, options);
        case "log-channel":
          return setLogChannel(deps, context, options);
        case "sync-interval":
          return setSyncInterval(deps, context, options);
        case "left-group":
          return setLeftGroupPolicy(deps, context, options);
        case "sync-ranks":
          return setSyncRanks(deps, context, options);
        case MASS_CHANGE_SUBCOMMAND:
          return setMassChangeThreshold(deps, context, options, changeSetting);
        case "api-key":
          return askForApiKey(deps, context);
        case "api-key-clear":
          return clearApiKey(deps, context);
        default:
          throw new CommandRefusedError("Unknown /config subcommand. Commands may still be updating; try again shortly.");
      }
    },
    async modal(context) {
      if (context.action !== API_KEY_ACTION) throw new CommandRefusedError("This form has expired. Run the command again.");
      return storeApiKey(deps, context);
    },
  };
}

function groupIdOf(deps: CommandDependencies, settings: GuildSettings | undefined): number | undefined {
  return settings?.robloxGroupId ?? deps.config.robloxGroupId;
}

async function showSettings(deps: CommandDependencies, { interaction, respond }: CommandContext) {
  const { guildId } = await requireAdmin(interaction, deps);
  const settings = deps.repositories.guilds.get(guildId);
  const groupId = groupIdOf(deps, settings);
  const ranks = deps.repositories.ranks.list(guildId);
  const rankNames = new Map(ranks.map((rank) => [rank.id, rank.name]));
  const syncIntervalMs = settings?.syncIntervalMs ?? deps.config.syncIntervalMs;
  const filter = settings?.syncRankFilter ?? null;

  const fields: APIEmbedField[] = [
    {
      name: "Roblox group",
      value: groupId ? `${groupId}${settings?.robloxGroupId ? "" : " (the bot's default)"}` : "not set: use /config group",
      inline: true,
    },
    {
      name: "Roblox API key",
      value: settings?.robloxApiKeyEncrypted ? "this server's own (stored encrypted)" : "the bot's own credentials",
      inline: true,
    },
    { name: "Rank ladder", value: `${ranks.length} ranks, ${ranks.filter((rank) => rank.discordRoleId).length} bound to Discord roles`, inline: true },
    { name: "Admin role", value: settings?.adminRoleId ? `<@&${settings.adminRoleId}>` : "none (Manage Roles only)", inline: true },
    { name: "Log channel", value: settings?.logChannelId ? `<#${settings.logChannelId}>` : "none", inline: true },
    {
      name: "Sync interval",
      value: `${formatDuration(syncIntervalMs)}${settings?.syncIntervalMs ? "" : " (the bot's default)"}`,
      inline: true,
    },
    {
      name: "Members who leave the group",
      value: `${settings?.leftGroupPolicy ?? "remove"}: ${LEFT_GROUP_EXPLANATIONS[settings?.leftGroupPolicy ?? "remove"]}`,
    },
    massChangeField(settings),
    {
      name: "Background sync covers",
      value: filter?.length
        ? truncate(filter.map((id) => (rankNames.has(id) ? escapeMarkdown(rankNames.get(id)!) : `removed rank #${id}`)).join(", "), 1_024)
        : "every rank",
    },
  ];
  if (settings?.syncPausedReason) fields.push({ name: "Background sync paused", value: truncate(settings.syncPausedReason, 1_024) });

  await respond.reply({
    embeds: [{ title: "rankbridge settings", color: LADDER_COLOUR, fields }],
    allowed_mentions: { parse: [] },
  });
}

async function setGroup(deps: CommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const groupId = options.integer("group-id");
  if (groupId === undefined || !Number.isSafeInteger(groupId) || groupId < 1) {
    throw new CommandRefusedError("The group id is the whole number in the group's address: roblox.com/communities/<id>/...");
  }
  await respond.defer();
  const settings = deps.repositories.guilds.get(guildId);
  const roblox = await deps.contexts.robloxFor(guildId, settings);
  let groupName: string;
  try {
    groupName = (await roblox.getGroup(groupId)).name;
  } catch (error) {
    if (error instanceof RobloxError && error.kind === "group_not_found") {
      throw new CommandRefusedError(
        `No Roblox group with id ${groupId} was found` +
          (settings?.robloxApiKeyEncrypted ? " (or this server's API key can't see it)" : "") +
          ". The id is the number in the group's address: roblox.com/communities/<id>/...",
      );
    }
    if (error instanceof RobloxError && error.kind === "missing_permission") {
      throw new CommandRefusedError(
        `The Roblox credentials in use can't read group ${groupId}. If this server has its own API key, add the group to the key in Creator Dashboard, or run /config api-key-clear.`,
      );
    }
    throw error;
  }

  const previousGroupId = groupIdOf(deps, settings);
  changeSetting(deps, guildId, actor.userId, "robloxGroupId", groupId, `Roblox group set to ${groupId} (${groupName})`);

  const ladderSize = deps.repositories.ranks.list(guildId).length;
  const next =
    previousGroupId !== groupId && ladderSize > 0
      ? `\n⚠️ The rank ladder still holds the ranks of the previous group (${previousGroupId}). Run /ranks import to replace them with this group's ranks.`
      : ladderSize === 0
        ? "\nNext: run /ranks import to read the group's ranks."
        : "";
  await respond.reply({ content: `Roblox group set to **${escapeMarkdown(groupName)}** (${groupId}).${next}` });
}

async function setAdminRole(deps: CommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor, ownerId } = await requireAdmin(interaction, deps);
  // Holders of the admin role alone may not pass admin rights on to another role.
  if (actor.userId !== ownerId && !hasPermission(actor.permissions, DiscordPermission.ManageRoles)) {
    throw new CommandRefusedError("Only members with the Manage Roles permission can change the admin role.");
  }
  const roleId = options.snowflake("role") ?? null;
  if (roleId === guildId) throw new CommandRefusedError("@everyone can't be the admin role: it would make every member an admin.");
  changeSetting(deps, guildId, actor.userId, "adminRoleId", roleId, roleId ? `Admin role set to ${roleId}` : "Admin role removed");
  await respond.reply({
    content: roleId
      ? `Members with <@&${roleId}> can now use rankbridge's admin commands (as can Manage Roles holders).`
      : "Admin role removed: only members with Manage Roles can use rankbridge's admin commands.",
    allowed_mentions: { parse: [] },
  });
}

async function setLogChannel(deps: CommandDependencies, { interaction, api, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const channelId = options.snowflake("channel") ?? null;
  if (channelId) {
    // Posting is the only reliable test of the bot's access (channel overwrites apply per role).
    try {
      await api.channels.createMessage(channelId, {
        content: `rankbridge will log rank changes in this channel (set by <@${actor.userId}>).`,
        allowed_mentions: { parse: [] },
      });
    } catch (error) {
      if (
        error instanceof DiscordAPIError &&
        (error.code === RESTJSONErrorCodes.MissingAccess || error.code === RESTJSONErrorCodes.MissingPermissions)
      ) {
        throw new CommandRefusedError(
          `rankbridge can't post in <#${channelId}>. Give its role View Channel, Send Messages and Embed Links there, then run this again.`,
        );
      }
      throw error;
    }
  }
  changeSetting(deps, guildId, actor.userId, "logChannelId", channelId, channelId ? `Log channel set to ${channelId}` : "Log channel removed");
  await respond.reply({
    content: channelId ? `Rank changes will be logged in <#${channelId}>.` : "Rank changes are no longer posted to a channel (they are still kept; see /audit).",
  });
}

async function setSyncInterval(deps: CommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const input = (options.string("duration") ?? "").trim();
  let intervalMs: number | null;
  if (RESET_WORDS.has(input.toLowerCase())) {
    intervalMs = null;
  } else {
    try {
      intervalMs = parseDuration(input, { min: MIN_SYNC_INTERVAL_MS, max: MAX_SYNC_INTERVAL_MS });
    } catch (error) {
      if (error instanceof InvalidDurationError || error instanceof DurationOutOfRangeError) throw new CommandRefusedError(error.message);
      throw error;
    }
  }
  const detail = `Sync interval set to ${intervalMs === null ? "the default" : formatDuration(intervalMs)}`;
  changeSetting(deps, guildId, actor.userId, "syncIntervalMs", intervalMs, detail);
  await respond.reply({
    content:
      intervalMs === null
        ? `The background sync uses the bot's default period again (${formatDuration(deps.config.syncIntervalMs)}).`
        : `The background sync now runs every ${formatDuration(intervalMs)} (give or take 10%).`,
  });
}

async function setLeftGroupPolicy(deps: CommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const policy = options.string("policy");
  if (!isLeftGroupPolicy(policy)) throw new CommandRefusedError(`The policy must be one of: ${LEFT_GROUP_POLICIES.join(", ")}.`);
  changeSetting(deps, guildId, actor.userId, "leftGroupPolicy", policy, `Left-group policy set to ${policy}`, "remove");
  await respond.reply({ content: `Policy set to **${policy}**: ${LEFT_GROUP_EXPLANATIONS[policy]}.` });
}

function isLeftGroupPolicy(value: string | undefined): value is LeftGroupPolicy {
  return (LEFT_GROUP_POLICIES as readonly string[]).includes(value ?? "");
}

async function setSyncRanks(deps: CommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const input = (options.string("ranks") ?? "").trim();
  let rankIds: number[] | null = null;
  let names: string[] = [];
  if (!ALL_RANKS_WORDS.has(input.toLowerCase()) && input !== "") {
    const ladder = storedLadder(deps, guildId);
    if (ladder.isEmpty) throw new CommandRefusedError("No ranks are set up yet. Run /ranks import first.");
    const problems: string[] = [];
    const chosen = new Map<number, string>();
    for (const part of input.split(",").map((text) => text.trim()).filter(Boolean)) {
      try {
        const rank = ladder.resolveName(part);
        chosen.set(rank.id, rank.name);
      } catch (error) {
        if (error instanceof UnknownRankError || error instanceof AmbiguousRankError) problems.push(error.message);
        else throw error;
      }
    }
    if (problems.length > 0) throw new CommandRefusedError(truncate(`${problems.join("\n")}\nRun /list-ranks to see the ranks.`, 1_900));
    rankIds = [...chosen.keys()];
    names = [...chosen.values()];
  }
  const detail = rankIds ? `Background sync limited to ${names.join(", ")}` : "Background sync covers every rank";
  changeSetting(deps, guildId, actor.userId, "syncRankFilter", rankIds, detail);
  await respond.reply({
    content: truncate(
      rankIds ? `The background sync now covers only: ${names.map((name) => `**${escapeMarkdown(name)}**`).join(", ")}.` : "The background sync covers every rank.",
      2_000,
    ),
  });
}

async function askForApiKey(deps: CommandDependencies, { interaction, respond }: CommandContext) {
  const { guildId } = await requireAdmin(interaction, deps);
  // Refuse before the admin pastes a key that could not be kept.
  if (!deps.secrets.available) throw new SecretsUnavailableError();
  const groupId = groupIdOf(deps, deps.repositories.guilds.get(guildId));
  if (!groupId) throw new CommandRefusedError("Set the Roblox group first with /config group; the key is checked against it.");
  await respond.showModal({
    custom_id: `config:${API_KEY_ACTION}`,
    title: "Roblox Open Cloud API key",
    components: [
      {
        type: ComponentType.Label,
        label: "API key",
        description: `Needs group:read and group:write for group ${groupId}. Stored encrypted, never shown again.`,
        component: {
          type: ComponentType.TextInput,
          custom_id: API_KEY_INPUT_ID,
          style: TextInputStyle.Short,
          required: true,
          min_length: 1,
          max_length: API_KEY_MAX_LENGTH,
        },
      },
    ],
  });
}

async function storeApiKey(deps: CommandDependencies, { interaction, respond }: ModalContext) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  if (!deps.secrets.available) throw new SecretsUnavailableError();
  const apiKey = submittedText(interaction, API_KEY_INPUT_ID)?.trim();
  if (!apiKey) throw new CommandRefusedError("The API key was empty. Run /config api-key again and paste the key.");
  const settings = deps.repositories.guilds.get(guildId);
  const groupId = groupIdOf(deps, settings);
  if (!groupId) throw new CommandRefusedError("Set the Roblox group first with /config group; the key is checked against it.");
  await respond.defer();

  const check = await checkApiKey(deps, apiKey, groupId);
  const sealed = await deps.secrets.encrypt(apiKey, `guild:${guildId}`);
  deps.repositories.guilds.upsert(guildId, { robloxApiKeyEncrypted: sealed });
  deps.audit.record(guildId, {
    actorId: actor.userId,
    action: "config",
    before: { robloxApiKey: settings?.robloxApiKeyEncrypted ? "set" : "not set" },
    after: { robloxApiKey: "set" },
    detail: `Roblox API key stored for group ${groupId}`,
  });
  await respond.reply({
    content:
      `API key saved (encrypted). rankbridge now uses it for **${escapeMarkdown(check.groupName)}** (${groupId}).` +
      (check.warning ? `\n⚠️ ${check.warning}` : ""),
  });
}

/**
 * The key must read the guild's group; a key that cannot is refused with what to change. Whether
 * it can write ranks is only known for sure when it does, so that is a warning, not a refusal.
 */
async function checkApiKey(deps: CommandDependencies, apiKey: string, groupId: number): Promise<{ groupName: string; warning?: string }> {
  const client = new RobloxClient({
    apiKey,
    urlTemplate: deps.config.robloxApiUrl,
    retry: { maxRetries: 1 },
    metrics: deps.metrics,
    logger: deps.logger,
  });
  try {
    const group = await client.getGroup(groupId);
    const roles = await client.listRoles(groupId);
    const visible = roles.filter((role) => role.rank > 0 && role.canChangeRank !== null);
    const warning =
      visible.length > 0 && !visible.some((role) => role.canChangeRank)
        ? `The key's owner has no role with the "Change rank" permission in this group, so rank changes will fail until it has one.`
        : undefined;
    return { groupName: group.name, warning };
  } catch (error) {
    if (!(error instanceof RobloxError)) throw error;
    switch (error.kind) {
      case "invalid_credentials":
        throw new CommandRefusedError(
          "Roblox rejected this API key. Check that you copied all of it and that it is enabled and not expired (Creator Dashboard → API Keys).",
        );
      case "missing_permission":
      case "group_not_found":
        throw new CommandRefusedError(
          `This API key can't read group ${groupId}. In Creator Dashboard → API Keys, add the group with the group:read and group:write scopes.`,
        );
      default:
        throw new CommandRefusedError(`The key could not be checked: ${error.userMessage} Nothing was saved.`);
    }
  } finally {
    await client.close();
  }
}

/** A text input's value, whether the modal came back with action rows (legacy) or labels. */
function submittedText(interaction: APIModalSubmitInteraction, customId: string): string | undefined {
  for (const component of interaction.data.components) {
    if (component.type === ComponentType.ActionRow) {
      const input = component.components.find((child) => child.custom_id === customId);
      if (input) return input.value;
    } else if (component.type === ComponentType.Label) {
      const child = component.component;
      if (child.custom_id === customId && child.type === ComponentType.TextInput) return child.value;
    }
  }
  return undefined;
}

async function clearApiKey(deps: CommandDependencies, { interaction, respond }: CommandContext) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const settings = deps.repositories.guilds.get(guildId);
  if (!settings?.robloxApiKeyEncrypted) {
    await respond.reply({ content: "This server has no API key of its own; rankbridge already uses the bot's credentials." });
    return;
  }
  deps.repositories.guilds.upsert(guildId, { robloxApiKeyEncrypted: null });
  deps.audit.record(guildId, {
    actorId: actor.userId,
    action: "config",
    before: { robloxApiKey: "set" },
    after: { robloxApiKey: "not set" },
    detail: "Roblox API key removed",
  });
  await respond.reply({ content: "API key removed. rankbridge uses the bot's own Roblox credentials for this server again." });
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/**
 * Changes one guild setting and audits the change with its value before and after: every
 * `/config` subcommand ends here, so no setting changes without an audit row.
 */
function changeSetting<K extends keyof GuildSettingsPatch>(
  deps: CommandDependencies,
  guildId: string,
  actorId: string,
  key: K,
  value: GuildSettingsPatch[K],
  detail: string,
  fallback: GuildSettingsPatch[K] | null = null,
): void {
  const before = deps.repositories.guilds.get(guildId)?.[key as keyof GuildSettings] ?? fallback;
  deps.repositories.guilds.upsert(guildId, { [key]: value } as GuildSettingsPatch);
  deps.audit.record(guildId, { actorId, action: "config", before: { [key]: before }, after: { [key]: value }, detail });
}
