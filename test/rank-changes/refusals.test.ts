import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { MessageFlags, PermissionFlagsBits } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { createWorld, LADDER, replyOf, seedRoblox, type World } from "./world.ts";

/** Rank changes that must not happen, and must not send a single request that changes something. */
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

/** Nothing changed anywhere: no role request, no Roblox write, no DM, no audit row. */
async function expectNothingChanged(member: { discordId: string; robloxUserId: number }, robloxRank: number, robloxPostsBefore: number) {
  expect(world.memberPatches()).toEqual([]);
  expect(roblox.requests.filter((r) => r.method === "POST" || r.method === "PATCH").length).toBe(robloxPostsBefore);
  expect(world.robloxRankOf(member.robloxUserId)).toBe(robloxRank);
  expect(discord.dmMessages(member.discordId)).toEqual([]);
  expect(await world.repositories.audit.listForMember(world.guildId, member.discordId)).toEqual([]);
  expect(await world.repositories.pendingWrites.countAll()).toBe(0);
}

const robloxWrites = () => roblox.requests.filter((r) => r.method === "POST" || r.method === "PATCH").length;

describe("who may change ranks", () => {
  test("a member without Manage Roles or the admin role is refused and nothing changes", async () => {
    world = await createWorld(discord, roblox);
    const member = await world.linkedMember({ robloxRank: "private" });
    // Holds a high rank role, but no permission: rank alone does not make an admin.
    const nobody = discord.addMember(world.guildId, { username: "keen-recruit", roles: [world.rankRole.colonel] }).user!.id;
    const writes = robloxWrites();

    for (const command of ["promote", "demote"]) {
      const reply = replyOf(await world.command(nobody, command, { member: member.discordId }));
      expect(reply.content).toBe("You need the Manage Roles permission to use this command.");
      expect((reply.flags ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    }
    const setRank = replyOf(await world.command(nobody, "set-rank", { member: member.discordId, rank: "Sergeant" }));
    expect(setRank.content).toBe("You need the Manage Roles permission to use this command.");
    const verify = replyOf(await world.command(nobody, "verify-rank", { member: member.discordId }));
    expect(verify.content).toBe("You need the Manage Roles permission to use this command.");

    await expectNothingChanged(member, LADDER.private.robloxRank, writes);
    expect(await world.storedRankOf(member.discordId)).toBe("private");
  });

  test("the server's configured admin role counts as admin", async () => {
    world = await createWorld(discord, roblox);
    const adminRole = discord.createRole(world.guildId, { name: "Rank Officers" }).id;
    await world.repositories.guilds.upsert(world.guildId, { adminRoleId: adminRole });
    const officer = discord.addMember(world.guildId, { username: "officer", roles: [adminRole, world.rankRole.colonel] }).user!.id;
    const member = await world.linkedMember({ robloxRank: "private", points: 50 });

    const reply = replyOf(await world.command(officer, "promote", { member: member.discordId }));

    expect(reply.embeds[0]!.title).toBe("Member Promoted");
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.corporal.robloxRank);
  });

  test("an admin cannot give a rank at or above their own, nor touch someone at their rank", async () => {
    world = await createWorld(discord, roblox);
    const sergeantAdmin = world.admin("sergeant");
    const corporal = await world.linkedMember({ robloxRank: "corporal", points: 1_000 });
    const peer = await world.linkedMember({ robloxRank: "sergeant" });
    const writes = robloxWrites();

    // Corporal → Sergeant would be the admin's own rank.
    const promote = replyOf(await world.command(sergeantAdmin, "promote", { member: corporal.discordId }));
    expect(promote.content).toBe("You can only give ranks below your own (Sergeant (Rank 20)); Sergeant (Rank 20) is not below it.");
    const above = replyOf(await world.command(sergeantAdmin, "set-rank", { member: corporal.discordId, rank: "Colonel" }));
    expect(above.content).toBe("You can only give ranks below your own (Sergeant (Rank 20)); Colonel (Rank 200) is not below it.");
    const demotePeer = replyOf(await world.command(sergeantAdmin, "demote", { member: peer.discordId }));
    expect(demotePeer.content).toBe("This member holds Sergeant (Rank 20), which is not below your rank (Sergeant (Rank 20)).");

    await expectNothingChanged(corporal, LADDER.corporal.robloxRank, writes);
    await expectNothingChanged(peer, LADDER.sergeant.robloxRank, writes);
  });

  test("an admin without a rank role has nothing below them to give, while the owner is exempt", async () => {
    world = await createWorld(discord, roblox);
    const unranked = world.admin(null);
    const member = await world.linkedMember({ robloxRank: "private" });

    const refused = replyOf(await world.command(unranked, "promote", { member: member.discordId }));
    expect(refused.content).toContain("You don't hold a rank role");
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.private.robloxRank);

    // The owner holds no rank role either, and may still give the top of the ladder below Roblox's own roles.
    const owner = replyOf(await world.command(world.ownerId, "set-rank", { member: member.discordId, rank: "Colonel" }));
    expect(owner.embeds[0]!.title).toBe("Rank Set");
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.colonel.robloxRank);
  });

  test("an Administrator is exempt from the rank rules", async () => {
    world = await createWorld(discord, roblox);
    const adminRole = discord.createRole(world.guildId, { name: "Server Admin", permissions: PermissionFlagsBits.Administrator }).id;
    const administrator = discord.addMember(world.guildId, { username: "server-admin", roles: [adminRole] }).user!.id;
    const member = await world.linkedMember({ robloxRank: "sergeant" });

    const reply = replyOf(await world.command(administrator, "promote", { member: member.discordId }));

    expect(reply.embeds[0]!.title).toBe("Member Promoted");
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.colonel.robloxRank);
  });
});

