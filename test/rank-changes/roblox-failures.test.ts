import { decideRobloxAccess } from "../../src/services/roblox-access.ts";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "bun:test";
import { verifyRankEmbed } from "../../src/discord/commands/verify-rank.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { RobloxClient } from "../../src/roblox/client.ts";
import { PendingWriteWorker } from "../../src/services/pending-writes.ts";
import { retryDelayMs } from "../../src/services/write-retry-policy.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { membershipId, startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { auditEntryDetail } from "../../src/discord/views/audit-notes.ts";
import {
  API_KEY,
  createWorld,
  eventually,
  fieldOf,
  GROUP_ID,
  LADDER,
  replyOf,
  ROBLOX_ROLE,
  seedRoblox,
  type World,
} from "./world.ts";

/** A rank change whose Roblox write fails: reported, logged as a desync, queued, retried, never reverted by sync. */
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
beforeEach(() => roblox.failures.clear());
afterEach(async () => {
  roblox.failures.clear();
  await world?.close();
});

const ASSIGN_ROLE = ":assignRole";
/** The `:assignRole` requests for one user (what a rank write sends first). */
const assignRequests = (robloxUserId: number) =>
  roblox.requests.filter((r) => r.method === "POST" && r.path.endsWith(`/memberships/${membershipId(robloxUserId)}${ASSIGN_ROLE}`));

const gauge = async (world: World) => (await world.metrics.pendingRobloxWrites.get()).values[0]?.value;

