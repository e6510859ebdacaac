import { DiscordAPIError } from "@discordjs/rest";
import {
  ApplicationCommandOptionType,
  ChannelType,
  RESTJSONErrorCodes,
  type APIEmbedField,
} from "discord-api-types/v10";
import { LEFT_GROUP_POLICIES, type GuildSettings, type LeftGroupPolicy } from "../../db/schema.ts";
import type { GuildSettingsPatch } from "../../db/repositories/guilds.ts";
import { DiscordPermission, hasPermission } from "../../ranks/hierarchy.ts";
import { AmbiguousRankError, UnknownRankError } from "../../ranks/ladder.ts";
import { RobloxError } from "../../roblox/errors.ts";
import { storedBindsToReview } from "../../services/bind-review.ts";
import type { RobloxAccess } from "../../services/roblox-access.ts";
import { DurationOutOfRangeError, formatDuration, InvalidDurationError, parseDuration } from "../../sync/schedule.ts";
import { API_KEY_ACTION, askForApiKey, clearApiKey, storeApiKey } from "./config-api-key.ts";
import { MASS_CHANGE_SUBCOMMAND, massChangeField, massChangeSubcommand, setMassChangeThreshold } from "./config-mass-change.ts";
import { describeBindsToReview } from "./bind-wording.ts";
import type { SecretBox } from "../../security/secrets.ts";
import type { AuditTrail } from "../../services/audit-trail.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import type { AdminCheckDependencies, DefaultSyncPeriod, SomeRepositories } from "./dependencies.ts";
import { describeWriteRefusal } from "./roblox-write-refusal.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import { LADDER_COLOUR } from "./list-ranks.ts";
import { CommandOptions } from "./options.ts";
import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import { storedLadder } from "./ranks.ts";
import type { CommandContext, SlashCommand } from "./types.ts";
import { escapeMarkdown, truncate } from "../views/markdown.ts";

/** Shorter periods would spend the rate limits on little but re-checking unchanged members. */
export const MIN_SYNC_INTERVAL_MS = 15 * 60_000;
export const MAX_SYNC_INTERVAL_MS = 7 * 86_400_000;
const RESET_WORDS = new Set(["default", "reset", "none", "off"]);
const ALL_RANKS_WORDS = new Set(["all", "*", "every", "none"]);

const LEFT_GROUP_EXPLANATIONS: Record<LeftGroupPolicy, string> = {
  remove: "members who leave the Roblox group lose their rank roles at the next sync",
  flag: "members who leave the Roblox group keep their roles and are reported by sync",
};

/** `/config ...`: the guild's settings (group, admin role, log channel, sync, its own Roblox API key). */
/** `/config`'s subcommands: the guild's settings, its Roblox access and API key, all audited. */
export type ConfigCommandDependencies = AdminCheckDependencies &
  DefaultSyncPeriod & {
    repositories: SomeRepositories<"guilds" | "ranks">;
    contexts: Pick<GuildContexts, "groupIdOf" | "isHome" | "accessFor" | "checkApiKey">;
    secrets: Pick<SecretBox, "available" | "encrypt">;
    audit: Pick<AuditTrail, "record">;
  };

