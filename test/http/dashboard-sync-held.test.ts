// A sync the mass-change guard holds, met on the dashboard (the same guard as /sync): the page shows
// how many members would lose their roles with Apply and Cancel; a plain member's press is refused
// (403, nothing decided); Cancel keeps every role; a new Sync now is held again and Apply carries it
// out; a decided run can't be decided again. Both answers are audited with the web user as actor.
import { afterAll, beforeAll, expect, test } from "bun:test";
import { join } from "node:path";
import { openBotDatabase, type SqliteBotDatabase } from "../support/bot-database.ts";
import { Browser } from "../support/browser.ts";
import { signIn, startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { eventually } from "../support/eventually.ts";
import { createWorld, seedDatabase, type World } from "../sync/support/world.ts";

let world: World;
let dashboard: DashboardBot;
let database: SqliteBotDatabase;
let leavers: World["linked"];

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
const syncUrl = () => `${dashboard.publicUrl}/dashboard/guilds/${world.guildId}/sync`;
const ranked = (members: World["linked"]) => {
  const rankRoleIds = new Set(world.rankRoles.values());
  return members.filter((member) => (world.discord.memberRoleIds(world.guildId, member.discordId) ?? []).some((id) => rankRoleIds.has(id)));
};

async function signedIn(userId: string): Promise<{ browser: Browser; csrf: string }> {
  const browser = new Browser();
  await signIn(browser, dashboard.publicUrl, userId);
  const page = await browser.get(`${dashboard.publicUrl}/dashboard`);
  return { browser, csrf: csrfOf(await page.text()) };
}
const post = (session: { browser: Browser; csrf: string }, path: string, fields: Record<string, string> = {}) =>
  session.browser.post(`${syncUrl()}${path}`, { csrf: session.csrf, ...fields }, { origin: dashboard.publicUrl });
const noticeOf = (response: Response) => new URL(response.headers.get("location") ?? "", dashboard.publicUrl).searchParams.get("notice");
const untilEnded = (session: { browser: Browser }) =>
  eventually(
    async () => (await session.browser.get(syncUrl())).text(),
    (html) => /data-state="(done|failed|paused)"/.test(html),
    30_000,
  );

beforeAll(async () => {
  world = await createWorld({ groupSize: 60, guildSize: 40, linked: 24, mismatchedShare: 0, timeScale: 0.1, robloxWindowMs: 1_000 });
  dashboard = await startDashboardBot(world.discord, world.roblox, { ROBLOX_API_KEY: world.apiKey });
  database = openBotDatabase(join(dashboard.bot.dataDir, "rankbridge.sqlite"));
  await seedDatabase(database.repositories, world);
  // 12 of 24 linked members, each holding a rank role, left the group: over the guard's 10% and 10.
  leavers = world.linked.slice(0, 12);
  for (const member of leavers) world.roblox.removeMember(world.groupId, member.robloxUserId);
}, 60_000);
afterAll(async () => {
  database?.close();
  dashboard?.bot.cleanup();
  await world?.close();
});

test("a held Sync now shows Apply and Cancel; a plain member can't answer; Cancel keeps the roles, Apply carries a new run out", async () => {
  const admin = await signedIn(world.ownerId);
  expect(noticeOf(await post(admin, "/run", { "dry-run": "false" }))).toBe("started");
  const held = await untilEnded(admin);
  expect(held).toContain('data-state="paused"');
  expect(held).toContain(`${leavers.length} of ${world.linked.length} linked members would lose their rank roles or count as gone from the Roblox group (the limit is more than 10% and more than 10)`);
  const [heldRun] = await database.repositories.syncRuns.listLatest(world.guildId, 1);
  expect(held).toContain(`action="/dashboard/guilds/${world.guildId}/sync/held/${heldRun!.id}/apply"`);
  expect(ranked(leavers).length).toBe(leavers.length);

  const player = await signedIn(world.linked[20]!.discordId);
  const refused = await post(player, `/held/${heldRun!.id}/apply`);
  expect(refused.status).toBe(403);
  expect(await refused.text()).not.toContain("Sync Test Army");
  expect((await database.repositories.syncRuns.get(world.guildId, heldRun!.id))?.status).toBe("paused");

  expect(noticeOf(await post(admin, `/held/${heldRun!.id}/cancel`))).toBe("cancelled");
  expect(ranked(leavers).length).toBe(leavers.length);
  const [cancelAudit] = await database.repositories.audit.listLatest(world.guildId, { limit: 5, action: "sync.run" });
  expect(cancelAudit).toMatchObject({ actorId: world.ownerId, after: { runId: heldRun!.id, decision: "cancel" } });
  // Already answered: refused with the reason, nothing happens.
  const again = await post(admin, `/held/${heldRun!.id}/apply`);
  expect(again.status).toBe(422);
  expect(await again.text()).toContain("no longer waiting for a decision");

  expect(noticeOf(await post(admin, "/run", { "dry-run": "false" }))).toBe("started");
  expect(await untilEnded(admin)).toContain('data-state="paused"');
  const [second] = await database.repositories.syncRuns.listLatest(world.guildId, 1);
  expect(second!.id).not.toBe(heldRun!.id);
  expect(noticeOf(await post(admin, `/held/${second!.id}/apply`))).toBe("applying");
  expect(await untilEnded(admin)).toContain('data-state="done"');
  expect(ranked(leavers)).toEqual([]);
  expect(ranked(world.linked.slice(12)).length).toBe(12);
  const audits = await database.repositories.audit.listLatest(world.guildId, { limit: 10, action: "sync.run" });
  expect(audits.some((entry) => entry.actorId === world.ownerId && (entry.after as { decision?: string }).decision === "apply")).toBe(true);
}, 90_000);
