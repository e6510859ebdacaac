/** `/config show`: every setting of the server, its Roblox access and the binds to review. */
import type { APIEmbedField } from "discord-api-types/v10";
import { storedBindsToReview } from "../../services/bind-review.ts";
import type { RobloxAccess } from "../../services/roblox-access.ts";
import { formatDuration } from "../../sync/schedule.ts";
import { massChangeField } from "./config-mass-change.ts";
import { groupLockWording, minAccountAgeWording, nicknameWording } from "../views/gates.ts";
import { memberRoleSettingWording } from "../views/binds.ts";
import { groupLockOf, nicknameTemplateOf } from "../../sync/sync-context.ts";
import { describeBindsToReview } from "./bind-wording.ts";
import { requireAdmin } from "./guards.ts";
import { LADDER_COLOUR } from "./list-ranks.ts";
import type { CommandContext } from "./types.ts";
import { escapeMarkdown, truncate } from "../views/markdown.ts";
import type { ConfigCommandDependencies } from "./config.ts";

export async function showSettings(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext) {
  const { guildId } = await requireAdmin(interaction, deps);
  const settings = await deps.repositories.guilds.get(guildId);
  const groupId = deps.contexts.groupIdOf(guildId, settings);
  const access = await deps.contexts.accessFor(guildId, settings);
  const ranks = await deps.repositories.ranks.list(guildId);
  const rankNames = new Map(ranks.map((rank) => [rank.id, rank.name]));
  const syncIntervalMs = settings?.syncIntervalMs ?? deps.config.syncIntervalMs;
  const filter = settings?.syncRankFilter ?? null;

  const fields: APIEmbedField[] = [
    {
      name: "Roblox group",
      value: groupId ? `${groupId}${settings?.robloxGroupId ? "" : " (the bot's default)"}` : "not set: use /config group",
      inline: true },
    { name: "Roblox API key", value: credentialSummary(access), inline: true },
    { name: "Rank ladder", value: `${ranks.length} ranks, ${ranks.filter((rank) => rank.discordRoleId).length} bound to Discord roles`, inline: true },
    { name: "Admin role", value: settings?.adminRoleId ? `<@&${settings.adminRoleId}>` : "none (Manage Roles only)", inline: true },
    { name: "Log channel", value: settings?.logChannelId ? `<#${settings.logChannelId}>` : "none", inline: true },
    {
      name: "Sync interval",
      value: `${formatDuration(syncIntervalMs)}${settings?.syncIntervalMs ? "" : " (the bot's default)"}`,
      inline: true },
    groupLockWording.field(groupLockOf(settings), settings?.groupLockMode != null),
    massChangeField(settings),
    minAccountAgeWording.field(settings?.minAccountAgeDays ?? 0),
    memberRoleSettingWording.verified.field(settings?.verifiedRoleId ?? null),
    memberRoleSettingWording.unverified.field(settings?.unverifiedRoleId ?? null),
    nicknameWording.field(nicknameTemplateOf(settings)),
    {
      name: "Background sync covers",
      value: filter?.length
        ? truncate(filter.map((id) => (rankNames.has(id) ? escapeMarkdown(rankNames.get(id)!) : `removed rank #${id}`)).join(", "), 1_024)
        : "every rank" },
  ];
  const review = await storedBindsToReview(deps, guildId);
  if (review.length > 0) {
    fields.push({
      name: "⚠️ Binds to review",
      value: truncate(
        `${describeBindsToReview(review).join("\n")}\nOnly the server owner or an Administrator may bind roles like these; remove a bind with /ranks unbind if it isn't meant.`,
        1_024,
      ) });
  }
  if (settings?.syncPausedReason) fields.push({ name: "Background sync paused", value: truncate(settings.syncPausedReason, 1_024) });

  await respond.reply({
    embeds: [{ title: "rankbridge settings", color: LADDER_COLOUR, fields }],
    allowed_mentions: { parse: [] } });
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
