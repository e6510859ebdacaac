/** `/binds remove bind:<autocomplete>`: removes one stored bind of this guild (the bind service audits it). */
import type { APIApplicationCommandOptionChoice } from "discord-api-types/v10";
import { bindChoiceLabel, bindWording, describeCondition } from "../views/binds.ts";
import type { BindsCommandDependencies } from "./binds.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import type { CommandContext } from "./types.ts";

/** Discord's limit for autocomplete answers. */
const MAX_CHOICES = 25;

/** Stored binds whose label contains what was typed; the value is the bind's id. */
export async function bindChoices(deps: BindsCommandDependencies, guildId: string, typed: string): Promise<APIApplicationCommandOptionChoice<string>[]> {
  const { ranks, ownGroupId } = await deps.binds.overview(guildId);
  const roleNames = new Map([...(await deps.guilds.guild(guildId)).roles.values()].map((role) => [role.id, role.name]));
  const query = typed.trim().toLowerCase();
  return (await deps.binds
    .stored(guildId))
    .map((bind) => ({ name: bindChoiceLabel(bind, ranks, ownGroupId, roleNames), value: String(bind.origin.id) }))
    .filter((choice) => query === "" || choice.name.toLowerCase().includes(query))
    .slice(0, MAX_CHOICES);
}

export async function removeBind(deps: BindsCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  const typed = (options.string("bind") ?? "").trim();
  if (typed === "") throw new CommandRefusedError(bindWording.pickBind);
  // A picked choice is the id; a value typed past autocomplete may be "#12".
  const id = /^#?(\d{1,15})$/.exec(typed)?.[1];
  const { ranks, ownGroupId } = await deps.binds.overview(guildId);
  const outcome = id === undefined ? ({ kind: "unknown" } as const) : await deps.binds.remove({ guildId, actor, authority: { ownerId, adminRoleIds } }, Number(id));
  if (outcome.kind === "unknown") throw new CommandRefusedError(bindWording.unknownBind(typed));
  const { bind } = outcome;
  await respond.reply({ content: bindWording.removed(describeCondition(bind, ranks, ownGroupId), bind.roleIds), allowed_mentions: { parse: [] } });
}
