/**
 * Member-roles snapshots: a bulk run soon after another reuses the member list instead of asking
 * the gateway again (Discord allows one all-members request per guild per 30 s), and never serves
 * stale roles. Unit tests of the module, then the bot stack against the emulators over real sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { GatewayRateLimitError } from "@discordjs/core";
import { DiscordAPIError } from "@discordjs/rest";
import { ApplicationCommandOptionType, GatewayOpcodes, type APIGuildMember } from "discord-api-types/v10";
import { join } from "node:path";
import type { API } from "@discordjs/core";
import { DiscordGuilds } from "../../src/discord/guilds.ts";
import { collectMemberRoles, type MemberRolesChunk, type MemberRolesPort } from "../../src/sync/member-roles.ts";
import { MemberSnapshots } from "../../src/sync/member-snapshots.ts";
import { tempDir } from "../db/helpers.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, disagreements, seedDatabase, type World } from "./support/world.ts";

const GUILD = "100000000000000001";
const OTHER_GUILD = "100000000000000002";

/** A stand-in for the gateway: the guild's members, served two a chunk, with the requests counted. */
function fakeGateway(members: Record<string, string[]>) {
  const roles = new Map(Object.entries(members));
  const gateway = {
    roles,
    requests: 0,
    port: (async function* () {
      gateway.requests++;
      const all = [...roles].map(([userId, roleIds]) => ({ userId, roleIds }));
      for (let start = 0; start < all.length; start += 2) yield all.slice(start, start + 2);
    }) as MemberRolesPort,
  };
  return gateway;
}

async function read(port: MemberRolesPort, guildId = GUILD): Promise<Record<string, readonly string[]>> {
  return Object.fromEntries(await collectMemberRoles(port, guildId));
}

function clock(start = 1_000_000) {
  const time = { now: start };
  return { time, now: () => time.now };
}

describe("MemberSnapshots with a rule for unlinked members (MemberKeep)", () => {
  // Linked: a and b. Unlinked: c lacks the unverified role U, d holds it, e holds the verified role V too.
  const members = { a: ["V"], b: [], c: [], d: ["U"], e: ["U", "V"] };
  const rule = { key: "U:unlinked,V:linked", keep: (roleIds: readonly string[]) => !roleIds.includes("U") || roleIds.includes("V") };
  const wanted = new Set(["a", "b"]);
  const readKept = async (port: MemberRolesPort, also = rule) => Object.fromEntries(await collectMemberRoles(port, GUILD, { wanted, also }));

  test("holds the wanted members and only the unlinked ones out of line; serves them again from the snapshot", async () => {
    const gateway = fakeGateway(members);
    const snapshots = new MemberSnapshots(gateway.port, { ttlMs: 60_000, now: clock().now });
    expect(await readKept(snapshots.port)).toEqual({ a: ["V"], b: [], c: [], e: ["U", "V"] });
    expect(snapshots.sizes()[0]!.members).toBe(4);
    expect(await readKept(snapshots.port)).toEqual({ a: ["V"], b: [], c: [], e: ["U", "V"] });
    expect(gateway.requests).toBe(1);
  });

  test("a member update brings an unlinked member out of line into the snapshot, and one put in line out of it", async () => {
    const gateway = fakeGateway(members);
    const snapshots = new MemberSnapshots(gateway.port, { ttlMs: 60_000, now: clock().now });
    await readKept(snapshots.port);
    snapshots.observeUpdate(GUILD, "d", []);
    snapshots.observeUpdate(GUILD, "c", ["U"]);
    expect(await readKept(snapshots.port)).toEqual({ a: ["V"], b: [], d: [], e: ["U", "V"] });
    expect(gateway.requests).toBe(1);
  });

  test("a read under another rule (or none) is not served from the snapshot", async () => {
    const gateway = fakeGateway(members);
    const snapshots = new MemberSnapshots(gateway.port, { ttlMs: 60_000, now: clock().now });
    await readKept(snapshots.port);
    const other = { key: "U:unlinked", keep: (roleIds: readonly string[]) => !roleIds.includes("U") };
    expect(await readKept(snapshots.port, other)).toEqual({ a: ["V"], b: [], c: [] });
    expect(gateway.requests).toBe(2);
  });
});

