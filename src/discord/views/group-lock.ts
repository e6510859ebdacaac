/** The DM a member gets before the group lock removes them from a server: why, and how to come back. */
import { robloxGroupUrl } from "../../services/linking.ts";
import type { GroupLockDm } from "../../services/group-lock.ts";
import { escapeMarkdown } from "./markdown.ts";

export function renderGroupLockDm(dm: GroupLockDm): string {
  return (
    `You are being removed from **${escapeMarkdown(dm.guildName)}**: the server only keeps members whose linked Roblox account ` +
    `(**${escapeMarkdown(dm.robloxUsername)}**) is in its Roblox group, and it isn't any more.\n` +
    `To come back: rejoin the group at ${robloxGroupUrl(dm.groupId)}, then rejoin the server with an invite link.`
  );
}
