/**
 * Issue 12's acceptance, end to end: the whole bot (start(), real sockets, the Discord gateway and
 * REST emulator, the Roblox emulator with its audit log) with SYNC_INTERVAL=1d and
 * ROBLOX_CHANGE_FEED_INTERVAL=2s. A change someone makes on the Roblox website reaches Discord
 * within 5 s through the group's audit log, with no roster or membership read, attributed to them.
 */
import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { auditEntryDetail } from "../../src/discord/views/audit-notes.ts";
import { eventually } from "../support/eventually.ts";
import { checkExposition } from "../support/exposition.ts";
import { readable, runCommand } from "../support/discord-user.ts";
import { CAPTAIN, createFeedWorld, type FeedBot, feedPolled, memberReads, roleEditsOf, startFeedBot, type FeedWorld } from "./support.ts";

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

/** Waits until the member holds `roleId`'s Discord role and none of the other rank roles; returns the ms it took from `since`. */
async function rankShown(discordId: string, robloxRoleId: number | null, since: number, timeoutMs = 5_000): Promise<number> {
  const { world } = feed;
  const wanted = robloxRoleId === null ? null : world.rankRoles.get(robloxRoleId)!;
  const rankRoleIds = new Set(world.rankRoles.values());
  const roles = await eventually(
    () => world.discord.memberRoleIds(world.guildId, discordId) ?? [],
    (held) => {
      const ranks = held.filter((id) => rankRoleIds.has(id));
      return wanted === null ? ranks.length === 0 : ranks.length === 1 && ranks[0] === wanted;
    },
    timeoutMs + 2_000,
  );
  const ranks = roles.filter((id) => rankRoleIds.has(id));
  expect(ranks).toEqual(wanted === null ? [] : [wanted]);
  return Date.now() - since;
}