describe("MemberSnapshots", () => {
  test("a second read while the snapshot is fresh is served from it, without asking the gateway", async () => {
    const gateway = fakeGateway({ a: ["r1"], b: [], c: ["r2"] });
    const { time, now } = clock();
    const snapshots = new MemberSnapshots(gateway.port, { ttlMs: 60_000, now });
    expect(snapshots.isFresh(GUILD)).toBe(false);
    expect(await read(snapshots.port)).toEqual({ a: ["r1"], b: [], c: ["r2"] });
    expect(gateway.requests).toBe(1);
    expect(snapshots.isFresh(GUILD)).toBe(true);

    time.now += 59_999;
    expect(await read(snapshots.port)).toEqual({ a: ["r1"], b: [], c: ["r2"] });
    expect(gateway.requests).toBe(1);
    // Another guild has a snapshot of its own.
    await read(snapshots.port, OTHER_GUILD);
    expect(gateway.requests).toBe(2);
  });

  test("serves the snapshot in chunks of at most 1000, like the gateway", async () => {
    const many = Object.fromEntries(Array.from({ length: 2_500 }, (_, i) => [String(i), ["r"]]));
    const gateway = fakeGateway(many);
    const snapshots = new MemberSnapshots(gateway.port);
    await read(snapshots.port);
    const sizes: number[] = [];
    for await (const chunk of snapshots.port(GUILD)) sizes.push(chunk.length);
    expect(sizes).toEqual([1000, 1000, 500]);
    expect(gateway.requests).toBe(1);
  });

  test("expires ttlMs after the fetch completed: the next read asks the gateway again and sees what changed", async () => {
    const gateway = fakeGateway({ a: ["r1"] });
    const { time, now } = clock();
    const snapshots = new MemberSnapshots(gateway.port, { ttlMs: 60_000, now });
    await read(snapshots.port);
    gateway.roles.set("a", ["r9"]); // a change the snapshot never heard of
    time.now += 60_000;
    expect(snapshots.isFresh(GUILD)).toBe(false);
    expect(snapshots.size).toBe(0);
    expect(await read(snapshots.port)).toEqual({ a: ["r9"] });
    expect(gateway.requests).toBe(2);
  });

  test("the expiry counts from the fetch's completion, not its start", async () => {
    const { time, now } = clock();
    let release!: () => void;
    const slow: MemberRolesPort = async function* () {
      yield [{ userId: "a", roleIds: [] }];
      await new Promise<void>((resolve) => (release = resolve));
      yield [{ userId: "b", roleIds: [] }];
    };
    const snapshots = new MemberSnapshots(slow, { ttlMs: 1_000, now });
    const first = read(snapshots.port);
    await Bun.sleep(0);
    time.now += 5_000; // a slow fetch of a large guild
    release();
    await first;
    time.now += 999;
    expect(snapshots.isFresh(GUILD)).toBe(true);
  });

  test("member events are applied: joins, role updates and departures", async () => {
    const gateway = fakeGateway({ a: ["r1"], b: ["r2"], c: [] });
    const snapshots = new MemberSnapshots(gateway.port);
    await read(snapshots.port);
    snapshots.observeUpdate(GUILD, "a", ["r3"]);
    snapshots.observeRemove(GUILD, "b");
    snapshots.observeAdd(GUILD, "d", ["r4"]);
    // Events of a guild without a snapshot are not kept.
    snapshots.observeAdd(OTHER_GUILD, "x", []);
    expect(await read(snapshots.port)).toEqual({ a: ["r3"], c: [], d: ["r4"] });
    expect(gateway.requests).toBe(1);
    expect(snapshots.size).toBe(1);
  });

  test("an event that arrives while the chunks are still coming wins over the member's chunk", async () => {
    const gateway = fakeGateway({ a: [], b: [], c: ["old"], d: [] });
    const snapshots = new MemberSnapshots(gateway.port);
    const reading = snapshots.port(GUILD)[Symbol.asyncIterator]();
    await reading.next(); // a, b
    snapshots.observeUpdate(GUILD, "c", ["new"]); // c's chunk, still to come, is older
    snapshots.observeRemove(GUILD, "d");
    while (!(await reading.next()).done);
    expect(await read(snapshots.port)).toEqual({ a: [], b: [], c: ["new"] });
    expect(gateway.requests).toBe(1);
  });

  test("a read served from the snapshot is a copy: events after it reach the run through its own hooks", async () => {
    const gateway = fakeGateway({ a: ["r1"], b: [], c: [] });
    const snapshots = new MemberSnapshots(gateway.port);
    await read(snapshots.port);
    const chunks: MemberRolesChunk[] = [];
    for await (const chunk of snapshots.port(GUILD)) {
      chunks.push(chunk);
      snapshots.observeUpdate(GUILD, "a", ["r2"]);
    }
    expect(chunks.flat().find((m) => m.userId === "a")?.roleIds).toEqual(["r1"]);
    expect((await read(snapshots.port)).a).toEqual(["r2"]);
  });

  test("our own successful edits are applied; a failed one is not", async () => {
    const gateway = fakeGateway({ a: ["r1"], b: ["r1"] });
    const snapshots = new MemberSnapshots(gateway.port);
    await read(snapshots.port);
    snapshots.beginEdit(GUILD, "a")(["r1", "rank"]);
    snapshots.beginEdit(GUILD, "b")(undefined);
    expect(await read(snapshots.port)).toEqual({ a: ["r1", "rank"], b: ["r1"] });
  });

  test("an edit overtaken by a gateway event for the member keeps the event's roles, which may be newer", async () => {
    const gateway = fakeGateway({ a: ["r1"], b: ["r1"] });
    const snapshots = new MemberSnapshots(gateway.port);
    await read(snapshots.port);
    const settle = snapshots.beginEdit(GUILD, "a");
    snapshots.observeUpdate(GUILD, "a", ["r1", "rank", "given-by-a-moderator"]);
    snapshots.observeUpdate(GUILD, "b", ["r5"]); // another member's event does not matter
    const settleB = snapshots.beginEdit(GUILD, "b");
    settle(["r1", "rank"]);
    settleB(["r5", "rank"]);
    expect(await read(snapshots.port)).toEqual({ a: ["r1", "rank", "given-by-a-moderator"], b: ["r5", "rank"] });
  });

  test("an edit begun before the snapshot was replaced is not applied to the new one", async () => {
    const gateway = fakeGateway({ a: ["r1"] });
    const snapshots = new MemberSnapshots(gateway.port);
    await read(snapshots.port);
    const settle = snapshots.beginEdit(GUILD, "a");
    snapshots.invalidate(GUILD);
    gateway.roles.set("a", ["r7"]);
    await read(snapshots.port);
    settle(["r1", "rank"]);
    expect(await read(snapshots.port)).toEqual({ a: ["r7"] });
    // Without a snapshot there is nothing to keep current.
    snapshots.invalidate(GUILD);
    snapshots.beginEdit(GUILD, "a")(["x"]);
    expect(snapshots.size).toBe(0);
  });

  test("READY (invalidateAll) drops every snapshot, and a fetch in flight does not become one", async () => {
    const gateway = fakeGateway({ a: [], b: [], c: [] });
    const snapshots = new MemberSnapshots(gateway.port);
    await read(snapshots.port, GUILD);
    await read(snapshots.port, OTHER_GUILD);
    expect(snapshots.size).toBe(2);
    snapshots.invalidateAll();
    expect(snapshots.size).toBe(0);
    expect(snapshots.isFresh(GUILD)).toBe(false);

    const reading = snapshots.port(GUILD)[Symbol.asyncIterator]();
    await reading.next();
    snapshots.invalidateAll(); // a new session while the chunks were coming
    while (!(await reading.next()).done);
    expect(snapshots.isFresh(GUILD)).toBe(false);
    await read(snapshots.port, GUILD);
    expect(gateway.requests).toBe(4);
  });

  test("a failed or abandoned fetch is no snapshot", async () => {
    let calls = 0;
    const failing: MemberRolesPort = async function* () {
      calls++;
      yield [{ userId: "a", roleIds: [] }];
      if (calls === 1) {
        throw new GatewayRateLimitError({ opcode: GatewayOpcodes.RequestGuildMembers, retry_after: 0, meta: { guild_id: GUILD, nonce: "n" } }, {});
      }
      yield [{ userId: "b", roleIds: [] }];
    };
    const snapshots = new MemberSnapshots(failing);
    // collectMemberRoles waits out the RATE_LIMITED answer and asks again; the retry is recorded.
    expect(Object.fromEntries(await collectMemberRoles(snapshots.port, GUILD, { sleep: async () => {} }))).toEqual({ a: [], b: [] });
    expect(calls).toBe(2);
    expect(snapshots.isFresh(GUILD)).toBe(true);

    snapshots.invalidate(GUILD);
    for await (const _chunk of snapshots.port(GUILD)) break; // a run stopped part-way
    expect(snapshots.isFresh(GUILD)).toBe(false);
    expect(snapshots.size).toBe(0);
  });

  test("expired snapshots are dropped from memory by a timer, without being read again", async () => {
    const gateway = fakeGateway({ a: [], b: [] });
    const snapshots = new MemberSnapshots(gateway.port, { ttlMs: 30 });
    await read(snapshots.port, GUILD);
    await read(snapshots.port, OTHER_GUILD);
    expect(snapshots.size).toBe(2);
    await Bun.sleep(80);
    expect(snapshots.size).toBe(0);

    const none = new MemberSnapshots(gateway.port, { ttlMs: 0 });
    await read(none.port);
    expect(none.size).toBe(0);
  });
});