describe("the Roblox step fails", () => {
  test("the other steps still happen; the reply says so and what to do; DESYNC is logged; a pending write is stored", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private", points: 80 });
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 503, times: 1 });

    const reply = replyOf(await world.command(admin, "promote", { member: member.discordId }));

    expect(reply.embeds[0]!.title).toBe("Promotion Partly Done");
    expect(reply.embeds[0]!.color).toBe(0xf1c40f);
    expect(fieldOf(reply, "Steps")!.split("\n")).toEqual([
      "✅ Database: recorded Corporal (Rank 10)",
      `✅ Discord roles: gave <@&${world.rankRole.corporal}>, removed <@&${world.rankRole.private}>`,
      "❌ Roblox rank: not set yet: Roblox is having trouble right now. Try again in a few minutes. It is queued and retried automatically.",
      "✅ Direct message: sent",
    ]);
    expect(fieldOf(reply, "What to do")).toStartWith("Roblox still shows the old rank. The change is queued and retried automatically");

    // The steps that could happen did.
    expect(await world.storedRankOf(member.discordId)).toBe("corporal");
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.corporal]);
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.private.robloxRank);

    const desync = world.logs.find((line) => line.msg.startsWith("DESYNC"));
    expect(desync).toBeDefined();
    expect(desync!.level).toBe(40);
    expect(desync).toMatchObject({ guildId: world.guildId, discordId: member.discordId, robloxUserId: member.robloxUserId });
    expect(JSON.stringify(desync!.err)).toContain("service_unavailable");

    const pending = await world.repositories.pendingWrites.getForUser(world.guildId, member.robloxUserId);
    expect(pending).toMatchObject({
      discordId: member.discordId,
      groupId: GROUP_ID,
      targetRobloxRoleId: ROBLOX_ROLE.corporal,
      targetRank: LADDER.corporal.robloxRank,
      attempts: 0,
    });
    expect(pending!.lastError).toContain("service_unavailable");
    expect(await gauge(world)).toBe(1);
    expect((await world.repositories.audit.listForMember(world.guildId, member.discordId))[0]).toMatchObject({
      action: "rank.promote",
      outcome: "partial",
      after: expect.objectContaining({ pendingWriteId: pending!.id }),
    });
  });

  test("a write that fails 3 times and then succeeds: reported, retried until it lands, and a sync in between does not revert the member", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private", points: 80 });
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 503, times: 3 });
    const assignsBefore = assignRequests(member.robloxUserId).length;

    // Failure 1: the promotion's own write.
    const reply = replyOf(await world.command(admin, "promote", { member: member.discordId }));
    expect(fieldOf(reply, "Steps")).toContain("❌ Roblox rank: not set yet");
    expect(await world.repositories.pendingWrites.count(world.guildId)).toBe(1);

    // A sync now reads Roblox's stale "Private", but the queued write is the truth: nothing is reverted.
    const patchesBefore = world.memberPatches().length;
    const synced = await world.memberSync.syncMember(world.guildId, member.discordId, { actorId: admin });
    expect(synced.roblox).toMatchObject({ status: "member", roleId: ROBLOX_ROLE.private });
    expect(synced.plan.fromPendingWrite).toBe(true);
    expect(synced.discordChange).toBe("unchanged");
    expect(synced.storedChange).toBe("unchanged");
    expect(world.memberPatches().length).toBe(patchesBefore);
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.corporal]);
    expect(await world.storedRankOf(member.discordId)).toBe("corporal");
    // /verify-rank tells the admin the change is queued rather than suggesting a sync.
    const embed = verifyRankEmbed(await world.memberSync.inspect(world.guildId, member.discordId));
    expect(embed.title).toBe("Rank Mismatch Detected");
    expect(embed.fields!.find((f) => f.name === "Queued Roblox change")!.value).toContain("Corporal (Rank 10)");
    expect(embed.fields!.find((f) => f.name === "Suggested action")!.value).toStartWith("Nothing to do: Roblox will catch up");

    // Failures 2 and 3 go to the worker, then the write lands.
    world.worker.start();
    await eventually(async () => await world.repositories.pendingWrites.countAll(), (count) => count === 0);
    expect(await world.repositories.pendingWrites.countAll()).toBe(0);
    expect(roblox.membership(GROUP_ID, member.robloxUserId)).toMatchObject({ roleId: ROBLOX_ROLE.corporal, rank: LADDER.corporal.robloxRank });
    expect(assignRequests(member.robloxUserId).length - assignsBefore).toBe(4);
    expect(world.logs.filter((line) => line.msg === "queued Roblox rank write failed again; will retry")).toHaveLength(2);
    expect(await gauge(world)).toBe(0);

    const landed = await world.repositories.audit.listLatest(world.guildId, { action: "roblox.write" });
    expect(landed).toHaveLength(1);
    expect(landed[0]).toMatchObject({ actorId: "system", outcome: "ok", targetDiscordId: member.discordId });
    expect(auditEntryDetail(landed[0]!)).toContain("after 4 tries");
    // Still agreed everywhere afterwards.
    expect(discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.rankRole.corporal]);
    expect((await world.memberSync.inspect(world.guildId, member.discordId)).inSync).toBe(true);
  });

  test("the retried write keeps a role off the ladder the member holds", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private", points: 80 });
    roblox.addRoleToMember(GROUP_ID, member.robloxUserId, ROBLOX_ROLE.eventHost);
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 503, times: 1 });

    expect(fieldOf(replyOf(await world.command(admin, "promote", { member: member.discordId })), "Steps")).toContain("❌ Roblox rank: not set yet");
    world.worker.start();
    await eventually(async () => await world.repositories.pendingWrites.countAll(), (count) => count === 0);
    expect(roblox.membership(GROUP_ID, member.robloxUserId)!.roleIds.sort()).toEqual(
      [ROBLOX_ROLE.recruit, ROBLOX_ROLE.corporal, ROBLOX_ROLE.eventHost].sort(),
    );
  });

  test("a failure no retry can fix is not queued, and the reply says what to fix", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private", points: 80 });
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 403, times: 1 });

    const reply = replyOf(await world.command(admin, "promote", { member: member.discordId }));

    expect(fieldOf(reply, "Steps")).toContain("❌ Roblox rank: not set: The bot's Roblox account isn't allowed to do that");
    expect(fieldOf(reply, "What to do")).toContain("no retry can fix it");
    expect(world.logs.some((line) => line.msg.startsWith("DESYNC") && line.msg.includes("not retried"))).toBe(true);
    expect(await world.repositories.pendingWrites.countAll()).toBe(0);
  });
});

