import type { Permissions } from "discord-api-types/v10";
import { DiscordPermission } from "../../ranks/hierarchy.ts";

/**
 * A permission bit set for a request body. Discord takes a decimal string or a number, but its
 * OpenAPI document, which the tests validate every request against, types these fields as
 * integers; the bits used here are far below 2^53, so the number is exact.
 */
export function permissionBits(bits: bigint): Permissions {
  return Number(bits) as unknown as Permissions;
}

/** Admin commands are hidden from members without Manage Roles until a server admin says otherwise. */
export const MANAGE_ROLES_PERMISSION = permissionBits(DiscordPermission.ManageRoles);

/** Commands of this bot only make sense inside a server (interaction context 0: guild). */
export const GUILD_ONLY = [0] as const;