describe("DiscordGuilds tells the snapshots about our own role edits", () => {
  const member = (roles: string[]) => ({ roles, user: { id: "a" } }) as unknown as APIGuildMember;

  test("with the roles Discord answered with, or undefined when the edit failed", async () => {
    const settled: (readonly string[] | undefined)[] = [];
    const observer = { beginEdit: () => (roleIds: readonly string[] | undefined) => void settled.push(roleIds) };
    let fail = false;
    const api = {
      guilds: {
        editMember: async () => {
          if (fail) throw new DiscordAPIError({ code: 10007, message: "Unknown Member" }, 10007, 404, "PATCH", "/guilds/1/members/2", {});
          return member(["r1", "rank", "r-kept-by-discord"]);
        },
      },
    } as unknown as API;
    const guilds = new DiscordGuilds(api, observer);
    await guilds.setMemberRoles(GUILD, "a", ["r1", "rank"]);
    fail = true;
    await expect(guilds.setMemberRoles(GUILD, "a", ["r1"])).rejects.toBeInstanceOf(DiscordAPIError);
    expect(settled).toEqual([["r1", "rank", "r-kept-by-discord"], undefined]);
  });
});

// ---- against the emulators -------------------------------------------------------------------------

/** Real time: Discord's 30 s all-members window is not scaled down, so a wait for it would show. */
const TIME_SCALE = 1;

