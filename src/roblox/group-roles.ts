/**
 * A group's roles as the client reuses them for rank lookups: listed from Roblox, kept for a while,
 * and listed again when a member holds a role the kept list does not know (roles were added since).
 */
import { RobloxRoleNotFoundError } from "./errors.ts";
import type { RequestTally } from "./transport.ts";
import type { GroupRole } from "./types.ts";

export class GroupRoleCache {
  readonly #byGroup = new Map<number, { roles: GroupRole[]; fetchedAt: number }>();

  constructor(
    private readonly listFromRoblox: (groupId: number, tally?: RequestTally) => Promise<GroupRole[]>,
    private readonly ttlMs: number,
  ) {}

  /** Every role of the group, lowest rank first (Guest included). Always asks Roblox. */
  async list(groupId: number, tally?: RequestTally): Promise<GroupRole[]> {
    const roles = await this.listFromRoblox(groupId, tally);
    this.#byGroup.set(groupId, { roles, fetchedAt: Date.now() });
    return roles;
  }

  /** The kept roles while fresh, else a new list. */
  async kept(groupId: number, tally?: RequestTally): Promise<GroupRole[]> {
    return (await this.#kept(groupId, tally)).roles;
  }

  /** The kept roles, listed again once when some role id is unknown (roles were added since). */
  async covering(groupId: number, roleIds: number[], tally?: RequestTally): Promise<GroupRole[]> {
    const { roles, fresh } = await this.#kept(groupId, tally);
    const known = new Set(roles.map((role) => role.id));
    if (fresh || roleIds.every((id) => known.has(id))) return roles;
    return this.list(groupId, tally);
  }

  async find(groupId: number, roleId: number, tally?: RequestTally): Promise<GroupRole> {
    const role = (await this.covering(groupId, [roleId], tally)).find((candidate) => candidate.id === roleId);
    if (!role) throw new RobloxRoleNotFoundError(`role ${roleId} does not exist in group ${groupId}`);
    return role;
  }

  async #kept(groupId: number, tally?: RequestTally): Promise<{ roles: GroupRole[]; fresh: boolean }> {
    const cached = this.#byGroup.get(groupId);
    if (cached && Date.now() - cached.fetchedAt < this.ttlMs) return { roles: cached.roles, fresh: false };
    return { roles: await this.list(groupId, tally), fresh: true };
  }
}