describe("the Roblox change feed", () => {
  test("a rank changed on the website by another account reaches Discord within 5 s, with no roster or membership read, attributed to the actor", async () => {
    const { world } = feed;
    bot = await startFeedBot(feed);
    await feedPolled(bot, world.groupId);
    const member = world.linked[3]!;
    const before = world.ladder.find((rank) => rank.robloxRoleId === member.robloxRoleId)!;
    const captain = feed.roleId("Captain");
    world.roblox.requests.length = 0;
    const editsBefore = roleEditsOf(world, member.discordId);

    const changedAt = Date.now();
    world.roblox.changeRankAsUser(CAPTAIN.id, world.groupId, member.robloxUserId, captain);
    const tookMs = await rankShown(member.discordId, captain, changedAt);
    expect(tookMs).toBeLessThan(5_000);

    // Only the audit log was read: no roster page, no membership lookup.
    expect(memberReads(world)).toEqual([]);
    expect(world.roblox.requests.every((request) => request.path.endsWith("/audit-log"))).toBe(true);
    expect(roleEditsOf(world, member.discordId) - editsBefore).toBe(1);
    expect(world.discord.memberRoleIds(world.guildId, member.discordId)).toContain(world.verifiedRoleId);

    const { repositories } = bot;
    const captainRank = (await repositories.ranks.list(world.guildId)).find((rank) => rank.robloxRoleId === captain)!;
    expect((await repositories.members.get(world.guildId, member.discordId))?.rankId).toBe(captainRank.id);
    const line = `Roblox: ${before.name} → Captain by ${CAPTAIN.name} on the website`;
    const [entry] = await repositories.audit.listForMember(world.guildId, member.discordId, 5);
    expect(entry).toMatchObject({ action: "roblox.change", actorId: "system", outcome: "ok", targetRobloxUserId: member.robloxUserId });
    expect(entry?.note).toMatchObject({ kind: "roblox-change", action: "ChangeRank", actorName: CAPTAIN.name, actorUserId: CAPTAIN.id, from: before.name, to: "Captain" });
    // /audit shows the same line.
    expect(auditEntryDetail(entry!)).toBe(line);
    // The log channel names who did it on Roblox.
    const posted = await eventually(
      () => world.discord.channelMessages(feed.logChannelId).map((message) => readable(message)),
      (texts) => texts.some((text) => text.includes(line)),
    );
    expect(posted.find((text) => text.includes(line))).toContain(`By: ${CAPTAIN.name} (on Roblox)`);

    // /sync-status shows the feed at work for the server's group.
    const status = await runCommand(world.discord, world.guildId, world.ownerId, "sync-status");
    expect(status.text).toMatch(new RegExp(`Roblox change feed: Every 2s \\(group ${world.groupId}\\): last read <t:\\d+:R>; up to date to \\d+s ago`));

    const metrics = await (await fetch(`${bot.bot.http!.url}/metrics`)).text();
    expect(checkExposition(metrics).problems).toEqual([]);
    expect(metrics).toContain('rankbridge_change_feed_entries_read_total{action="ChangeRank"} 1');
    expect(metrics).toContain('rankbridge_change_feed_entries_applied_total{action="ChangeRank"} 1');
    expect(metrics).toMatch(new RegExp(`rankbridge_change_feed_lag_seconds\\{group="${world.groupId}"\\} \\d`));
    expect(metrics).toContain("rankbridge_change_feed_apply_delay_seconds_count 1");
  }, 30_000);

  test("a member removed from the group on Roblox loses the bound roles (left-group policy) within 5 s; an unlinked one is ignored", async () => {
    const { world } = feed;
    bot = await startFeedBot(feed);
    await feedPolled(bot, world.groupId);
    const member = world.linked[5]!;
    const unlinked = world.roblox.bulkSeed(world.groupId, 1)[0]!;
    world.roblox.requests.length = 0;

    const removedAt = Date.now();
    world.roblox.removeMemberAsUser(CAPTAIN.id, world.groupId, member.robloxUserId);
    world.roblox.leaveGroupAsUser(unlinked, world.groupId);
    expect(await rankShown(member.discordId, null, removedAt)).toBeLessThan(5_000);
    // Roles no bind manages stay.
    expect(world.discord.memberRoleIds(world.guildId, member.discordId)).toContain(world.verifiedRoleId);
    expect((await bot.repositories.members.get(world.guildId, member.discordId))?.rankId).toBeNull();
    expect(memberReads(world)).toEqual([]);
    const entries = await bot.repositories.audit.listLatest(world.guildId, { action: "roblox.change" });
    expect(entries.map((entry) => auditEntryDetail(entry))).toEqual([`Roblox: ${world.ladder.find((r) => r.robloxRoleId === member.robloxRoleId)!.name} → removed from the group by ${CAPTAIN.name} on the website`]);
  }, 30_000);

  test("restart between two changes: the second is applied after the restart, the first is not applied again", async () => {
    const { world } = feed;
    bot = await startFeedBot(feed);
    await feedPolled(bot, world.groupId);
    const [first, second] = [world.linked[7]!, world.linked[8]!];
    const major = feed.roleId("Major");
    world.roblox.changeRankAsUser(CAPTAIN.id, world.groupId, first.robloxUserId, major);
    await rankShown(first.discordId, major, Date.now());
    await eventually(
      async () => (await bot!.repositories.audit.listLatest(world.guildId, { action: "roblox.change" })).length,
      (count) => count === 1,
    );
    const stoppedAt = Date.now();
    await bot.close();
    expect(Date.now() - stoppedAt).toBeLessThan(8_000);
    expect(bot.logs.some((line) => line.msg === "shutdown complete")).toBe(true);

    // While the bot is down.
    const sergeant = feed.roleId("Sergeant");
    world.roblox.changeRankAsUser(CAPTAIN.id, world.groupId, second.robloxUserId, sergeant);
    const firstEdits = roleEditsOf(world, first.discordId);

    const restartedAt = Date.now();
    bot = await startFeedBot(feed, { seed: false });
    await rankShown(second.discordId, sergeant, restartedAt, 10_000);
    await feedPolled(bot, world.groupId, Date.now());
    const entries = await bot.repositories.audit.listLatest(world.guildId, { action: "roblox.change" });
    expect(entries.map((entry) => entry.targetDiscordId).sort()).toEqual([first.discordId, second.discordId].sort());
    expect(roleEditsOf(world, first.discordId)).toBe(firstEdits);
    expect(bot.bot.parts.metrics.registry.getSingleMetric("rankbridge_change_feed_entries_applied_total")).toBeDefined();
    expect((await bot.bot.parts.metrics.changeFeedEntriesRead.get()).values.reduce((sum, value) => sum + value.value, 0)).toBe(1);
  }, 45_000);

  test("a member whose Roblox write is still pending is not reverted by a change read from the log", async () => {
    const { world } = feed;
    bot = await startFeedBot(feed);
    await feedPolled(bot, world.groupId);
    const member = world.linked[12]!;
    const captain = feed.roleId("Captain");
    const captainRank = (await bot.repositories.ranks.list(world.guildId)).find((rank) => rank.robloxRoleId === captain)!;
    // An admin's promotion to Captain whose Roblox write failed: Discord and the stored rank already say Captain.
    world.discord.setMemberRoles(world.guildId, member.discordId, [world.verifiedRoleId, world.rankRoles.get(captain)!]);
    await bot.repositories.members.setStoredRank(world.guildId, member.discordId, captainRank.id);
    await bot.repositories.pendingWrites.enqueue(world.guildId, {
      discordId: member.discordId,
      robloxUserId: member.robloxUserId,
      groupId: world.groupId,
      targetRobloxRoleId: captain,
      targetRank: captainRank.robloxRank,
      nextAttemptAt: Date.now() + 3_600_000,
    });

    const sergeant = feed.roleId("Sergeant");
    world.roblox.changeRankAsUser(CAPTAIN.id, world.groupId, member.robloxUserId, sergeant === member.robloxRoleId ? feed.roleId("Corporal") : sergeant);
    await feedPolled(bot, world.groupId, Date.now());
    await feedPolled(bot, world.groupId, Date.now());
    expect((await bot.bot.parts.metrics.changeFeedEntriesRead.get()).values.reduce((sum, value) => sum + value.value, 0)).toBe(1);
    expect(world.discord.memberRoleIds(world.guildId, member.discordId)).toEqual([world.verifiedRoleId, world.rankRoles.get(captain)!]);
    expect((await bot.repositories.members.get(world.guildId, member.discordId))?.rankId).toBe(captainRank.id);
    expect(await bot.repositories.audit.listLatest(world.guildId, { action: "roblox.change" })).toEqual([]);
  }, 30_000);

  test("the bot's own /promote is not echoed back from the audit log", async () => {
    const { world } = feed;
    bot = await startFeedBot(feed);
    await feedPolled(bot, world.groupId);
    const member = world.linked[10]!;
    const promoted = await runCommand(world.discord, world.guildId, world.ownerId, "promote", [{ name: "member", type: 6, value: member.discordId }]);
    expect(promoted.text).not.toContain("failed");
    const ownEntries = world.roblox.auditLog(world.groupId).filter((entry) => entry.actorUserId === 77);
    expect(ownEntries.length).toBeGreaterThan(0);
    const editsAfterPromote = roleEditsOf(world, member.discordId);

    // Two more polls after the write's entries were logged.
    await feedPolled(bot, world.groupId, Date.now());
    await feedPolled(bot, world.groupId, Date.now());
    const { repositories } = bot;
    const { metrics } = bot.bot.parts;
    expect(await repositories.audit.listLatest(world.guildId, { action: "roblox.change" })).toEqual([]);
    expect(roleEditsOf(world, member.discordId)).toBe(editsAfterPromote);
    expect((await metrics.changeFeedEntriesRead.get()).values.reduce((sum, value) => sum + value.value, 0)).toBe(ownEntries.length);
    expect((await metrics.changeFeedEntriesApplied.get()).values).toEqual([]);
    // Recognised as ours (the write announced by the Roblox client), not merely found to change nothing.
    expect((await metrics.changeFeedOwnEntries.get()).values[0]?.value).toBe(ownEntries.length);
  }, 30_000);

  test("a key without the audit-log permission: a warning naming what to grant, /readyz 200 with the problem, /sync-status says so, and the periodic sync still runs", async () => {
    const { world } = feed;
    // The world's own key: group:read and group:write, no legacy-group:manage.
    bot = await startFeedBot(feed, { apiKey: world.apiKey });
    const warning = await eventually(
      () => bot!.logs.find((line) => line.level === 40 && line.msg.startsWith("change feed: the audit log of group")),
      (line) => line !== undefined,
      10_000,
    );
    expect(warning?.msg).toContain("legacy-group:manage");
    expect(warning?.msg).toContain("View audit log");

    const readyz = await fetch(`${bot.bot.http!.url}/readyz`);
    const body = (await readyz.json()) as { changeFeed: { enabled: boolean; problems: string[] } };
    expect(readyz.status).toBe(200);
    expect(body.changeFeed.enabled).toBe(true);
    expect(body.changeFeed.problems.join("\n")).toContain("legacy-group:manage");

    const status = await runCommand(world.discord, world.guildId, world.ownerId, "sync-status");
    expect(status.text).toContain("Roblox change feed: **Not reading**");
    expect(status.text).toContain("legacy-group:manage");

    // The problem is answered with a whole-roster sync, and the background schedule is kept.
    const runs = await eventually(
      async () => await bot!.repositories.syncRuns.listLatest(world.guildId, 5),
      (list) => list.some((run) => run.trigger === "background" && run.status === "done"),
      15_000,
    );
    expect(runs.some((run) => run.trigger === "background" && run.status === "done")).toBe(true);
    expect(bot.bot.parts.scheduler.nextRunFor(world.guildId)).toBeInstanceOf(Date);
    const metrics = await (await fetch(`${bot.bot.http!.url}/metrics`)).text();
    expect(metrics).toContain('rankbridge_change_feed_errors_total{kind="forbidden"} 1');
  }, 40_000);
});
