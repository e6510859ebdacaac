import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { InteractionResponseType } from "discord-api-types/v10";
import { rankChoices } from "../../src/discord/commands/rank-autocomplete.ts";
import { specProblems } from "../support/spec-check.ts";
import { discordValidator } from "../support/openapi.ts";
import {
  answerOf,
  AUTOCOMPLETE,
  bool,
  discordWrites,
  int,
  role,
  startCommandWorld,
  str,
  sub,
  type CommandWorld,
} from "./harness.ts";

const MANAGE_ROLES = 1 << 28;
const GROUP = 7;
const OTHER_GROUP = 8;

let world: CommandWorld;

beforeAll(async () => {
  world = await startCommandWorld();
  world.seedGroup(GROUP, "Army");
  world.seedGroup(OTHER_GROUP, "Navy");
});
afterAll(() => world.close());

/** A fresh guild mirroring `groupId`, so tests don't see each other's ladders. */
async function newGuild(groupId: number | null = GROUP) {
  const guild = world.discord.createGuild({ name: `Guild ${Math.random().toString(36).slice(2, 8)}` });
  if (groupId !== null) await world.repositories.guilds.upsert(guild.id, { robloxGroupId: groupId });
  return guild;
}

function plainMember(guildId: string, username = "member") {
  return world.discord.addMember(guildId, { username }).user.id;
}

async function importLadder(guildId: string, ownerId: string, createMissingRoles = false) {
  return answerOf(await world.command(guildId, ownerId, "ranks", [sub("import", ...(createMissingRoles ? [bool("create-missing-roles", true)] : []))]));
}

describe("command definitions", () => {
  test("are accepted by Discord's command registration and match the spec", async () => {
    const definitions = world.commands.map((command) => command.definition);
    expect(definitions.map((d) => d.name)).toEqual(["ranks", "list-ranks", "config", "points", "audit", "binds"]);
    await world.api.applicationCommands.bulkOverwriteGlobalCommands(world.discord.applicationId, definitions);
    expect(world.discord.commands.global.map((c) => c.name).sort()).toEqual(["audit", "binds", "config", "list-ranks", "points", "ranks"]);

    const registration = world.discord.requests.filter((r) => r.method === "PUT" && r.path.endsWith("/commands"));
    expect(registration).toHaveLength(1);
    expect(registration[0]!.status).toBe(200);
    const validator = discordValidator();
    for (const request of registration) {
      expect(validator.validate({ method: request.method, url: request.path, headers: request.headers, body: request.body }).errors).toEqual([]);
    }

    const byName = new Map(definitions.map((d) => [d.name, d]));
    const registered = new Map(world.discord.commands.global.map((c) => [c.name, c]));
    for (const admin of ["ranks", "config", "audit", "binds"]) {
      expect(byName.get(admin)!.default_member_permissions as unknown).toBe(MANAGE_ROLES);
      expect(registered.get(admin)!.default_member_permissions).toBe(String(MANAGE_ROLES));
    }
    // /points show is for everyone, /list-ranks too: their admin parts are checked by the handler.
    expect(byName.get("points")!.default_member_permissions).toBeUndefined();
    expect(byName.get("list-ranks")!.default_member_permissions).toBeUndefined();
    for (const definition of definitions) expect(definition.contexts).toEqual([0]);
  });
});

