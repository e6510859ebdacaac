/**
 * Changing a guild's settings (`/config`): every change is stored with an audit row that keeps the
 * value before and after, so no setting changes unseen. The guild's own Roblox API key is sealed
 * before it is stored and never written to the audit log, only whether one is set.
 */
import type { SecretBox } from "../security/secrets.ts";
import type { AuditNote } from "./audit-notes.ts";
import type { AuditTrail } from "./audit-trail.ts";
import type { GuildSettings, GuildSettingsPatch, Repositories } from "./storage-port.ts";

export interface GuildSettingsPorts {
  guilds: Pick<Repositories["guilds"], "get" | "upsert">;
  secrets: Pick<SecretBox, "encrypt">;
  audit: Pick<AuditTrail, "record">;
}

export class GuildSettingsService {
  constructor(private readonly ports: GuildSettingsPorts) {}

  /**
   * Sets one setting and audits it, with a line of text or a note the views word. `fallback` is
   * what the audit shows as the old value when the guild never set it (the setting's default).
   */
  async change<K extends keyof GuildSettingsPatch>(
    guildId: string,
    actorId: string,
    key: K,
    value: GuildSettingsPatch[K],
    detail: string | AuditNote,
    fallback: GuildSettingsPatch[K] | null = null,
  ): Promise<void> {
    const before = (await this.ports.guilds.get(guildId))?.[key as keyof GuildSettings] ?? fallback;
    await this.ports.guilds.upsert(guildId, { [key]: value } as GuildSettingsPatch);
    const said = typeof detail === "string" ? { detail } : { note: detail };
    await this.ports.audit.record(guildId, { actorId, action: "config", before: { [key]: before }, after: { [key]: value }, ...said });
  }

  /** Seals and stores the guild's own API key (already checked with Roblox for `groupId`). */
  async storeApiKey(request: { guildId: string; actorId: string; apiKey: string; groupId: number; canWriteRanks: boolean }): Promise<void> {
    const { guildId, actorId, groupId } = request;
    const hadKey = Boolean((await this.ports.guilds.get(guildId))?.robloxApiKeyEncrypted);
    const sealed = await this.ports.secrets.encrypt(request.apiKey, `guild:${guildId}`);
    await this.ports.guilds.upsert(guildId, { robloxApiKeyEncrypted: sealed });
    await this.ports.audit.record(guildId, {
      actorId,
      action: "config",
      before: { robloxApiKey: hadKey ? "set" : "not set" },
      after: { robloxApiKey: "set", canWriteRanks: request.canWriteRanks },
      detail: `Roblox API key stored for group ${groupId}`,
    });
  }

  /** Forgets the guild's own API key; false when it had none. */
  async clearApiKey(guildId: string, actorId: string): Promise<boolean> {
    if (!(await this.ports.guilds.get(guildId))?.robloxApiKeyEncrypted) return false;
    await this.ports.guilds.upsert(guildId, { robloxApiKeyEncrypted: null });
    await this.ports.audit.record(guildId, {
      actorId,
      action: "config",
      before: { robloxApiKey: "set" },
      after: { robloxApiKey: "not set" },
      detail: "Roblox API key removed",
    });
    return true;
  }
}
