/** The Discord side of `/ranks import` (LadderImportDiscord): the bot's standing and creating a rank role. */
import type { API } from "@discordjs/core";
import type { LadderImportDiscord } from "../services/ladder-import.ts";
import { type DiscordGuilds, toGuildRole } from "./guilds.ts";
import { permissionBits } from "./commands/permissions.ts";
import { asRole } from "./schemas.ts";

export function discordLadderImport(api: API, guilds: DiscordGuilds): LadderImportDiscord {
  return {
    botStanding: (guildId) => guilds.botStanding(guildId),
    async createRankRole(guildId, name) {
      // No permissions: a rank role only marks the rank; granting anything is the server's choice.
      const created = await api.guilds.createRole(
        guildId,
        { name, permissions: permissionBits(0n), mentionable: false, hoist: false },
        { reason: "rankbridge: /ranks import create-missing-roles" },
      );
      const role = asRole(`POST /guilds/${guildId}/roles`, created);
      guilds.rememberRole(guildId, role);
      return toGuildRole(role);
    },
  };
}
