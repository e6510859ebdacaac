/**
 * What a bulk sync does around the happy path, each against a fresh pair of emulators: the role
 * hierarchy, members who vanish, a guild that keeps refusing, overlapping /sync commands, the
 * 15-minute interaction token, joins and departures, rank filters, status, alerts and metrics.
 */
import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { APIMessage } from "discord-api-types/v10";
import { tempDir } from "../db/helpers.ts";
import { endpointsOf, startSyncBot, type SyncBot, type SyncBotOptions } from "./support/bot.ts";
import { createWorld, disagreements, requestsBreakingSpecs, seedDatabase, type World, type WorldSpec } from "./support/world.ts";

interface Setup {
  world: World;
  bot: SyncBot;
  databasePath: string;
  close(): Promise<void>;
  removeFiles(): void;
}

async function setup(spec: Partial<WorldSpec> = {}, botOptions: Partial<SyncBotOptions> = {}): Promise<Setup> {
  const timeScale = spec.timeScale ?? 0.05;
  const world = await createWorld({ groupSize: 400, guildSize: 160, linked: 100, mismatchedShare: 0.2, timeScale, robloxWindowMs: 60_000 * timeScale, ...spec });
  const dir = tempDir("rankbridge-sync-behaviour-");
  const databasePath = join(dir.dir, "rankbridge.sqlite");
  const bot = await startSyncBot({
    ...endpointsOf(world),
    databasePath,
    timeScale,
    ...botOptions,
    tuning: { progressIntervalMs: 100, ...botOptions.tuning },
  });
  await seedDatabase(bot.repositories, world);
  await bot.guildReady(world.guildId);
  return {
    world,
    bot,
    databasePath,
    async close() {
      await bot.close();
      await world.close();
      dir.cleanup();
    },
    removeFiles: dir.cleanup,
  };
}

const FINAL = /^\*\*(Rank sync (complete|failed|paused)|Dry run)/;

/** Runs `/sync` as the guild owner and returns the final reply once the run has fully ended. */
async function slashSync(env: Setup, options: { type: number; name: string; value: unknown }[] = []): Promise<APIMessage> {
  const interaction = env.world.discord.injectInteraction({
    guildId: env.world.guildId,
    userId: env.world.ownerId,
    commandName: "sync",
    options: options as never,
  });
  await interaction.waitForCallback(5_000);
  const reply = await interaction.waitForMessage((m) => FINAL.test(m.content), 30_000);
  await untilIdle(env);
  return reply;
}

async function untilIdle(env: Setup): Promise<void> {
  while (env.bot.bulkSync.isRunning(env.world.guildId)) await Bun.sleep(5);
}

const memberPatches = (world: World) => world.discord.requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path));

/** A local stand-in for the guild's alert webhook. */
function alertWebhook() {
  const received: { content: string }[] = [];
  const server = Bun.serve({
    hostname: "127.0.0.1",
    port: 0,
    async fetch(request) {
      // Only the webhook's own POST counts: the port may have belonged to an emulator a moment ago.
      if (request.method !== "POST" || new URL(request.url).pathname !== "/api/webhooks/1/secret") return new Response(null, { status: 404 });
      received.push((await request.json()) as { content: string });
      return new Response(null, { status: 204 });
    },
  });
  return { url: `http://127.0.0.1:${server.port}/api/webhooks/1/secret`, received, stop: () => server.stop(true) };
}