export function configCommand(deps: ConfigCommandDependencies): SlashCommand {
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

function groupIdOf(deps: ConfigCommandDependencies, guildId: string, settings: GuildSettings | undefined): number | undefined {
  return deps.contexts.groupIdOf(guildId, settings);
}

async function showSettings(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext) {
  const { guildId } = await requireAdmin(interaction, deps);
  const settings = deps.repositories.guilds.get(guildId);
  const groupId = groupIdOf(deps, guildId, settings);
  const access = await deps.contexts.accessFor(guildId, settings);
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
    { name: "Roblox API key", value: credentialSummary(access), inline: true },
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
  const review = await storedBindsToReview(deps, guildId);
  if (review.length > 0) {
    fields.push({
      name: "⚠️ Binds to review",
      value: truncate(
        `${describeBindsToReview(review).join("\n")}\nOnly the server owner or an Administrator may bind roles like these; remove a bind with /ranks unbind if it isn't meant.`,
        1_024,
      ),
    });
  }
  if (settings?.syncPausedReason) fields.push({ name: "Background sync paused", value: truncate(settings.syncPausedReason, 1_024) });

  await respond.reply({
    embeds: [{ title: "rankbridge settings", color: LADDER_COLOUR, fields }],
    allowed_mentions: { parse: [] },
  });
}

async function setGroup(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const groupId = options.integer("group-id");
  if (groupId === undefined || !Number.isSafeInteger(groupId) || groupId < 1) {
    throw new CommandRefusedError("The group id is the whole number in the group's address: roblox.com/communities/<id>/...");
  }
  await respond.defer();
  const settings = deps.repositories.guilds.get(guildId);
  const access = await deps.contexts.accessFor(guildId, settings);
  let groupName: string;
  try {
    groupName = (await access.read.getGroup(groupId)).name;
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

  const previousGroupId = groupIdOf(deps, guildId, settings);
  changeSetting(deps, guildId, actor.userId, "robloxGroupId", groupId, `Roblox group set to ${groupId} (${groupName})`);

  const ladderSize = deps.repositories.ranks.list(guildId).length;
  const next =
    previousGroupId !== groupId && ladderSize > 0
      ? `\n⚠️ The rank ladder still holds the ranks of the previous group (${previousGroupId}). Run /ranks import to replace them with this group's ranks.`
      : ladderSize === 0
        ? "\nNext: run /ranks import to read the group's ranks."
        : "";
  await respond.reply({ content: `Roblox group set to **${escapeMarkdown(groupName)}** (${groupId}).${next}${await writeNote(access, groupId)}` });
}

/** Design §10: choosing a group never lends the operator's credential for writes; say who writes. */
async function writeNote(access: RobloxAccess, groupId: number): Promise<string> {
  if (access.storedKey === "none" && access.home) return "";
  const write = await access.writer(groupId);
  return write.allowed ? "" : `\n⚠️ ${describeWriteRefusal(write.refusal).replace(/^Nothing was changed: /, "Rank changes: ")}`;
}

async function setAdminRole(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
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

async function setLogChannel(deps: ConfigCommandDependencies, { interaction, api, respond }: CommandContext, options: CommandOptions) {
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

async function setSyncInterval(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
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

async function setLeftGroupPolicy(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const policy = options.string("policy");
  if (!isLeftGroupPolicy(policy)) throw new CommandRefusedError(`The policy must be one of: ${LEFT_GROUP_POLICIES.join(", ")}.`);
  changeSetting(deps, guildId, actor.userId, "leftGroupPolicy", policy, `Left-group policy set to ${policy}`, "remove");
  await respond.reply({ content: `Policy set to **${policy}**: ${LEFT_GROUP_EXPLANATIONS[policy]}.` });
}

function isLeftGroupPolicy(value: string | undefined): value is LeftGroupPolicy {
  return (LEFT_GROUP_POLICIES as readonly string[]).includes(value ?? "");
}

async function setSyncRanks(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
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

/** Which credential reads and writes for this server (design §10), and an unusable key as the error it is. */
function credentialSummary(access: RobloxAccess): string {
  switch (access.storedKey) {
    case "unusable":
      return "⚠️ this server's stored key can't be decrypted (the bot's ENCRYPTION_KEY changed or is missing): no Roblox rank is written for this server until an admin stores it again with /config api-key";
    case "usable":
      return "this server's own (stored encrypted)";
    case "none":
      return access.home
        ? "the bot's own credentials (this is one of the operator's home servers)"
        : "none: the bot's credentials only read public Roblox data for this server; Roblox ranks can't be changed from here until an admin adds this server's own key with /config api-key";
  }
}


/**
 * Changes one guild setting and audits the change with its value before and after: every
 * `/config` subcommand ends here, so no setting changes without an audit row.
 */
function changeSetting<K extends keyof GuildSettingsPatch>(
  deps: ConfigCommandDependencies,
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
