import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { PermissionFlagsBits } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { phraseOf } from "../linking/world.ts";
import { createWorld, expectRequestsMatchSpecs, GROUP_ID, LADDER, replyOf, ROBLOX_ROLE, seedRoblox, textOf, type RankKey, type World } from "../rank-changes/world.ts";

/**
 * Binds end to end, against both emulators over real sockets: a guild with a verified role, the
 * nickname template `[{rank}] {roblox-username}`, a range bind on an ally group and a rank that
 * gives two roles. After each change (link, promote, a rank changed on Roblox then synced, leaving
 * the group with group lock on) the member's roles and nickname in the Discord emulator are what
 * the binds say, set in one member edit.
 *
 * `expectedRoles` is the test's own reading of the binds it set up; a new kind of bind is one more
 * line there and one more step below.
 */
let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let world: World;

const ALLY_GROUP_ID = 5_120_777;
const ALLY_ROLE = { guest: ALLY_GROUP_ID * 10, friend: ALLY_GROUP_ID * 10 + 1, owner: ALLY_GROUP_ID * 10 + 9 };

beforeAll(async () => {
  discord = await startDiscordEmulator();
  roblox = await startRobloxEmulator();
  seedRoblox(roblox);
  roblox.addUser({ id: 61_999_999, name: "AllyFounder" });
  roblox.createGroup({
    id: ALLY_GROUP_ID,
    name: "Allied Navy",
    ownerId: 61_999_999,
    roles: [
      { id: ALLY_ROLE.guest, name: "Guest", rank: 0 },
      { id: ALLY_ROLE.friend, name: "Friend", rank: 10 },
      { id: ALLY_ROLE.owner, name: "Owner", rank: 255 },
    ],
  });
});
afterAll(async () => {
  await discord.close();
  await roblox.close();
});
afterEach(async () => {
  await world?.close();
});

const TEMPLATE = "[{rank}] {roblox-username}";

interface Setup {
  verifiedRoleId: string;
  ncoRoleId: string;
  allyRoleId: string;
}

async function setUp(options: { manageNicknames?: boolean } = {}): Promise<Setup> {
  world = await createWorld(discord, roblox);
  const { repositories, guildId } = world;
  if (options.manageNicknames ?? true) {
    const botRoleId = discord.member(guildId, discord.botUserId)!.roles[0]!;
    const botRole = discord.role(guildId, botRoleId)!;
    discord.updateRole(guildId, botRoleId, { permissions: BigInt(botRole.permissions) | PermissionFlagsBits.ManageNicknames });
  }
  const verifiedRoleId = discord.createRole(guildId, { name: "Verified" }).id;
  const ncoRoleId = discord.createRole(guildId, { name: "NCO" }).id;
  await repositories.guilds.upsert(guildId, { verifiedRoleId, nicknameTemplate: TEMPLATE });
  const allyRoleId = discord.createRole(guildId, { name: "Ally" }).id;
  // Corporal gives two roles: its own and NCO.
  await repositories.binds.add(guildId, { kind: "rank", rankId: world.rankIdOf("corporal") }, [ncoRoleId]);
  // Anyone ranked in the ally group holds Ally.
  await repositories.binds.add(guildId, { kind: "range", groupId: ALLY_GROUP_ID, minRank: 1, maxRank: 255 }, [allyRoleId]);
  return { verifiedRoleId, ncoRoleId, allyRoleId };
}

/** What the binds of `setUp` give a linked member at `rank` (null: not in the group), beside the roles no bind manages. */
function expectedRoles(setup: Setup, rank: RankKey | null, unmanaged: string[], inAlly = false): string[] {
  const roles = [...unmanaged, setup.verifiedRoleId];
  if (rank) roles.push(world.rankRole[rank]);
  if (rank === "corporal") roles.push(setup.ncoRoleId);
  if (inAlly) roles.push(setup.allyRoleId);
  return roles.sort();
}

function memberState(discordId: string) {
  const member = discord.member(world.guildId, discordId)!;
  return { roles: [...member.roles].sort(), nick: member.nick ?? null };
}

function memberEditsSince(mark: number, discordId: string) {
  return discord.requests.slice(mark).filter((request) => request.path.endsWith(`/members/${discordId}`) && request.method === "PATCH");
}