describe("the role hierarchy is checked before any request", () => {
  test("members whose rank role sits above the bot's role are reported, not attempted", async () => {
    const env = await setup({ mismatchedShare: 0.4 });
    try {
      const { world, bot } = env;
      const sergeant = world.rankRoles.get(world.groupId * 1000 + 8)!;
      const botRole = world.discord.role(world.guildId, world.discord.guild(world.guildId)!.botRoleId)!;
      world.discord.updateRole(world.guildId, sergeant, { position: botRole.position });
      while ((await bot.guilds.guild(world.guildId)).roles.get(sergeant)!.position < botRole.position) await Bun.sleep(5);
      const rolesBefore = new Map(world.linked.map((member) => [member.discordId, world.discord.memberRoleIds(world.guildId, member.discordId)!]));

      const reply = await slashSync(env);
      expect(reply.content).toContain("Not attempted (the bot may not change their roles):");
      expect(reply.content).toContain('Move the rankbridge role above "Sergeant"');
      // Nothing that had to fail was sent: no 403, and no edit touched the Sergeant role.
      expect(world.discord.invalidRequests).toBe(0);
      expect(memberPatches(world).length).toBeGreaterThan(0);
      for (const request of memberPatches(world)) {
        const sent = (request.body as { roles: string[] }).roles;
        expect(sent.includes(sergeant)).toBe(rolesBefore.get(request.path.split("/").pop()!)!.includes(sergeant));
      }
      const left = disagreements(world);
      expect(left.length).toBeGreaterThan(0);
      for (const member of left) {
        const roles = world.discord.memberRoleIds(world.guildId, member.discordId)!;
        expect(roles.includes(sergeant) || member.robloxRoleId === world.groupId * 1000 + 8).toBe(true);
      }
    } finally {
      await env.close();
    }
  }, 30_000);
});

describe("members who vanish and guilds that refuse", () => {
  test("a member who left the server (10007) is skipped, not counted as an error", async () => {
    const env = await setup();
    try {
      const { world } = env;
      const gone = [...world.mismatched][0]!;
      world.discord.failNext({ method: "PATCH", pathIncludes: `/members/${gone}` }, { status: 404, body: { code: 10007, message: "Unknown Member" } });
      const reply = await slashSync(env);
      expect(reply.content).toContain("Errors: 0");
      expect(reply.content).toContain("Left this server during the sync: 1");
      expect(disagreements(world).map((m) => m.discordId)).toEqual([gone]);
    } finally {
      await env.close();
    }
  }, 30_000);

  test("three 403s in a row pause the guild with a clear report and an alert, until an admin runs /sync again", async () => {
    const hook = alertWebhook();
    const env = await setup();
    try {
      const { world, bot } = env;
      await bot.repositories.guilds.upsert(world.guildId, { alertWebhookUrl: hook.url });
      world.discord.failNext({ method: "PATCH", pathIncludes: "/members/" }, { status: 403, body: { code: 50013, message: "Missing Permissions" } }, 3);

      const paused = await slashSync(env);
      expect(paused.content).toStartWith("**Rank sync paused**");
      expect(paused.content).toContain("Manage Roles");
      // Paused after the third refusal instead of working through the guild.
      expect(memberPatches(world)).toHaveLength(3);
      const run = (await bot.repositories.syncRuns.listLatest(world.guildId, 1))[0]!;
      expect(run.status).toBe("paused");
      expect((await bot.repositories.guilds.get(world.guildId))!.syncPausedReason).toContain("missing permissions");
      while (hook.received.length === 0) await Bun.sleep(5);
      expect(hook.received[0]!.content).toContain("Rank sync paused");
      expect(await bot.bulkSync.runBackground(world.guildId)).toEqual({ kind: "skipped", reason: "paused" });

      // The admin fixed the server and asks again: the pause is lifted and a fresh run fixes everyone.
      const fixed = await slashSync(env);
      expect(fixed.content).toStartWith("**Rank sync complete**");
      expect(disagreements(world)).toHaveLength(0);
      expect((await bot.repositories.guilds.get(world.guildId))!.syncPausedReason).toBeNull();
      expect((await bot.repositories.syncRuns.get(world.guildId, run.id))!.status).toBe("failed");
    } finally {
      await env.close();
      hook.stop();
    }
  }, 30_000);

  test("Roblox rejecting the credentials fails the run and raises an alert, and so do repeated failures", async () => {
    const hook = alertWebhook();
    const env = await setup();
    try {
      const { world, bot } = env;
      await bot.repositories.guilds.upsert(world.guildId, { alertWebhookUrl: hook.url });
      world.roblox.removeApiKey(world.apiKey);
      const reply = await slashSync(env);
      expect(reply.content).toStartWith("**Rank sync failed**");
      expect(reply.content).toContain("Roblox rejected the bot's credentials");
      expect(memberPatches(world)).toHaveLength(0);
      while (hook.received.length === 0) await Bun.sleep(5);
      expect(hook.received[0]!.content).toContain("credentials");

      // Runs that keep failing raise an alert of their own.
      await bot.bulkSync.runBackground(world.guildId);
      await bot.bulkSync.runBackground(world.guildId);
      const deadline = Date.now() + 2_000;
      while (!hook.received.some((alert) => alert.content.includes("the last 3 rank syncs failed")) && Date.now() < deadline) await Bun.sleep(5);
      expect(hook.received.some((alert) => alert.content.includes("the last 3 rank syncs failed"))).toBe(true);
    } finally {
      await env.close();
      hook.stop();
    }
  }, 30_000);
});

