// The dashboard's Sync page (design §9: "sync now" / "dry run" with progress), on the real bot process
// against the emulators, through a fetch-based browser. One rule, two surfaces: the same service as
// /sync (one run per guild, the same audit entry with the web user as the actor); a plain member
// learns nothing of the guild; a POST without the CSRF token or from another origin starts nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { openBotDatabase, type SqliteBotDatabase } from "../support/bot-database.ts";
import { Browser } from "../support/browser.ts";
import { signIn, startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { eventually } from "../support/eventually.ts";
import { createWorld, disagreements, seedDatabase, type World } from "../sync/support/world.ts";

let world: World;
let dashboard: DashboardBot;
let database: SqliteBotDatabase;

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
const syncUrl = () => `${dashboard.publicUrl}/dashboard/guilds/${world.guildId}/sync`;
const memberEdits = () => world.discord.requests.filter((request) => request.route === "PATCH /guilds/:guild_id/members/:user_id");

async function signedIn(userId: string): Promise<{ browser: Browser; csrf: string }> {
  const browser = new Browser();
  await signIn(browser, dashboard.publicUrl, userId);
  const page = await browser.get(`${dashboard.publicUrl}/dashboard`);
  return { browser, csrf: csrfOf(await page.text()) };
}

/** Presses "Sync now" (or "Dry run") as the page's form does. */
const press = (session: { browser: Browser; csrf: string }, dryRun: boolean) =>
  session.browser.post(`${syncUrl()}/run`, { csrf: session.csrf, "dry-run": String(dryRun) }, { origin: dashboard.publicUrl });

/** Reloads the page as its refresh does, until the newest run has ended. */
const untilEnded = (session: { browser: Browser }) =>
  eventually(
    async () => (await session.browser.get(syncUrl())).text(),
    (html) => /data-state="(done|failed|paused)"/.test(html),
    30_000,
  );

const syncAudits = async () => database.repositories.audit.listLatest(world.guildId, { limit: 50, action: "sync.run" });

beforeAll(async () => {
  world = await createWorld({ groupSize: 60, guildSize: 40, linked: 24, mismatchedShare: 0.5, timeScale: 0.1, robloxWindowMs: 1_000 });
  dashboard = await startDashboardBot(world.discord, world.roblox, { ROBLOX_API_KEY: world.apiKey });
  database = openBotDatabase(join(dashboard.bot.dataDir, "rankbridge.sqlite"));
  await seedDatabase(database.repositories, world);
}, 60_000);
afterAll(async () => {
  database?.close();
  dashboard?.bot.cleanup();
  await world?.close();
});

describe("the sync page", () => {
  test("a plain member gets 403 naming nothing of the guild; a POST without the CSRF token or from another origin starts nothing", async () => {
    const runsBefore = (await database.repositories.syncRuns.listLatest(world.guildId, 50)).length;
    const player = await signedIn(world.linked[0]!.discordId);
    const page = await player.browser.get(syncUrl());
    expect(page.status).toBe(403);
    expect(await page.text()).not.toContain("Sync Test Army");
    const pressed = await press(player, false);
    expect(pressed.status).toBe(403);
    expect(await pressed.text()).not.toContain("Sync Test Army");

    const admin = await signedIn(world.ownerId);
    const noToken = await admin.browser.post(`${syncUrl()}/run`, { "dry-run": "false" }, { origin: dashboard.publicUrl });
    expect(noToken.status).toBe(403);
    const otherOrigin = await admin.browser.post(`${syncUrl()}/run`, { csrf: admin.csrf, "dry-run": "false" }, { origin: "https://evil.example" });
    expect(otherOrigin.status).toBe(403);
    await Bun.sleep(300);
    expect((await database.repositories.syncRuns.listLatest(world.guildId, 50)).length).toBe(runsBefore);
    expect(await database.repositories.syncRequests.latest(world.guildId)).toBeUndefined();
  });

  test("Dry run lists the roles a sync would add and remove and changes nothing; Sync now then puts each listed member right; both audited as /sync is, as the web user", async () => {
    const admin = await signedIn(world.ownerId);
    const page = await admin.browser.get(syncUrl());
    expect(page.status).toBe(200);
    const html = await page.text();
    expect(html).toContain(">Sync now</button>");
    expect(html).toContain(">Dry run</button>");
    expect(html).toContain('<label for="sync-force">force</label>');

    const edits = memberEdits().length;
    const pressed = await press(admin, true);
    expect({ status: pressed.status, location: pressed.headers.get("location") }).toEqual({ status: 303, location: `/dashboard/guilds/${world.guildId}/sync?notice=dry-run` });
    const ended = await untilEnded(admin);
    expect(ended).toContain('data-state="done"');
    expect(ended).toContain("(dry run)");
    expect(ended).toContain("What a sync would change");
    expect(ended).toContain(`<dd id="run-changed">${world.mismatched.size}</dd>`);
    // Every would-be change names its member and the rank roles it gives or takes, by name.
    const rows = [...ended.matchAll(/<tr><th scope="row">([^<]+)<span class="sync-member-id"> Discord (\d+)<\/span><\/th><td>[^<]*<\/td><td>([^<]*)<\/td><td>([^<]*)<\/td>/g)];
    expect(rows.map((row) => row[2]).sort()).toEqual([...world.mismatched].sort());
    const rankNames = new Set(world.ladder.map((rank) => rank.name));
    expect(rows.every((row) => (row[3] ?? "").split(", ").every((name) => name === "none" || rankNames.has(name)))).toBe(true);
    expect(rows.some((row) => row[3] !== "none")).toBe(true);
    expect(memberEdits().length).toBe(edits);
    expect(disagreements(world).length).toBe(world.mismatched.size);

    const [audit] = await syncAudits();
    expect(audit).toMatchObject({ actorId: world.ownerId, action: "sync.run", outcome: "ok", after: { dryRun: true, trigger: "manual", updated: world.mismatched.size } });

    // Then Sync now: every member put right, progress to done; a second press while it runs shows that run; audited exactly as /sync is.
    const runsBefore = (await database.repositories.syncRuns.listLatest(world.guildId, 10)).length;
    const editsBefore = memberEdits().length;
    const [first, second] = await Promise.all([press(admin, false), press(admin, false)]);
    const notices = [first, second].map((response) => new URL(response.headers.get("location") ?? "", dashboard.publicUrl).searchParams.get("notice")).sort();
    expect(notices).toEqual(["attached", "started"]);
    const attachedPage = await admin.browser.get(`${syncUrl()}?notice=attached`);
    expect(await attachedPage.text()).toContain("already running, so no other was started");

    const synced = await untilEnded(admin);
    expect(synced).toContain('data-state="done"');
    expect(synced).toContain(`${world.linked.length} of ${world.linked.length} members checked`);
    expect(synced).toContain(`<dd id="run-changed">${world.mismatched.size}</dd>`);
    expect(synced).toContain('<dd id="run-failed">0</dd>');
    expect(disagreements(world)).toEqual([]);
    expect(memberEdits().length - editsBefore).toBe(world.mismatched.size);
    const runs = await database.repositories.syncRuns.listLatest(world.guildId, 10);
    expect(runs.length).toBe(runsBefore + 1);

    // The same entry /sync leaves, with the web user as the actor.
    const [web] = await syncAudits();
    expect(web).toMatchObject({ actorId: world.ownerId, action: "sync.run", outcome: "ok", after: { runId: runs[0]!.id, dryRun: false, trigger: "manual", updated: world.mismatched.size } });
    const slash = world.discord.injectInteraction({ guildId: world.guildId, userId: world.ownerId, commandName: "sync" });
    await slash.waitForCallback(5_000);
    const [fromSlash] = await eventually(syncAudits, ([latest]) => latest !== undefined && latest.id !== web!.id, 20_000);
    const shape = (entry: typeof web) => ({ actorId: entry!.actorId, action: entry!.action, outcome: entry!.outcome, keys: Object.keys(entry!.after as object).sort() });
    expect(shape(web)).toEqual(shape(fromSlash));
    // A run started by /sync shows on the page too.
    expect(await (await admin.browser.get(syncUrl())).text()).toContain(`#${(await database.repositories.syncRuns.listLatest(world.guildId, 1))[0]!.id}`);
  }, 60_000);
});