describe("binds, verified role and nickname template end to end", () => {
  test("link, promote, a rank changed on Roblox, leaving the group with group lock on: each leaves exactly what the binds say, in one member edit", async () => {
    const setup = await setUp();
    const robloxUserId = 61_000_001;
    const robloxUsername = "Binds_Trooper";
    roblox.addUser({ id: robloxUserId, name: robloxUsername });
    roblox.setMembership(GROUP_ID, robloxUserId, ROBLOX_ROLE.private);
    roblox.setMembership(ALLY_GROUP_ID, robloxUserId, ALLY_ROLE.friend);
    // Holds a role no bind manages and, stale, another rank's role.
    const memberId = discord.addMember(world.guildId, { username: "trooper", roles: [world.otherRoleId, world.rankRole.sergeant] }).user!.id;

    // Link with the profile phrase.
    let mark = discord.requests.length;
    const started = await world.command(memberId, "link-roblox", { username: robloxUsername });
    const reply = replyOf(started);
    roblox.setUserDescription(robloxUserId, phraseOf(reply));
    const confirmed = await world.press(memberId, reply, "link-roblox:confirm");
    expect(confirmed.callbacks.length).toBeGreaterThan(0);
    expect((await world.repositories.members.get(world.guildId, memberId))?.robloxUserId).toBe(robloxUserId);
    expect(memberState(memberId)).toEqual({ roles: expectedRoles(setup, "private", [world.otherRoleId], true), nick: `[${LADDER.private.name}] ${robloxUsername}` });
    const linkEdits = memberEditsSince(mark, memberId);
    expect(linkEdits).toHaveLength(1);
    expect(linkEdits[0]!.body).toMatchObject({ nick: `[Private] ${robloxUsername}` });

    // Promote to Corporal: its two roles, the verified role kept, the nickname follows the rank.
    await world.repositories.members.changePoints(world.guildId, memberId, { op: "set", amount: 60 });
    const admin = world.admin("colonel");
    mark = discord.requests.length;
    const promoted = await world.command(admin, "promote", { member: memberId });
    expect(textOf(replyOf(promoted))).toContain("Corporal");
    expect(memberState(memberId)).toEqual({ roles: expectedRoles(setup, "corporal", [world.otherRoleId], true), nick: `[Corporal] ${robloxUsername}` });
    expect(memberEditsSince(mark, memberId)).toHaveLength(1);
    expect(world.robloxRankOf(robloxUserId)).toBe(LADDER.corporal.robloxRank);

    // Changed on Roblox to Sergeant, and out of the ally group, then synced: NCO goes with Corporal
    // and Ally with the ally group, in one edit again.
    roblox.setMembership(GROUP_ID, robloxUserId, ROBLOX_ROLE.sergeant);
    roblox.removeMember(ALLY_GROUP_ID, robloxUserId);
    mark = discord.requests.length;
    const synced = await world.memberSync.syncMember(world.guildId, memberId);
    expect(synced.discordChange).toBe("updated");
    expect(memberState(memberId)).toEqual({ roles: expectedRoles(setup, "sergeant", [world.otherRoleId]), nick: `[Sergeant] ${robloxUsername}` });
    expect(memberEditsSince(mark, memberId)).toHaveLength(1);

    // In sync now: a second sync sends nothing.
    mark = discord.requests.length;
    expect((await world.memberSync.syncMember(world.guildId, memberId)).discordChange).toBe("unchanged");
    expect(memberEditsSince(mark, memberId)).toHaveLength(0);

    // Leaves the Roblox group with group lock "remove-roles": the rank's roles go, the verified role
    // stays (still linked), the nickname shows Roblox's Guest; one edit.
    await world.repositories.guilds.upsert(world.guildId, { groupLockMode: "remove-roles" });
    roblox.removeMember(GROUP_ID, robloxUserId);
    mark = discord.requests.length;
    expect((await world.memberSync.syncMember(world.guildId, memberId)).discordChange).toBe("updated");
    expect(memberState(memberId)).toEqual({ roles: expectedRoles(setup, null, [world.otherRoleId]), nick: `[Guest] ${robloxUsername}` });
    expect(memberEditsSince(mark, memberId)).toHaveLength(1);
    expectRequestsMatchSpecs(world);
  });

  test("unlink leaves the unverified role and none the link gave; the nickname is left as it is", async () => {
    const setup = await setUp();
    const unverifiedRoleId = discord.createRole(world.guildId, { name: "Unverified" }).id;
    await world.repositories.guilds.upsert(world.guildId, { unverifiedRoleId });
    const member = await world.linkedMember({ robloxRank: "corporal", extraRoleIds: [world.otherRoleId, setup.verifiedRoleId, setup.ncoRoleId] });

    const mark = discord.requests.length;
    await world.command(member.discordId, "unlink");
    expect((await world.repositories.members.get(world.guildId, member.discordId))?.robloxUserId ?? null).toBeNull();
    expect(memberState(member.discordId).roles).toEqual([world.otherRoleId, unverifiedRoleId].sort());
    expect(memberEditsSince(mark, member.discordId)).toHaveLength(1);
  });

  test("the guild owner keeps their nickname (no request that must fail), their roles still follow the binds", async () => {
    const setup = await setUp();
    const robloxUserId = 61_000_002;
    roblox.addUser({ id: robloxUserId, name: "Owner_Trooper" });
    roblox.setMembership(GROUP_ID, robloxUserId, ROBLOX_ROLE.corporal);
    const ownerId = world.ownerId;
    await world.repositories.members.link(world.guildId, ownerId, { robloxUserId, robloxUsername: "Owner_Trooper", verifiedBy: "profile-phrase" });

    const invalidBefore = discord.invalidRequests;
    const mark = discord.requests.length;
    const synced = await world.memberSync.syncMember(world.guildId, ownerId);
    expect(synced.discordChange).toBe("updated");
    expect(memberState(ownerId)).toEqual({ roles: expectedRoles(setup, "corporal", []), nick: null });
    const edits = memberEditsSince(mark, ownerId);
    expect(edits).toHaveLength(1);
    expect(edits[0]!.body).not.toHaveProperty("nick");
    expect(discord.invalidRequests).toBe(invalidBefore);
  });

  test("without Manage Nicknames the nickname is not attempted and the roles still go, in one edit", async () => {
    const setup = await setUp({ manageNicknames: false });
    const member = await world.linkedMember({ robloxRank: "private", extraRoleIds: [world.otherRoleId] });
    const invalidBefore = discord.invalidRequests;
    const mark = discord.requests.length;
    await world.memberSync.syncMember(world.guildId, member.discordId);
    expect(memberState(member.discordId)).toEqual({ roles: expectedRoles(setup, "private", [world.otherRoleId]), nick: null });
    const edits = memberEditsSince(mark, member.discordId);
    expect(edits).toHaveLength(1);
    expect(edits[0]!.body).not.toHaveProperty("nick");
    expect(discord.invalidRequests).toBe(invalidBefore);
  });
});
