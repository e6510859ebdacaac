/** `/binds list`: every role rankbridge manages and the binds it comes from (stored binds and the verified/unverified settings). */
import { BindSet, settingBinds } from "../../ranks/binds.ts";
import { renderBindList } from "../views/binds.ts";
import type { BindsCommandDependencies } from "./binds.ts";
import { requireAdmin } from "./guards.ts";
import type { CommandContext } from "./types.ts";

export async function listBinds(deps: BindsCommandDependencies, { interaction, respond }: CommandContext): Promise<void> {
  const { guildId } = await requireAdmin(interaction, deps);
  const settings = deps.repositories.guilds.get(guildId);
  const binds = new BindSet([
    ...deps.repositories.binds.list(guildId),
    ...settingBinds({ verifiedRoleId: settings?.verifiedRoleId ?? null, unverifiedRoleId: settings?.unverifiedRoleId ?? null }),
  ]);
  const ranks = new Map(deps.repositories.ranks.list(guildId).map((rank) => [rank.id, rank]));
  await respond.reply({
    embeds: [renderBindList(binds.byRole(), ranks, deps.contexts.groupIdOf(guildId, settings))],
    allowed_mentions: { parse: [] },
  });
}
