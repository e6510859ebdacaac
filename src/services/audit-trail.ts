import type { API } from "@discordjs/core";
import type { Repositories } from "../db/index.ts";
import type { AuditInput } from "../db/repositories/audit.ts";
import type { Logger } from "../observability/logger.ts";

const OUTCOME_COLOURS = { ok: 0x2ecc71, partial: 0xf1c40f, failed: 0xe74c3c } as const;

/**
 * Every action is written to the audit log; guilds with a log channel also get it as an embed.
 * The row is the record: a log channel that cannot be posted to never loses or blocks it.
 */
export class AuditTrail {
  constructor(
    private readonly repositories: Repositories,
    private readonly api: API,
    private readonly logger: Logger,
  ) {}

  record(guildId: string, entry: AuditInput & { summary?: string }): number {
    const { summary, ...row } = entry;
    const id = this.repositories.audit.append(guildId, row);
    const channelId = this.repositories.guilds.get(guildId)?.logChannelId;
    if (channelId) void this.#post(channelId, guildId, entry, summary);
    return id;
  }

  async #post(channelId: string, guildId: string, entry: AuditInput, summary: string | undefined): Promise<void> {
    const outcome = entry.outcome ?? "ok";
    try {
      await this.api.channels.createMessage(channelId, {
        allowed_mentions: { parse: [] },
        embeds: [
          {
            title: entry.action,
            description: summary ?? entry.detail ?? undefined,
            color: OUTCOME_COLOURS[outcome],
            fields: [
              { name: "By", value: entry.actorId === "system" ? "rankbridge" : `<@${entry.actorId}>`, inline: true },
              ...(entry.targetDiscordId ? [{ name: "Member", value: `<@${entry.targetDiscordId}>`, inline: true }] : []),
              { name: "Outcome", value: outcome, inline: true },
              ...(entry.reason ? [{ name: "Reason", value: entry.reason.slice(0, 1024) }] : []),
            ],
            timestamp: new Date().toISOString(),
          },
        ],
      });
    } catch (error) {
      this.logger.warn({ err: error, guildId, channelId }, "could not post to the audit log channel");
    }
  }
}