describe("the retry worker", () => {
  test("gives up on a member who left the group, with an audit entry saying why", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private", points: 80 });
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 503, times: 1 });
    await world.command(admin, "promote", { member: member.discordId });
    expect(await world.repositories.pendingWrites.countAll()).toBe(1);
    roblox.removeMember(GROUP_ID, member.robloxUserId);

    world.worker.start();
    await eventually(async () => await world.repositories.pendingWrites.countAll(), (count) => count === 0);

    expect(await world.repositories.pendingWrites.countAll()).toBe(0);
    const [gaveUp] = await world.repositories.audit.listLatest(world.guildId, { action: "roblox.write" });
    expect(gaveUp).toMatchObject({ actorId: "system", outcome: "failed", targetDiscordId: member.discordId });
    expect(auditEntryDetail(gaveUp!)).toContain("Gave up setting Roblox rank 10 after 2 tries: That Roblox account isn't a member of the group.");
    expect(roblox.membership(GROUP_ID, member.robloxUserId)).toBeUndefined();
  });

  test("picks up writes left by a previous process, and a newer direct write cancels an older queued one", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const left = await world.linkedMember({ robloxRank: "private", points: 80 });
    const overtaken = await world.linkedMember({ robloxRank: "private", points: 500 });
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 503, times: 2 });
    await world.command(admin, "promote", { member: left.discordId });
    await world.command(admin, "promote", { member: overtaken.discordId });
    expect(await world.repositories.pendingWrites.countAll()).toBe(2);

    // The admin promotes again and this time Roblox answers: the queued Corporal write must not undo Sergeant.
    const again = replyOf(await world.command(admin, "promote", { member: overtaken.discordId }));
    expect(fieldOf(again, "Rank")).toBe("Corporal (Rank 10) → **Sergeant (Rank 20)**");
    expect(fieldOf(again, "Steps")).toContain("✅ Roblox rank: set to Sergeant (Rank 20)");
    expect(await world.repositories.pendingWrites.getForUser(world.guildId, overtaken.robloxUserId)).toBeUndefined();

    // A new worker with its own client on the same database, as after a restart (the world's own never started).
    const freshClient = new RobloxClient({ apiKey: API_KEY, urlTemplate: roblox.urlTemplate, retry: { maxRetries: 0 } });
    const restarted = new PendingWriteWorker({
      repositories: world.repositories,
      // A home guild: the operator's credential writes for it (design §10).
      contexts: {
        accessFor: async (guildId) =>
          decideRobloxAccess({ guildId, home: true, operator: freshClient, guildKey: undefined, storedKey: "none", confirmWrite: async () => ({ canWrite: true }) }),
      },
      audit: { record: async (guildId, entry) => await world.repositories.audit.append(guildId, entry) },
      logger: createLogger({ level: "silent" }),
      metrics: world.metrics,
      backoff: { baseMs: 10, maxMs: 10, jitterRatio: 0 },
    });
    await Bun.sleep(20); // the first retry of the world's queue is due 10 ms (±20%) after the failure
    const summary = await restarted.runOnce();
    expect(summary).toEqual({ attempted: 1, landed: 1, rescheduled: 0, abandoned: 0 });
    expect(world.robloxRankOf(left.robloxUserId)).toBe(LADDER.corporal.robloxRank);
    expect(world.robloxRankOf(overtaken.robloxUserId)).toBe(LADDER.sergeant.robloxRank);
    expect(await world.repositories.pendingWrites.countAll()).toBe(0);
    await restarted.stop();
    await freshClient.close();
  });

  test("stop() waits for the attempt in flight instead of cutting it off", async () => {
    world = await createWorld(discord, roblox);
    const admin = world.admin("colonel");
    const member = await world.linkedMember({ robloxRank: "private", points: 80 });
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, status: 503, times: 1 });
    await world.command(admin, "promote", { member: member.discordId });
    await Bun.sleep(20); // due
    roblox.failures.inject({ method: "POST", pathIncludes: ASSIGN_ROLE, delayMs: 250, times: 1 });

    world.worker.start();
    await eventually(() => roblox.failures.pending, (pending) => pending === 0, 2_000);
    expect(roblox.failures.pending).toBe(0); // the slow write is under way
    expect(await world.repositories.pendingWrites.countAll()).toBe(1);
    await world.worker.stop();

    expect(await world.repositories.pendingWrites.countAll()).toBe(0);
    expect(world.robloxRankOf(member.robloxUserId)).toBe(LADDER.corporal.robloxRank);
  });

  test("back-off doubles from the base, is capped, and is jittered within the ratio", () => {
    const backoff = { baseMs: 30_000, maxMs: 3_600_000, jitterRatio: 0.2 };
    const exact = (failures: number) => retryDelayMs(failures, { ...backoff, jitterRatio: 0 });
    expect([1, 2, 3, 4].map(exact)).toEqual([30_000, 60_000, 120_000, 240_000]);
    expect(exact(8)).toBe(3_600_000);
    expect(exact(500)).toBe(3_600_000);
    expect(retryDelayMs(2, backoff, () => 0)).toBe(48_000);
    expect(retryDelayMs(2, backoff, () => 0.999_999)).toBe(72_000);
    expect(retryDelayMs(20, backoff, () => 0.999_999)).toBe(3_600_000);
  });
});
