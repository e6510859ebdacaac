/**
 * Design §10, findings 2 and 3 of the security review: binds obey the same ceiling as rank changes,
 * and a role with server-wide power is bound only by the guild owner or an Administrator (never by
 * name on import). Runs the bot as src/app.ts composes it against the Discord and Roblox emulators.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GatewayDispatchEvents, PermissionFlagsBits } from "discord-api-types/v10";
import { answerOf, bool, GROUP_OWNER_USER_ID, role, startCommandWorld, str, sub, user, type CommandWorld } from "../commands/harness.ts";
import { defaultRoles } from "../emulators/roblox/index.ts";
import { eventually } from "../support/eventually.ts";

const GROUP = 61;
const ROLE = (n: number) => GROUP * 1000 + n; // defaultRoles ids: 8 Sergeant, 13 Major, 14 Colonel

let world: CommandWorld;

beforeAll(async () => {
  world = await startCommandWorld({ homeGuild: true, defaultGroupId: GROUP });
  world.seedGroup(GROUP, "Legion");
});
afterAll(() => world.close());

/** The home guild gets a fresh ladder per test: the owner imports, then binds what the test needs. */
async function freshGuild() {
  const guild = world.discord.createGuild({ name: `Legion ${Math.random().toString(36).slice(2, 8)}` });
  await world.repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP });
  await world.command(guild.id, guild.ownerId, "ranks", [sub("import")]);
  return guild;
}

async function bind(guildId: string, actorId: string, rank: string, roleId: string) {
  return answerOf(await world.command(guildId, actorId, "ranks", [sub("bind", str("rank", rank), role("role", roleId))]));
}

