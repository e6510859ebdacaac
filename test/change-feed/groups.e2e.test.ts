/**
 * The change feed per Roblox group, not per guild (design §3.2, §8, §10), end to end: a group bound
 * in two guilds is read once per interval and both get the change; a visiting guild's group is read
 * only with the key that guild stored, never with the operator's; a burst of leaves beyond the
 * mass-change threshold is held for an admin like a bulk sync.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { parseEncryptionKey } from "../../src/config/env.ts";
import { SecretBox } from "../../src/security/secrets.ts";
import { defaultRoles } from "../emulators/roblox/index.ts";
import { runCommand } from "../support/discord-user.ts";
import { eventually } from "../support/eventually.ts";
import { BOT_ROBLOX_USER_ID, CAPTAIN, createFeedWorld, type FeedBot, FEED_KEY, feedPolled, startFeedBot, type FeedWorld } from "./support.ts";

const ENCRYPTION_KEY = "ab".repeat(32);
let feed: FeedWorld;
let bot: FeedBot | undefined;

beforeEach(async () => {
  feed = await createFeedWorld();
});
afterEach(async () => {
  await bot?.close();
  bot = undefined;
  await feed.close();
});

const auditReads = (feedWorld: FeedWorld, groupId: number) =>
  feedWorld.world.roblox.requests.filter((request) => request.path === `/legacy-groups/v1/groups/${groupId}/audit-log`);

describe("one feed per Roblox group", () => {
  test("a group bound in two guilds is read once per interval, and both guilds get the change", async () => {
    const { world } = feed;
    // A second server of the same community, bound to the same group, with the same members linked.
    const second = world.discord.createGuild({ name: "Sync Test Army (reserve)" });
    const member = world.linked[2]!;
    const secondRoles = new Map(world.ladder.filter((rank) => rank.discordRoleId).map((rank) => [rank.robloxRoleId, world.discord.createRole(second.id, { name: rank.name }).id]));
    world.discord.addMember(second.id, { id: member.discordId, roles: [secondRoles.get(member.robloxRoleId)!] });

    bot = await startFeedBot(feed, { env: { HOME_GUILD_IDS: `${world.guildId},${second.id}` } });
    const { repositories } = bot;
    await repositories.guilds.upsert(second.id, { robloxGroupId: world.groupId });
    await repositories.ranks.replace(
      second.id,
      world.ladder.map((rank) => ({ name: rank.name, robloxRoleId: rank.robloxRoleId, robloxRank: rank.robloxRank, discordRoleId: secondRoles.get(rank.robloxRoleId) ?? null })),
    );
    await repositories.members.link(second.id, member.discordId, { robloxUserId: member.robloxUserId, robloxUsername: member.robloxUsername, verifiedBy: "profile-phrase" });
    await feedPolled(bot, world.groupId);
    await eventually(() => bot!.bot.parts.changeFeed!.status.forGuild(second.id)?.guildIds.length ?? 0, (n) => n === 2);

    world.roblox.requests.length = 0;
    const watchedFrom = Date.now();
    const major = feed.roleId("Major");
    world.roblox.changeRankAsUser(CAPTAIN.id, world.groupId, member.robloxUserId, major);
    await eventually(() => world.discord.memberRoleIds(second.id, member.discordId) ?? [], (roles) => roles.includes(secondRoles.get(major)!), 7_000);
    await eventually(() => world.discord.memberRoleIds(world.guildId, member.discordId) ?? [], (roles) => roles.includes(world.rankRoles.get(major)!), 2_000);
    expect(world.discord.memberRoleIds(second.id, member.discordId)).toEqual([secondRoles.get(major)!]);
    expect(world.discord.memberRoleIds(world.guildId, member.discordId)).toContain(world.rankRoles.get(major)!);

    // Every 2 s, once for both guilds: at most one read per 2 s elapsed (plus the one in flight).
    await Bun.sleep(4_500);
    const elapsedS = (Date.now() - watchedFrom) / 1000;
    expect(auditReads(feed, world.groupId).length).toBeLessThanOrEqual(Math.floor(elapsedS / 2) + 1);
    expect(auditReads(feed, world.groupId).length).toBeGreaterThanOrEqual(2);
    for (const guildId of [world.guildId, second.id]) {
      expect((await repositories.audit.listLatest(guildId, { action: "roblox.change" })).map((entry) => entry.targetDiscordId)).toEqual([member.discordId]);
    }
  }, 40_000);

  test("a visiting guild's group is read with its own stored key only, never with the operator's", async () => {
    const { world } = feed;
    const navyId = 9_100;
    world.roblox.createGroup({ id: navyId, name: "Navy", ownerId: 1, roles: defaultRoles(navyId) });
    // The operator's key may read Navy's log too (its account holds the Ranking Bot role there): the rule, not Roblox, must stop it.
    world.roblox.setMembership(navyId, BOT_ROBLOX_USER_ID, navyId * 1000 + 2);
    const navyOwner = 9_101;
    world.roblox.addUser({ id: navyOwner, name: "NavyAdmiral" });
    world.roblox.setMembership(navyId, navyOwner, navyId * 1000 + 2);
    world.roblox.addApiKey("navy-key", { ownerUserId: navyOwner, scopes: ["group:read", "group:write", "legacy-group:manage"] });
    const visiting = world.discord.createGuild({ name: "Navy" });

    bot = await startFeedBot(feed, { env: { ENCRYPTION_KEY } });
    const { repositories } = bot;
    // The operator's tool on the same file and ENCRYPTION_KEY (as /config api-key stores it).
    const secrets = new SecretBox(parseEncryptionKey(ENCRYPTION_KEY));
    await repositories.guilds.upsert(visiting.id, { robloxGroupId: navyId });
    await eventually(() => bot!.bot.parts.changeFeed!.status.forGuild(visiting.id)?.problem?.kind, (kind) => kind === "no-credential", 8_000);
    await Bun.sleep(2_500);
    expect(auditReads(feed, navyId)).toEqual([]);
    const status = await runCommand(world.discord, visiting.id, visiting.ownerId, "sync-status");
    expect(status.text).toContain("only with the API key the server stored");

    // The guild stores its own key: the feed reads Navy's log with it.
    await repositories.guilds.upsert(visiting.id, { robloxApiKeyEncrypted: await secrets.encrypt("navy-key", `guild:${visiting.id}`) });
    const reads = await eventually(() => auditReads(feed, navyId), (list) => list.length > 0, 8_000);
    expect(reads.every((request) => request.headers["x-api-key"] === "navy-key")).toBe(true);
    // The home group is still read with the operator's key.
    expect(auditReads(feed, world.groupId).every((request) => request.headers["x-api-key"] === FEED_KEY)).toBe(true);
  }, 40_000);

  test("a burst of members leaving beyond the mass-change threshold is held for an admin, not applied", async () => {
    const { world } = feed;
    bot = await startFeedBot(feed);
    await feedPolled(bot, world.groupId);
    // 24 linked, threshold 10% and 10 members: 12 leaving is held.
    const leaving = world.linked.slice(0, 12);
    for (const member of leaving) world.roblox.leaveGroupAsUser(member.robloxUserId, world.groupId);

    const held = await eventually(
      async () => (await bot!.repositories.syncRuns.listLatest(world.guildId, 5)).find((run) => run.status === "paused"),
      (run) => run !== undefined,
      15_000,
    );
    expect(held).toBeDefined();
    expect(bot.logs.some((line) => line.msg.includes("held for an admin") && line.leaving === 12)).toBe(true);
    for (const member of leaving) {
      expect(world.discord.memberRoleIds(world.guildId, member.discordId)).toContain(world.rankRoles.get(member.robloxRoleId)!);
    }
    expect(await bot.repositories.audit.listLatest(world.guildId, { action: "roblox.change" })).toEqual([]);
  }, 40_000);
});
