import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { InteractionResponseType, MessageFlags } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { membershipId, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import {
  buttonsOf,
  createWorld,
  expectRequestsMatchSpecs,
  fieldOf,
  GROUP_ID,
  LADDER,
  replyOf,
  ROBLOX_ROLE,
  seedRoblox,
  textOf,
  type World,
} from "./world.ts";

/** The acceptance of /promote, /demote and /set-rank: every step lands where it should. */
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
const YELLOW = 0xf1c40f;

describe("/promote", () => {
  test("moves the member one rank up in the database, Discord, Roblox and tells them by DM", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private", extraRoleIds: [world.otherRoleId], points: 60 });

    const interaction = await world.command(admin, "promote", { member: member.discordId, reason: "Led the weekend patrol" });

    const reply = replyOf(interaction);
    expect(interaction.callbacks[0]!.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    expect((reply.flags ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    const embed = reply.embeds[0]!;
    expect(embed.title).toBe("Member Promoted");
    expect(embed.color).toBe(GREEN);
    // Both accounts are named.
    expect(embed.description).toContain(`<@${member.discordId}>`);
    expect(embed.description).toContain(member.robloxUsername.replace(/_/g, "\\_"));
    expect(fieldOf(reply, "Rank")).toBe("Private (Rank 2) → **Corporal (Rank 10)**");
    expect(fieldOf(reply, "Points")).toBe("60 (Corporal needs 50)");
    const steps = fieldOf(reply, "Steps")!.split("\n");
    expect(steps).toEqual([
      "✅ Database: recorded Corporal (Rank 10)",
      `✅ Discord roles: gave <@&${world.rankRole.corporal}>, removed <@&${world.rankRole.private}>`,
      "✅ Roblox rank: set to Corporal (Rank 10)",
      "✅ Direct message: sent",
    ]);

    // The three places agree, in one role request.
    expect(await world.storedRankOf(member.discordId)).toBe("corporal");
    expect(discord.memberRoleIds(world.guildId, member.discordId)!.sort()).toEqual([world.otherRoleId, world.rankRole.corporal].sort());
    expect(world.memberPatches()).toHaveLength(1);
    expect(world.memberPatches()[0]!.path).toEndWith(`/members/${member.discordId}`);
    // The guild's Discord audit log says who asked and why (worded by the Discord adapter's view).
    const patch = discord.requests.find((r) => r.method === "PATCH" && r.path.endsWith(`/members/${member.discordId}`))!;
    expect(decodeURIComponent(patch.headers["x-audit-log-reason"]!)).toBe(`promote by ${admin}: Led the weekend patrol`);
    expect(roblox.membership(GROUP_ID, member.robloxUserId)).toMatchObject({ roleId: ROBLOX_ROLE.corporal, rank: 10 });

    const dm = discord.dmMessages(member.discordId);
    expect(dm).toHaveLength(1);
    expect(dm[0]!.content).toContain("You were promoted to **Corporal (Rank 10)** in Regiment HQ (was Private (Rank 2))");
    expect(dm[0]!.content).toContain("Reason: Led the weekend patrol");

    const [audit] = await world.repositories.audit.listForMember(world.guildId, member.discordId);
    expect(audit).toMatchObject({ action: "rank.promote", actorId: admin, outcome: "ok", reason: "Led the weekend patrol", targetRobloxUserId: member.robloxUserId });
    expect(audit!.before).toMatchObject({ rank: "Private", robloxRoleId: ROBLOX_ROLE.private });
    expect(audit!.after).toMatchObject({ rank: "Corporal", robloxRoleId: ROBLOX_ROLE.corporal });
    expect(discord.invalidRequests).toBe(0);
    expectRequestsMatchSpecs(world);
  });

  test("a member who does not accept DMs is still promoted; the DM step is a warning, not a failure", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "recruit" });
    discord.setDmsDisabled(member.discordId);

    const reply = replyOf(await world.command(admin, "promote", { member: member.discordId }));

    expect(reply.embeds[0]!.title).toBe("Promotion Partly Done");
    expect(reply.embeds[0]!.color).toBe(YELLOW);
    expect(fieldOf(reply, "Steps")).toContain("⚠️ Direct message: not delivered: the member does not accept direct messages from this server");
    expect(fieldOf(reply, "Steps")).not.toContain("❌");
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.private.robloxRank);
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.private]);
    expect((await world.repositories.audit.listForMember(world.guildId, member.discordId))[0]!.outcome).toBe("partial");
  });

  test("below the points requirement asks the same admin to confirm, and acts only when they press Confirm", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const otherAdmin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "corporal", points: 40 });

    const asked = replyOf(await world.command(admin, "promote", { member: member.discordId, reason: "Covering for a sergeant" }));
    expect(asked.embeds[0]!.title).toBe("Not Enough Points");
    expect(fieldOf(asked, "Points")).toBe("40 of 100 (60 short)");
    const confirmId = `promote:confirm:${member.discordId}:${world.rankIdOf("sergeant")}`;
    expect(buttonsOf(asked).map((b) => b.custom_id)).toEqual([confirmId, "promote:cancel"]);
    // Nothing has happened yet.
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.corporal.robloxRank);
    expect(world.memberPatches()).toHaveLength(0);
    expect(await world.storedRankOf(member.discordId)).toBe("corporal");

    const stranger = await world.press(otherAdmin, asked, confirmId);
    expect(textOf(replyOf(stranger))).toContain("Only the admin who ran /promote can answer this.");
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.corporal.robloxRank);
    expect(world.memberPatches()).toHaveLength(0);

    const confirmed = await world.press(admin, asked, confirmId);
    expect(confirmed.callbacks[0]!.type).toBe(InteractionResponseType.DeferredMessageUpdate);
    const result = discord.channelMessages(asked.channel_id).find((m) => m.id === asked.id)!;
    expect(result.embeds[0]!.title).toBe("Member Promoted");
    expect(fieldOf(result, "Rank")).toBe("Corporal (Rank 10) → **Sergeant (Rank 20)**");
    expect(fieldOf(result, "Reason")).toBe("Covering for a sergeant");
    expect(buttonsOf(result)).toEqual([]);
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.sergeant.robloxRank);
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.sergeant]);
    expect(await world.storedRankOf(member.discordId)).toBe("sergeant");
    expect((await world.repositories.audit.listForMember(world.guildId, member.discordId))[0]).toMatchObject({
      action: "rank.promote",
      reason: "Covering for a sergeant",
    });
  });

  test("Cancel on the points confirmation changes nothing", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "corporal", points: 0 });
    const asked = replyOf(await world.command(admin, "promote", { member: member.discordId }));

    await world.press(admin, asked, "promote:cancel");

    const now = discord.channelMessages(asked.channel_id).find((m) => m.id === asked.id)!;
    expect(now.content).toBe("Cancelled. Nothing was changed.");
    expect(buttonsOf(now)).toEqual([]);
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.corporal.robloxRank);
    expect(world.memberPatches()).toHaveLength(0);
    expect(await world.repositories.audit.listForMember(world.guildId, member.discordId)).toEqual([]);
  });
  test("a confirmation pressed after the member's rank moved is refused, and its buttons go away", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private", points: 0 });
    const asked = replyOf(await world.command(admin, "promote", { member: member.discordId }));
    const confirmId = `promote:confirm:${member.discordId}:${world.rankIdOf("corporal")}`;
    expect(buttonsOf(asked)[0]!.custom_id).toBe(confirmId);
    // Meanwhile they earn the points and the owner makes them Corporal: "one rank up" now means Sergeant.
    await world.repositories.members.changePoints(world.guildId, member.discordId, { op: "set", amount: 50 });
    await world.command(world.ownerId, "set-rank", { member: member.discordId, rank: "Corporal" });
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.corporal.robloxRank);

    await world.press(admin, asked, confirmId);

    const now = discord.channelMessages(asked.channel_id).find((m) => m.id === asked.id)!;
    expect(now.content).toBe(
      `<@${member.discordId}>'s rank changed since you were asked to confirm; the next rank is now Sergeant (Rank 20). Run the command again.`,
    );
    expect(now.embeds).toEqual([]);
    expect(buttonsOf(now)).toEqual([]);
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.corporal.robloxRank);
  });
});

