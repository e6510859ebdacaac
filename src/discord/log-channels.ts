/**
 * The guild's channels as the log-channel setting needs them: the text channels an admin may pick
 * (the dashboard's list) and the check that one is this guild's and that the bot can post there.
 * Posting is the only reliable test of the bot's access, since channel overwrites apply per role.
 */
import type { API } from "@discordjs/core";
import { DiscordAPIError } from "@discordjs/rest";
import { ChannelType, RESTJSONErrorCodes } from "discord-api-types/v10";
import type { LogChannelCheck, LogChannelProbe } from "../services/setting-changes.ts";
import { logChannelWording } from "./views/log-channel.ts";

/** Channels a log can be posted to. */
const TEXT_CHANNEL_TYPES: ReadonlySet<ChannelType> = new Set([ChannelType.GuildText, ChannelType.GuildAnnouncement]);

const positionOf = (channel: object): number => ("position" in channel && typeof channel.position === "number" ? channel.position : 0);

export interface TextChannel {
  id: string;
  name: string;
}

const POST_REFUSALS: ReadonlySet<number> = new Set([
  RESTJSONErrorCodes.MissingAccess,
  RESTJSONErrorCodes.MissingPermissions,
  RESTJSONErrorCodes.CannotSendMessagesInNonTextChannel,
]);

export class DiscordLogChannels implements LogChannelProbe {
  constructor(private readonly api: Pick<API, "channels" | "guilds">) {}

  /** The guild's text and announcement channels, in the order Discord shows them. */
  async textChannels(guildId: string): Promise<TextChannel[]> {
    const channels = await this.api.guilds.getChannels(guildId);
    return channels
      .filter((channel) => TEXT_CHANNEL_TYPES.has(channel.type))
      .sort((a, b) => positionOf(a) - positionOf(b))
      .map((channel) => ({ id: channel.id, name: channel.name ?? channel.id }));
  }

  async check(guildId: string, channelId: string, actorId: string): Promise<LogChannelCheck> {
    // A channel of another guild must never be taken for this one's, whether the bot can see it or not.
    if (!(await this.api.guilds.getChannels(guildId)).some((channel) => channel.id === channelId && TEXT_CHANNEL_TYPES.has(channel.type))) return "not-here";
    try {
      await this.api.channels.createMessage(channelId, { content: logChannelWording.notice(actorId), allowed_mentions: { parse: [] } });
      return "ok";
    } catch (error) {
      if (error instanceof DiscordAPIError && typeof error.code === "number" && POST_REFUSALS.has(error.code)) return "cannot-post";
      if (error instanceof DiscordAPIError && error.code === RESTJSONErrorCodes.UnknownChannel) return "not-here";
      throw error;
    }
  }
}
