/** Posts audit entries to a guild's log channel (the AuditTrail's port, over Discord's REST API). */
import type { API } from "@discordjs/core";
import type { AuditLogChannel, AuditPost } from "../services/audit-trail.ts";
import { auditEntryMessage } from "./views/audit-entry.ts";

export class DiscordAuditLogChannel implements AuditLogChannel {
  constructor(private readonly api: API) {}

  async post(channelId: string, entry: AuditPost): Promise<void> {
    await this.api.channels.createMessage(channelId, auditEntryMessage(entry));
  }
}
