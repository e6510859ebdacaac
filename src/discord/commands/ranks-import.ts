/**
 * `/ranks import`: the wording around LadderImportService (src/services/ladder-import.ts), which
 * reads the group's Roblox roles into the ladder and binds each to the Discord role of the same
 * name. Binds by name obey design §10 like any bind; those it may not make are reported here.
 */
import type { Repositories } from "../../db/index.ts";
import { userMessageOf } from "../../errors/user-message.ts";
import type { GuildContexts } from "../../services/guild-context.ts";
import {
  EmptyGroupError,
  ManageRolesMissingError,
  TooManyRolesError,
  type BindingWarning,
  type LadderImportResult,
  type LadderImportService,
} from "../../services/ladder-import.ts";
import type { DiscordGuilds } from "../guilds.ts";
import { describeBindDenial } from "./bind-wording.ts";
import { CommandRefusedError, requireAdmin } from "./guards.ts";
import { groupFooter, ladderEmbed } from "./list-ranks.ts";
import type { CommandContext } from "./types.ts";
import { escapeMarkdown, truncate } from "../views/markdown.ts";
import { describeRoleProblem } from "../views/role-problems.ts";

const ROLES_SETTINGS = "Server Settings → Roles";

/** What `/ranks import` uses: the admin check's reads, the import service, and the group footer's reads. */
export interface RanksImportDependencies {
  repositories: Pick<Repositories, "guilds">;
  guilds: Pick<DiscordGuilds, "guild">;
  contexts: Pick<GuildContexts, "groupIdOf">;
  ladderImport: Pick<LadderImportService, "importLadder">;
}

export async function importLadder(deps: RanksImportDependencies, { interaction, respond }: CommandContext, createMissingRoles: boolean) {
  const { guildId, actor, ownerId, adminRoleIds } = await requireAdmin(interaction, deps);
  await respond.defer();
  const imported = await deps.ladderImport.importLadder({ guildId, actor, ownerId, adminRoleIds, createMissingRoles }).catch((error: unknown) => {
    throw refusalOf(error) ?? error;
  });
  const { ladder: result, createdRoleIds: created, creationFailure, notCreated, skipped } = imported;

  const notes: string[] = [];
  notes.push(`${result.added.length} rank${plural(result.added.length)} added, ${result.removed.length} removed.`);
  if (created.length > 0) notes.push(`Created ${created.length} Discord role${plural(created.length)}: ${created.map((id) => `<@&${id}>`).join(" ")}.`);
  if (creationFailure) notes.push(creationFailureNote(creationFailure));
  if (result.removed.length > 0) {
    notes.push(`No longer in the group: ${result.removed.map((rank) => `**${escapeMarkdown(rank.name)}**`).join(", ")}. Members who held them have no stored rank until the next sync.`);
  }
  const stillUnbound = result.ladder.filter((rank) => rank.discordRoleId === null);
  if (stillUnbound.length > 0) {
    notes.push(
      `${stillUnbound.length} rank${plural(stillUnbound.length)} not bound to a Discord role. Bind with /ranks bind` +
        (createMissingRoles ? "." : ", or run /ranks import create-missing-roles:True to create them."),
    );
  }
  if (notCreated.length > 0) {
    notes.push(
      `No role created for ${notCreated.map((role) => `**${escapeMarkdown(role.name)}**`).join(", ")}: you can only bind ranks below your own. ` +
        "The server owner or an Administrator can create and bind them.",
    );
  }
  for (const skip of skipped) {
    notes.push(`Not bound by name: **${escapeMarkdown(skip.robloxRole.name)}** → <@&${skip.role.id}>: ${describeBindDenial(skip.denial, skip.role.id)}`);
  }
  if (imported.warning) notes.push(warningNote(imported.warning));

  await respond.reply({
    content: truncate(notes.join("\n"), 2_000),
    embeds: [
      ladderEmbed(
        `Imported ${result.ladder.length} rank${plural(result.ladder.length)}`,
        result.ladder,
        await groupFooter(deps, guildId),
      ),
    ],
    allowed_mentions: { parse: [] },
  });
}

/** The import's typed refusals, worded for the admin who ran it. */
function refusalOf(error: unknown): CommandRefusedError | undefined {
  if (error instanceof ManageRolesMissingError) {
    return new CommandRefusedError(
      `rankbridge needs the Manage Roles permission to create roles. Grant it to its role in ${ROLES_SETTINGS}, then run /ranks import again.`,
    );
  }
  if (error instanceof EmptyGroupError) {
    return new CommandRefusedError(`Roblox group ${error.groupId} has no roles besides Guest, so there is nothing to import.`);
  }
  if (error instanceof TooManyRolesError) {
    return new CommandRefusedError(
      `Creating ${error.toCreate} roles would pass Discord's limit of ${error.max} roles per server. Delete unused roles or bind ranks with /ranks bind.`,
    );
  }
  return undefined;
}

function creationFailureNote({ roleName, error }: NonNullable<LadderImportResult["creationFailure"]>): string {
  return `Could not create the role "${roleName}": ${userMessageOf(error) ?? (error as Error).message}. The ranks left are not bound.`;
}

/** Roles the bot cannot give yet, with the fix. */
function warningNote(warning: BindingWarning): string {
  if (warning.kind === "problem") return describeRoleProblem(warning.problem);
  const roles = warning.roleIds.map((id) => `<@&${id}>`);
  return `rankbridge can't give ${roles.join(" ")} yet: move rankbridge's role above ${roles.length === 1 ? "it" : "them"} in ${ROLES_SETTINGS}.`;
}

function plural(count: number): string {
  return count === 1 ? "" : "s";
}

