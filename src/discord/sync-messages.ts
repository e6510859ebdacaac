/** The sync's reports over Discord's REST API, with its refusals classified (the sync's SyncMessages port). */
import type { API } from "@discordjs/core";
import { DiscordAPIError } from "@discordjs/rest";
import { MessageFlags, type APIAllowedMentions } from "discord-api-types/v10";
import type { Delivery, SyncMessage, SyncMessages } from "../sync/sync-messages.ts";

const NO_MENTIONS: APIAllowedMentions = { parse: [] };

export class DiscordSyncMessages implements SyncMessages {
  constructor(private readonly api: API) {}

  async editReply(target: { applicationId: string; token: string }, message: SyncMessage): Promise<Delivery> {
    try {
      await this.api.interactions.editReply(target.applicationId, target.token, {
        content: message.content,
        allowed_mentions: NO_MENTIONS,
        ...(message.components ? { components: message.components } : {}),
      });
      return { ok: true };
    } catch (error) {
      // 401/404: the token is no longer valid (expired early, or the reply was dismissed).
      return { ok: false, gone: error instanceof DiscordAPIError && (error.status === 401 || error.status === 404), error };
    }
  }

  async postInChannel(channelId: string, message: SyncMessage & { suppressEmbeds?: boolean }): Promise<Delivery> {
    try {
      await this.api.channels.createMessage(channelId, {
        content: message.content,
        allowed_mentions: NO_MENTIONS,
        ...(message.suppressEmbeds ? { flags: MessageFlags.SuppressEmbeds } : {}),
        ...(message.components ? { components: message.components } : {}),
      });
      return { ok: true };
    } catch (error) {
      return { ok: false, gone: error instanceof DiscordAPIError && (error.status === 403 || error.status === 404), error };
    }
  }
}
