/**
 * A whole-server sync with binds: the verified role, a rank that gives two roles, a range bind on
 * an ally group and the nickname template `[{rank}] {roblox-username}`, through the real bot stack
 * and both emulators. Roles and
 * nickname go in one request per member that changes; a second run sends none; the owner's
 * nickname is never attempted.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { PermissionFlagsBits } from "discord-api-types/v10";
import { join } from "node:path";
import { tempDir } from "../db/helpers.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, requestsBreakingSpecs, seedDatabase, type World } from "./support/world.ts";

const TIME_SCALE = 0.05;
const TEMPLATE = "[{rank}] {roblox-username}";
let world: World;
let bot: SyncBot;
let cleanup: () => void;
let extraRoleId: string;
/** The Roblox role whose rank also gives `extraRoleId`. */
let extraRankRobloxRoleId: number;
/** The ally group: members ranked 1-255 there hold `allyRoleId`. */
const ALLY_GROUP_ID = 4_900_031;
let allyRoleId: string;
const allyMembers = new Set<number>();

beforeAll(async () => {
  world = await createWorld({ groupSize: 400, guildSize: 300, linked: 150, mismatchedShare: 0.2, timeScale: TIME_SCALE, robloxWindowMs: 60_000 * TIME_SCALE });
  const botRoleId = world.discord.member(world.guildId, world.discord.botUserId)!.roles[0]!;
  const botRole = world.discord.role(world.guildId, botRoleId)!;
  world.discord.updateRole(world.guildId, botRoleId, { permissions: BigInt(botRole.permissions) | PermissionFlagsBits.ManageNicknames });
  extraRoleId = world.discord.createRole(world.guildId, { name: "Squad Lead" }).id;
  allyRoleId = world.discord.createRole(world.guildId, { name: "Ally" }).id;
  world.roblox.createGroup({
    id: ALLY_GROUP_ID,
    name: "Allied Army",
    ownerId: 1,
    roles: [
      { id: ALLY_GROUP_ID * 10, name: "Guest", rank: 0 },
      { id: ALLY_GROUP_ID * 10 + 1, name: "Friend", rank: 5 },
      { id: ALLY_GROUP_ID * 10 + 9, name: "Owner", rank: 255 },
    ],
  });
  // Every fifth linked member (after the first, who is the owner's) is in the ally group.
  for (const [index, member] of world.linked.entries()) {
    if (index === 0 || index % 5 !== 0) continue;
    world.roblox.setMembership(ALLY_GROUP_ID, member.robloxUserId, ALLY_GROUP_ID * 10 + 1);
    allyMembers.add(member.robloxUserId);
  }
  // A member outside the ally group holding the Ally role loses it.
  const stale = world.linked[1]!;
  world.discord.setMemberRoles(world.guildId, stale.discordId, [...world.discord.memberRoleIds(world.guildId, stale.discordId)!, allyRoleId]);

  const dir = tempDir("rankbridge-binds-bulk-");
  cleanup = dir.cleanup;
  bot = await startSyncBot({ ...endpointsOf(world), databasePath: join(dir.dir, "rankbridge.sqlite"), timeScale: TIME_SCALE });
  await seedDatabase(bot.repositories, world);
  // The rank most linked members hold gives a second role.
  const counts = new Map<number, number>();
  for (const member of world.linked) counts.set(member.robloxRoleId, (counts.get(member.robloxRoleId) ?? 0) + 1);
  extraRankRobloxRoleId = [...counts].sort((a, b) => b[1] - a[1])[0]![0];
  const extraRank = (await bot.repositories.ranks.findByRobloxRoleId(world.guildId, extraRankRobloxRoleId))!;
  await bot.repositories.binds.add(world.guildId, { kind: "rank", rankId: extraRank.id }, [extraRoleId]);
  await bot.repositories.binds.add(world.guildId, { kind: "range", groupId: ALLY_GROUP_ID, minRank: 1, maxRank: 255 }, [allyRoleId]);
  await bot.repositories.guilds.upsert(world.guildId, { verifiedRoleId: world.verifiedRoleId, nicknameTemplate: TEMPLATE });
  // The owner is linked too: their roles follow, their nickname is never attempted.
  const owner = world.linked[0]!;
  await bot.repositories.members.unlink(world.guildId, owner.discordId);
  await bot.repositories.members.link(world.guildId, world.ownerId, { robloxUserId: owner.robloxUserId, robloxUsername: owner.robloxUsername, verifiedBy: "profile-phrase" });
  await bot.guildReady(world.guildId);
}, 60_000);

afterAll(async () => {
  await bot?.close();
  await world?.close();
  cleanup?.();
});

const memberPatches = () => world.discord.requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path));

/** The test's own reading of the binds it set up, for a linked member. */
function expectedRoles(member: { robloxRoleId: number; robloxUserId: number }): string[] {
  const roles = [world.verifiedRoleId, world.rankRoles.get(member.robloxRoleId)!];
  if (member.robloxRoleId === extraRankRobloxRoleId) roles.push(extraRoleId);
  if (allyMembers.has(member.robloxUserId)) roles.push(allyRoleId);
  return roles.sort();
}

