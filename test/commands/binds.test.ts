import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { InteractionResponseType } from "discord-api-types/v10";
import { specProblems } from "../support/spec-check.ts";
import { answerOf, AUTOCOMPLETE, discordWrites, int, role, startCommandWorld, str, sub, type CommandWorld } from "./harness.ts";

/** `/binds` (design §3.1) through the real router, against both emulators. */
let world: CommandWorld;
const GROUP = 7;
const ALLY = 8;
const MANAGE_ROLES = 1n << 28n;

beforeAll(async () => {
  world = await startCommandWorld();
  world.seedGroup(GROUP, "Army");
  world.seedGroup(ALLY, "Navy");
});
afterAll(() => world.close());

/** A guild with a four-rank ladder, each rank bound to its own role (all below the bot). */
async function newGuild() {
  const guild = world.discord.createGuild({ name: `Binds ${Math.random().toString(36).slice(2, 8)}` });
  await world.repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP });
  const rankRole = {
    captain: world.discord.createRole(guild.id, { name: "Captain" }).id,
    sergeant: world.discord.createRole(guild.id, { name: "Sergeant" }).id,
    corporal: world.discord.createRole(guild.id, { name: "Corporal" }).id,
    recruit: world.discord.createRole(guild.id, { name: "Recruit" }).id,
  };
  await world.repositories.ranks.replace(guild.id, [
    { name: "Recruit", robloxRoleId: GROUP * 1000 + 3, robloxRank: 1, discordRoleId: rankRole.recruit },
    { name: "Corporal", robloxRoleId: GROUP * 1000 + 7, robloxRank: 10, discordRoleId: rankRole.corporal },
    { name: "Sergeant", robloxRoleId: GROUP * 1000 + 8, robloxRank: 20, discordRoleId: rankRole.sergeant },
    { name: "Captain", robloxRoleId: GROUP * 1000 + 12, robloxRank: 120, discordRoleId: rankRole.captain },
  ]);
  const extra = world.discord.createRole(guild.id, { name: "Squad Leader" }).id;
  const ally = world.discord.createRole(guild.id, { name: "Navy Ally" }).id;
  return { guild, rankRole, extra, ally };
}

async function binds(guildId: string, userId: string, subcommand: string, ...options: Parameters<typeof sub>[1][]) {
  return answerOf(await world.command(guildId, userId, "binds", [sub(subcommand, ...options)]));
}

/** Everything a refused command must leave as it was. */
async function snapshot(guildId: string) {
  return {
    binds: await world.repositories.binds.list(guildId),
    audit: (await world.repositories.audit.listLatest(guildId, { limit: 50 })).length,
    writes: discordWrites(world).filter((request) => request.path.includes(guildId)).length,
  };
}

