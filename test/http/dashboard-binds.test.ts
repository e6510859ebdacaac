// The dashboard's binds page (design §9: "binds (list, add, remove, with a preview of how many
// members would gain or lose each role before it is saved)"), on the real bot process against the
// emulators, through a fetch-based browser. One rule, two surfaces: a bind saved on the web goes
// through /binds's service (same refusals, same audit entry, the web user as actor) and shows in
// /binds list; the preview asks Roblox nothing.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ApplicationCommandOptionType } from "discord-api-types/v10";
import { join } from "node:path";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { openBotDatabase, type SqliteBotDatabase } from "../support/bot-database.ts";
import { Browser } from "../support/browser.ts";
import { eventually } from "../support/eventually.ts";
import { seedCommunity, type Community } from "../support/community.ts";
import { signIn, startDashboardBot, type DashboardBot } from "../support/dashboard.ts";
import { plannedFor, storeLadderAndLinks } from "../support/dashboard-binds.ts";

let discord: DiscordEmulator;
let roblox: RobloxEmulator;
let community: Community;
let rival: Community;
let dashboard: DashboardBot;
let database: SqliteBotDatabase;

const csrfOf = (html: string) => /name="csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
const bindsUrl = (guildId = community.guildId) => `${dashboard.publicUrl}/dashboard/guilds/${guildId}/binds`;
/** The preview's figure for a role: `gain` or `lose`. */
const figure = (html: string, roleId: string, effect: "gain" | "lose") => Number(new RegExp(`data-role="${roleId}" data-effect="${effect}">(\\d+)<`).exec(html)?.[1] ?? Number.NaN);

interface Session {
  browser: Browser;
  csrf: string;
}

async function signedIn(userId: string): Promise<Session> {
  const browser = new Browser();
  await signIn(browser, dashboard.publicUrl, userId);
  const page = await browser.get(`${dashboard.publicUrl}/dashboard`);
  return { browser, csrf: csrfOf(await page.text()) };
}

/** Posts a form as the page does (from the dashboard's own origin, with the token unless told). */
function post(session: Session, path: string, fields: Record<string, string>, options: { guildId?: string; csrf?: boolean } = {}): Promise<Response> {
  const body = options.csrf === false ? fields : { csrf: session.csrf, ...fields };
  return session.browser.post(`${bindsUrl(options.guildId)}/${path}`, body, { origin: dashboard.publicUrl });
}

/**
 * Creates a role in Discord and waits until the bot has seen it on the gateway (the page offers
 * it); with `top`, placed above the bot's own role, and waited for until it is offered first
 * (roles are offered highest first, the bot's own role not at all).
 */
async function newRole(session: Session, name: string, top = false): Promise<string> {
  const role = discord.createRole(community.guildId, { name });
  if (top) {
    const botRole = discord.roles(community.guildId).find((candidate) => candidate.managed)!;
    discord.updateRole(community.guildId, role.id, { position: botRole.position + 1 });
  }
  const seen = (html: string) => (top ? /<option value="(\d{17,20})"/.exec(html)?.[1] === role.id : html.includes(`<option value="${role.id}"`));
  const page = await eventually(async () => (await session.browser.get(bindsUrl())).text(), seen, 10_000);
  expect(seen(page)).toBe(true);
  return role.id;
}

const bindEntries = async (guildId = community.guildId) =>
  (await database.repositories.audit.listLatest(guildId, { limit: 50 })).filter((row) => row.action.startsWith("binds."));

async function slashBindsList(): Promise<string> {
  const interaction = discord.injectInteraction({
    guildId: community.guildId,
    userId: community.adminDiscordId,
    commandName: "binds",
    options: [{ type: ApplicationCommandOptionType.Subcommand, name: "list", options: [] }] as never,
  });
  return JSON.stringify((await interaction.waitForCallback(5_000)).body);
}

beforeAll(async () => {
  discord = await startDiscordEmulator({ heartbeatIntervalMs: 1_000, rateLimits: { defaultBucket: { limit: 50, windowMs: 1000 } } });
  roblox = await startRobloxEmulator();
  community = seedCommunity(discord, roblox, { players: 6 });
  rival = seedCommunity(discord, roblox, { players: 1, groupId: 7_300, groupName: "Rival Legion", apiKey: "rival-key", namePrefix: "Rival" });
  dashboard = await startDashboardBot(discord, roblox, { HOME_GUILD_IDS: community.guildId, ROBLOX_GROUP_ID: String(community.groupId) });
  database = openBotDatabase(join(dashboard.bot.dataDir, "rankbridge.sqlite"));
  await storeLadderAndLinks(database.repositories, community);
  await storeLadderAndLinks(database.repositories, rival);
});
afterAll(async () => {
  database?.close();
  dashboard?.bot.cleanup();
  await discord?.close();
  await roblox?.close();
});

