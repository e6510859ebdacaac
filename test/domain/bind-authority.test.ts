import { describe, expect, test } from "bun:test";
import type { Actor, GuildAuthority } from "../../src/ranks/authority.ts";
import { bindsToReview, decideBind, decideRankBind, privilegedPermissionsOf } from "../../src/ranks/bind-authority.ts";
import { DiscordPermission, type GuildRole } from "../../src/ranks/hierarchy.ts";
import { RANKS, ROLE, militaryLadder } from "./fixtures.ts";

const ladder = militaryLadder();
const OWNER_ID = "190000000000000001";
const guild: GuildAuthority = { ownerId: OWNER_ID, adminRoleIds: [] };

const guildRole = (id: string, position: number, permissions = 0n): GuildRole => ({ id, name: `role ${position}`, position, managed: false, permissions });
const STAFF = "1187654321098765500";
const roles = [
  guildRole(STAFF, 20, DiscordPermission.ManageRoles),
  guildRole(ROLE.commander, 15),
  guildRole(ROLE.sergeant, 10),
  guildRole(ROLE.corporal, 8),
  guildRole(ROLE.soldier, 6),
  guildRole(ROLE.booster, 5),
  guildRole(ROLE.member, 4, 1n << 17n), // Mention Everyone
];
const roleOf = (id: string) => roles.find((role) => role.id === id)!;

/** A sergeant with Manage Roles through the staff role. */
const sergeant: Actor = { userId: "190000000000000002", roleIds: [STAFF, ROLE.sergeant], permissions: DiscordPermission.ManageRoles };
const bind = (actor: Actor, rank: (typeof RANKS)[keyof typeof RANKS], roleId: string) =>
  decideBind({ actor, guild, ladder, rank, role: roleOf(roleId), guildRoles: roles });

describe("binds under the ceiling (design §10)", () => {
  test("a rank below one's own, to a role below one's highest role: allowed", () => {
    expect(bind(sergeant, RANKS.corporal, ROLE.booster)).toEqual({ allowed: true });
  });

  test("one's own rank or above: refused, whatever the role", () => {
    expect(bind(sergeant, RANKS.sergeant, ROLE.booster)).toMatchObject({ allowed: false, denial: { reason: "rank-not-below-actor", ownRank: RANKS.sergeant } });
    expect(bind(sergeant, RANKS.commander, ROLE.booster)).toMatchObject({ allowed: false, denial: { reason: "rank-not-below-actor" } });
  });

  test("a role at or above one's highest role: refused", () => {
    const noStaff: Actor = { ...sergeant, roleIds: [ROLE.sergeant] };
    expect(bind(noStaff, RANKS.soldier, ROLE.sergeant)).toMatchObject({ allowed: false, denial: { reason: "role-not-below-actor" } });
    expect(bind(noStaff, RANKS.soldier, ROLE.commander)).toMatchObject({ allowed: false, denial: { reason: "role-not-below-actor" } });
    expect(bind({ ...sergeant, roleIds: [] }, RANKS.soldier, ROLE.booster)).toMatchObject({ denial: { reason: "role-not-below-actor", actorTopRole: null } });
  });

  test("a bind that gives no rank (verified role, another group's range) is judged on its role alone", () => {
    const unranked: Actor = { ...sergeant, roleIds: [STAFF] };
    const roleOnly = (actor: Actor, roleId: string) => decideBind({ actor, guild, ladder, role: roleOf(roleId), guildRoles: roles });
    expect(roleOnly(unranked, ROLE.booster)).toEqual({ allowed: true });
    expect(roleOnly({ ...sergeant, roleIds: [ROLE.sergeant] }, ROLE.commander)).toMatchObject({ denial: { reason: "role-not-below-actor" } });
    expect(roleOnly(unranked, ROLE.member)).toMatchObject({ denial: { reason: "privileged-role" } });
    // A range in the guild's own group is judged by its top rank number, as a Roblox role would be.
    expect(decideBind({ actor: sergeant, guild, ladder, rank: { robloxRank: RANKS.sergeant.robloxRank }, role: roleOf(ROLE.booster), guildRoles: roles })).toMatchObject({
      denial: { reason: "rank-not-below-actor" },
    });
  });

  test("an actor without a rank binds no rank", () => {
    expect(bind({ ...sergeant, roleIds: [STAFF] }, RANKS.enlist, ROLE.booster)).toMatchObject({ denial: { reason: "actor-unranked" } });
  });

  test("privileged roles: only the owner or an Administrator, who are otherwise exempt", () => {
    expect(bind(sergeant, RANKS.enlist, ROLE.member)).toMatchObject({ denial: { reason: "privileged-role", permissions: ["Mention Everyone"] } });
    const owner: Actor = { userId: OWNER_ID, roleIds: [], permissions: 0n };
    const administrator: Actor = { userId: "190000000000000009", roleIds: [], permissions: DiscordPermission.Administrator };
    expect(bind(owner, RANKS.owner, ROLE.member)).toEqual({ allowed: true });
    expect(bind(administrator, RANKS.commander, STAFF)).toEqual({ allowed: true });
  });

  test("each privileged permission is named", () => {
    const every = [1n << 3n, 1n << 5n, 1n << 28n, 1n << 1n, 1n << 2n, 1n << 4n, 1n << 29n, 1n << 17n].reduce((a, b) => a | b);
    expect(privilegedPermissionsOf({ permissions: every })).toEqual([
      "Administrator",
      "Manage Server",
      "Manage Roles",
      "Kick Members",
      "Ban Members",
      "Manage Channels",
      "Manage Webhooks",
      "Mention Everyone",
    ]);
    expect(privilegedPermissionsOf({ permissions: (1n << 10n) | (1n << 11n) })).toEqual([]); // View Channel, Send Messages
  });

  test("a rank not on the ladder yet (import) compares by Roblox rank number", () => {
    expect(decideRankBind({ actor: sergeant, guild, ladder, rank: { robloxRank: 9 } })).toEqual({ allowed: true });
    expect(decideRankBind({ actor: sergeant, guild, ladder, rank: { robloxRank: 10 } })).toMatchObject({ allowed: false });
  });

  test("stored binds of privileged roles are listed for review", () => {
    const review = bindsToReview(ladder, [...roles.filter((role) => role.id !== ROLE.sergeant), guildRole(ROLE.sergeant, 10, DiscordPermission.Administrator)]);
    expect(review.map((bind) => [bind.rank.name, bind.permissions])).toEqual([["E5 | Sergeant", ["Administrator"]]]);
  });
});
