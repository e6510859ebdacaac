// The dashboard's authorization rule (design §9 on §3): the same admin rule as the slash commands,
// from the member's current roles and the guild's current role permissions, never older than 60 s.
// The Discord side here is a plain in-memory guild (what the gateway cache and a member read give);
// the real process against the emulator is test/http/dashboard-auth.test.ts.
import { describe, expect, test } from "bun:test";
import { DashboardAccess, MAX_MEMBER_AGE_MS } from "../../src/services/dashboard-access.ts";
import type { GuildSnapshot } from "../../src/services/discord-port.ts";
import type { GuildRole } from "../../src/ranks/hierarchy.ts";

const GUILD = "300000000000000001";
const OWNER = "100000000000000001";
const ALICE = "100000000000000002";
const ADMIN_ROLE = "200000000000000010";
const MANAGER_ROLE = "200000000000000011";
const BOSS_ROLE = "200000000000000012";
const PLAIN_ROLE = "200000000000000013";

const MANAGE_ROLES = 1n << 28n;
const ADMINISTRATOR = 1n << 3n;

function role(id: string, permissions: bigint): GuildRole {
  return { id, name: `role ${id}`, position: 1, managed: false, permissions };
}

/** A guild, its members' roles and its rankbridge admin role, and a count of member reads. */
function world(options: { adminRoleId?: string | null; everyonePermissions?: bigint } = {}) {
  const guild: GuildSnapshot = {
    id: GUILD,
    name: "Secret Clan",
    ownerId: OWNER,
    roles: new Map([
      [GUILD, role(GUILD, options.everyonePermissions ?? 0n)],
      [ADMIN_ROLE, role(ADMIN_ROLE, 0n)],
      [MANAGER_ROLE, role(MANAGER_ROLE, MANAGE_ROLES)],
      [BOSS_ROLE, role(BOSS_ROLE, ADMINISTRATOR)],
      [PLAIN_ROLE, role(PLAIN_ROLE, 0n)],
    ]),
  };
  const memberRoles = new Map<string, string[]>([
    [OWNER, []],
    [ALICE, []],
  ]);
  let clock = 1_000_000;
  let memberReads = 0;
  const access = new DashboardAccess(
    {
      settings: { get: async () => ({ adminRoleId: options.adminRoleId === undefined ? ADMIN_ROLE : options.adminRoleId }) },
      guilds: {
        cached: (id) => (id === GUILD ? guild : undefined),
        guild: async (id) => {
          if (id !== GUILD) throw new Error("403 Missing Access");
          return guild;
        },
        member: async (_guildId, userId) => {
          memberReads++;
          const roleIds = memberRoles.get(userId);
          return roleIds ? { userId, username: userId, displayName: userId, nick: null, accountName: userId, roleIds: [...roleIds] } : null;
        },
      },
    },
    { now: () => clock },
  );
  return {
    guild,
    access,
    setRoles: (userId: string, roleIds: string[]) => memberRoles.set(userId, roleIds),
    leave: (userId: string) => memberRoles.delete(userId),
    advance: (ms: number) => {
      clock += ms;
    },
    memberReads: () => memberReads,
  };
}

describe("the admin rule, one rule on two surfaces", () => {
  test("the owner, Manage Roles, Administrator and the configured admin role may manage; a plain member may not", async () => {
    const cases: [string[], boolean][] = [
      [[], false],
      [[PLAIN_ROLE], false],
      [[MANAGER_ROLE], true],
      [[BOSS_ROLE], true],
      [[ADMIN_ROLE], true],
    ];
    for (const [roles, allowed] of cases) {
      const w = world();
      w.setRoles(ALICE, roles);
      const managed = await w.access.mayManage(GUILD, ALICE);
      expect({ roles, managed: managed && { id: managed.id, name: managed.name, actorRoles: managed.actor.roleIds } }).toEqual({
        roles,
        managed: allowed ? { id: GUILD, name: "Secret Clan", actorRoles: roles } : null,
      });
    }
    // The owner's actor and authority are what a slash command's admin check would give.
    expect(await world().access.mayManage(GUILD, OWNER)).toMatchObject({ id: GUILD, name: "Secret Clan", actor: { userId: OWNER }, authority: { ownerId: OWNER } });
  });

  test("the admin role counts only while it is the configured one", async () => {
    const w = world({ adminRoleId: null });
    w.setRoles(ALICE, [ADMIN_ROLE]);
    expect(await w.access.mayManage(GUILD, ALICE)).toBeNull();
  });

  test("Manage Roles granted to @everyone makes every member an admin, as it does for the slash commands", async () => {
    const w = world({ everyonePermissions: MANAGE_ROLES });
    expect(await w.access.mayManage(GUILD, ALICE)).not.toBeNull();
  });

  test("a member who left, a guild the bot is not in and a non-id are all refused alike", async () => {
    const w = world();
    w.leave(ALICE);
    expect(await w.access.mayManage(GUILD, ALICE)).toBeNull();
    expect(await w.access.mayManage("300000000000000999", OWNER)).toBeNull();
    expect(await w.access.mayManage("../../admin", OWNER)).toBeNull();
  });

  test("a role's permissions taken away count at once: permissions are read from the guild's current roles", async () => {
    const w = world();
    w.setRoles(ALICE, [MANAGER_ROLE]);
    expect(await w.access.mayManage(GUILD, ALICE)).not.toBeNull();
    w.guild.roles.set(MANAGER_ROLE, role(MANAGER_ROLE, 0n));
    expect(await w.access.mayManage(GUILD, ALICE)).toBeNull();
  });

  test("the guild list offers only guilds the bot holds and the person may manage", async () => {
    const w = world();
    w.setRoles(ALICE, [MANAGER_ROLE]);
    expect(await w.access.manageable([GUILD, "300000000000000999"], ALICE)).toEqual([{ id: GUILD, name: "Secret Clan" }]);
    w.setRoles(ALICE, []);
    w.advance(MAX_MEMBER_AGE_MS);
    expect(await w.access.manageable([GUILD], ALICE)).toEqual([]);
  });
});

