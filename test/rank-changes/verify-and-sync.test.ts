import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { describeMemberSyncProblems, formatMemberSyncReply } from "../../src/discord/views/member-sync.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { createWorld, expectRequestsMatchSpecs, fieldOf, GROUP_ID, replyOf, seedRoblox, type World } from "./world.ts";
import { MemberNotLinkedError } from "../../src/services/member-sync.ts";
import { describeError } from "../../src/discord/views/errors.ts";

/** /verify-rank shows the three ranks side by side; syncMember (for /sync member:) brings them together. */
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

const GREEN = 0x2ecc71;
const ORANGE = 0xe67e22;

describe("/verify-rank", () => {
  test("a member whose ranks agree: Ranks In Sync, green, naming the Discord member and the Roblox username", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "sergeant", extraRoleIds: [world.otherRoleId] });

    const reply = replyOf(await world.command(admin, "verify-rank", { member: member.discordId }));

    const embed = reply.embeds[0]!;
    expect(embed.title).toBe("Ranks In Sync");
    expect(embed.color).toBe(GREEN);
    expect(embed.description).toBe(
      `<@${member.discordId}> (${member.robloxUsername.toLowerCase().replace(/_/g, "\\_")}) · Roblox: **${member.robloxUsername.replace(/_/g, "\\_")}** (${member.robloxUserId})`,
    );
    expect(fieldOf(reply, "Discord rank")).toBe("Sergeant (Rank 20)");
    expect(fieldOf(reply, "Stored rank")).toBe("Sergeant (Rank 20)");
    expect(fieldOf(reply, "Roblox rank")).toBe("Sergeant (Rank 20)");
    expect(fieldOf(reply, "Suggested action")).toBeUndefined();
    expect(world.memberPatches()).toEqual([]);
    expectRequestsMatchSpecs(world);
  });

  test("a member promoted on Roblox only: Rank Mismatch Detected, orange, suggesting /sync for that member; nothing is changed", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "corporal", discordRank: "private", storedRank: "private" });

    const reply = replyOf(await world.command(admin, "verify-rank", { member: member.discordId }));

    const embed = reply.embeds[0]!;
    expect(embed.title).toBe("Rank Mismatch Detected");
    expect(embed.color).toBe(ORANGE);
    expect(fieldOf(reply, "Discord rank")).toBe("Private (Rank 2)");
    expect(fieldOf(reply, "Stored rank")).toBe("Private (Rank 2)");
    expect(fieldOf(reply, "Roblox rank")).toBe("Corporal (Rank 10)");
    expect(fieldOf(reply, "Suggested action")).toContain("`/sync member:@");
    expect(fieldOf(reply, "Suggested action")).toContain(`<@${member.discordId}>`);
    expect(fieldOf(reply, "Suggested action")).toContain("to set them to Corporal (Rank 10), which follows their Roblox rank");
    expect(world.memberPatches()).toEqual([]);
    expect(await world.storedRankOf(member.discordId)).toBe("private");
  });

  test("a Discord role fixed by hand (Discord and Roblox Sergeant, stored Corporal): Ranks In Sync, the stored rank corrected, audited and noted", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "sergeant", discordRank: "sergeant", storedRank: "corporal" });

    const reply = replyOf(await world.command(admin, "verify-rank", { member: member.discordId }));

    expect(reply.embeds[0]!.title).toBe("Ranks In Sync");
    expect(reply.embeds[0]!.color).toBe(GREEN);
    expect(fieldOf(reply, "Discord rank")).toBe("Sergeant (Rank 20)");
    expect(fieldOf(reply, "Roblox rank")).toBe("Sergeant (Rank 20)");
    expect(fieldOf(reply, "Stored rank")).toBe("Sergeant (Rank 20)");
    expect(fieldOf(reply, "Note")).toBe("The stored rank was Corporal (Rank 10); it now matches Discord and Roblox.");
    expect(fieldOf(reply, "Suggested action")).toBeUndefined();
    expect(await world.storedRankOf(member.discordId)).toBe("sergeant");
    expect(world.memberPatches()).toEqual([]);
    const [entry] = await world.repositories.audit.listForMember(world.guildId, member.discordId);
    expect(entry).toMatchObject({ action: "sync.member", actorId: admin, outcome: "ok" });

    // The correction is made once: the next check has nothing to note.
    const again = replyOf(await world.command(admin, "verify-rank", { member: member.discordId }));
    expect(again.embeds[0]!.title).toBe("Ranks In Sync");
    expect(fieldOf(again, "Note")).toBeUndefined();
  });

  test("Discord differs from Roblox while the stored rank matches Discord: still a mismatch showing both ranks; nothing stored changes", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "sergeant", discordRank: "corporal", storedRank: "sergeant" });

    const reply = replyOf(await world.command(admin, "verify-rank", { member: member.discordId }));

    expect(reply.embeds[0]!.title).toBe("Rank Mismatch Detected");
    expect(fieldOf(reply, "Discord rank")).toBe("Corporal (Rank 10)");
    expect(fieldOf(reply, "Roblox rank")).toBe("Sergeant (Rank 20)");
    expect(fieldOf(reply, "Note")).toBeUndefined();
    expect(await world.storedRankOf(member.discordId)).toBe("sergeant");
    expect(await world.repositories.audit.listForMember(world.guildId, member.discordId)).toEqual([]);
  });

  test("holding two rank roles is a mismatch even when the highest one is right", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "corporal" });
    discord.setMemberRoles(world.guildId, member.discordId, [world.rankRole.corporal, world.rankRole.recruit]);

    const reply = replyOf(await world.command(admin, "verify-rank", { member: member.discordId }));

    expect(reply.embeds[0]!.title).toBe("Rank Mismatch Detected");
    expect(fieldOf(reply, "Discord rank")).toBe("Recruit (Rank 1), Corporal (Rank 10) (several rank roles)");
  });

  test("a member who left the Roblox group is reported as such", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private" });
    roblox.removeMember(GROUP_ID, member.robloxUserId);

    const reply = replyOf(await world.command(admin, "verify-rank", { member: member.discordId }));

    expect(reply.embeds[0]!.title).toBe("Rank Mismatch Detected");
    expect(fieldOf(reply, "Roblox rank")).toBe("not in the Roblox group");
    expect(fieldOf(reply, "Suggested action")).toStartWith("They are not in the Roblox group.");
  });
});

