/**
 * Fail safe (issue 18), each against a fresh pair of emulators and the real bot: the three
 * failures a fault run showed, and the guard against a valid-looking empty answer.
 *
 * 1. A memberships page that arrives as a 200 without `groupMemberships` strips nobody's roles.
 * 2. A truncated JSON body is asked again and the sync completes.
 * 3. A role moved above the bot mid-sync costs at most one 403 for that cause.
 * 4. An empty or partial answer removes no role without an admin's confirmation.
 */
import { describe, expect, test } from "bun:test";
import { GatewayDispatchEvents } from "discord-api-types/v10";
import { join } from "node:path";
import { tempDir } from "../db/helpers.ts";
import { eventually } from "../support/eventually.ts";
import { endpointsOf, startSyncBot, type SyncBot, type SyncBotOptions } from "./support/bot.ts";
import { createWorld, disagreements, requestsBreakingSpecs, seedDatabase, type World, type WorldSpec } from "./support/world.ts";

interface Setup {
  world: World;
  bot: SyncBot;
  close(): Promise<void>;
}

async function setup(spec: Partial<WorldSpec> = {}, botOptions: Partial<SyncBotOptions> = {}): Promise<Setup> {
  const timeScale = spec.timeScale ?? 0.05;
  const world = await createWorld({ groupSize: 300, guildSize: 130, linked: 100, mismatchedShare: 0.2, timeScale, robloxWindowMs: 60_000 * timeScale, ...spec });
  const dir = tempDir("rankbridge-fail-safe-");
  const bot = await startSyncBot({
    ...endpointsOf(world),
    databasePath: join(dir.dir, "rankbridge.sqlite"),
    timeScale,
    robloxRetry: { baseDelayMs: 10, maxDelayMs: 40, maxRetries: 3 },
    ...botOptions,
    tuning: { progressIntervalMs: 100, waitBaseMs: 50, waitMaxMs: 200, ...botOptions.tuning },
  });
  await seedDatabase(bot.repositories, world);
  await bot.guildReady(world.guildId);
  return {
    world,
    bot,
    async close() {
      await bot.close();
      await world.close();
      dir.cleanup();
    },
  };
}

/** Linked members who held a rank role before the run and hold none now. */
function strippedMembers(world: World, before: Map<string, string[]>): string[] {
  const rankRoleIds = new Set(world.rankRoles.values());
  return world.linked
    .filter((member) => (before.get(member.discordId) ?? []).some((id) => rankRoleIds.has(id)))
    .filter((member) => !(world.discord.memberRoleIds(world.guildId, member.discordId) ?? []).some((id) => rankRoleIds.has(id)))
    .map((member) => member.discordId);
}

function rolesNow(world: World): Map<string, string[]> {
  return new Map(world.linked.map((member) => [member.discordId, [...(world.discord.memberRoleIds(world.guildId, member.discordId) ?? [])]]));
}

const memberPatches = (world: World) => world.discord.requests.filter((r) => r.method === "PATCH" && /\/guilds\/\d+\/members\/\d+$/.test(r.path));

