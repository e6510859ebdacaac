import type { AuditInput, Repositories } from "./storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import type { AuditNote } from "./audit-notes.ts";

/** One audit entry: the row, with what happened as a typed note (the views word it). */
export type AuditPost = Omit<AuditInput, "note"> & { note?: AuditNote };

/** Where a guild's audit log channel is posted to (the Discord adapter renders and sends it). */
export interface AuditLogChannel {
  post(channelId: string, entry: AuditPost): Promise<void>;
}

/**
 * Every action is written to the audit log; guilds with a log channel also get it posted there.
 * The row is the record: a log channel that cannot be posted to never loses or blocks it.
 */
export class AuditTrail {
  constructor(
    private readonly repositories: Repositories,
    private readonly channel: AuditLogChannel,
    private readonly logger: Logger,
  ) {}

  async record(guildId: string, entry: AuditPost): Promise<number> {
    const id = await this.repositories.audit.append(guildId, entry);
    const channelId = (await this.repositories.guilds.get(guildId))?.logChannelId;
    if (channelId) void this.#post(channelId, guildId, entry);
    return id;
  }

  async #post(channelId: string, guildId: string, entry: AuditPost): Promise<void> {
    try {
      await this.channel.post(channelId, entry);
    } catch (error) {
      this.logger.warn({ err: error, guildId, channelId }, "could not post to the audit log channel");
    }
  }
}