describe("/binds add-rank-role", () => {
  test("a rank gives a second role; audited; /binds list shows each role with the binds it comes from", async () => {
    const { guild, rankRole, extra } = await newGuild();
    const added = await binds(guild.id, guild.ownerId, "add-rank-role", str("rank", "sergeant"), role("role", extra));
    expect(added.content).toBe(`**Sergeant (Rank 20)** now also gives <@&${extra}>. Members' roles follow at the next /sync.`);
    const stored = (await world.repositories.binds.list(guild.id)).filter((bind) => bind.roleIds.includes(extra));
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ kind: "rank", origin: { kind: "stored", rankRole: false } });
    const audit = (await world.repositories.audit.listLatest(guild.id, { limit: 1, action: "binds.add" }))[0]!;
    expect(audit).toMatchObject({ actorId: guild.ownerId, before: null, after: { kind: "rank", rank: "Sergeant", roleIds: [extra] } });
    const sergeantRank = (await world.repositories.ranks.list(guild.id)).find((rank) => rank.name === "Sergeant")!;
    expect(audit.detail).toBe(`Bind #${stored[0]!.origin.id} (rank #${sergeantRank.id}) gives role ${extra}`);

    // The same rank gives the same role again: nothing changes.
    const again = await binds(guild.id, guild.ownerId, "add-rank-role", str("rank", "Sergeant"), role("role", extra));
    expect(again.content).toBe(`**Sergeant (Rank 20)** already gives <@&${extra}>. Nothing was changed.`);
    expect((await world.repositories.binds.list(guild.id)).filter((bind) => bind.roleIds.includes(extra))).toHaveLength(1);
    // A second rank may give the same extra role.
    await binds(guild.id, guild.ownerId, "add-rank-role", str("rank", "Captain"), role("role", extra));

    await world.repositories.guilds.upsert(guild.id, { verifiedRoleId: world.discord.createRole(guild.id, { name: "Verified" }).id });
    const list = await binds(guild.id, guild.ownerId, "list");
    const lines = list.embeds[0]!.description!.split("\n");
    const squadLine = lines.find((line) => line.startsWith(`<@&${extra}>`))!;
    expect(squadLine).toMatch(/rank \*\*Sergeant \(Rank 20\)\*\*; #\d+ rank \*\*Captain \(Rank 120\)\*\*$/);
    expect(lines.find((line) => line.startsWith(`<@&${rankRole.sergeant}>`))).toMatch(/^<@&\d+> from #\d+ rank \*\*Sergeant \(Rank 20\)\*\* \(the rank's own role\)$/);
    expect(lines.some((line) => line.endsWith("from setting linked members (the verified role)"))).toBe(true);
    expect(list.embeds[0]!.title).toBe("Binds: 6 roles managed");
    expect(specProblems(world)).toEqual([]);
  });

  test("autocomplete offers the ladder's ranks to admins, and nothing to other members", async () => {
    const { guild } = await newGuild();
    const ask = async (userId: string, typed: string) => {
      const injected = await world.run({
        guildId: guild.id,
        userId,
        type: AUTOCOMPLETE,
        commandName: "binds",
        options: [sub("add-rank-role", str("rank", typed, true))],
      });
      expect(injected.callbacks[0]!.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
      return injected.callbacks[0]!.data.choices as { name: string; value: string }[];
    };
    expect(await ask(guild.ownerId, "ser")).toEqual([{ name: "Sergeant (Rank 20)", value: "Sergeant" }]);
    expect((await ask(guild.ownerId, "")).map((choice) => choice.value)).toEqual(["Captain", "Sergeant", "Corporal", "Recruit"]);
    const member = world.discord.addMember(guild.id, { username: "lurker" }).user.id;
    expect(await ask(member, "")).toEqual([]);
  });
});

describe("refusals change nothing", () => {
  test("@everyone, a managed role, a role above the bot, an unknown rank", async () => {
    const { guild } = await newGuild();
    const managed = world.discord.createRole(guild.id, { name: "Twitch Subscriber", managed: true }).id;
    const botRole = world.discord.guild(guild.id)!.botRoleId;
    const above = world.discord.createRole(guild.id, { name: "High Council", position: world.discord.role(guild.id, botRole)!.position + 1 }).id;
    const before = await snapshot(guild.id);

    const everyone = await binds(guild.id, guild.ownerId, "add-rank-role", str("rank", "Corporal"), role("role", guild.id));
    expect(everyone.content).toBe("@everyone can't be given by a bind: every member has it. Pick another role. Nothing was changed.");
    const integration = await binds(guild.id, guild.ownerId, "add-rank-role", str("rank", "Corporal"), role("role", managed));
    expect(integration.content).toBe(
      `Can't bind <@&${managed}>: it is a role managed by an integration, which Discord lets nobody give or take. Pick a normal role. Nothing was changed.`,
    );
    const bot = await binds(guild.id, guild.ownerId, "add-range", int("group", GROUP), int("min-rank", 1), int("max-rank", 5), role("role", botRole));
    expect(bot.content).toContain("it is a bot's own role");
    const tooHigh = await binds(guild.id, guild.ownerId, "add-rank-role", str("rank", "Corporal"), role("role", above));
    expect(tooHigh.content).toBe(`Can't bind <@&${above}>: Move the rankbridge role above "High Council" in Server Settings → Roles. Nothing was changed.`);
    const unknown = await binds(guild.id, guild.ownerId, "add-rank-role", str("rank", "Admiral"), role("role", managed));
    expect(unknown.content).toContain('No rank is called "Admiral"');
    expect(await snapshot(guild.id)).toEqual(before);
  });

  test("ranges outside 0-255, min above max, a group id that is not a positive integer or does not exist", async () => {
    const { guild, ally } = await newGuild();
    const before = await snapshot(guild.id);
    const range = (group: number, min: number, max: number) =>
      binds(guild.id, guild.ownerId, "add-range", int("group", group), int("min-rank", min), int("max-rank", max), role("role", ally));

    const outside = "Roblox rank numbers run from 0 (not in the group) to 255 (owner): min-rank and max-rank must lie between them. Nothing was changed.";
    expect((await range(ALLY, -1, 5)).content).toBe(outside);
    expect((await range(ALLY, 1, 256)).content).toBe(outside);
    expect((await range(ALLY, 30, 10)).content).toBe("min-rank (30) is above max-rank (10). Nothing was changed.");
    const badGroup = "The group id is the whole number in the group's address: roblox.com/communities/<id>/... Nothing was changed.";
    expect((await range(0, 1, 5)).content).toBe(badGroup);
    expect((await range(-8, 1, 5)).content).toBe(badGroup);
    expect((await range(424_242, 1, 5)).content).toBe(
      "No Roblox group with id 424242 was found. The id is the number in the group's address: roblox.com/communities/<id>/... Nothing was changed.",
    );
    expect(await snapshot(guild.id)).toEqual(before);
  });

  test("the actor's ceiling: roles at or above their highest role, ranks at or above theirs, privileged roles", async () => {
    const { guild, rankRole, extra } = await newGuild();
    const staff = world.discord.createRole(guild.id, { name: "Staff", permissions: MANAGE_ROLES, position: world.discord.role(guild.id, rankRole.sergeant)!.position + 1 }).id;
    const moderators = world.discord.createRole(guild.id, { name: "Moderators", permissions: 1n << 1n }).id; // Kick Members
    // A sergeant with Manage Roles through Staff, which sits just above the Sergeant role.
    const sergeant = world.discord.addMember(guild.id, { username: "sarge", roles: [staff, rankRole.sergeant] }).user.id;
    const before = await snapshot(guild.id);

    const aboveActor = await binds(guild.id, sergeant, "add-rank-role", str("rank", "Recruit"), role("role", rankRole.captain));
    expect(aboveActor.content).toBe(`Can't bind <@&${rankRole.captain}>: you can only bind roles below your own highest role (Staff), and <@&${rankRole.captain}> is not below it. Nothing was changed.`);
    const ownRank = await binds(guild.id, sergeant, "add-rank-role", str("rank", "Sergeant"), role("role", extra));
    expect(ownRank.content).toBe(`Can't bind <@&${extra}>: you can only bind ranks below your own (Sergeant (Rank 20)). Nothing was changed.`);
    // A range in the guild's own group reaching the actor's rank number is a rank at or above theirs.
    const ownRange = await binds(guild.id, sergeant, "add-range", int("group", GROUP), int("min-rank", 1), int("max-rank", 20), role("role", extra));
    expect(ownRange.content).toContain("you can only bind ranks below your own (Sergeant (Rank 20))");
    const privileged = await binds(guild.id, sergeant, "add-rank-role", str("rank", "Recruit"), role("role", moderators));
    expect(privileged.content).toBe(
      `Can't bind <@&${moderators}>: <@&${moderators}> grants Kick Members, so only the server owner or an Administrator may bind it to a rank. Nothing was changed.`,
    );
    const plain = world.discord.addMember(guild.id, { username: "plain" }).user.id;
    expect((await binds(guild.id, plain, "add-rank-role", str("rank", "Recruit"), role("role", extra))).content).toBe(
      "You need the Manage Roles permission to use this command.",
    );
    expect(await snapshot(guild.id)).toEqual(before);

    // Below both ceilings it works, and a range in another group is judged on its role alone.
    expect((await binds(guild.id, sergeant, "add-rank-role", str("rank", "Corporal"), role("role", extra))).content).toContain("now also gives");
    expect((await binds(guild.id, sergeant, "add-range", int("group", ALLY), int("min-rank", 200), int("max-rank", 255), role("role", extra))).content).toContain(
      "Anyone with rank numbers 200–255 in group 8 now holds",
    );
  });
});

describe("/binds add-range", () => {
  test("a range on an ally group and a guest range on the own group; both listed, audited", async () => {
    const { guild, ally, extra } = await newGuild();
    const added = await binds(guild.id, guild.ownerId, "add-range", int("group", ALLY), int("min-rank", 1), int("max-rank", 255), role("role", ally));
    expect(added.content).toBe(`Anyone with rank numbers 1–255 in group ${ALLY} now holds <@&${ally}>. Members' roles follow at the next /sync.`);
    const guests = await binds(guild.id, guild.ownerId, "add-range", int("group", GROUP), int("min-rank", 0), int("max-rank", 0), role("role", extra));
    expect(guests.content).toBe(
      `Anyone with rank number 0 in this server's group (${GROUP}) (0: not in the group) now holds <@&${extra}>. Members' roles follow at the next /sync.`,
    );
    const ranges = (await world.repositories.binds.list(guild.id)).filter((bind) => bind.kind === "range");
    expect(ranges.map((bind) => bind.kind === "range" && [bind.groupId, bind.minRank, bind.maxRank, bind.roleIds])).toEqual([
      [ALLY, 1, 255, [ally]],
      [GROUP, 0, 0, [extra]],
    ]);
    expect((await world.repositories.audit.listLatest(guild.id, { limit: 5, action: "binds.add" })).map((row) => row.after)).toEqual([
      { bindId: ranges[1]!.origin.id, kind: "range", groupId: GROUP, minRank: 0, maxRank: 0, roleIds: [extra] },
      { bindId: ranges[0]!.origin.id, kind: "range", groupId: ALLY, minRank: 1, maxRank: 255, roleIds: [ally] },
    ]);
    // The group's existence was asked of Roblox.
    expect(world.roblox.requests.some((request) => request.path.includes(`/groups/${ALLY}`))).toBe(true);
    const list = await binds(guild.id, guild.ownerId, "list");
    expect(list.text).toContain(`<@&${ally}> from #${ranges[0]!.origin.id} rank numbers 1–255 in group ${ALLY}`);
  });
});

describe("/binds remove", () => {
  test("autocomplete lists this guild's binds by #number; removing one is audited and leaves members' roles alone", async () => {
    const { guild, extra, ally, rankRole } = await newGuild();
    const other = await newGuild();
    await binds(guild.id, guild.ownerId, "add-rank-role", str("rank", "Corporal"), role("role", extra));
    await binds(guild.id, guild.ownerId, "add-range", int("group", ALLY), int("min-rank", 1), int("max-rank", 255), role("role", ally));
    const holder = world.discord.addMember(guild.id, { username: "holder", roles: [extra, rankRole.corporal] }).user.id;
    const extraBind = (await world.repositories.binds.list(guild.id)).find((bind) => bind.roleIds.includes(extra))!;

    const injected = await world.run({ guildId: guild.id, userId: guild.ownerId, type: AUTOCOMPLETE, commandName: "binds", options: [sub("remove", str("bind", "squad", true))] });
    expect(injected.callbacks[0]!.data.choices).toEqual([{ name: `#${extraBind.origin.id} rank Corporal (Rank 10) → @Squad Leader`, value: String(extraBind.origin.id) }]);
    const all = await world.run({ guildId: guild.id, userId: guild.ownerId, type: AUTOCOMPLETE, commandName: "binds", options: [sub("remove", str("bind", "", true))] });
    expect((all.callbacks[0]!.data.choices as unknown[]).length).toBe((await world.repositories.binds.list(guild.id)).length);

    // Another guild's bind id names nothing here.
    const foreign = (await world.repositories.binds.list(other.guild.id))[0]!.origin.id;
    const before = await snapshot(guild.id);
    expect((await binds(guild.id, guild.ownerId, "remove", str("bind", String(foreign)))).content).toBe(
      `This server has no bind ${foreign}. Run /binds list to see the binds and their #numbers. Nothing was changed.`,
    );
    expect((await binds(guild.id, guild.ownerId, "remove", str("bind", "the squad one"))).content).toContain("This server has no bind the squad one.");
    expect(await snapshot(guild.id)).toEqual(before);
    expect((await world.repositories.binds.list(other.guild.id)).some((bind) => bind.origin.id === foreign)).toBe(true);

    const removed = await binds(guild.id, guild.ownerId, "remove", str("bind", `#${extraBind.origin.id}`));
    expect(removed.content).toBe(
      `Removed the bind for rank **Corporal (Rank 10)** (<@&${extra}>). rankbridge stops giving or taking a role no other bind gives; members keep what they hold now.`,
    );
    expect(await world.repositories.binds.get(guild.id, extraBind.origin.id)).toBeUndefined();
    expect((await world.repositories.audit.listLatest(guild.id, { limit: 1, action: "binds.remove" }))[0]).toMatchObject({
      actorId: guild.ownerId,
      before: { bindId: extraBind.origin.id, kind: "rank", roleIds: [extra] },
      after: null,
    });
    expect(world.discord.memberRoleIds(guild.id, holder)?.sort()).toEqual([extra, rankRole.corporal].sort());
  });
});