describe("fail safe", () => {
  test("a memberships page answered as a 200 without groupMemberships strips nobody's roles; the run waits and carries on by itself", async () => {
    const alerts: string[] = [];
    const env = await setup({}, {
      alertFetch: async (_url, init) => {
        alerts.push((JSON.parse(String(init.body)) as { content: string }).content);
        return new Response(null, { status: 204 });
      },
    });
    try {
      const { world, bot } = env;
      await bot.repositories.guilds.upsert(world.guildId, { alertWebhookUrl: "https://discord.com/api/webhooks/1/alert-token" });
      const before = rolesNow(world);
      // Every memberships read answers 200 without its list until the fault is lifted.
      world.roblox.failures.inject({ method: "GET", pathIncludes: "/memberships", mangle: { dropField: "groupMemberships" }, times: Infinity });
      const result = bot.bulkSync.runBackground(world.guildId);
      let ended = false;
      void result.then(() => (ended = true));
      await eventually(
        () => ended || (bot.bulkSync.progressText(world.guildId) ?? "").includes("Waiting for Roblox"),
        (done) => done,
      );

      // Nothing was taken from anyone while Roblox answered badly.
      expect(strippedMembers(world, before)).toEqual([]);
      expect(ended).toBe(false);
      expect(bot.bulkSync.progressText(world.guildId)).toContain('field "groupMemberships" is missing');

      world.roblox.failures.clear();
      const outcome = await result;
      expect(outcome.kind).toBe("ran");
      if (outcome.kind !== "ran") return;
      expect(outcome.outcome.state).toBe("done");
      expect(disagreements(world)).toEqual([]);
      expect(strippedMembers(world, before)).toEqual([]);
      expect(requestsBreakingSpecs(world)).toEqual([]);
      // The alerts said it waited (once), then that it carried on.
      expect(alerts.filter((text) => text.includes("is waiting: Roblox keeps failing"))).toHaveLength(1);
      expect(alerts.some((text) => text.includes("carried on and completed"))).toBe(true);
    } finally {
      await env.close();
    }
  }, 60_000);

  test("a truncated JSON body is asked again and the sync completes", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      world.roblox.failures.inject({ method: "GET", pathIncludes: "/memberships", mangle: "truncate", times: 2 });
      const outcome = await bot.bulkSync.runBackground(world.guildId);
      expect(outcome.kind).toBe("ran");
      if (outcome.kind !== "ran") return;
      expect(outcome.outcome.error).toBeNull();
      expect(outcome.outcome.state).toBe("done");
      expect(world.roblox.requests.filter((r) => r.injected)).toHaveLength(2);
      expect(disagreements(world)).toEqual([]);
    } finally {
      await env.close();
    }
  }, 60_000);

  test("a role moved above the bot mid-sync yields at most one 403 for that cause", async () => {
    // Real-time-ish windows and many changes, so the move lands while most edits are still queued.
    const env = await setup({ timeScale: 0.25, linked: 240, guildSize: 260, mismatchedShare: 0.6 });
    try {
      const { world, bot } = env;
      // The rank role most of the queued changes give.
      const wanted = new Map<string, number>();
      for (const member of world.linked) {
        if (!world.mismatched.has(member.discordId)) continue;
        const roleId = world.rankRoles.get(member.robloxRoleId)!;
        wanted.set(roleId, (wanted.get(roleId) ?? 0) + 1);
      }
      const [movedRoleId] = [...wanted.entries()].sort((a, b) => b[1] - a[1])[0]!;
      const botRole = world.discord.role(world.guildId, world.discord.guild(world.guildId)!.botRoleId)!;

      const result = bot.bulkSync.runBackground(world.guildId);
      await eventually(() => memberPatches(world).length, (sent) => sent >= 10, 20_000);
      world.discord.updateRole(world.guildId, movedRoleId, { position: botRole.position + 1 });
      const outcome = await result;
      expect(outcome.kind).toBe("ran");

      const refused = memberPatches(world).filter((r) => r.status === 403);
      expect(refused.length).toBeLessThanOrEqual(1);
      // The members it blocks are reported, with how to fix it, instead of being sent.
      if (outcome.kind === "ran") {
        expect(outcome.outcome.breakdown.notAttempted).toBeGreaterThan(0);
        expect(outcome.outcome.summary).toContain(world.discord.role(world.guildId, movedRoleId)!.name);
      }
    } finally {
      await env.close();
    }
  }, 90_000);

  test("a 403 the cached roles did not foresee re-reads the roles and blocks that cause: one 403, not one per member", async () => {
    const env = await setup({ timeScale: 0.25, linked: 160, guildSize: 180, mismatchedShare: 0.5 });
    try {
      const { world, bot } = env;
      const wanted = new Map<string, number>();
      for (const member of world.linked) {
        if (!world.mismatched.has(member.discordId)) continue;
        const roleId = world.rankRoles.get(member.robloxRoleId)!;
        wanted.set(roleId, (wanted.get(roleId) ?? 0) + 1);
      }
      const [movedRoleId] = [...wanted.entries()].sort((a, b) => b[1] - a[1])[0]!;
      const botRole = world.discord.role(world.guildId, world.discord.guild(world.guildId)!.botRoleId)!;
      const result = bot.bulkSync.runBackground(world.guildId);
      await eventually(() => memberPatches(world).length, (sent) => sent >= 5, 20_000);
      // Discord loses the role events of the move: only a refused edit can tell the bot.
      world.discord.gateway.loseEvents(GatewayDispatchEvents.GuildRoleUpdate, 50);
      world.discord.updateRole(world.guildId, movedRoleId, { position: botRole.position + 1 });
      const outcome = await result;
      expect(outcome.kind).toBe("ran");
      expect(memberPatches(world).filter((r) => r.status === 403).length).toBe(1);
      expect(world.discord.requests.filter((r) => r.method === "GET" && /\/guilds\/\d+\/roles$/.test(r.path)).length).toBeGreaterThanOrEqual(1);
    } finally {
      await env.close();
    }
  }, 90_000);
});