describe("binds under the ceiling", () => {
  test("an officer (Manage Roles, rank Sergeant) can't bind Colonel to a role they hold, so they can't then make a friend Major", async () => {
    const guild = await freshGuild();
    // Roles made first sit highest (Discord puts a new role at the bottom).
    const highCommand = world.discord.createRole(guild.id, { name: "High Command" });
    const officers = world.discord.createRole(guild.id, { name: "Officers", permissions: PermissionFlagsBits.ManageRoles });
    const sergeant = world.discord.createRole(guild.id, { name: "Sgt" });
    const officerClub = world.discord.createRole(guild.id, { name: "Officer Club" });
    const corporal = world.discord.createRole(guild.id, { name: "Cpl" });
    expect((await bind(guild.id, guild.ownerId, "Sergeant", sergeant.id)).content).toContain("is now mirrored by");
    const officer = world.discord.addMember(guild.id, { username: "officer", roles: [officers.id, sergeant.id, officerClub.id] }).user.id;

    const climb = await bind(guild.id, officer, "Colonel", officerClub.id);
    expect(climb.content).toBe(`Can't bind **Colonel** to <@&${officerClub.id}>: you can only bind ranks below your own (Sergeant (Rank 20)).`);
    expect((await world.repositories.ranks.findByName(guild.id, "Colonel"))!.discordRoleId).toBeNull();

    // With the bind refused, the officer's rank is still Sergeant: Major is above it.
    const friend = world.discord.addMember(guild.id, { username: "friend" }).user.id;
    world.roblox.addUser({ id: 6_100_001, name: "OfficersFriend" });
    world.roblox.setMembership(GROUP, 6_100_001, ROLE(3));
    await world.repositories.members.link(guild.id, friend, { robloxUserId: 6_100_001, robloxUsername: "OfficersFriend", verifiedBy: "profile-phrase" });
    const major = answerOf(await world.command(guild.id, officer, "set-rank", [user("member", friend), str("rank", "Major")]));
    expect(major.content).toContain("You can only give ranks below your own (Sergeant (Rank 20))");
    expect(world.roblox.membership(GROUP, 6_100_001)?.roleId).toBe(ROLE(3));

    // Below their rank and below their highest role: allowed.
    expect((await bind(guild.id, officer, "Corporal", corporal.id)).content).toContain("is now mirrored by");
    // A role at or above their own highest role: refused, as Discord itself refuses it.
    const above = await bind(guild.id, officer, "Private", highCommand.id);
    expect(above.content).toContain("you can only bind roles below your own highest role (Officers)");
  });

  test("a holder of the admin role can't bind a role with Administrator (nor any privileged role); the owner can, and it is then listed for review", async () => {
    const guild = await freshGuild();
    const staff = world.discord.createRole(guild.id, { name: "Staff" });
    const sergeant = world.discord.createRole(guild.id, { name: "Sgt" });
    const admins = world.discord.createRole(guild.id, { name: "Admins", permissions: PermissionFlagsBits.Administrator });
    const kickers = world.discord.createRole(guild.id, { name: "Kickers", permissions: PermissionFlagsBits.KickMembers });
    await world.repositories.guilds.upsert(guild.id, { adminRoleId: staff.id });
    await bind(guild.id, guild.ownerId, "Sergeant", sergeant.id);
    const helper = world.discord.addMember(guild.id, { username: "helper", roles: [staff.id, sergeant.id] }).user.id;

    const administrator = await bind(guild.id, helper, "Private", admins.id);
    expect(administrator.content).toBe(
      `Can't bind **Private** to <@&${admins.id}>: <@&${admins.id}> grants Administrator, so only the server owner or an Administrator may bind it to a rank.`,
    );
    const kick = await bind(guild.id, helper, "Private", kickers.id);
    expect(kick.content).toContain("grants Kick Members, so only the server owner or an Administrator may bind it");
    expect((await world.repositories.ranks.findByName(guild.id, "Private"))!.discordRoleId).toBeNull();

    // The owner may (it is their server), and the bind is then shown for review.
    expect((await bind(guild.id, guild.ownerId, "Private", kickers.id)).content).toContain("is now mirrored by");
    const shown = answerOf(await world.command(guild.id, guild.ownerId, "config", [sub("show")]));
    expect(shown.text).toContain(`⚠️ Binds to review: **Private (Rank 2)** → <@&${kickers.id}> grants Kick Members`);
  });

  test("/ranks import never binds a privileged role by name: a Roblox role renamed after one is reported as skipped", async () => {
    // Someone with Roblox rights renamed the group's Major role after the server's moderator role.
    const renamedGroup = GROUP + 1;
    world.roblox.createGroup({
      id: renamedGroup,
      name: "Renamed Legion",
      ownerId: GROUP_OWNER_USER_ID,
      roles: defaultRoles(renamedGroup).map((r) => (r.name === "Major" ? { ...r, name: "Moderators" } : r)),
    });
    const guild = world.discord.createGuild({ name: "Renamed" });
    await world.repositories.guilds.upsert(guild.id, { robloxGroupId: renamedGroup });
    const moderators = world.discord.createRole(guild.id, { name: "Moderators", permissions: PermissionFlagsBits.BanMembers });
    const corporals = world.discord.createRole(guild.id, { name: "Corporal" });

    const imported = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("import")]));
    expect(imported.content).toContain(
      `Not bound by name: **Moderators** → <@&${moderators.id}>: <@&${moderators.id}> grants Ban Members, so only the server owner or an Administrator may bind it to a rank.`,
    );
    expect((await world.repositories.ranks.findByName(guild.id, "Moderators"))!.discordRoleId).toBeNull();
    expect((await world.repositories.ranks.findByName(guild.id, "Corporal"))!.discordRoleId).toBe(corporals.id);
  });

  test("/ranks import create-missing-roles by an officer creates roles only for ranks below their own (a new role sits where they could take it)", async () => {
    const guild = await freshGuild();
    const officers = world.discord.createRole(guild.id, { name: "Officers", permissions: PermissionFlagsBits.ManageRoles });
    const sergeant = world.discord.createRole(guild.id, { name: "Sgt" });
    await bind(guild.id, guild.ownerId, "Sergeant", sergeant.id);
    const officer = world.discord.addMember(guild.id, { username: "officer", roles: [officers.id, sergeant.id] }).user.id;

    const imported = answerOf(await world.command(guild.id, officer, "ranks", [sub("import", bool("create-missing-roles", true))]));
    expect(imported.content).toContain("No role created for **Staff Sergeant**, **Second Lieutenant**");
    expect(imported.content).toContain("**Colonel**, **General**, **Ranking Bot**, **Owner**: you can only bind ranks below your own.");
    const boundRanks = (await world.repositories.ranks.list(guild.id)).filter((rank) => rank.discordRoleId !== null).map((rank) => rank.name);
    expect(boundRanks.sort()).toEqual(["Corporal", "Private", "Private First Class", "Recruit", "Sergeant"]);
    expect(world.discord.roles(guild.id).map((r) => r.name)).not.toContain("Colonel");
  });

  test("binds made before the rule are logged when the guild arrives at start-up, not deleted", async () => {
    const guild = await freshGuild();
    const admins = world.discord.createRole(guild.id, { name: "Old Admins", permissions: PermissionFlagsBits.Administrator });
    const major = (await world.repositories.ranks.findByName(guild.id, "Major"))!;
    await world.repositories.ranks.bind(guild.id, major.id, admins.id); // as an older version let an admin do

    world.dispatch({
      t: GatewayDispatchEvents.GuildCreate,
      d: { id: guild.id, name: "Legion", owner_id: guild.ownerId, roles: world.discord.roles(guild.id) } as never,
    });
    const line = await eventually(
      () => world.logLines.find((text) => text.includes(guild.id) && text.includes("server-wide permissions")),
      (found) => found !== undefined,
    );
    expect(JSON.parse(line ?? "{}")).toMatchObject({
      level: 40,
      guildId: guild.id,
      binds: [{ rankId: major.id, rank: "Major", roleId: admins.id, permissions: ["Administrator"] }],
    });
    expect((await world.repositories.ranks.findByName(guild.id, "Major"))!.discordRoleId).toBe(admins.id);
  });
});
