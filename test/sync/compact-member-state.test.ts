/**
 * The member state holds only the members a sync can need (the linked ones), in compact form, and
 * still reconciles every case correctly: a member who links after it was built, roles changed by
 * hand, a member who leaves (and one who comes back). Unit tests of the compact store and the
 * snapshot's coverage, then the bot stack against the emulators over real sockets, with more
 * linked members than a few `user_ids` requests can carry, so the whole guild is streamed.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApplicationCommandOptionType } from "discord-api-types/v10";
import { join } from "node:path";
import { CompactMemberRoles } from "../../src/sync/compact-roles.ts";
import { collectMemberRoles, type MemberRolesChunk, type MemberRolesPort } from "../../src/sync/member-roles.ts";
import { MAX_MEMBERS_FILLED_IN, MemberSnapshots } from "../../src/sync/member-snapshots.ts";
import { tempDir } from "../db/helpers.ts";
import { eventually } from "../support/eventually.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, disagreements, seedDatabase, type World } from "./support/world.ts";

const GUILD = "100000000000000001";

describe("CompactMemberRoles", () => {
  test("members with the same roles share one frozen list; order and updates are kept", () => {
    const roles = new CompactMemberRoles();
    roles.set("a", ["r1", "r2"]);
    roles.set("b", ["r1", "r2"]);
    roles.set("c", ["r2", "r1"]);
    expect(roles.get("a")).toBe(roles.get("b")!);
    expect(roles.get("c")).toEqual(["r2", "r1"]);
    expect(Object.isFrozen(roles.get("a"))).toBe(true);
    expect(roles.distinctRoleSets).toBe(2);
    roles.set("a", []);
    roles.delete("b");
    expect(Object.fromEntries(roles)).toEqual({ a: [], c: ["r2", "r1"] });
    expect(roles.size).toBe(2);
  });

  test("the size estimate grows with members held, not with the role lists they share", () => {
    const roles = new CompactMemberRoles();
    for (let i = 0; i < 1000; i++) roles.set(String(1_100_000_000_000_000_000n + BigInt(i)), ["111111111111111111", "222222222222222222"]);
    const thousand = roles.approximateBytes();
    for (let i = 1000; i < 2000; i++) roles.set(String(1_100_000_000_000_000_000n + BigInt(i)), ["111111111111111111", "222222222222222222"]);
    const perMember = (roles.approximateBytes() - thousand) / 1000;
    expect(perMember).toBeGreaterThan(50);
    expect(perMember).toBeLessThan(150);
  });
});

/** A stand-in for the gateway that answers like the real port: wanted members only, when asked for some. */
function fakeGateway(members: Record<string, string[]>) {
  const roles = new Map(Object.entries(members));
  const gateway = {
    roles,
    asked: [] as (string[] | "all")[],
    port: (async function* (_guildId: string, wanted?: ReadonlySet<string>) {
      gateway.asked.push(wanted ? [...wanted] : "all");
      const all = [...roles].map(([userId, roleIds]) => ({ userId, roleIds }));
      for (let start = 0; start < all.length; start += 2) yield all.slice(start, start + 2);
    }) as MemberRolesPort,
  };
  return gateway;
}

async function read(port: MemberRolesPort, wanted?: ReadonlySet<string>) {
  return Object.fromEntries(await collectMemberRoles(port, GUILD, { wanted }));
}