describe("members who cannot be ranked", () => {
  test("an unlinked member: the admin is told they must /link-roblox first", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const unlinked = discord.addMember(world.guildId, { username: "not-linked", roles: [world.rankRole.private] }).user!.id;

    const reply = replyOf(await world.command(admin, "promote", { member: unlinked }));

    expect(reply.content).toBe(`<@${unlinked}> has not linked a Roblox account, so there is no Roblox rank to change. They must run /link-roblox first.`);
    expect(world.memberPatches()).toEqual([]);
    const verify = replyOf(await world.command(admin, "verify-rank", { member: unlinked }));
    expect(verify.content).toBe(`<@${unlinked}> has not linked a Roblox account. They must run /link-roblox first.`);
  });

  test("the group's Owner role cannot be given by a rank write: the Roblox step is a warning and nothing is sent to Roblox", async () => {
    world = await createWorld(discord, roblox);
    const member = await world.linkedMember({ robloxRank: "colonel" });
    const writes = robloxWrites();

    const reply = replyOf(await world.command(world.ownerId, "set-rank", { member: member.discordId, rank: "Owner" }));

    expect(reply.embeds[0]!.title).toBe("Rank Change Partly Done");
    expect(reply.embeds[0]!.fields!.find((f) => f.name === "Steps")!.value).toContain(
      "⚠️ Roblox rank: Owner (Rank 255) is the group's Owner role; only an ownership transfer on Roblox can give it",
    );
    expect(robloxWrites()).toBe(writes);
  });
});

describe("the Discord role hierarchy is checked before any request", () => {
  test("a rank role above the bot's highest role: the reply says which role to move, and no request is sent", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "corporal", points: 500 });
    // Sergeant's role now sits above the bot's own role.
    const top = discord.roles(world.guildId).length;
    discord.updateRole(world.guildId, world.rankRole.sergeant, { position: top });
    const writes = robloxWrites();
    const invalidBefore = discord.invalidRequests;

    const reply = replyOf(await world.command(admin, "promote", { member: member.discordId }));

    expect(reply.content).toBe(
      `Nothing was changed: rankbridge cannot change <@${member.discordId}>'s Discord roles yet.\n` +
        `• Move the rankbridge role above "Sergeant" in Server Settings → Roles.\n` +
        "Then run the command again.",
    );
    expect(discord.invalidRequests).toBe(invalidBefore);
    expect(discord.requests.filter((r) => r.status === 403)).toEqual([]);
    await expectNothingChanged(member, LADDER.corporal.robloxRank, writes);
    expect(await world.storedRankOf(member.discordId)).toBe("corporal");
  });

  test("the bot without Manage Roles is told to get it, before any request", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private" });
    const botRole = discord.roles(world.guildId).find((role) => role.managed && role.name === "rankbridge")!;
    discord.updateRole(world.guildId, botRole.id, { permissions: PermissionFlagsBits.ViewChannel | PermissionFlagsBits.SendMessages });

    const reply = replyOf(await world.command(admin, "promote", { member: member.discordId }));

    expect(reply.content).toContain("rankbridge needs the Manage Roles permission. Grant it to its role in Server Settings → Roles.");
    expect(discord.requests.filter((r) => r.status === 403)).toEqual([]);
    expect(world.memberPatches()).toEqual([]);
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.private.robloxRank);
  });
});