describe("/ranks import", () => {
  test("reads every Roblox role but Guest, binds same-named Discord roles case-insensitively, lists the rest as not bound", async () => {
    const guild = await newGuild();
    const recruit = world.discord.createRole(guild.id, { name: "RECRUIT" });
    const sergeant = world.discord.createRole(guild.id, { name: "  sergeant " });
    world.discord.createRole(guild.id, { name: "Sergeant Major" });

    const answer = await importLadder(guild.id, guild.ownerId);
    expect(answer.ephemeral).toBe(true);

    const ladder = await world.repositories.ranks.list(guild.id);
    expect(ladder.map((rank) => rank.name)).toEqual([
      "Recruit", "Private", "Private First Class", "Corporal", "Sergeant", "Staff Sergeant", "Second Lieutenant",
      "First Lieutenant", "Captain", "Major", "Colonel", "General", "Ranking Bot", "Owner",
    ]);
    expect(ladder.some((rank) => rank.robloxRank === 0)).toBe(false);
    const bound = Object.fromEntries(ladder.filter((rank) => rank.discordRoleId).map((rank) => [rank.name, rank.discordRoleId]));
    expect(bound).toEqual({ Recruit: recruit.id, Sergeant: sergeant.id });

    expect(answer.text).toContain(`**Recruit** · Roblox rank 1 (role ${GROUP * 1000 + 3}) · <@&${recruit.id}>`);
    expect(answer.text).toContain(`**Corporal** · Roblox rank 10 (role ${GROUP * 1000 + 7}) · not bound`);
    expect(answer.text).toContain("12 ranks not bound to a Discord role");

    const [entry] = await world.repositories.audit.listLatest(guild.id, { action: "ranks.import" });
    expect(entry).toMatchObject({ actorId: guild.ownerId, outcome: "ok" });
    expect((entry!.after as unknown[]).length).toBe(14);
  });

  test("keeps a manual binding on re-import, warns about roles above the bot, and reports removed ranks", async () => {
    const guild = await newGuild();
    const nco = world.discord.createRole(guild.id, { name: "NCO" });
    const general = world.discord.createRole(guild.id, { name: "General", position: 999 }); // above the bot's role
    await importLadder(guild.id, guild.ownerId);
    await world.command(guild.id, guild.ownerId, "ranks", [sub("bind", str("rank", "Corporal"), role("role", nco.id))]);
    // A rank whose Roblox role has since been deleted from the group.
    const current = (await world.repositories.ranks.list(guild.id)).map(({ name, robloxRoleId, robloxRank }) => ({ name, robloxRoleId, robloxRank }));
    await world.repositories.ranks.replace(guild.id, [...current, { name: "Retired", robloxRoleId: 99_999, robloxRank: 40 }]);

    const answer = await importLadder(guild.id, guild.ownerId);
    const ladder = await world.repositories.ranks.list(guild.id);
    expect(ladder.find((rank) => rank.name === "Corporal")!.discordRoleId).toBe(nco.id);
    expect(ladder.find((rank) => rank.name === "General")!.discordRoleId).toBe(general.id);
    expect(answer.text).toContain(`rankbridge can't give <@&${general.id}> yet: move rankbridge's role above it in Server Settings → Roles.`);
    expect(answer.text).toContain("0 ranks added, 1 removed.");
    expect(answer.text).toContain("No longer in the group: **Retired**.");
    expect(ladder.map((rank) => rank.name)).not.toContain("Retired");
  });

  test("create-missing-roles creates a role for each unbound rank below the bot's role, in ladder order", async () => {
    const guild = await newGuild();
    const sergeant = world.discord.createRole(guild.id, { name: "Sergeant" });
    const before = world.discord.requests.length;

    const answer = await importLadder(guild.id, guild.ownerId, true);
    const ladder = await world.repositories.ranks.list(guild.id);
    expect(ladder.every((rank) => rank.discordRoleId !== null)).toBe(true);
    expect(ladder.find((rank) => rank.name === "Sergeant")!.discordRoleId).toBe(sergeant.id);

    const created = world.discord.requests.slice(before).filter((r) => r.method === "POST" && r.path.endsWith(`/guilds/${guild.id}/roles`));
    expect(created).toHaveLength(13);
    expect(created.every((r) => r.status === 200 && (r.body as { permissions: number }).permissions === 0)).toBe(true);

    const roles = world.discord.roles(guild.id);
    const positionOf = (id: string) => roles.find((r) => r.id === id)!.position;
    const botPosition = positionOf(guild.botRoleId);
    const createdIds = ladder.filter((rank) => rank.name !== "Sergeant").map((rank) => rank.discordRoleId!);
    expect(createdIds.every((id) => positionOf(id) < botPosition)).toBe(true);
    // Lowest rank lowest: the created roles ascend with the ladder.
    const positions = createdIds.map(positionOf);
    expect(positions).toEqual([...positions].sort((a, b) => a - b));
    expect(world.discord.roleByName(guild.id, "Private First Class")).toBeDefined();
    expect(answer.text).toContain("Created 13 Discord roles");
  });

  test("create-missing-roles without the bot's Manage Roles says what to fix and changes nothing", async () => {
    const guild = await newGuild();
    world.discord.updateRole(guild.id, guild.botRoleId, { permissions: 0n });
    const invalidBefore = world.discord.invalidRequests;
    const writesBefore = discordWrites(world).length;

    const answer = await importLadder(guild.id, guild.ownerId, true);
    expect(answer.content).toBe(
      "rankbridge needs the Manage Roles permission to create roles. Grant it to its role in Server Settings → Roles, then run /ranks import again.",
    );
    expect(await world.repositories.ranks.list(guild.id)).toEqual([]);
    expect(discordWrites(world).length).toBe(writesBefore);
    expect(world.discord.invalidRequests).toBe(invalidBefore);
  });

  test("without a Roblox group says how to set one", async () => {
    const guild = await newGuild(null);
    const answer = await importLadder(guild.id, guild.ownerId);
    expect(answer.content).toContain("/config group");
    expect(await world.repositories.ranks.list(guild.id)).toEqual([]);
  });
});

