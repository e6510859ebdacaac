import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { specProblems } from "../support/spec-check.ts";
import { answerOf, int, startCommandWorld, str, sub, user, type CommandWorld } from "./harness.ts";

const GROUP = 7;

let world: CommandWorld;

beforeAll(async () => {
  world = await startCommandWorld();
  world.seedGroup(GROUP);
});
afterAll(() => world.close());

async function newGuild() {
  const guild = world.discord.createGuild({ name: `Guild ${Math.random().toString(36).slice(2, 8)}` });
  await world.repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP });
  return guild;
}

function addMember(guildId: string, username: string, roles: string[] = []) {
  return world.discord.addMember(guildId, { username, roles }).user.id;
}

async function points(guildId: string, actorId: string, op: string, ...options: Parameters<typeof sub>[1][]) {
  return answerOf(await world.command(guildId, actorId, "points", [sub(op, ...options)]));
}

const pointsOf = async (guildId: string, userId: string) => (await world.repositories.members.get(guildId, userId))?.points ?? 0;

describe("/points add, remove, set", () => {
  test("change a member's balance, clamp at zero, and audit before and after with the reason", async () => {
    const guild = await newGuild();
    const trooper = addMember(guild.id, "trooper");

    const added = await points(guild.id, guild.ownerId, "add", user("member", trooper), int("amount", 5), str("reason", "won the tournament"));
    expect(added.content).toBe(`Added 5 points to <@${trooper}> (no Roblox account linked): 0 → **5**.`);
    expect(await pointsOf(guild.id, trooper)).toBe(5);

    const removed = await points(guild.id, guild.ownerId, "remove", user("member", trooper), int("amount", 8));
    expect(removed.content).toBe(`Removed 8 points from <@${trooper}> (no Roblox account linked): 5 → **0** (points stay between 0 and 1,000,000,000).`);
    expect(await pointsOf(guild.id, trooper)).toBe(0);

    const set = await points(guild.id, guild.ownerId, "set", user("member", trooper), int("amount", 1_000_000_000));
    expect(set.content).toContain("to 1000000000: 0 → **1000000000**");

    const entries = await world.repositories.audit.listForMember(guild.id, trooper);
    expect(entries.map((e) => [e.action, e.before, e.after, e.reason])).toEqual([
      ["points.set", { points: 0 }, { points: 1_000_000_000 }, null],
      ["points.remove", { points: 5 }, { points: 0 }, null],
      ["points.add", { points: 0 }, { points: 5 }, "won the tournament"],
    ]);
    expect(entries.every((e) => e.actorId === guild.ownerId)).toBe(true);
  });

  test("replies name the Roblox account of a linked member", async () => {
    const guild = await newGuild();
    const builder = addMember(guild.id, "builder");
    await world.repositories.members.link(guild.id, builder, { robloxUserId: 4242, robloxUsername: "Sky_Builder", verifiedBy: "profile-phrase" });
    const answer = await points(guild.id, guild.ownerId, "add", user("member", builder), int("amount", 1));
    expect(answer.content).toBe(`Added 1 point to <@${builder}> (Roblox: **Sky\\_Builder**): 0 → **1**.`);
    expect((await world.repositories.audit.listForMember(guild.id, builder))[0]!.targetRobloxUserId).toBe(4242);
  });

  test("odd amounts sent past Discord's own checks are refused and change nothing", async () => {
    const guild = await newGuild();
    const scout = addMember(guild.id, "scout");
    await points(guild.id, guild.ownerId, "set", user("member", scout), int("amount", 10));

    for (const [op, amount] of [["add", -5], ["add", 0], ["remove", -1], ["add", 1e12], ["add", 2.5], ["set", -1], ["set", 1_000_000_001]] as const) {
      const answer = await points(guild.id, guild.ownerId, op, user("member", scout), int("amount", amount));
      expect(answer.content).toBe(`The amount must be a whole number from ${op === "set" ? 0 : 1} to 1,000,000,000.`);
    }
    const missing = answerOf(await world.command(guild.id, guild.ownerId, "points", [sub("add", user("member", scout))]));
    expect(missing.content).toContain("The amount must be a whole number");
    expect(await pointsOf(guild.id, scout)).toBe(10);
    expect(await world.repositories.audit.listForMember(guild.id, scout)).toHaveLength(1);
  });

  test("bots and people outside the server are refused", async () => {
    const guild = await newGuild();
    const bot = world.discord.addMember(guild.id, { username: "otherbot", bot: true }).user.id;
    expect((await points(guild.id, guild.ownerId, "add", user("member", bot), int("amount", 3))).content).toBe("Bots don't collect points.");
    const stranger = world.discord.createUser({ username: "stranger" }).id;
    expect((await points(guild.id, guild.ownerId, "add", user("member", stranger), int("amount", 3))).content).toBe(
      `<@${stranger}> isn't a member of this server.`,
    );
    expect(await world.repositories.members.get(guild.id, bot)).toBeUndefined();
    expect(await world.repositories.members.get(guild.id, stranger)).toBeUndefined();
  });

  test("a member without Manage Roles can't change points", async () => {
    const guild = await newGuild();
    const cadet = addMember(guild.id, "cadet");
    const answer = await points(guild.id, cadet, "add", user("member", cadet), int("amount", 100));
    expect(answer.content).toBe("You need the Manage Roles permission to use this command.");
    expect(await pointsOf(guild.id, cadet)).toBe(0);
    expect(await world.repositories.audit.listForMember(guild.id, cadet)).toEqual([]);
  });
});

