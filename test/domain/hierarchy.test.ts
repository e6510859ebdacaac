import { describe, expect, test } from "bun:test";
import { describeRoleProblem } from "../../src/discord/views/role-problems.ts";
import {
  DiscordPermission,
  RoleHierarchy,
  checkRoleChange,
  compareRolePositions,
  hasPermission,
  permissionsFromRoles,
  type BotStanding,
  type GuildRole,
} from "../../src/ranks/hierarchy.ts";

const GUILD_ID = "1100000000000000000";

function role(id: string, name: string, position: number, extra: Partial<GuildRole> = {}): GuildRole {
  return { id, name, position, managed: false, permissions: 0n, ...extra };
}

const everyone = role(GUILD_ID, "@everyone", 0);
const soldier = role("1100000000000000011", "E1 | Soldier", 2);
const sergeant = role("1100000000000000012", "E5 | Sergeant", 6);
const bot = role("1100000000000000013", "rankbridge", 5, { managed: true, permissions: DiscordPermission.ManageRoles });
const booster = role("1100000000000000014", "Server Booster", 1, { managed: true });
const guildRoles = [everyone, soldier, sergeant, bot, booster];

function standing(overrides: Partial<BotStanding> = {}): BotStanding {
  return { botRoleIds: [bot.id], guildRoles, botPermissions: DiscordPermission.ManageRoles, ...overrides };
}

describe("Discord's role order", () => {
  test("higher position is higher", () => {
    expect(compareRolePositions(sergeant, soldier)).toBeGreaterThan(0);
    expect(compareRolePositions(soldier, sergeant)).toBeLessThan(0);
  });

  test("on equal positions the older role (smaller id) is higher", () => {
    const older = { id: "999999999999999999", position: 3 };
    const newer = { id: "1000000000000000000", position: 3 };
    expect(compareRolePositions(older, newer)).toBeGreaterThan(0);
    expect(compareRolePositions(newer, older)).toBeLessThan(0);
    expect(compareRolePositions(older, older)).toBe(0);
  });
});

describe("permissions", () => {
  test("Administrator implies Manage Roles", () => {
    expect(hasPermission(DiscordPermission.Administrator, DiscordPermission.ManageRoles)).toBe(true);
    expect(hasPermission(0n, DiscordPermission.ManageRoles)).toBe(false);
  });

  test("are the union of the member's roles and @everyone", () => {
    const roles = [role(GUILD_ID, "@everyone", 0, { permissions: 1n }), role("1100000000000000021", "a", 1, { permissions: 4n }), role("1100000000000000022", "b", 2, { permissions: 16n })];
    expect(permissionsFromRoles(["1100000000000000021"], roles, GUILD_ID)).toBe(5n);
  });
});

