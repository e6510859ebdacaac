/**
 * Group lock "kick" (design §3.1) against both emulators, with the real process's sync: a linked
 * member who is not in the guild's Roblox group gets a DM saying why and how to come back, then is
 * kicked; the owner and members above the bot never are (their bound roles go instead); without
 * Kick Members no kick is sent; a burst of kicks waits for an admin; a linked member who joins
 * while not in the group is kicked on join.
 */
import { describe, expect, test } from "bun:test";
import { ComponentType, InteractionType, type APIMessage } from "discord-api-types/v10";
import { join } from "node:path";
import { tempDir } from "../db/helpers.ts";
import { DEFAULT_BOT_PERMISSIONS } from "../emulators/discord/state.ts";
import { answerOf, readable, runCommand } from "../support/discord-user.ts";
import { eventually } from "../support/eventually.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, requestsBreakingSpecs, seedDatabase, type World } from "./support/world.ts";

const KICK_MEMBERS = 1n << 1n;

async function setup(options: { kickPermission?: boolean; linked?: number } = {}) {
  const timeScale = 0.05;
  const world = await createWorld({ groupSize: 300, guildSize: 130, linked: options.linked ?? 100, mismatchedShare: 0, timeScale, robloxWindowMs: 60_000 * timeScale });
  const dir = tempDir("rankbridge-group-lock-");
  const bot = await startSyncBot({ ...endpointsOf(world), databasePath: join(dir.dir, "rankbridge.sqlite"), timeScale, tuning: { progressIntervalMs: 100 } });
  await seedDatabase(bot.repositories, world);
  await bot.repositories.guilds.upsert(world.guildId, { groupLockMode: "kick" });
  const botRoleId = world.discord.guild(world.guildId)!.botRoleId;
  if (options.kickPermission !== false) world.discord.updateRole(world.guildId, botRoleId, { permissions: DEFAULT_BOT_PERMISSIONS | KICK_MEMBERS });
  await bot.guildReady(world.guildId);
  return {
    world,
    bot,
    botRoleId,
    async close() {
      await bot.close();
      await world.close();
      dir.cleanup();
    },
  };
}

async function sync(world: World, bot: SyncBot, options: { name: string; type: number; value: unknown }[] = []): Promise<string> {
  const command = await runCommand(world.discord, world.guildId, world.ownerId, "sync", options);
  await eventually(() => bot.bulkSync.isRunning(world.guildId), (running) => !running, 30_000);
  const reply = await command.interaction.waitForMessage((m) => /Rank sync (complete|failed|paused)|Dry run/.test(readable(m)), 10_000);
  return readable(reply);
}

const kicks = (world: World) => world.discord.requests.filter((r) => r.method === "DELETE" && /^\/api\/v10\/guilds\/\d+\/members\/\d+$/.test(r.path));
const rankRoleIds = (world: World) => new Set(world.rankRoles.values());