describe("long runs and overlapping commands", () => {
  test("a second /sync attaches to the running one, and past the token's life both report in the channel", async () => {
    // Real-time limits (10 edits a second) so the run lasts a few seconds; a 1.5 s token life.
    const env = await setup({ timeScale: 1, robloxWindowMs: 60_000, linked: 100, mismatchedShare: 0.3 }, { tuning: { interactionTokenTtlMs: 1_500, tokenMarginMs: 500, progressIntervalMs: 200 } });
    try {
      const { world, bot } = env;
      world.discord.setInteractionWindows({ tokenTtlMs: 1_500 });
      const channelId = world.discord.guild(world.guildId)!.systemChannelId;
      const first = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, commandName: "sync" });
      await first.waitForCallback(5_000);
      while (memberPatches(world).length === 0) await Bun.sleep(5);

      const second = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, commandName: "sync" });
      await second.waitForCallback(5_000);
      const attached = await second.waitForMessage((m) => m.content.includes("already running"), 5_000);
      expect(attached.content).toContain("Rank sync");

      await untilIdle(env);
      // In the channel: one message when the report moved there, one with the summary; not one per /sync.
      const ours = world.discord.channelMessages(channelId).filter((m) => m.content.startsWith("**Rank sync"));
      expect(ours).toHaveLength(2);
      expect(ours[0]!.content).toContain("The summary will be posted here when the sync ends.");
      expect(ours[1]!.content).toStartWith("**Rank sync complete**");
      expect(ours[1]!.content).toContain("Synced: 30 · Already in sync: 70 · Errors: 0");
      expect(first.messages[0]!.content).toContain(`progress continues in <#${channelId}>`);
      // One run, not two.
      expect(await bot.repositories.syncRuns.listLatest(world.guildId, 5)).toHaveLength(1);
      expect(disagreements(world)).toHaveLength(0);
      expect(requestsBreakingSpecs(world)).toEqual([]);
    } finally {
      await env.close();
    }
  }, 30_000);
});

describe("shutdown", () => {
  test("a graceful stop saves where the run stood, and the next start carries it on", async () => {
    const env = await setup({ timeScale: 0.2, robloxWindowMs: 12_000, linked: 100, mismatchedShare: 0.3 });
    const { world, bot } = env;
    let reopened: SyncBot | undefined;
    try {
      const running = bot.bulkSync.runBackground(world.guildId);
      while (memberPatches(world).length < 8) await Bun.sleep(5);
      await bot.bulkSync.stop();
      const stopped = await running;
      expect(stopped.kind === "ran" && stopped.outcome.state).toBe("stopped");
      const row = (await bot.repositories.syncRuns.listLatest(world.guildId, 1))[0]!;
      expect(row.status).toBe("running");
      const items = await bot.repositories.syncRuns.countItems(world.guildId, row.id);
      expect(items.done).toBe(row.updated);
      expect(items.pending).toBe(30 - row.updated);
      await bot.close();

      reopened = await startSyncBot({
        ...endpointsOf(world),
        databasePath: env.databasePath,
        timeScale: 0.2,
      });
      await reopened.guildReady(world.guildId);
      const [resumed] = await reopened.bulkSync.resumeUnfinished();
      const outcome = await resumed!.finished;
      expect(outcome).toMatchObject({ runId: row.id, resumed: true, state: "done", updated: 30, errors: 0 });
      const perMember = new Map<string, number>();
      for (const request of memberPatches(world)) perMember.set(request.path, (perMember.get(request.path) ?? 0) + 1);
      expect(Math.max(...perMember.values())).toBe(1);
      expect(disagreements(world)).toHaveLength(0);
    } finally {
      await reopened?.close();
      await world.close();
      env.removeFiles();
    }
  }, 30_000);
});

