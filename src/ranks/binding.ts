/**
 * Binding a ladder to Discord roles by name, as `/ranks import` does: pure, no I/O, no wording.
 * The service reads the group's roles and the guild's standing, this decides, the command words it.
 */
import type { BindDenial } from "./bind-authority.ts";
import { RoleHierarchy, type BotStanding, type GuildRole, type RoleProblem } from "./hierarchy.ts";
import type { Rank } from "./ladder.ts";

/** A Roblox group role as the binding needs it (the Roblox client's GroupRole fits). */
export interface RobloxRoleRef {
  readonly id: number;
  readonly name: string;
}

export interface SkippedBind<R extends RobloxRoleRef = RobloxRoleRef> {
  robloxRole: R;
  role: GuildRole;
  denial: BindDenial;
}

/** Bound roles the bot cannot give yet: either it lacks a permission, or the roles sit above its own. */
export type BindingWarning = { kind: "problem"; problem: RoleProblem } | { kind: "above-bot"; roleIds: string[] };

/**
 * Roblox role id → Discord role id. A Discord role of the same name (case-insensitive) wins; a
 * rank with none keeps its earlier binding while that role still exists. Each Discord role mirrors
 * at most one rank, and managed roles (nobody can assign them) are never chosen.
 */
export function chooseBindings<R extends RobloxRoleRef>(
  robloxRoles: readonly R[],
  previous: readonly Rank[],
  standing: BotStanding & { guildRoles: GuildRole[] },
  guildId: string,
  mayBindByName: (robloxRole: R, role: GuildRole) => BindDenial | null,
) {
  const hierarchy = new RoleHierarchy(standing);
  const assignable = standing.guildRoles.filter((role) => role.id !== guildId && !role.managed);
  const byName = new Map<string, GuildRole[]>();
  for (const role of assignable) {
    const key = nameKey(role.name);
    byName.set(key, [...(byName.get(key) ?? []), role]);
  }
  const bindings = new Map<number, string>();
  const used = new Set<string>();
  const skipped: SkippedBind<R>[] = [];

  for (const robloxRole of robloxRoles) {
    const candidates = (byName.get(nameKey(robloxRole.name)) ?? []).filter((role) => !used.has(role.id));
    // Among same-named roles prefer one the bot can give, then the highest.
    candidates.sort(
      (a, b) => Number(hierarchy.problemWith(a.id) !== null) - Number(hierarchy.problemWith(b.id) !== null) || b.position - a.position,
    );
    const denials = candidates.map((role) => mayBindByName(robloxRole, role));
    const match = candidates.find((_, index) => denials[index] === null);
    if (match) {
      bindings.set(robloxRole.id, match.id);
      used.add(match.id);
    } else if (candidates[0]) {
      skipped.push({ robloxRole, role: candidates[0], denial: denials[0]! });
    }
  }

  const existing = new Set(assignable.map((role) => role.id));
  const previousByRobloxRole = new Map(previous.map((rank) => [rank.robloxRoleId, rank.discordRoleId]));
  for (const robloxRole of robloxRoles) {
    if (bindings.has(robloxRole.id)) continue;
    const kept = previousByRobloxRole.get(robloxRole.id);
    if (kept && existing.has(kept) && !used.has(kept)) {
      bindings.set(robloxRole.id, kept);
      used.add(kept);
    }
  }
  return { bindings, skipped };
}

/** Roles the bot cannot give yet; freshly created roles are below the bot by construction. */
export function bindingWarning(ladder: readonly Rank[], standing: BotStanding, created: ReadonlySet<string>): BindingWarning | undefined {
  const hierarchy = new RoleHierarchy(standing);
  const aboveBot: string[] = [];
  for (const rank of ladder) {
    if (!rank.discordRoleId || created.has(rank.discordRoleId)) continue;
    const problem = hierarchy.problemWith(rank.discordRoleId);
    if (problem?.kind === "missing-permission") return { kind: "problem", problem };
    if (problem) aboveBot.push(rank.discordRoleId);
  }
  return aboveBot.length > 0 ? { kind: "above-bot", roleIds: aboveBot } : undefined;
}

/** How rank and role names are compared: Unicode-normalised, spaces collapsed, case-insensitive. */
export function nameKey(name: string): string {
  return name.normalize("NFKC").replace(/\s+/g, " ").trim().toLowerCase();
}