describe("MemberSnapshots with the members a run wants", () => {
  test("holds only the wanted members; everyone else in the chunks is dropped", async () => {
    const gateway = fakeGateway({ a: ["r1"], b: ["r2"], c: [], d: ["r1"] });
    const snapshots = new MemberSnapshots(gateway.port);
    const chunks: MemberRolesChunk[] = [];
    for await (const chunk of snapshots.port(GUILD, new Set(["a", "c", "gone"]))) chunks.push(chunk);
    expect(chunks.flat().map((m) => m.userId)).toEqual(["a", "c"]);
    expect(snapshots.sizes()).toEqual([{ guildId: GUILD, members: 2, approximateBytes: expect.any(Number) }]);
    // Events for members nobody wanted are not kept either.
    snapshots.observeAdd(GUILD, "x", ["r1"]);
    snapshots.observeUpdate(GUILD, "b", ["r9"]);
    expect(snapshots.sizes()[0]!.members).toBe(2);
    expect(await read(snapshots.port, new Set(["a", "c", "gone"]))).toEqual({ a: ["r1"], c: [] });
    expect(gateway.asked).toEqual([["a", "c", "gone"]]);
  });

  test("a member wanted later is fetched on their own and kept; a known absence is not asked again", async () => {
    const gateway = fakeGateway({ a: ["r1"], b: ["r2"], c: [] });
    const snapshots = new MemberSnapshots(gateway.port);
    await read(snapshots.port, new Set(["a", "gone"]));
    gateway.roles.set("b", ["r3"]);
    expect(await read(snapshots.port, new Set(["a", "gone", "b"]))).toEqual({ a: ["r1"], b: ["r3"] });
    expect(gateway.asked).toEqual([["a", "gone"], ["b"]]);
    // From now on b is covered: their events are applied, and they are served without asking.
    snapshots.observeUpdate(GUILD, "b", ["r4"]);
    expect(await read(snapshots.port, new Set(["a", "gone", "b"]))).toEqual({ a: ["r1"], b: ["r4"] });
    expect(gateway.asked).toHaveLength(2);
  });

  test("too many members missing, or a read of every member, fetches the whole guild again", async () => {
    const many = Object.fromEntries(Array.from({ length: MAX_MEMBERS_FILLED_IN + 2 }, (_, i) => [`m${i}`, ["r"]]));
    const gateway = fakeGateway(many);
    const snapshots = new MemberSnapshots(gateway.port);
    await read(snapshots.port, new Set(["m0"]));
    const everyone = new Set(Object.keys(many));
    expect(Object.keys(await read(snapshots.port, everyone))).toHaveLength(everyone.size);
    expect(gateway.asked.map((asked) => asked.length)).toEqual([1, everyone.size]);
    expect(Object.keys(await read(snapshots.port))).toHaveLength(everyone.size);
    expect(gateway.asked.at(-1)).toBe("all");
  });

  test("a fill-in that fails drops the snapshot rather than claim members it never heard of", async () => {
    let calls = 0;
    const port: MemberRolesPort = async function* (_guildId, wanted) {
      calls++;
      if (calls === 2) throw new Error("gateway went away");
      if (wanted?.has("a")) yield [{ userId: "a", roleIds: ["r1"] }];
      if (wanted?.has("b")) yield [{ userId: "b", roleIds: ["r2"] }];
    };
    const snapshots = new MemberSnapshots(port);
    await read(snapshots.port, new Set(["a"]));
    await expect(read(snapshots.port, new Set(["a", "b"]))).rejects.toThrow("gateway went away");
    expect(snapshots.isFresh(GUILD)).toBe(false);
    expect(await read(snapshots.port, new Set(["a", "b"]))).toEqual({ a: ["r1"], b: ["r2"] });
  });
});

// ---- against the emulators -------------------------------------------------------------------------

/** Real time: Discord's 30 s all-members window is not scaled down, so a wait for it would show. */
const TIME_SCALE = 1;
const LINKED = 1_100;

