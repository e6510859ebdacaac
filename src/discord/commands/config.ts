/** `/config`: the definition of its subcommands and which handler answers each. */
import { ApplicationCommandOptionType, ChannelType } from "discord-api-types/v10";
import { LEFT_GROUP_POLICIES } from "../../db/schema.ts";
import { API_KEY_ACTION, askForApiKey, clearApiKey, storeApiKey } from "./config-api-key.ts";
import { MASS_CHANGE_SUBCOMMAND, massChangeSubcommand, setMassChangeThreshold } from "./config-mass-change.ts";
import { MIN_ACCOUNT_AGE_SUBCOMMAND, minAccountAgeSubcommand, setMinAccountAge } from "./config-account-age.ts";
import { GROUP_LOCK_SUBCOMMAND, groupLockSubcommand, setGroupLock } from "./config-group-lock.ts";
import { NICKNAME_SUBCOMMAND, nicknameSubcommand, setNicknameTemplate } from "./config-nickname.ts";
import type { SecretBox } from "../../security/secrets.ts";
import type { BindService } from "../../services/binds.ts";
import type { SettingChanges } from "../../services/setting-changes.ts";
import type { GuildSettingsService } from "../../services/guild-settings.ts";
import type { DiscordGuilds } from "../guilds.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import type { AdminCheckDependencies, DefaultSyncPeriod, SomeRepositories } from "./dependencies.ts";
import type { BindCheckDependencies } from "./bind-checks.ts";
import {
  setMemberRoleSetting,
  UNVERIFIED_ROLE_SUBCOMMAND,
  unverifiedRoleSubcommand,
  VERIFIED_ROLE_SUBCOMMAND,
  verifiedRoleSubcommand,
} from "./config-member-roles.ts";
import { CommandRefusedError } from "./guards.ts";
import { CommandOptions } from "./options.ts";
import { MANAGE_ROLES_PERMISSION } from "./permissions.ts";
import type { SlashCommand } from "./types.ts";
import { showSettings } from "./config-show.ts";
import { setAdminRole, setGroup, setLeftGroupPolicy, setLogChannel, setSyncInterval, setSyncRanks } from "./config-settings.ts";

/** `/config`'s subcommands: the guild's settings, its Roblox access and API key, all audited. */
export type ConfigCommandDependencies = AdminCheckDependencies &
  BindCheckDependencies &
  DefaultSyncPeriod & {
    repositories: SomeRepositories<"guilds" | "ranks">;
    contexts: Pick<GuildContexts, "groupIdOf" | "isHome" | "accessFor" | "checkApiKey">;
    secrets: Pick<SecretBox, "available">;
    settings: Pick<GuildSettingsService, "change" | "storeApiKey" | "clearApiKey">;
    /** The settings the dashboard changes too: validated and audited alike on both surfaces. */
    settingChanges: Pick<SettingChanges, "memberRole" | "nicknameTemplate" | "groupLock" | "minAccountAge" | "syncInterval" | "logChannel">;
    binds: Pick<BindService, "roleRefusal">;
    /** Whether the bot holds Kick Members / Manage Nicknames, for the group lock's and nickname's warnings. */
    guilds: Pick<DiscordGuilds, "botStanding">;
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
              min_value: 1 },
          ] },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "admin-role",
          description: "Set the role whose members may use admin commands besides Manage Roles holders",
          options: [
            { type: ApplicationCommandOptionType.Role, name: "role", description: "The admin role; leave empty to remove it" },
          ] },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "log-channel",
          description: "Set the channel where every rank change is logged",
          options: [
            {
              type: ApplicationCommandOptionType.Channel,
              name: "channel",
              description: "The log channel; leave empty to stop logging to a channel",
              channel_types: [ChannelType.GuildText, ChannelType.GuildAnnouncement] },
          ] },
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
              max_length: 20 },
          ] },
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
              choices: LEFT_GROUP_POLICIES.map((policy) => ({ name: policy, value: policy })) },
          ] },
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
              max_length: 1_000 },
          ] },
        massChangeSubcommand,
        minAccountAgeSubcommand,
        verifiedRoleSubcommand,
        unverifiedRoleSubcommand,
        nicknameSubcommand,
        groupLockSubcommand,
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "api-key",
          description: "Store this server's own Roblox Open Cloud API key (asked in a private form)" },
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "api-key-clear",
          description: "Forget this server's Roblox API key and use the bot's own credentials" },
      ] },
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
          return setMassChangeThreshold(deps, context, options);
        case MIN_ACCOUNT_AGE_SUBCOMMAND:
          return setMinAccountAge(deps, context, options);
        case VERIFIED_ROLE_SUBCOMMAND:
          return setMemberRoleSetting(deps, context, options, "verified");
        case UNVERIFIED_ROLE_SUBCOMMAND:
          return setMemberRoleSetting(deps, context, options, "unverified");
        case NICKNAME_SUBCOMMAND:
          return setNicknameTemplate(deps, context, options);
        case GROUP_LOCK_SUBCOMMAND:
          return setGroupLock(deps, context, options);
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
    } };
}