describe("/set-rank confirmation", () => {
  test("a rank above what the member's points allow is confirmed the same way", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private", points: 10 });

    const asked = replyOf(await world.command(admin, "set-rank", { member: member.discordId, rank: "Sergeant", reason: "Field promotion" }));
    const confirmId = `set-rank:confirm:${member.discordId}:${world.rankIdOf("sergeant")}`;
    expect(buttonsOf(asked).map((b) => b.custom_id)).toEqual([confirmId, "set-rank:cancel"]);
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.private.robloxRank);

    await world.press(admin, asked, confirmId);

    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.sergeant.robloxRank);
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.sergeant]);
    expect((await world.repositories.audit.listForMember(world.guildId, member.discordId))[0]).toMatchObject({
      action: "rank.set",
      actorId: admin,
      reason: "Field promotion",
    });
  });
});

describe("a member holding a Roblox role off the ladder (multi-role groups)", () => {
  test("/promote moves the ladder rank and the member keeps the other role, even one ranked above", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    // Nothing stored or in Discord: the rank to move from can only come from Roblox's roles[].
    const member = await world.linkedMember({ robloxRank: "private", discordRank: null, storedRank: null, points: 60 });
    roblox.addRoleToMember(GROUP_ID, member.robloxUserId, ROBLOX_ROLE.eventHost);

    const reply = replyOf(await world.command(admin, "promote", { member: member.discordId }));

    expect(fieldOf(reply, "Rank")).toBe("Private (Rank 2) → **Corporal (Rank 10)**");
    expect(fieldOf(reply, "Steps")).toContain("✅ Roblox rank: set to Corporal (Rank 10)");
    expect(roblox.membership(GROUP_ID, member.robloxUserId)!.roleIds.sort()).toEqual(
      [ROBLOX_ROLE.recruit, ROBLOX_ROLE.corporal, ROBLOX_ROLE.eventHost].sort(),
    );
    const writes = roblox.requests.filter((r) => r.method !== "GET" && r.path.includes(`/memberships/${membershipId(member.robloxUserId)}:`));
    expect(writes.map((r) => [r.path.split(":")[1], (r.body as { role: string }).role])).toEqual([
      ["assignRole", `groups/${GROUP_ID}/roles/${ROBLOX_ROLE.corporal}`],
      ["unassignRole", `groups/${GROUP_ID}/roles/${ROBLOX_ROLE.private}`],
    ]);
    expect(await world.storedRankOf(member.discordId)).toBe("corporal");
  });

  test("/demote takes the old rank role and keeps the other role", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "sergeant" });
    roblox.addRoleToMember(GROUP_ID, member.robloxUserId, ROBLOX_ROLE.eventHost);

    const reply = replyOf(await world.command(admin, "demote", { member: member.discordId }));

    expect(fieldOf(reply, "Rank")).toBe("Sergeant (Rank 20) → **Corporal (Rank 10)**");
    expect(roblox.membership(GROUP_ID, member.robloxUserId)!.roleIds.sort()).toEqual(
      [ROBLOX_ROLE.recruit, ROBLOX_ROLE.corporal, ROBLOX_ROLE.eventHost].sort(),
    );
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.corporal]);
  });
});

