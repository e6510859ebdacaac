/** `/binds remove bind:<autocomplete>`: removes one stored bind of this guild, audited. */
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
  const settings = deps.repositories.guilds.get(guildId);
  const ownGroupId = deps.contexts.groupIdOf(guildId, settings);
  const ranks = new Map(deps.repositories.ranks.list(guildId).map((rank) => [rank.id, rank]));
  const roleNames = new Map([...(await deps.guilds.guild(guildId)).roles.values()].map((role) => [role.id, role.name]));
  const query = typed.trim().toLowerCase();
  return deps.repositories.binds
    .list(guildId)
    .map((bind) => ({ name: bindChoiceLabel(bind, ranks, ownGroupId, roleNames), value: String(bind.origin.id) }))
    .filter((choice) => query === "" || choice.name.toLowerCase().includes(query))
    .slice(0, MAX_CHOICES);
}

export async function removeBind(deps: BindsCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor } = await requireAdmin(interaction, deps);
  const typed = (options.string("bind") ?? "").trim();
  if (typed === "") throw new CommandRefusedError(bindWording.pickBind);
  // A picked choice is the id; a value typed past autocomplete may be "#12".
  const id = /^#?(\d{1,15})$/.exec(typed)?.[1];
  const bind = id === undefined ? undefined : deps.repositories.binds.get(guildId, Number(id));
  if (!bind) throw new CommandRefusedError(bindWording.unknownBind(typed));

  const settings = deps.repositories.guilds.get(guildId);
  const ranks = new Map(deps.repositories.ranks.list(guildId).map((rank) => [rank.id, rank]));
  const described = describeCondition(bind, ranks, deps.contexts.groupIdOf(guildId, settings));
  deps.repositories.binds.remove(guildId, bind.origin.id);
  deps.audit.record(guildId, {
    actorId: actor.userId,
    action: "binds.remove",
    before: { bindId: bind.origin.id, kind: bind.kind, ...conditionFields(bind), roleIds: bind.roleIds, rankRole: bind.origin.rankRole },
    after: null,
    detail: bindWording.auditRemoved(described, bind.roleIds),
  });
  await respond.reply({ content: bindWording.removed(described, bind.roleIds), allowed_mentions: { parse: [] } });
}

function conditionFields(bind: Parameters<typeof describeCondition>[0]) {
  switch (bind.kind) {
    case "rank":
      return { rankId: bind.rankId };
    case "range":
      return { groupId: bind.groupId, minRank: bind.minRank, maxRank: bind.maxRank };
    default:
      return {};
  }
}