describe("joins, departures and filters", () => {
  test("a linked member who joins gets their rank role at once, from one Roblox lookup", async () => {
    const env = await setup({ mismatchedShare: 0 });
    try {
      const { world, bot } = env;
      const robloxUserId = world.roblox.bulkSeed(world.groupId, 1, { roles: [world.groupId * 1000 + 12] })[0]!;
      const user = world.discord.createUser({ username: "newcomer" });
      await bot.repositories.members.link(world.guildId, user.id, { robloxUserId, robloxUsername: `Player${robloxUserId}`, verifiedBy: "oauth" });
      world.roblox.resetCounts();
      world.discord.addMember(world.guildId, { id: user.id });
      const captain = world.rankRoles.get(world.groupId * 1000 + 12)!;
      const deadline = Date.now() + 5_000;
      while (!world.discord.memberRoleIds(world.guildId, user.id)?.includes(captain) && Date.now() < deadline) await Bun.sleep(5);
      expect(world.discord.memberRoleIds(world.guildId, user.id)).toEqual([captain]);
      expect(world.roblox.counts().total).toBe(1);
      const stored = (await bot.repositories.members.get(world.guildId, user.id))!;
      expect((await bot.repositories.ranks.get(world.guildId, stored.rankId!))!.robloxRoleId).toBe(world.groupId * 1000 + 12);
    } finally {
      await env.close();
    }
  }, 30_000);

  test("members who left the Roblox group lose their rank roles, or are kept and flagged", async () => {
    const env = await setup({ mismatchedShare: 0 });
    try {
      const { world, bot } = env;
      const [a, b, c] = world.linked;
      world.roblox.removeMember(world.groupId, a!.robloxUserId);
      world.roblox.removeMember(world.groupId, b!.robloxUserId);
      const removed = await slashSync(env);
      expect(removed.content).toContain("Left the Roblox group, rank roles removed: 2");
      for (const member of [a!, b!]) {
        expect(world.discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.verifiedRoleId]);
        expect((await bot.repositories.members.get(world.guildId, member.discordId))!.rankId).toBeNull();
      }

      await bot.repositories.guilds.upsert(world.guildId, { leftGroupPolicy: "flag" });
      const before = world.discord.memberRoleIds(world.guildId, c!.discordId);
      world.roblox.removeMember(world.groupId, c!.robloxUserId);
      const flagged = await slashSync(env);
      // The two whose roles were already removed have nothing left to review.
      expect(flagged.content).toContain(`Left the Roblox group, roles kept (policy: flag): 1 (${c!.robloxUsername})`);
      expect(world.discord.memberRoleIds(world.guildId, c!.discordId)).toEqual(before!);
      const audit = (await bot.repositories.audit.listLatest(world.guildId, { action: "sync.run", limit: 1 }))[0]!;
      expect(audit.after).toMatchObject({ leftGroupFlagged: 1, flagged: [c!.robloxUsername] });
    } finally {
      await env.close();
    }
  }, 30_000);

  test("a guild can limit sync to chosen ranks", async () => {
    const env = await setup({ mismatchedShare: 0.5 });
    try {
      const { world, bot } = env;
      const recruitRole = world.groupId * 1000 + 3;
      const recruit = (await bot.repositories.ranks.list(world.guildId)).find((rank) => rank.robloxRoleId === recruitRole)!;
      await bot.repositories.guilds.upsert(world.guildId, { syncRankFilter: [recruit.id] });
      const reply = await slashSync(env);
      expect(reply.content).toContain("Outside this server's rank filter:");
      const recruitDiscord = world.rankRoles.get(recruitRole)!;
      for (const request of memberPatches(world)) {
        const member = world.linked.find((m) => m.discordId === request.path.split("/").pop())!;
        const roles = (request.body as { roles: string[] }).roles;
        // Only members whose Roblox rank is Recruit, or who showed Recruit in Discord, were touched.
        expect(member.robloxRoleId === recruitRole || !roles.includes(recruitDiscord)).toBe(true);
      }
      const stillWrong = disagreements(world);
      expect(stillWrong.length).toBeGreaterThan(0);
      expect(stillWrong.every((m) => m.robloxRoleId !== recruitRole)).toBe(true);
    } finally {
      await env.close();
    }
  }, 30_000);
});