describe("/demote", () => {
  test("moves the member one rank down everywhere, points notwithstanding", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "sergeant", points: 0 });

    const reply = replyOf(await world.command(admin, "demote", { member: member.discordId, reason: "Missed three drills" }));

    expect(reply.embeds[0]!.title).toBe("Member Demoted");
    expect(fieldOf(reply, "Rank")).toBe("Sergeant (Rank 20) → **Corporal (Rank 10)**");
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.corporal.robloxRank);
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.corporal]);
    expect(await world.storedRankOf(member.discordId)).toBe("corporal");
    expect(discord.dmMessages(member.discordId)[0]!.content).toContain("You were demoted to **Corporal (Rank 10)**");
    expect((await world.repositories.audit.listForMember(world.guildId, member.discordId))[0]).toMatchObject({ action: "rank.demote", outcome: "ok" });
  });

  test("down to the group's base role, which Roblox gives by removing the other roles", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private" });

    const reply = replyOf(await world.command(admin, "demote", { member: member.discordId }));

    expect(fieldOf(reply, "Rank")).toBe("Private (Rank 2) → **Recruit (Rank 1)**");
    expect(roblox.membership(GROUP_ID, member.robloxUserId)).toMatchObject({ roleId: ROBLOX_ROLE.recruit, roleIds: [ROBLOX_ROLE.recruit] });
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.recruit]);
  });

  test("at the bottom of the ladder there is nothing to demote to, and nothing is sent", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "recruit" });

    const reply = replyOf(await world.command(admin, "demote", { member: member.discordId }));

    expect(reply.content).toBe("Recruit (Rank 1) is already the lowest rank.");
    expect(world.memberPatches()).toHaveLength(0);
  });
});

