import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { InteractionResponseType, MessageFlags } from "discord-api-types/v10";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { auditEntryReason } from "../../src/discord/views/audit-notes.ts";
import {
  buttonsOf,
  createWorld,
  expectRequestsMatchSpecs,
  GROUP_ID,
  MAX_RETRIES,
  phraseOf,
  replyOf,
  ROLE,
  robloxPlayer,
  seedRoblox,
  textOf,
  usernameOption,
  type World,
} from "./world.ts";

/** `/link-roblox` with the profile phrase, against both emulators over real sockets. */
describe("/link-roblox with the profile phrase", () => {
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
    roblox.failures.clear();
    await world?.close();
  });

  async function fresh(): Promise<World> {
    world = await createWorld(discord, roblox);
    discord.resetCounters();
    roblox.requests.length = 0;
    return world;
  }

  test("happy path: phrase in About → linked, reply shows the rank, Discord rank role set and stale rank roles removed", async () => {
    const w = await fresh();
    const player = robloxPlayer(roblox, { roleId: ROLE.soldier });
    const memberId = w.addMember([w.rankRole.recruit, w.otherRoleId]);

    const started = await w.command(memberId, "link-roblox", usernameOption(`  ${player.name.toLowerCase()} `));
    const callback = await started.waitForCallback();
    expect(callback.type).toBe(InteractionResponseType.ChannelMessageWithSource);
    const reply = replyOf(started);
    expect(reply.flags! & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    const phrase = phraseOf(reply);
    expect(phrase).toMatch(/^rankbridge: (\w+ ){4}[2-9A-Z]{4}$/);
    expect(textOf(reply)).toContain(`https://www.roblox.com/users/${player.id}/profile`);
    expect(textOf(reply)).toContain("About");
    const buttons = buttonsOf(reply);
    expect(buttons.map((b) => b.custom_id ?? b.url)).toEqual(["link-roblox:confirm"]);
    // Nothing is linked before the proof.
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();

    roblox.setUserDescription(player.id, `Hello!\n${phrase}\nSee you in game.`);
    const confirmed = await w.pressConfirm(memberId, reply);
    expect((await confirmed.waitForCallback()).type).toBe(InteractionResponseType.DeferredMessageUpdate);

    const updated = w.messageNow(reply.id);
    expect(textOf(updated)).toContain("Your current Roblox rank: E1 | Soldier (Rank 3)");
    expect(textOf(updated)).toContain(`<@&${w.rankRole.soldier}>`);
    expect(textOf(updated)).toContain(player.name);
    expect(updated.components ?? []).toEqual([]);

    expect(discord.memberRoleIds(w.guildId, memberId)?.sort()).toEqual([w.rankRole.soldier, w.otherRoleId].sort());
    // One request set the roles: add and remove together.
    expect(discord.requestsTo({ method: "PATCH", pathIncludes: `/guilds/${w.guildId}/members/${memberId}` })).toHaveLength(1);

    const member = (await w.repositories.members.get(w.guildId, memberId))!;
    expect(member).toMatchObject({ robloxUserId: player.id, robloxUsername: player.name, verifiedBy: "profile-phrase" });
    expect((await w.repositories.ranks.get(w.guildId, member.rankId!))?.robloxRoleId).toBe(ROLE.soldier);
    expect(await w.repositories.linkChallenges.get(w.guildId, memberId, "phrase")).toBeUndefined();
    const audit = await w.repositories.audit.listForMember(w.guildId, memberId);
    expect(audit.map((e) => [e.action, e.outcome, e.targetRobloxUserId])).toEqual([["link", "ok", player.id]]);

    expectRequestsMatchSpecs(w);
  });

  test("the rank role is above the bot's role: reported for an admin, and no request that must fail is sent", async () => {
    const w = await fresh();
    const guild = discord.guild(w.guildId)!;
    // Move the bound role to the top, above the bot's managed role.
    w.moveRoleAboveBot(w.rankRole.soldier);
    expect(discord.role(w.guildId, w.rankRole.soldier)!.position).toBeGreaterThan(discord.role(w.guildId, guild.botRoleId)!.position);
    const player = robloxPlayer(roblox, { roleId: ROLE.soldier });
    const memberId = w.addMember();

    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
    roblox.setUserDescription(player.id, phraseOf(reply));
    await w.pressConfirm(memberId, reply);

    const text = textOf(w.messageNow(reply.id));
    expect(text).toContain("Your current Roblox rank: E1 | Soldier (Rank 3)");
    expect(text).toContain('Move the rankbridge role above "E1 | Soldier"');
    expect(discord.requestsTo({ method: "PATCH", pathIncludes: "/members/" })).toHaveLength(0);
    expect(discord.invalidRequests).toBe(0);
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId).toBe(player.id);
    expect((await w.repositories.audit.listForMember(w.guildId, memberId))[0]?.outcome).toBe("partial");
  });

  test("unknown username: says so, and no phrase is handed out", async () => {
    const w = await fresh();
    const memberId = w.addMember();
    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption("NobodyHasThisName")));
    expect(reply.content).toContain("No Roblox account is called **NobodyHasThisName**");
    expect(reply.flags! & MessageFlags.Ephemeral).toBe(MessageFlags.Ephemeral);
    expect(await w.repositories.linkChallenges.get(w.guildId, memberId, "phrase")).toBeUndefined();
    expect(roblox.requests.map((r) => `${r.method} ${r.path}`)).toEqual(["POST /v1/usernames/users"]);
  });

  test("not in the group: asks them to join, with the group's link", async () => {
    const w = await fresh();
    const outsider = robloxPlayer(roblox, { roleId: null });
    const memberId = w.addMember();
    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(outsider.name)));
    expect(reply.content).toContain(`https://www.roblox.com/communities/${GROUP_ID}`);
    expect(reply.content).toContain("isn't in this server's Roblox group");
    expect(await w.repositories.linkChallenges.get(w.guildId, memberId, "phrase")).toBeUndefined();
  });

  test("the rank cannot be fetched (503 until the retries run out): try again later", async () => {
    const w = await fresh();
    const player = robloxPlayer(roblox);
    const memberId = w.addMember();
    roblox.failures.inject({ pathIncludes: "/cloud/v2/groups/-/memberships", status: 503, times: MAX_RETRIES + 1 });

    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
    expect(reply.content).toContain("Couldn't check your Roblox account and rank right now");
    expect(reply.content).toContain("Try again");
    expect(roblox.failures.pending).toBe(0);
    expect(roblox.requests.filter((r) => r.injected)).toHaveLength(MAX_RETRIES + 1);
    expect(await w.repositories.linkChallenges.get(w.guildId, memberId, "phrase")).toBeUndefined();
  });

  test("200-character and emoji usernames get a clear message and no Roblox request", async () => {
    const w = await fresh();
    const memberId = w.addMember();
    for (const input of ["x".repeat(200), "🎮GamerKid🎮", "ab", "bad name"]) {
      const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(input)));
      expect(reply.content).toContain("isn't a valid Roblox username");
      expect(reply.content).toContain("3 to 20 characters");
    }
    expect(roblox.requests).toEqual([]);
  });

  test("an expired phrase is refused even when it is in the About, and the button goes away", async () => {
    const w = await fresh();
    const player = robloxPlayer(roblox);
    const memberId = w.addMember();
    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
    roblox.setUserDescription(player.id, phraseOf(reply));

    w.clock.now += 15 * 60_000 + 1;
    await w.pressConfirm(memberId, reply);

    const updated = w.messageNow(reply.id);
    expect(textOf(updated)).toContain("Your linking phrase has expired");
    expect(updated.components ?? []).toEqual([]);
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();
    expect(discord.memberRoleIds(w.guildId, memberId)).toEqual([]);
  });

  test("spoofing: confirming without the phrase in the profile fails with instructions and keeps the button", async () => {
    const w = await fresh();
    const victim = robloxPlayer(roblox, { description: "rankbridge: amber falcon river otter 7Q2K" });
    const memberId = w.addMember();
    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(victim.name)));
    expect(phraseOf(reply)).not.toBe("rankbridge: amber falcon river otter 7Q2K");

    await w.pressConfirm(memberId, reply);

    const updated = w.messageNow(reply.id);
    expect(textOf(updated)).toContain("The phrase isn't in your Roblox profile's About yet");
    expect(textOf(updated)).toContain(phraseOf(reply)); // the instructions are still there
    expect(buttonsOf(updated).map((b) => b.custom_id)).toEqual(["link-roblox:confirm"]);
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();
    expect(discord.requestsTo({ method: "PATCH", pathIncludes: "/members/" })).toHaveLength(0);

    // A second try after adding it works from the same message.
    roblox.setUserDescription(victim.id, phraseOf(reply));
    await w.pressConfirm(memberId, reply);
    expect(textOf(w.messageNow(reply.id))).toContain("Your current Roblox rank: E1 | Soldier (Rank 3)");
  });

  test("a second Discord account cannot take over a linked Roblox account without proof; with proof the link moves", async () => {
    const w = await fresh();
    const player = robloxPlayer(roblox, { roleId: ROLE.corporal });
    const ownerId = w.addMember();
    const ownerReply = replyOf(await w.command(ownerId, "link-roblox", usernameOption(player.name)));
    // The owner leaves their (used) phrase in the About.
    roblox.setUserDescription(player.id, phraseOf(ownerReply));
    await w.pressConfirm(ownerId, ownerReply);
    expect((await w.repositories.members.get(w.guildId, ownerId))?.robloxUserId).toBe(player.id);
    expect(discord.memberRoleIds(w.guildId, ownerId)).toEqual([w.rankRole.corporal]);

    const intruderId = w.addMember();
    const intruderReply = replyOf(await w.command(intruderId, "link-roblox", usernameOption(player.name)));
    expect(textOf(intruderReply)).toContain("linked to another Discord account here");
    await w.pressConfirm(intruderId, intruderReply);

    const refused = textOf(w.messageNow(intruderReply.id));
    expect(refused).toContain("The phrase isn't in your Roblox profile's About yet");
    expect(refused).toContain("only the account's owner can move the link");
    expect((await w.repositories.members.get(w.guildId, ownerId))?.robloxUserId).toBe(player.id);
    expect((await w.repositories.members.get(w.guildId, intruderId))?.robloxUserId ?? null).toBeNull();
    expect(discord.memberRoleIds(w.guildId, intruderId)).toEqual([]);

    // The real owner of the Roblox account on a new Discord account: the new phrase is the proof.
    roblox.setUserDescription(player.id, phraseOf(intruderReply));
    await w.pressConfirm(intruderId, intruderReply);
    expect(textOf(w.messageNow(intruderReply.id))).toContain(`The link was moved from <@${ownerId}>`);
    expect((await w.repositories.members.get(w.guildId, intruderId))?.robloxUserId).toBe(player.id);
    expect((await w.repositories.members.get(w.guildId, ownerId))?.robloxUserId ?? null).toBeNull();
    expect(discord.memberRoleIds(w.guildId, intruderId)).toEqual([w.rankRole.corporal]);
    expect(discord.memberRoleIds(w.guildId, ownerId)).toEqual([]);
    const previousHolderAudit = await w.repositories.audit.listForMember(w.guildId, ownerId);
    expect(previousHolderAudit[0]).toMatchObject({ action: "unlink", actorId: intruderId });
    expect(auditEntryReason(previousHolderAudit[0]!)).toContain("proved ownership");
  });
});