describe("syncMember", () => {
  test("a dry run reports the change and sends nothing; the real run applies it in one request and audits it", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "corporal", discordRank: "private", storedRank: "recruit", extraRoleIds: [world.otherRoleId] });

    const preview = await world.memberSync.syncMember(world.guildId, member.discordId, { dryRun: true, actorId: admin });
    expect(preview).toMatchObject({ dryRun: true, discordChange: "would-update", storedChange: "would-update", inSync: false });
    expect(formatMemberSyncReply(preview).embeds![0]!.title).toBe("Sync Preview: Changes Needed");
    expect(world.memberPatches()).toEqual([]);
    expect(await world.storedRankOf(member.discordId)).toBe("recruit");
    expect(await world.repositories.audit.listForMember(world.guildId, member.discordId)).toEqual([]);

    const result = await world.memberSync.syncMember(world.guildId, member.discordId, { actorId: admin });
    expect(result).toMatchObject({ dryRun: false, discordChange: "updated", storedChange: "updated", outcome: "ok" });
    expect(result.before.discordRank?.name).toBe("Private");
    expect(result.after.discordRank?.name).toBe("Corporal");
    expect(result.before.storedRank?.name).toBe("Recruit");
    expect(result.after.storedRank?.name).toBe("Corporal");
    expect(discord.memberRoleIds(world.guildId, member.discordId)!.sort()).toEqual([world.otherRoleId, world.rankRole.corporal].sort());
    expect(world.memberPatches()).toHaveLength(1);
    expect(await world.storedRankOf(member.discordId)).toBe("corporal");
    expect((await world.repositories.audit.listForMember(world.guildId, member.discordId))[0]).toMatchObject({
      action: "sync.member",
      actorId: admin,
      outcome: "ok",
    });

    const body = formatMemberSyncReply(result);
    const embed = body.embeds![0]!;
    expect(embed.title).toBe("Member Synced");
    expect(embed.description).toContain(`<@${member.discordId}>`);
    expect(embed.description).toContain(member.robloxUsername.replace(/_/g, "\\_"));
    expect(embed.fields!.find((f) => f.name === "Discord rank")!.value).toBe("Private (Rank 2) → Corporal (Rank 10) (updated)");

    // Now everything agrees, and a second sync has nothing to do.
    const verify = replyOf(await world.command(admin, "verify-rank", { member: member.discordId }));
    expect(verify.embeds[0]!.title).toBe("Ranks In Sync");
    const again = await world.memberSync.syncMember(world.guildId, member.discordId, { actorId: admin });
    expect(again).toMatchObject({ discordChange: "unchanged", storedChange: "unchanged" });
    expect(formatMemberSyncReply(again).embeds![0]!.title).toBe("Already In Sync");
    expect(world.memberPatches()).toHaveLength(1);
  });

  test("without a queued write, sync follows Roblox down as well", async () => {
    world = await createWorld(discord, roblox);
    const member = await world.linkedMember({ robloxRank: "private", discordRank: "sergeant", storedRank: "sergeant" });

    const result = await world.memberSync.syncMember(world.guildId, member.discordId);

    expect(result.discordChange).toBe("updated");
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.private]);
    expect(await world.storedRankOf(member.discordId)).toBe("private");
  });

  test("a member who left the group loses their rank roles and stored rank (default policy), keeping other roles", async () => {
    world = await createWorld(discord, roblox);
    const member = await world.linkedMember({ robloxRank: "corporal", extraRoleIds: [world.otherRoleId] });
    roblox.removeMember(GROUP_ID, member.robloxUserId);

    const result = await world.memberSync.syncMember(world.guildId, member.discordId);

    expect(result).toMatchObject({ discordChange: "updated", storedChange: "updated" });
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.otherRoleId]);
    expect(await world.storedRankOf(member.discordId)).toBeNull();
    expect(formatMemberSyncReply(result).embeds![0]!.fields!.find((f) => f.name === "Note")!.value).toBe("They are not in the Roblox group.");
  });

  test("a rank role above the bot's role: the Discord change is blocked with the fix, no request is sent, the stored rank still follows", async () => {
    world = await createWorld(discord, roblox);
    const member = await world.linkedMember({ robloxRank: "sergeant", discordRank: "corporal", storedRank: "corporal" });
    discord.updateRole(world.guildId, world.rankRole.sergeant, { position: discord.roles(world.guildId).length });
    const invalidBefore = discord.invalidRequests;

    const result = await world.memberSync.syncMember(world.guildId, member.discordId);

    expect(result.discordChange).toBe("blocked");
    expect(describeMemberSyncProblems(result.problems)).toEqual(['Move the rankbridge role above "Sergeant" in Server Settings → Roles.']);
    expect(result.storedChange).toBe("updated");
    expect(result.outcome).toBe("partial");
    expect(world.memberPatches()).toEqual([]);
    expect(discord.invalidRequests).toBe(invalidBefore);
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.corporal]);
    const fix = formatMemberSyncReply(result).embeds![0]!.fields!.find((f) => f.name === "What to fix")!.value;
    expect(fix).toBe('• Move the rankbridge role above "Sergeant" in Server Settings → Roles.');
  });

  test("an unlinked member is refused with the /link-roblox hint", async () => {
    world = await createWorld(discord, roblox);
    const unlinked = discord.addMember(world.guildId, { username: "drifter" }).user!.id;

    const refused = await world.memberSync.syncMember(world.guildId, unlinked).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(MemberNotLinkedError);
    expect(describeError(refused)).toBe(`<@${unlinked}> has not linked a Roblox account. They must run /link-roblox first.`);
  });
});