describe("/ranks bind, unbind, edit", () => {
  test("bind and unbind a rank, each audited", async () => {
    const guild = await newGuild();
    await importLadder(guild.id, guild.ownerId);
    const nco = world.discord.createRole(guild.id, { name: "NCO" });

    const bound = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("bind", str("rank", "corporal"), role("role", nco.id))]));
    expect(bound.content).toContain(`**Corporal (Rank 10)** is now mirrored by <@&${nco.id}>`);
    expect((await world.repositories.ranks.findByName(guild.id, "Corporal"))!.discordRoleId).toBe(nco.id);

    // One role mirrors one rank.
    const twice = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("bind", str("rank", "Sergeant"), role("role", nco.id))]));
    expect(twice.content).toContain("already mirrors **Corporal (Rank 10)**");
    expect((await world.repositories.ranks.findByName(guild.id, "Sergeant"))!.discordRoleId).toBeNull();

    const unbound = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("unbind", str("rank", "Corporal (Rank 10)"))]));
    expect(unbound.content).toContain("**Corporal (Rank 10)** is no longer bound");
    expect((await world.repositories.ranks.findByName(guild.id, "Corporal"))!.discordRoleId).toBeNull();

    const actions = (await world.repositories.audit.listLatest(guild.id)).map((entry) => entry.action);
    expect(actions.slice(0, 2)).toEqual(["ranks.unbind", "ranks.bind"]);
    const bindEntry = (await world.repositories.audit.listLatest(guild.id, { action: "ranks.bind" }))[0]!;
    expect(bindEntry.before).toEqual({ rank: "Corporal", discordRoleId: null });
    expect(bindEntry.after).toEqual({ rank: "Corporal", discordRoleId: nco.id });
  });

  test("a role above the bot's is refused with the fix, before any request that Discord would refuse", async () => {
    const guild = await newGuild();
    await importLadder(guild.id, guild.ownerId);
    const high = world.discord.createRole(guild.id, { name: "High Command", position: 999 });
    const invalidBefore = world.discord.invalidRequests;
    const requestsBefore = world.discord.requests.length;

    const answer = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("bind", str("rank", "Major"), role("role", high.id))]));
    expect(answer.content).toBe(`Can't bind **Major** to <@&${high.id}>: Move the rankbridge role above "High Command" in Server Settings → Roles.`);
    expect((await world.repositories.ranks.findByName(guild.id, "Major"))!.discordRoleId).toBeNull();
    expect(await world.repositories.audit.listLatest(guild.id, { action: "ranks.bind" })).toEqual([]);

    const sent = world.discord.requests.slice(requestsBefore);
    expect(sent.filter((r) => r.status === 403)).toEqual([]);
    expect(sent.filter((r) => r.method !== "GET" && !r.path.includes("/interactions/"))).toEqual([]);
    expect(world.discord.invalidRequests).toBe(invalidBefore);
  });

  test("a managed role and @everyone are refused", async () => {
    const guild = await newGuild();
    await importLadder(guild.id, guild.ownerId);
    const managed = world.discord.createRole(guild.id, { name: "Server Booster", managed: true });

    const answer = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("bind", str("rank", "Major"), role("role", managed.id))]));
    expect(answer.content).toContain('"Server Booster" is managed by an integration');
    const everyone = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("bind", str("rank", "Major"), role("role", guild.id))]));
    expect(everyone.content).toContain("@everyone can't mirror a rank");
    expect((await world.repositories.ranks.findByName(guild.id, "Major"))!.discordRoleId).toBeNull();
  });

  test("a rank name typed past autocomplete that matches nothing is refused with suggestions", async () => {
    const guild = await newGuild();
    await importLadder(guild.id, guild.ownerId);
    const nco = world.discord.createRole(guild.id, { name: "NCO" });
    const answer = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("bind", str("rank", "Sergant"), role("role", nco.id))]));
    expect(answer.content).toContain('No rank is called "Sergant". Did you mean "Sergeant"');
    expect((await world.repositories.ranks.list(guild.id)).some((rank) => rank.discordRoleId === nco.id)).toBe(false);
  });

  test("edit sets points required and a display name; a clashing name is refused", async () => {
    const guild = await newGuild();
    await importLadder(guild.id, guild.ownerId);
    const answer = answerOf(
      await world.command(guild.id, guild.ownerId, "ranks", [sub("edit", str("rank", "Private"), int("points-required", 50), str("name", "Pvt"))]),
    );
    expect(answer.content).toContain("renamed to **Pvt**");
    expect(answer.content).toContain("needs 50 points");
    expect(await world.repositories.ranks.findByName(guild.id, "Pvt")).toMatchObject({ pointsRequired: 50, robloxRank: 2 });
    expect((await world.repositories.audit.listLatest(guild.id, { action: "ranks.edit" }))[0]!.after).toEqual({ name: "Pvt", pointsRequired: 50 });

    const clash = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("edit", str("rank", "Pvt"), str("name", "MAJOR"))]));
    expect(clash.content).toContain("Another rank is already called **Major**");
    const negative = answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("edit", str("rank", "Pvt"), int("points-required", -5))]));
    expect(negative.content).toContain("points-required must be a whole number from 0 to 1,000,000,000");
    expect((await world.repositories.ranks.findByName(guild.id, "Pvt"))!.pointsRequired).toBe(50);
  });

  test("a member without Manage Roles is refused and nothing changes; the configured admin role is enough", async () => {
    const guild = await newGuild();
    await importLadder(guild.id, guild.ownerId);
    const staff = world.discord.createRole(guild.id, { name: "Staff" });
    // The helper holds a rank above the one they bind, and a role above the role (design §10:
    // binds obey the ceiling). Discord puts a new role at the bottom, so NCO is the lowest.
    const sergeant = world.discord.createRole(guild.id, { name: "Sgt" });
    const nco = world.discord.createRole(guild.id, { name: "NCO" });
    await world.command(guild.id, guild.ownerId, "ranks", [sub("bind", str("rank", "Sergeant"), role("role", sergeant.id))]);
    const memberId = world.discord.addMember(guild.id, { username: "helper", roles: [staff.id, sergeant.id] }).user.id;
    const auditBefore = (await world.repositories.audit.listLatest(guild.id)).length;

    const refused = answerOf(await world.command(guild.id, memberId, "ranks", [sub("bind", str("rank", "Corporal"), role("role", nco.id))]));
    expect(refused.content).toBe("You need the Manage Roles permission to use this command.");
    expect(refused.ephemeral).toBe(true);
    expect((await world.repositories.ranks.findByName(guild.id, "Corporal"))!.discordRoleId).toBeNull();
    expect((await world.repositories.audit.listLatest(guild.id)).length).toBe(auditBefore);

    const reimport = answerOf(await world.command(guild.id, memberId, "ranks", [sub("import")]));
    expect(reimport.content).toContain("You need the Manage Roles permission");

    await world.repositories.guilds.upsert(guild.id, { adminRoleId: staff.id });
    const allowed = answerOf(await world.command(guild.id, memberId, "ranks", [sub("bind", str("rank", "Corporal"), role("role", nco.id))]));
    expect(allowed.content).toContain("is now mirrored by");
    expect((await world.repositories.ranks.findByName(guild.id, "Corporal"))!.discordRoleId).toBe(nco.id);
  });
});