describe("/set-rank", () => {
  test("gives any rank below the admin's own, fixing extra rank roles on the way", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    // Holds two rank roles in Discord; the database is behind.
    const member = await world.linkedMember({ robloxRank: "recruit", discordRank: "recruit", storedRank: null, points: 500, extraRoleIds: [] });
    discord.setMemberRoles(world.guildId, member.discordId, [world.rankRole.recruit, world.rankRole.private]);

    const reply = replyOf(await world.command(admin, "set-rank", { member: member.discordId, rank: "sergeant" }));

    expect(reply.embeds[0]!.title).toBe("Rank Set");
    expect(fieldOf(reply, "Rank")).toBe("Recruit (Rank 1) → **Sergeant (Rank 20)**");
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.sergeant.robloxRank);
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.sergeant]);
    expect(await world.storedRankOf(member.discordId)).toBe("sergeant");
    expect((await world.repositories.audit.listForMember(world.guildId, member.discordId))[0]).toMatchObject({ action: "rank.set", outcome: "ok" });
    expectRequestsMatchSpecs(world);
  });

  test("a rank typed past the autocomplete that matches none is refused with suggestions, and nothing is sent", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private" });
    const robloxWritesBefore = roblox.requests.filter((r) => r.method === "POST").length;

    const reply = replyOf(await world.command(admin, "set-rank", { member: member.discordId, rank: "Sergant" }));

    expect(reply.content).toContain('No rank is called "Sergant". Did you mean "Sergeant"?');
    expect((reply.flags ?? 0) & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(world.memberPatches()).toHaveLength(0);
    expect(roblox.requests.filter((r) => r.method === "POST").length).toBe(robloxWritesBefore);
    expect(await world.storedRankOf(member.discordId)).toBe("private");
  });

  test("autocomplete offers the ladder's ranks matching what was typed", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private" });

    const interaction = await world.autocomplete(admin, "set-rank", { member: member.discordId, rank: "co" }, "rank");

    const callback = await interaction.waitForCallback();
    expect(callback.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    // Highest first (rank-autocomplete.ts's order); only names containing "co".
    expect(callback.data.choices).toEqual([
      { name: "Colonel (Rank 200)", value: "Colonel" },
      { name: "Corporal (Rank 10)", value: "Corporal" },
    ]);
  });

  test("setting the rank the member already holds everywhere changes nothing and says so", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "corporal" });

    const reply = replyOf(await world.command(admin, "set-rank", { member: member.discordId, rank: "Corporal" }));

    expect(reply.embeds[0]!.title).toBe("Rank Unchanged");
    expect(fieldOf(reply, "Steps")!.split("\n").every((line) => line.startsWith("➖"))).toBe(true);
    expect(world.memberPatches()).toHaveLength(0);
    expect(discord.dmMessages(member.discordId)).toEqual([]);
  });
});
