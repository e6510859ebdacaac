import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { MessageFlags } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { createWorld, expectRequestsMatchSpecs, phraseOf, replyOf, ROLE, robloxPlayer, seedRoblox, usernameOption, type World } from "./world.ts";

describe("/unlink", () => {
  let discord: DiscordEmulator;
  let roblox: RobloxEmulator;
  let world: World;

  beforeAll(async () => {
    [discord, roblox] = await Promise.all([startDiscordEmulator({ timeScale: 0.1 }), startRobloxEmulator()]);
    seedRoblox(roblox);
  });
  afterAll(async () => {
    await Promise.all([discord.close(), roblox.close()]);
  });
  afterEach(async () => {
    await world?.close();
  });

  /** A member linked the ordinary way (/link-roblox, phrase in the About, Confirm), holding the soldier role afterwards. */
  async function linkedMember(w: World, extraRoleIds: string[] = []) {
    const player = robloxPlayer(roblox, { roleId: ROLE.soldier });
    const memberId = w.addMember(extraRoleIds);
    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
    roblox.setUserDescription(player.id, phraseOf(reply));
    await (await w.pressConfirm(memberId, reply)).waitForCallback();
    expect(discord.memberRoleIds(w.guildId, memberId)).toContain(w.rankRole.soldier);
    return { player, memberId };
  }

  test("removes the link and the rank roles (other roles stay), audits it, and says so", async () => {
    world = await createWorld(discord, roblox);
    const w = world;
    const { player, memberId } = await linkedMember(w, [w.otherRoleId]);
    discord.resetCounters();

    const reply = replyOf(await w.command(memberId, "unlink"));
    expect(reply.flags! & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(reply.content).toContain(`is no longer linked to Roblox **${player.name}**`);
    expect(reply.content).toContain(`Rank roles removed: <@&${w.rankRole.soldier}>`);

    expect(discord.memberRoleIds(w.guildId, memberId)).toEqual([w.otherRoleId]);
    const member = (await w.repositories.members.get(w.guildId, memberId))!;
    expect(member.robloxUserId).toBeNull();
    expect(member.rankId).toBeNull();
    expect((await w.repositories.audit.listForMember(w.guildId, memberId)).map((e) => e.action)).toEqual(["unlink", "link"]);
    expectRequestsMatchSpecs(w);

    const again = replyOf(await w.command(memberId, "unlink"));
    expect(again.content).toContain("isn't linked to a Roblox account");
  });

  test("a rank role the bot may not remove is reported, not attempted; the link is still removed", async () => {
    world = await createWorld(discord, roblox);
    const w = world;
    const { memberId } = await linkedMember(w);
    w.moveRoleAboveBot(w.rankRole.soldier);
    discord.resetCounters();

    const reply = replyOf(await w.command(memberId, "unlink"));
    expect(reply.content).toContain("couldn't be removed");
    expect(reply.content).toContain('Move the rankbridge role above "E1 | Soldier"');
    expect(discord.requestsTo({ method: "PATCH", pathIncludes: "/members/" })).toHaveLength(0);
    expect(discord.invalidRequests).toBe(0);
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId).toBeNull();
    expect((await w.repositories.audit.listForMember(w.guildId, memberId))[0]).toMatchObject({ action: "unlink", outcome: "partial" });
  });
});
