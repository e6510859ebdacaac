/** `/binds add-rank-role` and `/binds add-range`: every check before anything is stored, then one audited change. */
import { RobloxError } from "../../roblox/errors.ts";
import { rangeProblem, sameCondition, type BindCondition } from "../../ranks/binds.ts";
import { bindWording, describeCondition } from "../views/binds.ts";
import { requireBindableRole } from "./bind-checks.ts";
import type { BindsCommandDependencies } from "./binds.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import type { CommandOptions } from "./options.ts";
import { resolveRankOption } from "./rank-autocomplete.ts";
import { storedLadder } from "./ranks.ts";
import type { CommandContext } from "./types.ts";

export async function addRankRole(deps: BindsCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  const ladder = storedLadder(deps, guildId);
  const rank = resolveRankOption(ladder, options.string("rank"));
  const roleId = options.snowflake("role");
  if (!roleId) throw new CommandRefusedError(bindWording.pickRole);
  await requireBindableRole(deps, interaction, { guildId, roleId, actor, authority: { ownerId, adminRoleIds }, ladder, rank, what: "bind" });

  const condition: BindCondition = { kind: "rank", rankId: rank.id };
  const existing = deps.repositories.binds.list(guildId).filter((bind) => sameCondition(bind, condition));
  if (existing.some((bind) => bind.roleIds.includes(roleId))) {
    await respond.reply({ content: bindWording.alreadyRankRole(rank, roleId), allowed_mentions: { parse: [] } });
    return;
  }
  const { bind, created } = deps.repositories.binds.add(guildId, condition, [roleId]);
  const described = describeCondition(bind, new Map([[rank.id, rank]]), undefined);
  deps.audit.record(guildId, {
    actorId: actor.userId,
    action: "binds.add",
    before: null,
    after: { bindId: bind.origin.id, kind: "rank", rankId: rank.id, rank: rank.name, roleIds: bind.roleIds },
    detail: bindWording.auditAdded(described, roleId),
  });
  await respond.reply({ content: bindWording.addedRankRole(rank, roleId, !created), allowed_mentions: { parse: [] } });
}

export async function addRange(deps: BindsCommandDependencies, { interaction, respond }: CommandContext, options: CommandOptions): Promise<void> {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  const groupId = options.integer("group");
  const minRank = options.integer("min-rank");
  const maxRank = options.integer("max-rank");
  const roleId = options.snowflake("role");
  if (groupId === undefined || !Number.isSafeInteger(groupId) || groupId < 1) throw new CommandRefusedError(bindWording.badGroupId);
  if (minRank === undefined || maxRank === undefined) throw new CommandRefusedError(bindWording.rangeNotInteger);
  const problem = rangeProblem(minRank, maxRank);
  if (problem === "not-integer") throw new CommandRefusedError(bindWording.rangeNotInteger);
  if (problem === "out-of-range") throw new CommandRefusedError(bindWording.rangeOutOfBounds);
  if (problem === "min-above-max") throw new CommandRefusedError(bindWording.rangeReversed(minRank, maxRank));
  if (!roleId) throw new CommandRefusedError(bindWording.pickRole);

  const settings = deps.repositories.guilds.get(guildId);
  const ownGroupId = deps.contexts.groupIdOf(guildId, settings);
  const ladder = storedLadder(deps, guildId);
  // A range in the guild's own group gives a rank's worth of roles: it obeys the rank ceiling at its top.
  const rank = groupId === ownGroupId ? { robloxRank: maxRank } : undefined;
  await requireBindableRole(deps, interaction, { guildId, roleId, actor, authority: { ownerId, adminRoleIds }, ladder, rank, what: "bind" });
  await respond.defer();
  await requireRobloxGroup(deps, guildId, groupId);

  const condition: BindCondition = { kind: "range", groupId, minRank, maxRank };
  const described = describeCondition({ ...condition, origin: { kind: "stored", id: 0, rankRole: false }, roleIds: [roleId] }, new Map(), ownGroupId);
  if (deps.repositories.binds.list(guildId).some((bind) => sameCondition(bind, condition) && bind.roleIds.includes(roleId))) {
    await respond.reply({ content: bindWording.alreadyRange(described, roleId), allowed_mentions: { parse: [] } });
    return;
  }
  const { bind } = deps.repositories.binds.add(guildId, condition, [roleId]);
  deps.audit.record(guildId, {
    actorId: actor.userId,
    action: "binds.add",
    before: null,
    after: { bindId: bind.origin.id, kind: "range", groupId, minRank, maxRank, roleIds: bind.roleIds },
    detail: bindWording.auditAdded(described, roleId),
  });
  await respond.reply({ content: bindWording.addedRange(described, roleId), allowed_mentions: { parse: [] } });
}

/** The group must exist on Roblox (and be readable with the guild's credentials): a typo binds nothing. */
async function requireRobloxGroup(deps: BindsCommandDependencies, guildId: string, groupId: number): Promise<void> {
  const access = await deps.contexts.accessFor(guildId, deps.repositories.guilds.get(guildId));
  try {
    await access.read.getGroup(groupId);
  } catch (error) {
    if (error instanceof RobloxError && error.kind === "group_not_found") throw new CommandRefusedError(bindWording.unknownGroup(groupId));
    if (error instanceof RobloxError && error.kind === "missing_permission") throw new CommandRefusedError(bindWording.unreadableGroup(groupId));
    throw error;
  }
}