describe("rank autocomplete", () => {
  test("offers ladder ranks containing the typed text, prefix matches first", async () => {
    const guild = await newGuild();
    await importLadder(guild.id, guild.ownerId);
    const interaction = await world.run({
      guildId: guild.id,
      userId: guild.ownerId,
      type: AUTOCOMPLETE,
      commandName: "ranks",
      options: [sub("bind", str("rank", "SERG", true))],
    });
    const callback = await interaction.waitForCallback();
    expect(callback.type).toBe(InteractionResponseType.ApplicationCommandAutocompleteResult);
    expect(callback.data.choices).toEqual([
      { name: "Sergeant (Rank 20)", value: "Sergeant" },
      { name: "Staff Sergeant (Rank 30)", value: "Staff Sergeant" },
    ]);
  });

  test("answers at most 25 choices and nothing for a guild without a ladder", async () => {
    const guildId = (await newGuild()).id;
    await world.repositories.ranks.replace(
      guildId,
      Array.from({ length: 30 }, (_, index) => ({ name: `Tier ${index + 1}`, robloxRoleId: 5_000 + index, robloxRank: index + 1 })),
    );
    const all = await rankChoices(world.deps, guildId, "");
    expect(all).toHaveLength(25);
    expect(all[0]).toEqual({ name: "Tier 30 (Rank 30)", value: "Tier 30" });
    expect((await rankChoices(world.deps, guildId, "tier 1")).map((choice) => choice.value)).toEqual([
      "Tier 19", "Tier 18", "Tier 17", "Tier 16", "Tier 15", "Tier 14", "Tier 13", "Tier 12", "Tier 11", "Tier 10", "Tier 1",
    ]);
    expect(await rankChoices(world.deps, (await newGuild()).id, "a")).toEqual([]);
  });
});