describe("/sync dry-run:true, then /sync: the second run reuses the member list", () => {
  let world: World;
  let bot: SyncBot;
  let cleanup: () => void;

  beforeAll(async () => {
    world = await createWorld({ groupSize: 700, guildSize: 500, linked: 300, mismatchedShare: 0.05, timeScale: TIME_SCALE, robloxWindowMs: 60_000 });
    const dir = tempDir("rankbridge-member-snapshots-");
    cleanup = dir.cleanup;
    bot = await startSyncBot({
      ...endpointsOf(world),
      databasePath: join(dir.dir, "rankbridge.sqlite"),
      timeScale: TIME_SCALE,
      logLevel: "debug",
      tuning: { progressIntervalMs: 200 },
    });
    await seedDatabase(bot.repositories, world);
    await bot.guildReady(world.guildId);
  }, 60_000);

  afterAll(async () => {
    await bot?.close();
    await world?.close();
    cleanup?.();
  });

  const memberPatches = () => world.discord.requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path));
  const patchedIds = () => new Set(memberPatches().map((r) => r.path.split("/").pop()!));
  const untilIdle = async () => {
    while (bot.bulkSync.isRunning(world.guildId)) await Bun.sleep(5);
  };
  const logged = (msg: string) => bot.logs.filter((line) => line.msg === msg);

  async function slashSync(dryRun: boolean): Promise<string> {
    const interaction = world.discord.injectInteraction({
      guildId: world.guildId,
      userId: world.ownerId,
      commandName: "sync",
      options: dryRun ? [{ type: ApplicationCommandOptionType.Boolean, name: "dry-run", value: true }] : [],
    });
    await interaction.waitForCallback(5_000);
    const reply = await interaction.waitForMessage((m) => /^\*\*(Rank sync (complete|failed|paused)|Dry run)/.test(m.content), 20_000);
    await untilIdle();
    return reply.content;
  }

  /** A linked member's roles set so that their rank is wrong, or right. */
  const rankRoleOf = (discordId: string) => world.rankRoles.get(world.linked.find((m) => m.discordId === discordId)!.robloxRoleId)!;
  const wrongRankOf = (discordId: string) => [...world.rankRoles.values()].find((id) => id !== rankRoleOf(discordId))!;

  test("one member-list read for both runs; the real run fixes exactly who disagrees, a change between the runs included", async () => {
    world.discord.resetCounters();
    const expected = new Set(world.mismatched);
    expect(await slashSync(true)).toContain(`Would sync: ${expected.size} · Already in sync: ${300 - expected.size}`);
    expect(memberPatches()).toHaveLength(0);
    // 300 linked members: asked for by user id (100 a request), the rest of the guild never read.
    const dryRunRequests = [...world.discord.gateway.memberRequests];
    expect(dryRunRequests.map((r) => r.userIds)).toEqual([100, 100, 100]);

    // Between the runs, in Discord (each a GUILD_MEMBER_UPDATE): a member who was right gets a
    // wrong rank, and one who was wrong is fixed by hand.
    const brokenByHand = world.linked.find((m) => !world.mismatched.has(m.discordId))!.discordId;
    const fixedByHand = [...world.mismatched][0]!;
    world.discord.setMemberRoles(world.guildId, brokenByHand, [world.verifiedRoleId, wrongRankOf(brokenByHand)]);
    world.discord.setMemberRoles(world.guildId, fixedByHand, [world.verifiedRoleId, rankRoleOf(fixedByHand)]);
    expected.add(brokenByHand);
    expected.delete(fixedByHand);

    const started = performance.now();
    const reply = await slashSync(false);
    const seconds = (performance.now() - started) / 1000;

    expect(reply).toContain(`Synced: ${expected.size} · Already in sync: ${300 - expected.size} · Errors: 0`);
    expect(patchedIds()).toEqual(expected);
    expect(memberPatches()).toHaveLength(expected.size);
    expect(disagreements(world)).toHaveLength(0);

    // The gateway was asked for the members once (by the dry run) and never refused.
    expect(world.discord.gateway.memberRequests).toEqual(dryRunRequests);
    expect(dryRunRequests.map((r) => r.rateLimited)).toEqual([false, false, false]);
    expect(logged("the gateway asked to wait before sending the member list")).toHaveLength(0);
    expect(logged("member roles served from a snapshot")).toHaveLength(1);
    // Discord's window is 30 s here: a run that waited for it could not be this quick.
    expect(seconds).toBeLessThan(15);
  }, 60_000);

  test("a run right after keeps using the snapshot, with our own edits in it: everyone is in sync, nothing is sent", async () => {
    world.discord.resetCounters();
    const result = await bot.bulkSync.runBackground(world.guildId);
    if (result.kind !== "ran") throw new Error(`the run did not start: ${result.reason}`);
    expect(result.outcome).toMatchObject({ state: "done", updated: 0, inSync: 300, errors: 0, roleRequests: 0 });
    expect(memberPatches()).toHaveLength(0);
    expect(world.discord.gateway.memberRequests).toHaveLength(0);
  }, 30_000);

  test("a new gateway session (READY) drops the snapshot, so a change missed while disconnected is still fixed", async () => {
    expect(bot.memberSnapshots.isFresh(world.guildId)).toBe(true);
    world.discord.resetCounters();
    const target = world.linked.find((m) => m.discordId !== [...world.mismatched][0])!.discordId;
    // The session ends; the change happens before the bot is back, so no event reaches it.
    world.discord.gateway.sendInvalidSession(0, false);
    world.discord.setMemberRoles(world.guildId, target, [world.verifiedRoleId]);
    const deadline = Date.now() + 20_000;
    while (bot.memberSnapshots.isFresh(world.guildId) && Date.now() < deadline) await Bun.sleep(10);
    expect(world.discord.gateway.identifies.length).toBeGreaterThanOrEqual(1);
    expect(bot.memberSnapshots.isFresh(world.guildId)).toBe(false);
    await bot.guildReady(world.guildId);

    // The last all-members request was under 30 s ago; the window is not what this test is about.
    world.discord.resetRateLimits();
    const result = await bot.bulkSync.runBackground(world.guildId);
    if (result.kind !== "ran") throw new Error(`the run did not start: ${result.reason}`);
    expect(result.outcome).toMatchObject({ state: "done", updated: 1, errors: 0 });
    expect(patchedIds()).toEqual(new Set([target]));
    expect(world.discord.gateway.memberRequests.map((r) => r.rateLimited)).toEqual([false, false, false]);
    expect(disagreements(world)).toHaveLength(0);
  }, 60_000);
});
