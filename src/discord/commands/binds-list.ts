/** `/binds list`: every role rankbridge manages and the binds it comes from (stored binds and the verified/unverified settings). */
import { renderBindList } from "../views/binds.ts";
import type { BindsCommandDependencies } from "./binds.ts";
import { requireAdmin } from "./guards.ts";
import type { CommandContext } from "./types.ts";

export async function listBinds(deps: BindsCommandDependencies, { interaction, respond }: CommandContext): Promise<void> {
  const { guildId } = await requireAdmin(interaction, deps);
  const { byRole, ranks, ownGroupId } = await deps.binds.overview(guildId);
  await respond.reply({ embeds: [renderBindList(byRole, ranks, ownGroupId)], allowed_mentions: { parse: [] } });
}
