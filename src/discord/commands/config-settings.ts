
import { LEFT_GROUP_POLICIES, type LeftGroupPolicy } from "../../db/schema.ts";
import { DiscordPermission, hasPermission } from "../../ranks/hierarchy.ts";
import { AmbiguousRankError, UnknownRankError } from "../../ranks/ladder.ts";
import { RobloxError } from "../../roblox/errors.ts";
import type { RobloxAccess } from "../../services/roblox-access.ts";
import { formatDuration, } from "../../sync/schedule.ts";
import { describeWriteRefusal } from "./roblox-write-refusal.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import { storedLadder } from "./ranks.ts";
import type { CommandContext } from "./types.ts";
import { escapeMarkdown, truncate } from "../views/markdown.ts";
import type { ConfigCommandDependencies } from "./config.ts";
import { describeLadderError } from "../views/rank-rules.ts";
import { logChannelWording } from "../views/log-channel.ts";

const ALL_RANKS_WORDS = new Set(["all", "*", "every", "none"]);

export const LEFT_GROUP_EXPLANATIONS: Record<LeftGroupPolicy, string> = {
  remove: "members who leave the Roblox group lose their rank roles at the next sync",
  flag: "members who leave the Roblox group keep their roles and are reported by sync" };

export async function setGroup(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const groupId = options.integer("group-id");
  if (groupId === undefined || !Number.isSafeInteger(groupId) || groupId < 1) {
    throw new CommandRefusedError("The group id is the whole number in the group's address: roblox.com/communities/<id>/...");
  }
  await respond.defer();
  const settings = await deps.repositories.guilds.get(guildId);
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

  const previousGroupId = deps.contexts.groupIdOf(guildId, settings);
  await deps.settings.change(guildId, actor.userId, "robloxGroupId", groupId, `Roblox group set to ${groupId} (${groupName})`);

  const ladderSize = (await deps.repositories.ranks.list(guildId)).length;
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

export async function setAdminRole(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor, ownerId } = await requireAdmin(interaction, deps);
  // Holders of the admin role alone may not pass admin rights on to another role.
  if (actor.userId !== ownerId && !hasPermission(actor.permissions, DiscordPermission.ManageRoles)) {
    throw new CommandRefusedError("Only members with the Manage Roles permission can change the admin role.");
  }
  const roleId = options.snowflake("role") ?? null;
  if (roleId === guildId) throw new CommandRefusedError("@everyone can't be the admin role: it would make every member an admin.");
  await deps.settings.change(guildId, actor.userId, "adminRoleId", roleId, roleId ? `Admin role set to ${roleId}` : "Admin role removed");
  await respond.reply({
    content: roleId
      ? `Members with <@&${roleId}> can now use rankbridge's admin commands (as can Manage Roles holders).`
      : "Admin role removed: only members with Manage Roles can use rankbridge's admin commands.",
    allowed_mentions: { parse: [] } });
}

export async function setLogChannel(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const channelId = options.snowflake("channel") ?? null;
  // Discord resolves a channel option only to a channel of this server: anything else names nothing here.
  if (channelId && !interaction.data.resolved?.channels?.[channelId]) throw new CommandRefusedError(logChannelWording.notHere);
  const outcome = await deps.settingChanges.logChannel(guildId, actor.userId, channelId);
  if (outcome.kind === "not-a-channel-here") throw new CommandRefusedError(logChannelWording.notHere);
  if (outcome.kind === "cannot-post") throw new CommandRefusedError(logChannelWording.cannotPost(outcome.channelId));
  await respond.reply({ content: channelId ? logChannelWording.set(channelId) : logChannelWording.unset });
}

export async function setSyncInterval(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const outcome = await deps.settingChanges.syncInterval(guildId, actor.userId, options.string("duration") ?? "");
  if (outcome.kind === "invalid") throw new CommandRefusedError(outcome.error.message);
  const { intervalMs } = outcome;
  await respond.reply({
    content:
      intervalMs === null
        ? `The background sync uses the bot's default period again (${formatDuration(deps.config.syncIntervalMs)}).`
        : `The background sync now runs every ${formatDuration(intervalMs)} (give or take 10%).` });
}

export async function setLeftGroupPolicy(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const policy = options.string("policy");
  if (!isLeftGroupPolicy(policy)) throw new CommandRefusedError(`The policy must be one of: ${LEFT_GROUP_POLICIES.join(", ")}.`);
  await deps.settings.change(guildId, actor.userId, "leftGroupPolicy", policy, `Left-group policy set to ${policy}`, "remove");
  // The older name of the group lock: a mode chosen with /config group-lock would otherwise outrank it.
  if ((await deps.repositories.guilds.get(guildId))?.groupLockMode != null) {
    await deps.settings.change(guildId, actor.userId, "groupLockMode", null, "Group lock follows the left-group policy again");
  }
  await respond.reply({ content: `Policy set to **${policy}**: ${LEFT_GROUP_EXPLANATIONS[policy]}.` });
}

function isLeftGroupPolicy(value: string | undefined): value is LeftGroupPolicy {
  return (LEFT_GROUP_POLICIES as readonly string[]).includes(value ?? "");
}

export async function setSyncRanks(deps: ConfigCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions) {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const input = (options.string("ranks") ?? "").trim();
  let rankIds: number[] | null = null;
  let names: string[] = [];
  if (!ALL_RANKS_WORDS.has(input.toLowerCase()) && input !== "") {
    const ladder = await storedLadder(deps, guildId);
    if (ladder.isEmpty) throw new CommandRefusedError("No ranks are set up yet. Run /ranks import first.");
    const problems: string[] = [];
    const chosen = new Map<number, string>();
    for (const part of input.split(",").map((text) => text.trim()).filter(Boolean)) {
      try {
        const rank = ladder.resolveName(part);
        chosen.set(rank.id, rank.name);
      } catch (error) {
        if (error instanceof UnknownRankError || error instanceof AmbiguousRankError) problems.push(describeLadderError(error) ?? error.message);
        else throw error;
      }
    }
    if (problems.length > 0) throw new CommandRefusedError(truncate(`${problems.join("\n")}\nRun /list-ranks to see the ranks.`, 1_900));
    rankIds = [...chosen.keys()];
    names = [...chosen.values()];
  }
  const detail = rankIds ? `Background sync limited to ${names.join(", ")}` : "Background sync covers every rank";
  await deps.settings.change(guildId, actor.userId, "syncRankFilter", rankIds, detail);
  await respond.reply({
    content: truncate(
      rankIds ? `The background sync now covers only: ${names.map((name) => `**${escapeMarkdown(name)}**`).join(", ")}.` : "The background sync covers every rank.",
      2_000,
    ) });
}