describe("whole-server sync with binds and a nickname template", () => {
  test("every linked member ends with what the binds say, one request each, roles and nickname together, and none on a second run", async () => {
    world.discord.resetCounters();
    const invalidBefore = world.discord.invalidRequests;
    const result = await bot.bulkSync.runBackground(world.guildId);
    expect(result.kind).toBe("ran");
    if (result.kind !== "ran") return;
    expect(result.outcome).toMatchObject({ state: "done", errors: 0 });

    const rankName = new Map(world.ladder.map((rank) => [rank.robloxRoleId, rank.name]));
    const [owner, ...others] = world.linked;
    for (const member of others) {
      const now = world.discord.member(world.guildId, member.discordId)!;
      expect([...now.roles].sort()).toEqual(expectedRoles(member));
      expect(now.nick).toBe(`[${rankName.get(member.robloxRoleId)}] ${member.robloxUsername}`.slice(0, 32));
    }
    const ownerNow = world.discord.member(world.guildId, world.ownerId)!;
    expect([...ownerNow.roles].sort()).toEqual(expectedRoles(owner!));
    expect(ownerNow.nick ?? null).toBeNull();
    // The member whose link went to the owner is unlinked now: no nickname, and the verified role
    // (the only change a sync makes to a member with no link) taken, in its own request.
    const formerlyLinked = world.discord.member(world.guildId, owner!.discordId)!;
    expect(formerlyLinked.nick ?? null).toBeNull();
    expect(formerlyLinked.roles).not.toContain(world.verifiedRoleId);
    expect(formerlyLinked.roles).toContain(world.rankRoles.get(owner!.robloxRoleId)!);

    // One PATCH per member, none twice; nicknames only where they may be set.
    const patches = memberPatches();
    const targets = patches.map((patch) => patch.path.split("/").at(-1));
    expect(new Set(targets).size).toBe(targets.length);
    expect(patches.length).toBe(world.linked.length + 1);
    const ownerPatch = patches.find((patch) => patch.path.endsWith(`/members/${world.ownerId}`))!;
    expect(ownerPatch.body).not.toHaveProperty("nick");
    expect(world.discord.invalidRequests).toBe(invalidBefore);
    expect(result.outcome.breakdown.nicknameSkipped).toBe(1);
    expect(requestsBreakingSpecs(world)).toEqual([]);

    // A second run finds everyone in sync and sends nothing.
    while (bot.bulkSync.isRunning(world.guildId)) await Bun.sleep(10);
    world.discord.resetCounters();
    const again = await bot.bulkSync.runBackground(world.guildId);
    expect(again.kind).toBe("ran");
    if (again.kind !== "ran") return;
    expect(again.outcome).toMatchObject({ state: "done", updated: 0, errors: 0, roleRequests: 0 });
    expect(memberPatches()).toHaveLength(0);
  }, 60_000);


  test("a member who joins unlinked gets the unverified role; a linked one their binds and nickname, in one request each", async () => {
    const unverifiedRoleId = world.discord.createRole(world.guildId, { name: "Unverified" }).id;
    await bot.repositories.guilds.upsert(world.guildId, { unverifiedRoleId });
    const stranger = world.discord.createUser({ username: "stranger" });
    const recruitRoleId = extraRankRobloxRoleId;
    const robloxUserId = world.roblox.bulkSeed(world.groupId, 1, { roles: [recruitRoleId] })[0]!;
    const newcomer = world.discord.createUser({ username: "newcomer" });
    await bot.repositories.members.link(world.guildId, newcomer.id, { robloxUserId, robloxUsername: `Player${robloxUserId}`, verifiedBy: "oauth" });
    world.discord.resetCounters();

    // Another bot joins first: bots never link, so it gets nothing (its join is handled before the others').
    const otherBot = world.discord.createUser({ username: "MusicBot", bot: true });
    world.discord.addMember(world.guildId, { id: otherBot.id });
    world.discord.addMember(world.guildId, { id: stranger.id });
    world.discord.addMember(world.guildId, { id: newcomer.id, roles: [unverifiedRoleId] });
    const rankName = world.ladder.find((rank) => rank.robloxRoleId === recruitRoleId)!.name;
    const deadline = Date.now() + 5_000;
    const settled = () =>
      world.discord.memberRoleIds(world.guildId, stranger.id)?.includes(unverifiedRoleId) &&
      world.discord.member(world.guildId, newcomer.id)?.nick === `[${rankName}] Player${robloxUserId}`;
    while (!settled() && Date.now() < deadline) await Bun.sleep(5);
    expect(world.discord.memberRoleIds(world.guildId, stranger.id)).toEqual([unverifiedRoleId]);
    const joined = world.discord.member(world.guildId, newcomer.id)!;
    expect([...joined.roles].sort()).toEqual(expectedRoles({ robloxRoleId: recruitRoleId, robloxUserId }));
    expect(joined.nick).toBe(`[${rankName}] Player${robloxUserId}`);
    const patches = memberPatches();
    expect(patches.filter((patch) => patch.path.endsWith(`/members/${stranger.id}`))).toHaveLength(1);
    expect(patches.filter((patch) => patch.path.endsWith(`/members/${newcomer.id}`))).toHaveLength(1);
    await Bun.sleep(200);
    expect(memberPatches().filter((patch) => patch.path.endsWith(`/members/${otherBot.id}`))).toHaveLength(0);
    expect(world.discord.memberRoleIds(world.guildId, otherBot.id)).toEqual([]);
  }, 30_000);
});