describe("the binds page", () => {
  test("add a rank bind: the preview's figures are the planner's, made without a Roblox request; Save stores it through /binds's service", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const page = await admin.browser.get(bindsUrl());
    expect(page.status).toBe(200);
    const html = await page.text();
    // The forms are labelled with /binds's option names.
    for (const [id, option] of [
      ["add-rank-role-rank", "rank"],
      ["add-rank-role-role", "role"],
      ["add-range-group", "group"],
      ["add-range-min-rank", "min-rank"],
      ["add-range-max-rank", "max-rank"],
      ["add-range-role", "role"],
    ]) {
      expect(html).toContain(`<label for="${id}">${option}</label>`);
      expect(html).toContain(`id="${id}" name="${option}"`);
    }
    expect(html).toContain("/binds add-rank-role");
    expect(html).toContain("Add bind");
    // The ladder's rank roles are binds already (as /ranks import leaves them).
    expect(html).toContain("rank Recruit (Rank 1) (the rank&#39;s own role)");

    const veterans = await newRole(admin, "Veterans");
    const recruit = await database.repositories.ranks.findByName(community.guildId, "Recruit");
    const entries = (await bindEntries()).length;
    const robloxRequests = roblox.requests.length;
    const preview = await post(admin, "preview/add-rank-role", { rank: String(recruit!.id), role: veterans });
    expect(preview.status).toBe(200);
    const shown = await preview.text();
    expect(roblox.requests.length).toBe(robloxRequests);
    expect(shown).toContain("Preview");
    expect(shown).toContain('<button type="submit">Save</button>');
    // Two of the six players are recruits; nobody holds Veterans yet.
    expect({ gain: figure(shown, veterans, "gain"), lose: figure(shown, veterans, "lose") }).toEqual({ gain: 2, lose: 0 });
    // The sync's planner, with the bind as if stored, gives and takes the same.
    const asIfStored = { kind: "rank", rankId: recruit!.id, origin: { kind: "stored", id: 0, rankRole: false }, roleIds: [veterans] } as const;
    expect(await plannedFor(database.repositories, discord, community, veterans, [asIfStored])).toEqual({ add: 2, remove: 0 });
    expect(await database.repositories.binds.list(community.guildId)).not.toContainEqual(expect.objectContaining({ roleIds: [veterans] }));

    const saved = await post(admin, "add-rank-role", { rank: String(recruit!.id), role: veterans });
    expect(saved.status).toBe(303);
    expect(saved.headers.get("location")).toBe(`/dashboard/guilds/${community.guildId}/binds?done=added#binds-list`);
    const [entry] = await bindEntries();
    expect(entry).toMatchObject({ actorId: community.adminDiscordId, action: "binds.add", after: { kind: "rank", rankId: recruit!.id, rank: "Recruit", roleIds: [veterans] } });
    expect(await slashBindsList()).toContain(`<@&${veterans}>`);
    const listed = await (await admin.browser.get(`${bindsUrl()}?done=added`)).text();
    expect(listed).toContain("Bind saved.");
    expect(listed).toContain("Veterans");

    // Saving it again is /binds's "already": nothing stored twice, no second entry.
    expect((await post(admin, "add-rank-role", { rank: String(recruit!.id), role: veterans })).headers.get("location")).toContain("done=already");
    expect((await bindEntries()).length).toBe(entries + 1);
  }, 30_000);

  test("/binds's refusals, worded for the web, change nothing; a bind added with /binds shows on the page", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const entries = (await bindEntries()).length;
    const stored = await database.repositories.binds.list(community.guildId);
    const high = { id: await newRole(admin, "Above The Bot", true) };
    const low = await newRole(admin, "Allies");
    const recruit = await database.repositories.ranks.findByName(community.guildId, "Recruit");
    const refusals: [string, Record<string, string>, string][] = [
      ["add-rank-role", { rank: String(recruit!.id), role: high.id }, "Move the rankbridge role above &quot;Above The Bot&quot;"],
      ["add-rank-role", { rank: String(recruit!.id), role: community.guildId }, "@everyone can&#39;t be given by a bind"],
      ["add-rank-role", { rank: "999999", role: low }, "Pick a rank of the ladder"],
      ["add-range", { group: String(community.groupId), "min-rank": "20", "max-rank": "10", role: low }, "min-rank (20) is above max-rank (10)"],
      ["add-range", { group: "x", "min-rank": "1", "max-rank": "2", role: low }, "The group id is the whole number"],
      ["add-range", { group: "987654", "min-rank": "1", "max-rank": "2", role: low }, "No Roblox group with id 987654 was found"],
    ];
    for (const [subcommand, fields, reason] of refusals) {
      for (const path of subcommand === "add-range" && fields.group === "987654" ? [subcommand] : [`preview/${subcommand}`, subcommand]) {
        const refused = await post(admin, path, fields);
        const text = await refused.text();
        expect({ path, fields, status: refused.status, reason: text.includes(reason), alert: text.includes('role="alert"') }).toEqual({ path, fields, status: 422, reason: true, alert: true });
      }
    }
    expect(await database.repositories.binds.list(community.guildId)).toEqual(stored);
    expect((await bindEntries()).length).toBe(entries);

    const interaction = discord.injectInteraction({
      guildId: community.guildId,
      userId: community.adminDiscordId,
      commandName: "binds",
      options: [
        {
          type: ApplicationCommandOptionType.Subcommand,
          name: "add-range",
          options: [
            { type: ApplicationCommandOptionType.Integer, name: "group", value: community.groupId },
            { type: ApplicationCommandOptionType.Integer, name: "min-rank", value: 2 },
            { type: ApplicationCommandOptionType.Integer, name: "max-rank", value: 3 },
            { type: ApplicationCommandOptionType.Role, name: "role", value: low },
          ],
        },
      ] as never,
    });
    const reply = await interaction.waitForMessage((message) => JSON.stringify(message).includes(low), 10_000);
    expect(JSON.stringify(reply)).toContain("now holds");
    const page = await (await admin.browser.get(bindsUrl())).text();
    expect(page).toContain(`rank numbers 2–3 in this server&#39;s group (${community.groupId})`);
    expect(page).toContain("Allies");
  }, 30_000);

  test("remove: the preview, then Remove bind, audited as the web user; another guild's bind can't be removed by its id", async () => {
    const admin = await signedIn(community.adminDiscordId);
    const staff = await newRole(admin, "Staff");
    const corporal = await database.repositories.ranks.findByName(community.guildId, "Corporal");
    const { bind } = await database.repositories.binds.add(community.guildId, { kind: "rank", rankId: corporal!.id }, [staff]);
    const corporalPlayer = community.players.find((player) => player.rankName === "Corporal")!;
    discord.setMemberRoles(community.guildId, corporalPlayer.discordId, [staff]);
    const rivalBind = (await database.repositories.binds.list(rival.guildId))[0]!;

    const robloxRequests = roblox.requests.length;
    const preview = await post(admin, "preview/remove", { bind: String(bind.origin.id) });
    const shown = await preview.text();
    expect(roblox.requests.length).toBe(robloxRequests);
    expect(preview.status).toBe(200);
    // Staff is no longer managed: its holder keeps it.
    expect({ gain: figure(shown, staff, "gain"), lose: figure(shown, staff, "lose") }).toEqual({ gain: 0, lose: 0 });
    expect(shown).toContain("Remove bind");

    for (const path of ["preview/remove", "remove"]) {
      const refused = await post(admin, path, { bind: String(rivalBind.origin.id) });
      expect(refused.status).toBe(404);
      expect(await refused.text()).toContain(`This server has no bind #${rivalBind.origin.id}`);
    }
    const elsewhere = await post(admin, "remove", { bind: String(rivalBind.origin.id) }, { guildId: rival.guildId });
    expect(elsewhere.status).toBe(403);
    expect(await elsewhere.text()).not.toContain(rival.groupName);
    expect(await database.repositories.binds.get(rival.guildId, rivalBind.origin.id)).toBeDefined();
    expect(await bindEntries(rival.guildId)).toEqual([]);

    const removed = await post(admin, "remove", { bind: String(bind.origin.id) });
    expect(removed.status).toBe(303);
    expect(await database.repositories.binds.get(community.guildId, bind.origin.id)).toBeUndefined();
    expect((await bindEntries())[0]).toMatchObject({ actorId: community.adminDiscordId, action: "binds.remove", before: { bindId: bind.origin.id, roleIds: [staff] }, after: null });
  }, 30_000);

  test("a plain member gets 403 naming nothing of the guild on the page and its POSTs; a POST without the CSRF token changes nothing", async () => {
    const stored = await database.repositories.binds.list(community.guildId);
    const entries = (await bindEntries()).length;
    const recruit = await database.repositories.ranks.findByName(community.guildId, "Recruit");
    const admin = await signedIn(community.adminDiscordId);
    const role = await newRole(admin, "Sneaky");
    const fields = { rank: String(recruit!.id), role };

    const player = await signedIn(community.players[0]!.discordId);
    const page = await player.browser.get(bindsUrl());
    expect(page.status).toBe(403);
    expect(await page.text()).not.toContain(community.groupName);
    for (const path of ["preview/add-rank-role", "add-rank-role", "remove"]) {
      const posted = await post(player, path, path === "remove" ? { bind: String(stored[0]!.origin.id) } : fields);
      expect(posted.status).toBe(403);
      expect(await posted.text()).not.toContain(community.groupName);
    }

    for (const path of ["preview/add-rank-role", "add-rank-role", "remove"]) {
      const posted = await post(admin, path, path === "remove" ? { bind: String(stored[0]!.origin.id) } : fields, { csrf: false });
      expect(posted.status).toBe(403);
    }
    expect(await database.repositories.binds.list(community.guildId)).toEqual(stored);
    expect((await bindEntries()).length).toBe(entries);
  }, 30_000);
});
