import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { PermissionFlagsBits } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { phraseOf } from "../linking/world.ts";
import { createWorld, expectRequestsMatchSpecs, GROUP_ID, replyOf, ROBLOX_ROLE, seedRoblox, type World } from "../rank-changes/world.ts";

/**
 * Nickname templates end to end, against both emulators over real sockets: `{display-name}` comes
 * from the Roblox display name read when the link was made (stored with the link, so a later sync
 * or promotion renders the same name), and an unlink resets a nickname the bot set from the
 * template, in the same member edit as the role changes; one the member chose is left alone, and
 * the owner's is never attempted.
 */
let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let world: World;

beforeAll(async () => {
  discord = await startDiscordEmulator();
  roblox = await startRobloxEmulator();
  seedRoblox(roblox);
});
afterAll(async () => {
  await discord.close();
  await roblox.close();
});
afterEach(async () => {
  await world?.close();
});

async function setUp(template: string): Promise<{ verifiedRoleId: string; unverifiedRoleId: string }> {
  world = await createWorld(discord, roblox);
  const { repositories, guildId } = world;
  const botRoleId = discord.member(guildId, discord.botUserId)!.roles[0]!;
  const botRole = discord.role(guildId, botRoleId)!;
  discord.updateRole(guildId, botRoleId, { permissions: BigInt(botRole.permissions) | PermissionFlagsBits.ManageNicknames });
  const verifiedRoleId = discord.createRole(guildId, { name: "Verified" }).id;
  const unverifiedRoleId = discord.createRole(guildId, { name: "Unverified" }).id;
  await repositories.guilds.upsert(guildId, { verifiedRoleId, unverifiedRoleId, nicknameTemplate: template });
  return { verifiedRoleId, unverifiedRoleId };
}

function memberState(discordId: string) {
  const member = discord.member(world.guildId, discordId)!;
  return { roles: [...member.roles].sort(), nick: member.nick ?? null };
}

function memberEditsSince(mark: number, discordId: string) {
  return discord.requests.slice(mark).filter((request) => request.path.endsWith(`/members/${discordId}`) && request.method === "PATCH");
}

/** Links `discordId` to the Roblox account by the profile phrase, as a member would. */
async function linkByPhrase(discordId: string, robloxUserId: number, robloxUsername: string): Promise<void> {
  const started = await world.command(discordId, "link-roblox", { username: robloxUsername });
  const reply = replyOf(started);
  roblox.setUserDescription(robloxUserId, phraseOf(reply));
  await world.press(discordId, reply, "link-roblox:confirm");
  expect((await world.repositories.members.get(world.guildId, discordId))?.robloxUserId).toBe(robloxUserId);
}