describe("/list-ranks", () => {
  test("hints at /ranks import when the ladder is empty, then shows it to anyone", async () => {
    const guild = await newGuild();
    const memberId = plainMember(guild.id);
    const empty = answerOf(await world.command(guild.id, memberId, "list-ranks"));
    expect(empty.content).toContain("An admin can run /ranks import");

    const sergeant = world.discord.createRole(guild.id, { name: "Sergeant" });
    await importLadder(guild.id, guild.ownerId);
    const listed = answerOf(await world.command(guild.id, memberId, "list-ranks"));
    expect(listed.embeds[0]!.title).toBe("Rank ladder");
    expect(listed.text).toContain(`\`5.\` **Sergeant** · Roblox rank 20 (role ${GROUP * 1000 + 8}) · <@&${sergeant.id}>`);
    expect(listed.text).toContain(`\`14.\` **Owner** · Roblox rank 255 (role ${GROUP * 1000 + 1}) · not bound`);
    expect(listed.text).toContain(`Roblox group ${GROUP}`);
  });
});

describe("two guilds", () => {
  test("keep their own group, ladder and bindings", async () => {
    const army = await newGuild(GROUP);
    const navy = await newGuild(OTHER_GROUP);
    const armySergeant = world.discord.createRole(army.id, { name: "Sergeant" });
    world.discord.createRole(navy.id, { name: "Sergeant" });

    await importLadder(army.id, army.ownerId);
    expect(await world.repositories.ranks.list(navy.id)).toEqual([]);
    const navyList = answerOf(await world.command(navy.id, navy.ownerId, "list-ranks"));
    expect(navyList.content).toContain("An admin can run /ranks import");

    // Navy's ladder comes from its own group; binding there leaves the army's binding alone.
    world.roblox.createGroup({
      id: 9,
      name: "Air Force",
      ownerId: 1,
      roles: [
        { id: 9001, name: "Owner", rank: 255 },
        { id: 9002, name: "Guest", rank: 0 },
        { id: 9003, name: "Airman", rank: 1 },
      ],
    });
    await world.repositories.guilds.upsert(navy.id, { robloxGroupId: 9 });
    await importLadder(navy.id, navy.ownerId);
    expect((await world.repositories.ranks.list(navy.id)).map((rank) => rank.name)).toEqual(["Airman", "Owner"]);
    expect((await world.repositories.ranks.findByName(army.id, "Sergeant"))!.discordRoleId).toBe(armySergeant.id);
    expect(await world.repositories.ranks.list(army.id)).toHaveLength(14);

    // A rank of one guild can't be named from the other.
    const crossed = answerOf(await world.command(navy.id, navy.ownerId, "ranks", [sub("unbind", str("rank", "Sergeant"))]));
    expect(crossed.content).toContain('No rank is called "Sergeant"');
    expect(await rankChoices(world.deps, navy.id, "serg")).toEqual([]);
  });
});

describe("every request sent", () => {
  test("conforms to Discord's and Roblox's OpenAPI documents", () => {
    expect(world.discord.requests.length).toBeGreaterThan(50);
    expect(world.roblox.requests.length).toBeGreaterThan(5);
    expect(specProblems(world)).toEqual([]);
  });
});