describe("reconciled from the compact state (emulators, 1,500-member guild streamed in chunks)", () => {
  let world: World;
  let bot: SyncBot;
  let cleanup: () => void;

  beforeAll(async () => {
    world = await createWorld({ groupSize: 2_000, guildSize: 1_500, linked: LINKED, mismatchedShare: 0.01, timeScale: TIME_SCALE, robloxWindowMs: 60_000 });
    const dir = tempDir("rankbridge-compact-state-");
    cleanup = dir.cleanup;
    bot = await startSyncBot({
      ...endpointsOf(world),
      databasePath: join(dir.dir, "rankbridge.sqlite"),
      timeScale: TIME_SCALE,
      logLevel: "debug",
    });
    await seedDatabase(bot.repositories, world);
    await bot.guildReady(world.guildId);
  }, 60_000);

  afterAll(async () => {
    await bot?.close();
    await world?.close();
    cleanup?.();
  });

  const patchesTo = (discordId: string) =>
    world.discord.requests.filter((r) => r.method === "PATCH" && r.path.endsWith(`/guilds/${world.guildId}/members/${discordId}`)).length;
  const patchedIds = () =>
    new Set(world.discord.requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path)).map((r) => r.path.split("/").pop()!));
  const rankRoleOf = (discordId: string) => world.rankRoles.get(world.linked.find((m) => m.discordId === discordId)!.robloxRoleId)!;
  const wrongRankOf = (discordId: string) => [...world.rankRoles.values()].find((id) => id !== rankRoleOf(discordId))!;
  const inSyncMember = (skip: readonly string[] = []) =>
    world.linked.find((m) => !skip.includes(m.discordId) && !disagreements(world).some((d) => d.discordId === m.discordId))!.discordId;

  const linkedIds = async () => (await bot.repositories.members.listLinked(world.guildId)).map((member) => member.discordId);

  /** A fresh state from `/sync dry-run:true` (one all-members request), as an admin would build it. */
  async function buildState(): Promise<void> {
    bot.memberSnapshots.invalidate(world.guildId);
    world.discord.resetRateLimits();
    world.discord.resetCounters();
    const interaction = world.discord.injectInteraction({
      guildId: world.guildId,
      userId: world.ownerId,
      commandName: "sync",
      options: [{ type: ApplicationCommandOptionType.Boolean, name: "dry-run", value: true }],
    });
    await interaction.waitForCallback(5_000);
    await interaction.waitForMessage((m) => m.content.startsWith("**Dry run"), 30_000);
    while (bot.bulkSync.isRunning(world.guildId)) await Bun.sleep(5);
    expect(world.discord.gateway.memberRequests.map((r) => [r.userIds, r.rateLimited])).toEqual([[undefined, false]]);
    // Only the linked members in the guild are held, not the 1,500 the chunks carried.
    const linkedInGuild = (await linkedIds()).filter((id) => world.discord.memberRoleIds(world.guildId, id)).length;
    expect(bot.memberSnapshots.sizes()).toEqual([{ guildId: world.guildId, members: linkedInGuild, approximateBytes: expect.any(Number) }]);
    world.discord.resetCounters();
  }

  async function runSync() {
    const result = await bot.bulkSync.runBackground(world.guildId);
    if (result.kind !== "ran") throw new Error(`the run did not start: ${result.reason}`);
    return result.outcome;
  }

  test("a member who links after the state was built is read on their own (user_ids) and given their rank", async () => {
    const latecomer = world.discord.addMember(world.guildId, { username: "latecomer", roles: [world.verifiedRoleId] }).user.id;
    await buildState();
    const robloxUserId = 9_000_001;
    const rank = world.ladder.find((r) => r.discordRoleId !== null && r.robloxRank > 1)!;
    world.roblox.addUser({ id: robloxUserId, name: "Latecomer" });
    world.roblox.setMembership(world.groupId, robloxUserId, rank.robloxRoleId);
    await bot.repositories.members.link(world.guildId, latecomer, { robloxUserId, robloxUsername: "Latecomer", verifiedBy: "profile-phrase" });
    const expected = new Set([latecomer, ...disagreements(world).map((m) => m.discordId)]);

    const outcome = await runSync();
    expect(outcome).toMatchObject({ state: "done", errors: 0, updated: expected.size });
    expect(outcome.breakdown.notInGuild).toBe(0);
    expect(world.discord.memberRoleIds(world.guildId, latecomer)?.sort()).toEqual([world.verifiedRoleId, rank.discordRoleId!].sort());
    expect(patchedIds()).toEqual(expected);
    // One request by user id for the latecomer; the guild was not streamed again.
    expect(world.discord.gateway.memberRequests.map((r) => [r.userIds, r.rateLimited])).toEqual([[1, false]]);
    expect(disagreements(world)).toHaveLength(0);
  }, 90_000);

  test("roles changed by hand after the state was built: the wrong one is fixed, the one fixed by hand is left alone", async () => {
    await buildState();
    const brokenByHand = inSyncMember();
    world.discord.setMemberRoles(world.guildId, brokenByHand, [world.verifiedRoleId, wrongRankOf(brokenByHand)]);
    const wrong = disagreements(world).map((m) => m.discordId);
    const fixedByHand = wrong.find((id) => id !== brokenByHand);
    if (fixedByHand) world.discord.setMemberRoles(world.guildId, fixedByHand, [world.verifiedRoleId, rankRoleOf(fixedByHand)]);
    const expected = new Set(disagreements(world).map((m) => m.discordId));
    expect(expected.has(brokenByHand)).toBe(true);

    const outcome = await runSync();
    expect(outcome).toMatchObject({ state: "done", errors: 0, updated: expected.size, inSync: (await linkedIds()).length - expected.size });
    expect(patchedIds()).toEqual(expected);
    expect(world.discord.gateway.memberRequests).toHaveLength(0);
    expect(disagreements(world)).toHaveLength(0);
  }, 90_000);

  test("a member who leaves is not sent anything; one who leaves and rejoins with a wrong rank is ranked once, by the join", async () => {
    await buildState();
    const leaver = inSyncMember();
    const rejoiner = inSyncMember([leaver]);
    world.discord.removeMember(world.guildId, leaver);
    world.discord.removeMember(world.guildId, rejoiner);
    world.discord.addMember(world.guildId, { id: rejoiner, roles: [world.verifiedRoleId, wrongRankOf(rejoiner)] });
    // GUILD_MEMBER_ADD: the linked member gets their rank at once.
    const roles = await eventually(
      () => world.discord.memberRoleIds(world.guildId, rejoiner),
      (ids) => ids?.includes(rankRoleOf(rejoiner)) === true,
    );
    expect(roles?.sort()).toEqual([world.verifiedRoleId, rankRoleOf(rejoiner)].sort());

    const expected = new Set(disagreements(world).map((m) => m.discordId).filter((id) => id !== leaver));
    expect(expected.has(rejoiner)).toBe(false);

    const outcome = await runSync();
    expect(outcome).toMatchObject({ state: "done", errors: 0, updated: expected.size, inSync: (await linkedIds()).length - 1 - expected.size });
    // The state heard both: the leaver is known to be gone (no request that must fail with 10007),
    // the rejoiner's roles are the ones the join left them with (nothing sent again).
    expect(outcome.breakdown).toMatchObject({ notInGuild: 1, leftGuild: 0 });
    expect(patchesTo(leaver)).toBe(0);
    expect(patchesTo(rejoiner)).toBe(1);
    expect(patchedIds()).toEqual(new Set([...expected, rejoiner]));
    expect(world.discord.gateway.memberRequests).toHaveLength(0);

    // Back as they were, so the world's linked members are all in the guild again.
    world.discord.addMember(world.guildId, { id: leaver, roles: [world.verifiedRoleId, rankRoleOf(leaver)] }, { silent: true });
    expect(disagreements(world)).toHaveLength(0);
  }, 90_000);
});