describe("checking a role change before sending it", () => {
  test("roles below the bot's highest role are fine", () => {
    expect(checkRoleChange(standing(), { addRoleIds: [soldier.id], removeRoleIds: [] })).toEqual({ ok: true });
  });

  test("a role above the bot cannot be given, with a fix the admin can follow", () => {
    const result = checkRoleChange(standing(), { addRoleIds: [soldier.id, sergeant.id] });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.problems).toMatchObject([{ kind: "above-bot", roleId: sergeant.id, roleName: "E5 | Sergeant" }]);
    expect(result.problems).toHaveLength(1);
    expect(result.problems.map(describeRoleProblem)).toEqual(['Move the rankbridge role above "E5 | Sergeant" in Server Settings → Roles.']);
  });

  test("removing a role above the bot fails the same way", () => {
    const result = checkRoleChange(standing(), { removeRoleIds: [sergeant.id] });
    expect(result).toMatchObject({ ok: false, problems: [{ kind: "above-bot", roleId: sergeant.id }] });
  });

  test("a role at the bot's own position is not below it", () => {
    const level = role("1100000000000000099", "Level", bot.position);
    const result = checkRoleChange(standing({ guildRoles: [...guildRoles, level] }), { addRoleIds: [level.id] });
    // Same position, larger id → the newer role sits below the bot.
    expect(result).toEqual({ ok: true });
    const older = role("1000000000000000001", "Older", bot.position);
    const olderResult = checkRoleChange(standing({ guildRoles: [...guildRoles, older] }), { addRoleIds: [older.id] });
    expect(olderResult).toMatchObject({ ok: false, problems: [{ kind: "above-bot" }] });
  });

  test("the bot's own role cannot be assigned either", () => {
    expect(checkRoleChange(standing(), { addRoleIds: [bot.id] })).toMatchObject({ ok: false });
  });

  test("the bot's highest role is not below itself, even when it is an ordinary role", () => {
    const staff = role("1100000000000000051", "Staff", 7);
    const result = checkRoleChange(standing({ botRoleIds: [bot.id, staff.id], guildRoles: [...guildRoles, staff] }), { addRoleIds: [staff.id, sergeant.id] });
    expect(result).toMatchObject({ ok: false, problems: [{ kind: "above-bot", roleId: staff.id, botRoleName: "Staff" }] });
    if (!result.ok) expect(describeRoleProblem(result.problems[0]!)).toBe('Move the Staff role above "Staff" in Server Settings → Roles.');
  });

  test("integration-managed roles are refused", () => {
    expect(checkRoleChange(standing(), { addRoleIds: [booster.id] })).toMatchObject({
      ok: false,
      problems: [{ kind: "managed", roleId: booster.id, roleName: "Server Booster" }],
    });
  });

  test("a role the guild no longer has is refused", () => {
    expect(checkRoleChange(standing(), { addRoleIds: ["1100000000000000777"] })).toMatchObject({
      ok: false,
      problems: [{ kind: "unknown-role", roleId: "1100000000000000777" }],
    });
  });

  test("without Manage Roles nothing is sent, and one problem says why", () => {
    const result = checkRoleChange(standing({ botPermissions: 0n }), { addRoleIds: [soldier.id], removeRoleIds: [sergeant.id] });
    expect(result).toMatchObject({ ok: false, problems: [{ kind: "missing-permission", roleId: null, roleName: null }] });
    if (!result.ok) expect(result.problems).toHaveLength(1);
  });

  test("Administrator stands in for Manage Roles", () => {
    expect(checkRoleChange(standing({ botPermissions: DiscordPermission.Administrator }), { addRoleIds: [soldier.id] })).toEqual({ ok: true });
  });

  test("no change needs no permission", () => {
    expect(checkRoleChange(standing({ botPermissions: 0n }), {})).toEqual({ ok: true });
  });

  test("a bot with no roles sits at the bottom and can manage nothing", () => {
    const result = checkRoleChange(standing({ botRoleIds: [] }), { addRoleIds: [soldier.id] });
    expect(result).toMatchObject({ ok: false, problems: [{ kind: "above-bot" }] });
    if (!result.ok) expect(describeRoleProblem(result.problems[0]!)).toContain("Move the rankbridge role above");
  });

  test("the bot's highest role names the fix", () => {
    const helper = role("1100000000000000050", "Bots", 4);
    const result = checkRoleChange(standing({ botRoleIds: [helper.id, bot.id], guildRoles: [...guildRoles, helper] }), { addRoleIds: [sergeant.id] });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problems.map(describeRoleProblem)).toEqual(['Move the rankbridge role above "E5 | Sergeant" in Server Settings → Roles.']);
  });

  test("reports every problem role once", () => {
    const hierarchy = new RoleHierarchy(standing());
    const result = hierarchy.check({ addRoleIds: [sergeant.id, booster.id], removeRoleIds: [sergeant.id] });
    expect(result).toMatchObject({ ok: false });
    if (!result.ok) expect(result.problems.map((p) => p.kind).sort()).toEqual(["above-bot", "managed"]);
    expect(hierarchy.problemWith(soldier.id)).toBeNull();
  });
});
