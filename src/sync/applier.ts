/**
 * Applies one planned member change to Discord: one PATCH with the member's full role set, built
 * from their roles as they are now (so roles someone else gave meanwhile are kept), after the role
 * hierarchy says the request can succeed. A request that must fail is never sent: every 403 counts
 * toward Discord's 10,000-invalid-requests-per-10-minutes ban.
 */
import { DiscordAPIError } from "@discordjs/rest";
import { RESTJSONErrorCodes } from "discord-api-types/v10";
import type { DiscordGuilds } from "../discord/guilds.ts";
import type { RoleHierarchy, RoleProblem } from "../ranks/hierarchy.ts";
import type { RequestPacer } from "./pacer.ts";

/** What the plan wants changed for one member; the rest of their roles is theirs. */
export interface PlannedRoleChange {
  readonly discordId: string;
  readonly addRoleIds: readonly string[];
  readonly removeRoleIds: readonly string[];
}

export type ApplyOutcome =
  /** The PATCH went through; `roleIds` is the member's role set now. */
  | { readonly kind: "updated"; readonly roleIds: readonly string[] }
  /** The member already holds exactly what the plan wants (e.g. applied before a restart): nothing sent. */
  | { readonly kind: "already-applied" }
  /** The bot may not touch one of the roles: reported, not attempted. */
  | { readonly kind: "not-attempted"; readonly problems: readonly RoleProblem[] }
  /** Not in the guild (left before or during the run; Discord 10007): nothing to do. */
  | { readonly kind: "left-guild" }
  /** Discord refused for lack of permissions (403) although the pre-check passed. */
  | { readonly kind: "forbidden"; readonly message: string }
  | { readonly kind: "failed"; readonly message: string };

/** The member's roles minus those to remove plus those to add, order kept; null when nothing changes. */
export function nextRoleSet(current: readonly string[], change: Omit<PlannedRoleChange, "discordId">): string[] | null {
  const toAdd = change.addRoleIds.filter((roleId) => !current.includes(roleId));
  const toRemove = change.removeRoleIds.filter((roleId) => current.includes(roleId));
  if (toAdd.length === 0 && toRemove.length === 0) return null;
  const next = current.filter((roleId, index) => !toRemove.includes(roleId) && current.indexOf(roleId) === index);
  for (const roleId of toAdd) if (!next.includes(roleId)) next.push(roleId);
  return next;
}

export interface RoleApplierOptions {
  guilds: DiscordGuilds;
  /** Asked before every request; a run's is followed live (live-hierarchy.ts). */
  hierarchy: Pick<RoleHierarchy, "check">;
  /** Shared by every sync of the process, so they stay below the global limit together. */
  pacer: RequestPacer;
  /** Shown in the guild's audit log. */
  auditReason: string;
}

export class RoleApplier {
  /** Role requests sent (accepted or not). */
  requestsSent = 0;

  constructor(private readonly options: RoleApplierOptions) {}

  async apply(guildId: string, change: PlannedRoleChange, currentRoleIds: readonly string[] | undefined): Promise<ApplyOutcome> {
    if (currentRoleIds === undefined) return { kind: "left-guild" };
    const next = nextRoleSet(currentRoleIds, change);
    if (next === null) return { kind: "already-applied" };

    // Only the roles that really change must be manageable; the member's other roles are sent back unchanged.
    const check = this.options.hierarchy.check({
      addRoleIds: next.filter((roleId) => !currentRoleIds.includes(roleId)),
      removeRoleIds: currentRoleIds.filter((roleId) => !next.includes(roleId)),
    });
    if (!check.ok) return { kind: "not-attempted", problems: check.problems };

    await this.options.pacer.acquire();
    this.requestsSent++;
    try {
      await this.options.guilds.setMemberRoles(guildId, change.discordId, next, this.options.auditReason);
      return { kind: "updated", roleIds: next };
    } catch (error) {
      return outcomeOfError(error);
    }
  }
}

function outcomeOfError(error: unknown): ApplyOutcome {
  if (error instanceof DiscordAPIError) {
    if (error.code === RESTJSONErrorCodes.UnknownMember || error.code === RESTJSONErrorCodes.UnknownUser) return { kind: "left-guild" };
    if (error.status === 403) return { kind: "forbidden", message: `${error.message} (${error.code})` };
    return { kind: "failed", message: `${error.message} (${error.code})` };
  }
  return { kind: "failed", message: error instanceof Error ? error.message : String(error) };
}