describe("how current the member's roles are", () => {
  test("rights taken away are refused once the roles are 60 s old, even when no gateway event said so", async () => {
    const w = world();
    w.setRoles(ALICE, [MANAGER_ROLE]);
    expect(await w.access.mayManage(GUILD, ALICE)).not.toBeNull();
    w.setRoles(ALICE, [PLAIN_ROLE]);
    w.advance(MAX_MEMBER_AGE_MS - 1);
    // Within the minute the read is reused: one member read per person and guild a minute at most.
    expect(await w.access.mayManage(GUILD, ALICE)).not.toBeNull();
    w.advance(1);
    expect(await w.access.mayManage(GUILD, ALICE)).toBeNull();
    expect(w.memberReads()).toBe(2);
  });

  test("a gateway member event replaces the held roles at once", async () => {
    const w = world();
    w.setRoles(ALICE, [MANAGER_ROLE]);
    expect(await w.access.mayManage(GUILD, ALICE)).not.toBeNull();
    w.access.observeMember(GUILD, ALICE, [PLAIN_ROLE]);
    expect(await w.access.mayManage(GUILD, ALICE)).toBeNull();
    w.access.observeMember(GUILD, ALICE, null);
    expect(await w.access.mayManage(GUILD, ALICE)).toBeNull();
    expect(w.memberReads()).toBe(1);
  });

  test("events about members nobody asked for are not kept", async () => {
    const w = world();
    w.access.observeMember(GUILD, ALICE, [MANAGER_ROLE]);
    // Not held, so the decision reads the member: Alice holds no role.
    expect(await w.access.mayManage(GUILD, ALICE)).toBeNull();
    expect(w.memberReads()).toBe(1);
  });

  test("a longer TTL than the contract's 60 s is cut to 60 s", async () => {
    const w = world();
    let clock = 0;
    const access = new DashboardAccess(
      {
        settings: { get: async () => ({ adminRoleId: null }) },
        guilds: {
          cached: () => w.guild,
          guild: async () => w.guild,
          member: async (_g, userId) => ({ userId, username: "a", displayName: "a", nick: null, accountName: "a", roleIds: clock === 0 ? [MANAGER_ROLE] : [] }),
        },
      },
      { now: () => clock, memberTtlMs: 10 * 60_000 },
    );
    expect(await access.mayManage(GUILD, ALICE)).not.toBeNull();
    clock = MAX_MEMBER_AGE_MS;
    expect(await access.mayManage(GUILD, ALICE)).toBeNull();
  });

  test("in a cluster, a guild of another process's shard (not kept here) is listed when the bot is in it; the bot's guilds are read once a minute", async () => {
    const w = world();
    w.setRoles(ALICE, [MANAGER_ROLE]);
    let clock = 0;
    let listings = 0;
    const access = new DashboardAccess(
      {
        settings: { get: async () => ({ adminRoleId: null }) },
        guilds: {
          // Nothing kept by this process's gateway: the guild is on another shard.
          cached: () => undefined,
          guild: async (id) => {
            if (id !== GUILD) throw new Error("403 Missing Access");
            return w.guild;
          },
          member: async (_g, userId) => ({ userId, username: "a", displayName: "a", nick: null, accountName: "a", roleIds: [MANAGER_ROLE] }),
          listGuildIds: async () => {
            listings++;
            return [GUILD];
          },
        },
      },
      { now: () => clock },
    );
    // A guild of the person's that the bot is not in is not listed.
    expect(await access.manageable([GUILD, "300000000000000999"], ALICE)).toEqual([{ id: GUILD, name: "Secret Clan" }]);
    expect(await access.manageable([GUILD], ALICE)).toEqual([{ id: GUILD, name: "Secret Clan" }]);
    expect(listings).toBe(1);
    clock = MAX_MEMBER_AGE_MS;
    await access.manageable([GUILD], ALICE);
    expect(listings).toBe(2);
  });
});
