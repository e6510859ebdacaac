/** `/binds add-rank-role` and `/binds add-range`: the bind service checks and stores; this words the outcome. */
import type { AddBindOutcome } from "../../services/binds.ts";
import { bindWording, describeCondition, rangeWording } from "../views/binds.ts";
import { rememberResolvedRole, wordRoleRefusal } from "./bind-checks.ts";
import type { BindsCommandDependencies } from "./binds.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import { resolveRankOption } from "./rank-autocomplete.ts";
import { storedLadder } from "./ranks.ts";
import type { CommandContext } from "./types.ts";

export async function addRankRole(deps: BindsCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  const rank = resolveRankOption(await storedLadder(deps, guildId), options.string("rank"));
  const roleId = options.snowflake("role");
  if (!roleId) throw new CommandRefusedError(bindWording.pickRole);
  await rememberResolvedRole(deps, interaction, guildId, roleId);
  const outcome = await deps.binds.addRankRole({ guildId, actor, authority: { ownerId, adminRoleIds } }, rank, roleId);
  const content = await wordAddOutcome(outcome, interaction, {
    added: (merged) => bindWording.addedRankRole(rank, roleId, merged),
    already: () => bindWording.alreadyRankRole(rank, roleId),
  });
  await respond.reply({ content, allowed_mentions: { parse: [] } });
}

export async function addRange(deps: BindsCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  const groupId = options.integer("group");
  const minRank = options.integer("min-rank");
  const maxRank = options.integer("max-rank");
  const roleId = options.snowflake("role");
  if (groupId === undefined) throw new CommandRefusedError(bindWording.badGroupId);
  if (minRank === undefined || maxRank === undefined) throw new CommandRefusedError(bindWording.rangeNotInteger);
  if (!roleId) throw new CommandRefusedError(bindWording.pickRole);
  await rememberResolvedRole(deps, interaction, guildId, roleId);
  // Asking Roblox whether the group exists may take a moment.
  await respond.defer();
  const outcome = await deps.binds.addRange({ guildId, actor, authority: { ownerId, adminRoleIds } }, { groupId, minRank, maxRank }, roleId);
  const described = async () => {
    const overview = await deps.binds.overview(guildId);
    return describeCondition({ kind: "range", groupId, minRank, maxRank, origin: { kind: "stored", id: 0, rankRole: false }, roleIds: [roleId] }, overview.ranks, overview.ownGroupId);
  };
  const content = await wordAddOutcome(outcome, interaction, {
    added: async () => bindWording.addedRange(await described(), roleId),
    already: async () => bindWording.alreadyRange(await described(), roleId),
  });
  await respond.reply({ content, allowed_mentions: { parse: [] } });
}

/** The reply for an added or existing bind; every refusal as a CommandRefusedError (nothing was stored). */
async function wordAddOutcome(
  outcome: AddBindOutcome,
  interaction: CommandContext["interaction"],
  words: { added(merged: boolean): string | Promise<string>; already(): string | Promise<string> },
): Promise<string> {
  switch (outcome.kind) {
    case "added":
      return await words.added(outcome.merged);
    case "already":
      return await words.already();
    case "role-refused":
      throw new CommandRefusedError(wordRoleRefusal(outcome.refusal, interaction, outcome.roleId, "bind"));
    case "bad-range":
      throw new CommandRefusedError(rangeWording(outcome.problem, outcome.minRank, outcome.maxRank));
    case "bad-group-id":
      throw new CommandRefusedError(bindWording.badGroupId);
    case "unknown-group":
      throw new CommandRefusedError(bindWording.unknownGroup(outcome.groupId));
    case "unreadable-group":
      throw new CommandRefusedError(bindWording.unreadableGroup(outcome.groupId));
  }
}