describe("/points show", () => {
  test("anyone sees their own balance and the next rank's requirement; others' balances need admin", async () => {
    const guild = await newGuild();
    await world.command(guild.id, guild.ownerId, "ranks", [sub("import")]);
    await world.command(guild.id, guild.ownerId, "ranks", [sub("edit", str("rank", "Private"), int("points-required", 40))]);
    const ranger = addMember(guild.id, "ranger");
    const medic = addMember(guild.id, "medic");
    const recruit = (await world.repositories.ranks.findByName(guild.id, "Recruit"))!;
    await world.repositories.members.link(guild.id, ranger, { robloxUserId: 5151, robloxUsername: "RangerOne", verifiedBy: "oauth" });
    await world.repositories.members.setStoredRank(guild.id, ranger, recruit.id);
    await points(guild.id, guild.ownerId, "add", user("member", ranger), int("amount", 15));

    const own = await points(guild.id, ranger, "show");
    expect(own.ephemeral).toBe(true);
    expect(own.content).toBe(
      `<@${ranger}> (Roblox: **RangerOne**) has **15** points.\nRank: Recruit (Rank 1).\nNext: **Private** at 40 points (25 to go).`,
    );
    expect((await points(guild.id, ranger, "show", user("member", ranger))).content).toContain("has **15** points");

    const nosy = await points(guild.id, medic, "show", user("member", ranger));
    expect(nosy.content).toBe("You need the Manage Roles permission to use this command.");
    const byAdmin = await points(guild.id, guild.ownerId, "show", user("member", medic));
    expect(byAdmin.content).toBe(`<@${medic}> (no Roblox account linked) has **0** points.\nNext: **Private** at 40 points (40 to go).`);
  });
});

describe("/audit", () => {
  test("lists a member's latest entries compactly with relative times, newest first, up to the limit", async () => {
    const guild = await newGuild();
    const pilot = addMember(guild.id, "pilot");
    await points(guild.id, guild.ownerId, "add", user("member", pilot), int("amount", 7), str("reason", "event host"));
    await points(guild.id, guild.ownerId, "remove", user("member", pilot), int("amount", 2));
    await world.repositories.audit.append(guild.id, {
      actorId: "system",
      action: "sync.member",
      targetDiscordId: pilot,
      outcome: "partial",
      detail: "Discord role added; Roblox write failed",
      createdAt: Date.now() + 1_000,
    });

    const answer = answerOf(await world.command(guild.id, guild.ownerId, "audit", [user("member", pilot)]));
    expect(answer.content).toBe(`Latest 3 entries for <@${pilot}> (no Roblox account linked), newest first:`);
    const lines = answer.embeds[0]!.description!.split("\n");
    expect(lines).toHaveLength(3);
    expect(lines[0]).toMatch(/^<t:\d+:R> `sync\.member` \*\*\(partial\)\*\* by rankbridge · Discord role added; Roblox write failed$/);
    expect(lines[1]).toMatch(new RegExp(`^<t:\\d+:R> \`points\\.remove\` by <@${guild.ownerId}> · 7 → 5$`));
    expect(lines[2]).toMatch(new RegExp(`^<t:\\d+:R> \`points\\.add\` by <@${guild.ownerId}> · 0 → 7 · "event host"$`));
    const unix = Number(/<t:(\d+):R>/.exec(lines[2]!)![1]);
    expect(Math.abs(unix - Date.now() / 1000)).toBeLessThan(60);

    const limited = answerOf(await world.command(guild.id, guild.ownerId, "audit", [user("member", pilot), int("limit", 1)]));
    expect(limited.embeds[0]!.description!.split("\n")).toHaveLength(1);
    expect(limited.content).toContain("Latest entry for");
    const tooMany = answerOf(await world.command(guild.id, guild.ownerId, "audit", [user("member", pilot), int("limit", 500)]));
    expect(tooMany.content).toBe("The limit must be a whole number from 1 to 25.");
  });

  test("says when nothing is recorded, and is refused to non-admins", async () => {
    const guild = await newGuild();
    const gunner = addMember(guild.id, "gunner");
    const empty = answerOf(await world.command(guild.id, guild.ownerId, "audit", [user("member", gunner)]));
    expect(empty.content).toBe(`Nothing is recorded about <@${gunner}> (no Roblox account linked) yet.`);
    const refused = answerOf(await world.command(guild.id, gunner, "audit", [user("member", gunner)]));
    expect(refused.content).toBe("You need the Manage Roles permission to use this command.");
  });
});

describe("two guilds", () => {
  test("keep separate balances and audit trails for the same person", async () => {
    const first = await newGuild();
    const second = await newGuild();
    const sapper = world.discord.createUser({ username: "sapper" }).id;
    world.discord.addMember(first.id, { id: sapper });
    world.discord.addMember(second.id, { id: sapper });

    await points(first.id, first.ownerId, "add", user("member", sapper), int("amount", 30));
    expect(await pointsOf(first.id, sapper)).toBe(30);
    expect((await points(second.id, sapper, "show")).content).toContain("has **0** points");
    const secondAudit = answerOf(await world.command(second.id, second.ownerId, "audit", [user("member", sapper)]));
    expect(secondAudit.content).toContain("Nothing is recorded");

    await points(second.id, second.ownerId, "set", user("member", sapper), int("amount", 2));
    expect(await pointsOf(first.id, sapper)).toBe(30);
    expect(await pointsOf(second.id, sapper)).toBe(2);
  });
});

describe("every Discord request sent", () => {
  test("conforms to Discord's OpenAPI document", () => {
    expect(specProblems({ discord: world.discord })).toEqual([]);
  });
});