describe("status, single members and metrics", () => {
  test("/sync member:<user> syncs just that member", async () => {
    const env = await setup();
    try {
      const { world } = env;
      const target = [...world.mismatched][0]!;
      const interaction = world.discord.injectInteraction({
        guildId: world.guildId,
        userId: world.ownerId,
        commandName: "sync",
        options: [{ type: 6, name: "member", value: target }] as never,
      });
      await interaction.waitForCallback(5_000);
      const reply = await interaction.waitForMessage((m) => (m.embeds?.length ?? 0) > 0, 10_000);
      expect(reply.embeds![0]!.title).toBe("Member Synced");
      expect(memberPatches(world).map((r) => r.path.split("/").pop())).toEqual([target]);
      expect(disagreements(world).map((m) => m.discordId)).not.toContain(target);
    } finally {
      await env.close();
    }
  }, 30_000);

  test("/sync-status shows the last runs, the next run, pending Roblox writes and recent failures; metrics count it all", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      await slashSync(env);
      world.discord.failNext({ method: "PATCH", pathIncludes: "/members/" }, { status: 500, body: { code: 0, message: "oops" } }, 20);
      world.discord.setMemberRoles(world.guildId, world.linked[0]!.discordId, [world.verifiedRoleId]);
      await slashSync(env);
      await bot.repositories.pendingWrites.enqueue(world.guildId, {
        discordId: world.linked[1]!.discordId,
        robloxUserId: world.linked[1]!.robloxUserId,
        groupId: world.groupId,
        targetRobloxRoleId: world.groupId * 1000 + 7,
        targetRank: 10,
        lastError: "Roblox is having trouble right now.",
      });
      await bot.scheduler.start();

      const status = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, commandName: "sync-status" });
      await status.waitForCallback(5_000);
      const reply = await status.waitForMessage((m) => (m.embeds?.length ?? 0) > 0, 5_000);
      const fields = new Map(reply.embeds![0]!.fields!.map((field) => [field.name, field.value]));
      expect(fields.get("Background sync")).toMatch(/^Every 6h; next <t:\d+:R>$/);
      expect(fields.get("Last runs")).toContain("#1 manual");
      expect(fields.get("Last runs")).toContain("#2 manual");
      expect(fields.get("Last runs")).toContain("20 updated, 80 in sync, 0 errors");
      expect(fields.get("Pending Roblox writes")).toContain("1 waiting");
      expect(fields.get("Recent failures")).toContain("#2");

      const metrics = await bot.metricsText();
      expect(metrics).toContain('rankbridge_sync_runs_total{trigger="manual",outcome="done"} 2');
      expect(metrics).toContain('rankbridge_sync_members_total{outcome="updated"} 20');
      expect(metrics).toMatch(/rankbridge_sync_members_total\{outcome="error"\} 1\b/);
      expect(metrics).toMatch(/rankbridge_sync_requests_total\{api="roblox"\} \d+/);
      expect(metrics).toMatch(/rankbridge_sync_requests_total\{api="discord"\} \d+/);
      expect(metrics).toContain("rankbridge_sync_run_duration_seconds_count 2");
      expect(metrics).toContain("rankbridge_pending_roblox_writes 0");
      expect(requestsBreakingSpecs(world)).toEqual([]);
    } finally {
      await env.close();
    }
  }, 30_000);
});