describe("the mass-change guard", () => {
  test("a valid but empty memberships answer removes no role: the run is held for an admin, who can apply or cancel it", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      const before = rolesNow(world);
      // Roblox answers well-formed pages with nobody in them: everyone looks gone from the group.
      world.roblox.failures.inject({ method: "GET", pathIncludes: "/memberships", mangle: "empty-lists", times: Infinity });
      const outcome = await bot.bulkSync.runBackground(world.guildId);
      expect(outcome.kind).toBe("ran");
      if (outcome.kind !== "ran") return;
      expect(outcome.outcome.state).toBe("paused");
      expect(outcome.outcome.summary).toContain("Press **Apply**");
      expect(strippedMembers(world, before)).toEqual([]);
      // Stored ranks are untouched too.
      const stored = (await bot.repositories.members.listLinked(world.guildId)).filter((member) => member.rankId !== null).length;
      expect(stored).toBeGreaterThan(0);
      // Background syncs wait for the admin.
      expect((await bot.repositories.guilds.get(world.guildId))?.syncPausedReason).toContain("an admin must Apply or Cancel");
      expect((await bot.bulkSync.runBackground(world.guildId)).kind).toBe("skipped");

      // Another guild's admin cannot answer it: the run id opens nothing elsewhere.
      expect((await bot.bulkSync.decideHeld("123456789012345678", outcome.outcome.runId, "apply", "1")).kind).toBe("gone");

      const cancelled = await bot.bulkSync.decideHeld(world.guildId, outcome.outcome.runId, "cancel", world.ownerId);
      expect(cancelled.kind).toBe("cancelled");
      expect(strippedMembers(world, before)).toEqual([]);
      expect((await bot.repositories.guilds.get(world.guildId))?.syncPausedReason).toBeNull();
      expect((await bot.bulkSync.decideHeld(world.guildId, outcome.outcome.runId, "apply", world.ownerId)).kind).toBe("gone");
    } finally {
      await env.close();
    }
  }, 60_000);

  test("Apply goes ahead with the held changes", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      // 30 linked members (who show their rank today) really left the group.
      const leavers = world.linked.filter((m) => !world.mismatched.has(m.discordId)).slice(0, 30);
      for (const member of leavers) world.roblox.removeMember(world.groupId, member.robloxUserId);
      const first = await bot.bulkSync.runBackground(world.guildId);
      if (first.kind !== "ran") throw new Error("expected a run");
      expect(first.outcome.state).toBe("paused");
      const rankRoleIds = new Set(world.rankRoles.values());
      const stillRanked = leavers.filter((m) => (world.discord.memberRoleIds(world.guildId, m.discordId) ?? []).some((id) => rankRoleIds.has(id)));
      expect(stillRanked.length).toBe(leavers.length);

      const applied = await bot.bulkSync.decideHeld(world.guildId, first.outcome.runId, "apply", world.ownerId);
      if (applied.kind !== "applying") throw new Error(`expected applying, got ${applied.kind}`);
      const outcome = await applied.finished;
      expect(outcome.state).toBe("done");
      const ranked = leavers.filter((m) => (world.discord.memberRoleIds(world.guildId, m.discordId) ?? []).some((id) => rankRoleIds.has(id)));
      expect(ranked).toEqual([]);
      expect(disagreements(world).filter((m) => !leavers.includes(m))).toEqual([]);
    } finally {
      await env.close();
    }
  }, 60_000);

  test("members who left long ago, with no rank left to take, do not count toward it", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      const gone = world.linked.filter((m) => !world.mismatched.has(m.discordId)).slice(0, 30);
      for (const member of gone) {
        world.roblox.removeMember(world.groupId, member.robloxUserId);
        world.discord.setMemberRoles(world.guildId, member.discordId, [world.verifiedRoleId]);
        await bot.repositories.members.setStoredRank(world.guildId, member.discordId, null);
      }
      const outcome = await bot.bulkSync.runBackground(world.guildId);
      if (outcome.kind !== "ran") throw new Error("expected a run");
      expect(outcome.outcome.state).toBe("done");
      expect((await bot.repositories.guilds.get(world.guildId))?.syncPausedReason ?? null).toBeNull();
    } finally {
      await env.close();
    }
  }, 60_000);

  test("a few leavers under the threshold are applied without asking", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      const leavers = world.linked.filter((m) => !world.mismatched.has(m.discordId)).slice(0, 5);
      for (const member of leavers) world.roblox.removeMember(world.groupId, member.robloxUserId);
      const outcome = await bot.bulkSync.runBackground(world.guildId);
      if (outcome.kind !== "ran") throw new Error("expected a run");
      expect(outcome.outcome.state).toBe("done");
      expect(outcome.outcome.breakdown.leftGroupRemoved).toBe(leavers.length);
    } finally {
      await env.close();
    }
  }, 60_000);
});