describe("nickname templates: display names and unlink", () => {
  test("{display-name} is the Roblox display name read at link, stored with it, and still used by a later sync and promotion", async () => {
    await setUp("{display-name} | {rank}");
    const robloxUserId = 62_000_001;
    roblox.addUser({ id: robloxUserId, name: "Plain_Username", displayName: "Captain Shiny" });
    roblox.setMembership(GROUP_ID, robloxUserId, ROBLOX_ROLE.private);
    const memberId = discord.addMember(world.guildId, { username: "shiny" }).user!.id;

    await linkByPhrase(memberId, robloxUserId, "Plain_Username");
    expect((await world.repositories.members.get(world.guildId, memberId))?.robloxDisplayName).toBe("Captain Shiny");
    expect(memberState(memberId).nick).toBe("Captain Shiny | Private");

    // Changed on Roblox, then synced: the stored display name renders again, with the new rank.
    roblox.setMembership(GROUP_ID, robloxUserId, ROBLOX_ROLE.sergeant);
    const mark = discord.requests.length;
    expect((await world.memberSync.syncMember(world.guildId, memberId)).discordChange).toBe("updated");
    expect(memberState(memberId).nick).toBe("Captain Shiny | Sergeant");
    expect(memberEditsSince(mark, memberId)).toHaveLength(1);
    expectRequestsMatchSpecs(world);
  });

  test("{display-name} falls back to the username for a link made before display names were stored", async () => {
    await setUp("{display-name}");
    const member = await world.linkedMember({ robloxRank: "private" });
    expect((await world.repositories.members.get(world.guildId, member.discordId))?.robloxDisplayName ?? null).toBeNull();
    await world.memberSync.syncMember(world.guildId, member.discordId);
    expect(memberState(member.discordId).nick).toBe(member.robloxUsername);
  });

  test("unlink resets the nickname the template gave, in the same edit as the roles; a nickname the member chose stays", async () => {
    const { verifiedRoleId, unverifiedRoleId } = await setUp("[{rank}] {roblox-username}");
    const robloxUserId = 62_000_002;
    roblox.addUser({ id: robloxUserId, name: "Unlink_Me", displayName: "Unlink Me" });
    roblox.setMembership(GROUP_ID, robloxUserId, ROBLOX_ROLE.corporal);
    const memberId = discord.addMember(world.guildId, { username: "unlinker", roles: [world.otherRoleId] }).user!.id;
    await linkByPhrase(memberId, robloxUserId, "Unlink_Me");
    expect(memberState(memberId)).toEqual({ roles: [world.otherRoleId, verifiedRoleId, world.rankRole.corporal].sort(), nick: "[Corporal] Unlink_Me" });

    let mark = discord.requests.length;
    await world.command(memberId, "unlink");
    expect(memberState(memberId)).toEqual({ roles: [world.otherRoleId, unverifiedRoleId].sort(), nick: null });
    const edits = memberEditsSince(mark, memberId);
    expect(edits).toHaveLength(1);
    expect(edits[0]!.body).toMatchObject({ nick: null });

    // Linked again, then the member picks their own nickname: unlink leaves it.
    roblox.setUserDescription(robloxUserId, "");
    await linkByPhrase(memberId, robloxUserId, "Unlink_Me");
    discord.setMemberNick(world.guildId, memberId, "my own name");
    mark = discord.requests.length;
    await world.command(memberId, "unlink");
    expect(memberState(memberId).nick).toBe("my own name");
    const second = memberEditsSince(mark, memberId);
    expect(second).toHaveLength(1);
    expect(second[0]!.body).not.toHaveProperty("nick");
    expectRequestsMatchSpecs(world);
  });

  test("the guild owner's nickname is never reset on unlink (no request that must fail); their roles still change", async () => {
    const { unverifiedRoleId } = await setUp("[{rank}] {roblox-username}");
    const robloxUserId = 62_000_003;
    roblox.addUser({ id: robloxUserId, name: "Owner_Unlinks" });
    roblox.setMembership(GROUP_ID, robloxUserId, ROBLOX_ROLE.private);
    const ownerId = world.ownerId;
    await world.repositories.members.link(world.guildId, ownerId, { robloxUserId, robloxUsername: "Owner_Unlinks", verifiedBy: "profile-phrase" });
    await world.repositories.members.setStoredRank(world.guildId, ownerId, world.rankIdOf("private"));
    // As if the owner had typed the template's nickname themselves (the bot can never set it).
    discord.setMemberNick(world.guildId, ownerId, "[Private] Owner_Unlinks");
    const invalidBefore = discord.invalidRequests;
    const mark = discord.requests.length;
    await world.command(ownerId, "unlink");
    expect(memberState(ownerId).nick).toBe("[Private] Owner_Unlinks");
    expect(memberState(ownerId).roles).toContain(unverifiedRoleId);
    const edits = memberEditsSince(mark, ownerId);
    expect(edits).toHaveLength(1);
    expect(edits[0]!.body).not.toHaveProperty("nick");
    expect(discord.invalidRequests).toBe(invalidBefore);
  });
});