describe("group lock: kick", () => {
  test("members gone from the group are DMed why and how to come back, then kicked; the owner and members above the bot keep their place but lose their bound roles", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      const [a, b, c] = world.linked;
      // b holds a role above the bot's (not a bound one): the bot may not kick them.
      const council = world.discord.createRole(world.guildId, { name: "High Council", position: world.discord.role(world.guildId, env.botRoleId)!.position + 1 });
      world.discord.setMemberRoles(world.guildId, b!.discordId, [...world.discord.memberRoleIds(world.guildId, b!.discordId)!, council.id]);
      for (const member of [a!, b!, c!]) world.roblox.removeMember(world.groupId, member.robloxUserId);
      // The guild owner is linked too, to an account outside the group: never kicked.
      const ownerAccount = world.roblox.bulkSeed(world.groupId, 1)[0]!;
      world.roblox.removeMember(world.groupId, ownerAccount);
      await bot.repositories.members.link(world.guildId, world.ownerId, { robloxUserId: ownerAccount, robloxUsername: `Player${ownerAccount}`, verifiedBy: "oauth" });
      world.discord.resetCounters();

      const report = await sync(world, bot);
      expect(report).toContain("Not in the Roblox group, removed from this server (group lock: kick): 2");
      expect(report).toContain("Not in the Roblox group, but the group lock could not remove them from this server: 2");
      expect(report).toContain("The group lock can't kick members whose highest role is at or above rankbridge's");
      expect(report).toContain("The group lock never kicks the server owner");
      expect(report).not.toContain("Not attempted");
      expect(report).toContain(`${a!.robloxUsername} (<@${a!.discordId}>): `);
      expect(report).toMatch(/→ removed from the server \(not in the Roblox group\)/);
      expect(world.discord.member(world.guildId, world.ownerId)).toBeDefined();
      for (const member of [a!, c!]) {
        expect(world.discord.member(world.guildId, member.discordId)).toBeUndefined();
        const [dm] = world.discord.dmMessages(member.discordId);
        expect(dm!.content).toContain(`linked Roblox account (**${member.robloxUsername}**) is in its Roblox group, and it isn't any more`);
        expect(dm!.content).toContain(`rejoin the group at https://www.roblox.com/communities/${world.groupId}, then rejoin the server`);
        // The DM went before the kick: after it, the member shares no server with the bot.
        const dmIndex = world.discord.requests.findIndex((r) => r.method === "POST" && r.path.endsWith("/messages") && (r.responseBody as { id?: string })?.id === dm!.id);
        const kickIndex = world.discord.requests.findIndex((r) => r.method === "DELETE" && r.path.endsWith(`/members/${member.discordId}`));
        expect(dmIndex).toBeGreaterThanOrEqual(0);
        expect(kickIndex).toBeGreaterThan(dmIndex);
      }
      // b stays, without the bound roles; nothing was sent that had to fail.
      expect(world.discord.member(world.guildId, b!.discordId)).toBeDefined();
      expect(world.discord.memberRoleIds(world.guildId, b!.discordId)!.filter((id) => rankRoleIds(world).has(id))).toEqual([]);
      expect(kicks(world)).toHaveLength(2);
      expect(world.discord.invalidRequests).toBe(0);
      // Discord's audit log has the reason; ours has who, why and that the DM went.
      expect(world.discord.auditLog(world.guildId).map((entry) => [entry.actionType, entry.targetId, entry.reason])).toEqual(
        [a!, c!].map((member) => [20, member.discordId, `rankbridge group lock: Roblox ${member.robloxUsername} is not in group ${world.groupId}`]),
      );
      const audit = await bot.repositories.audit.listLatest(world.guildId, { action: "member.kick", limit: 10 });
      expect(audit.map((row) => [row.targetDiscordId, row.outcome, row.after]).sort()).toEqual(
        [a!, c!].map((member) => [member.discordId, "ok", { kicked: true, dmSent: true }]).sort(),
      );
      expect(requestsBreakingSpecs(world)).toEqual([]);

      // The next sync has nobody left to kick.
      world.discord.resetCounters();
      await sync(world, bot);
      expect(kicks(world)).toEqual([]);
    } finally {
      await env.close();
    }
  }, 60_000);

  test("without Kick Members nobody is kicked (no request that must fail): their bound roles go and the report says what to fix", async () => {
    const env = await setup({ kickPermission: false });
    try {
      const { world, bot } = env;
      const [a] = world.linked;
      world.roblox.removeMember(world.groupId, a!.robloxUserId);
      const report = await sync(world, bot);
      expect(report).toContain("give rankbridge's role the Kick Members permission");
      expect(kicks(world)).toEqual([]);
      expect(world.discord.invalidRequests).toBe(0);
      expect(world.discord.member(world.guildId, a!.discordId)).toBeDefined();
      expect(world.discord.memberRoleIds(world.guildId, a!.discordId)).toEqual([world.verifiedRoleId]);
      expect(world.discord.dmMessages(a!.discordId)).toEqual([]);
    } finally {
      await env.close();
    }
  }, 60_000);

  test("mode off touches nothing; remove-roles takes the bound roles and kicks nobody", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      const [a] = world.linked;
      world.roblox.removeMember(world.groupId, a!.robloxUserId);
      const before = world.discord.memberRoleIds(world.guildId, a!.discordId);
      await bot.repositories.guilds.upsert(world.guildId, { groupLockMode: "off" });
      const off = await sync(world, bot);
      expect(off).toContain(`Left the Roblox group, roles kept (policy: flag): 1 (${a!.robloxUsername})`);
      expect(world.discord.memberRoleIds(world.guildId, a!.discordId)).toEqual(before!);

      await bot.repositories.guilds.upsert(world.guildId, { groupLockMode: "remove-roles" });
      const removed = await sync(world, bot);
      expect(removed).toContain("Left the Roblox group, rank roles removed: 1");
      expect(world.discord.memberRoleIds(world.guildId, a!.discordId)).toEqual([world.verifiedRoleId]);
      expect(kicks(world)).toEqual([]);
      expect(world.discord.dmMessages(a!.discordId)).toEqual([]);
    } finally {
      await env.close();
    }
  }, 60_000);

  test("a burst of kicks is held for an admin like a burst of stripped ranks; a dry run says who would go; Apply kicks them", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      // 15 of 100 linked members gone: over the default 10% and 10.
      const leavers = world.linked.slice(0, 15);
      for (const member of leavers) world.roblox.removeMember(world.groupId, member.robloxUserId);
      world.discord.resetCounters();

      const dry = await sync(world, bot, [{ name: "dry-run", type: 5, value: true }]);
      expect(dry).toContain("Not in the Roblox group, would be removed from this server (group lock: kick): 15");
      expect(dry).toContain("A real sync would take the rank roles from, or count as gone from the Roblox group, 15 of 100 linked members");

      const command = await runCommand(world.discord, world.guildId, world.ownerId, "sync");
      await eventually(() => bot.bulkSync.isRunning(world.guildId), (running) => !running, 30_000);
      const held: APIMessage = await command.interaction.waitForMessage((m) => readable(m).includes("Rank sync paused"), 10_000);
      expect(readable(held)).toContain("15 of 100 linked members");
      expect(kicks(world)).toEqual([]);
      expect(leavers.every((member) => world.discord.member(world.guildId, member.discordId) !== undefined)).toBe(true);
      expect(leavers.every((member) => world.discord.dmMessages(member.discordId).length === 0)).toBe(true);

      const rows = (held.components ?? []) as unknown as { components?: { custom_id?: string }[] }[];
      const apply = rows.flatMap((row) => row.components ?? [])[0]!.custom_id!;
      const press = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, type: InteractionType.MessageComponent, componentType: ComponentType.Button, customId: apply, message: held.id });
      await answerOf(press, held);
      await eventually(() => kicks(world).length, (sent) => sent === 15, 20_000);
      await eventually(() => bot.bulkSync.isRunning(world.guildId), (running) => !running, 30_000);
      expect(leavers.every((member) => world.discord.member(world.guildId, member.discordId) === undefined)).toBe(true);
      expect(await bot.repositories.audit.listLatest(world.guildId, { action: "member.kick", limit: 50 })).toHaveLength(15);
    } finally {
      await env.close();
    }
  }, 90_000);

  test("a linked member who joins while not in the group is DMed and kicked at once; one who is in it is not", async () => {
    const env = await setup();
    try {
      const { world, bot } = env;
      const outsider = world.discord.createUser({ username: "outsider" });
      const robloxUserId = world.roblox.bulkSeed(world.groupId, 1, { roles: [world.groupId * 1000 + 12] })[0]!;
      world.roblox.removeMember(world.groupId, robloxUserId);
      await bot.repositories.members.link(world.guildId, outsider.id, { robloxUserId, robloxUsername: `Player${robloxUserId}`, verifiedBy: "oauth" });
      world.discord.addMember(world.guildId, { id: outsider.id });
      await eventually(() => world.discord.member(world.guildId, outsider.id), (member) => member === undefined, 5_000);
      expect(world.discord.dmMessages(outsider.id)[0]?.content).toContain("rejoin the group at");
      const [row] = await bot.repositories.audit.listLatest(world.guildId, { action: "member.kick", limit: 1 });
      expect(row).toMatchObject({ actorId: "system", targetDiscordId: outsider.id, outcome: "ok", detail: "joined the server: removed from the server after a DM" });

      const insider = world.discord.createUser({ username: "insider" });
      const memberId = world.roblox.bulkSeed(world.groupId, 1, { roles: [world.groupId * 1000 + 12] })[0]!;
      await bot.repositories.members.link(world.guildId, insider.id, { robloxUserId: memberId, robloxUsername: `Player${memberId}`, verifiedBy: "oauth" });
      world.discord.addMember(world.guildId, { id: insider.id });
      const captain = world.rankRoles.get(world.groupId * 1000 + 12)!;
      await eventually(() => world.discord.memberRoleIds(world.guildId, insider.id) ?? [], (roles) => roles.includes(captain), 5_000);
      expect(kicks(world)).toHaveLength(1);
    } finally {
      await env.close();
    }
  }, 60_000);
});
