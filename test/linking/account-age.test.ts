import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { Browser, formFields } from "../support/browser.ts";
import {
  buttonsOf,
  createWorld,
  expectRequestsMatchSpecs,
  phraseOf,
  replyOf,
  ROLE,
  robloxPlayer,
  seedRoblox,
  textOf,
  usernameOption,
  type World,
} from "./world.ts";

/**
 * The minimum Roblox account age (design §3.1 `/config min-account-age`) at link time, on both
 * proofs, against both emulators: the account's `created` date comes from the profile read.
 */
describe("minimum Roblox account age when linking", () => {
  let discord: DiscordEmulator;
  let roblox: RobloxEmulator;
  let world: World;

  const NOW = Date.parse("2026-12-06T12:00:00.000Z");
  // Made 10 days before NOW: a 30-day gate lets it link 20 days from now, at 09:30 UTC.
  const YOUNG_CREATED = "2026-11-26T09:30:00.000Z";
  const ELIGIBLE_AT = Date.parse("2026-12-26T09:30:00.000Z");
  const ELIGIBLE_UNIX = ELIGIBLE_AT / 1000;

  beforeAll(async () => {
    [discord, roblox] = await Promise.all([startDiscordEmulator({ timeScale: 0.1 }), startRobloxEmulator()]);
    seedRoblox(roblox);
  });
  afterAll(async () => {
    await Promise.all([discord.close(), roblox.close()]);
  });
  afterEach(async () => {
    roblox.failures.clear();
    roblox.oauthApprove(null);
    await world?.close();
  });

  async function fresh(minAccountAgeDays: number, oauth = false): Promise<World> {
    world = await createWorld(discord, roblox, { oauth });
    world.clock.now = NOW;
    await world.repositories.guilds.upsert(world.guildId, { minAccountAgeDays });
    discord.resetCounters();
    roblox.requests.length = 0;
    return world;
  }

  const linkAudit = async (w: World, memberId: string) =>
    (await w.repositories.audit.listForMember(w.guildId, memberId)).map((entry) => ({ action: entry.action, outcome: entry.outcome, detail: entry.detail }));
  const memberWrites = (w: World) => discord.requests.filter((r) => r.method !== "GET" && r.path.includes(`/guilds/${w.guildId}/members/`));

  test("a young account is told the date it can link, gets no phrase, and nothing changes; once old enough it links", async () => {
    const w = await fresh(30);
    const player = robloxPlayer(roblox, { roleId: ROLE.soldier, created: YOUNG_CREATED });
    const memberId = w.addMember([w.otherRoleId]);

    const refused = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
    expect(refused.content).toBe(
      `This server only links Roblox accounts at least 30 days old, and this one is newer. You can link it from <t:${ELIGIBLE_UNIX}:f> (<t:${ELIGIBLE_UNIX}:R>).`,
    );
    expect(buttonsOf(refused)).toEqual([]);
    expect(await w.repositories.linkChallenges.get(w.guildId, memberId, "phrase")).toBeUndefined();
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();
    expect(discord.memberRoleIds(w.guildId, memberId)).toEqual([w.otherRoleId]);
    expect(memberWrites(w)).toEqual([]);
    // The refusal is audited with the account and the date, in words the log channel can show.
    expect(await linkAudit(w, memberId)).toEqual([
      { action: "link", outcome: "failed", detail: `refused: Roblox ${player.name} is younger than 30 days; it may link from 26 December 2026, 09:30 UTC` },
    ]);
    // The date came from the profile read (Open Cloud `createTime`), beside the username and membership reads.
    expect(roblox.requests.filter((r) => r.path === `/cloud/v2/users/${player.id}`)).toHaveLength(1);

    // One second early is still too early; at the stated instant it works.
    w.clock.now = ELIGIBLE_AT - 1_000;
    expect(replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name))).content).toContain(`<t:${ELIGIBLE_UNIX}:f>`);
    w.clock.now = ELIGIBLE_AT;
    const started = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
    roblox.setUserDescription(player.id, phraseOf(started));
    await w.pressConfirm(memberId, started);
    expect(textOf(w.messageNow(started.id))).toContain("Your current Roblox rank: E1 | Soldier (Rank 3)");
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId).toBe(player.id);
    expect(discord.memberRoleIds(w.guildId, memberId)?.sort()).toEqual([w.otherRoleId, w.rankRole.soldier].sort());
    expectRequestsMatchSpecs(w);
  });

  test("a gate set after the phrase was handed out still holds at the confirm, with the date", async () => {
    const w = await fresh(0);
    const player = robloxPlayer(roblox, { roleId: ROLE.soldier, created: YOUNG_CREATED });
    const memberId = w.addMember();
    const started = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
    // No gate: no profile read at /link-roblox (the phrase path reads it only at the confirm).
    expect(roblox.requests.filter((r) => r.path.startsWith("/cloud/v2/users/"))).toEqual([]);

    await w.repositories.guilds.upsert(w.guildId, { minAccountAgeDays: 30 });
    roblox.setUserDescription(player.id, phraseOf(started));
    await w.pressConfirm(memberId, started);
    expect(textOf(w.messageNow(started.id))).toContain(`You can link it from <t:${ELIGIBLE_UNIX}:f>`);
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();
    expect(memberWrites(w)).toEqual([]);
    expect((await linkAudit(w, memberId)).map((entry) => entry.outcome)).toEqual(["failed"]);
  });

  test("an account old enough links as before; with the gate off young accounts link too", async () => {
    const w = await fresh(30);
    const veteran = robloxPlayer(roblox, { roleId: ROLE.soldier, created: "2020-01-01T00:00:00.000Z" });
    const memberId = w.addMember();
    const started = replyOf(await w.command(memberId, "link-roblox", usernameOption(veteran.name)));
    roblox.setUserDescription(veteran.id, phraseOf(started));
    await w.pressConfirm(memberId, started);
    expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId).toBe(veteran.id);

    await w.repositories.guilds.upsert(w.guildId, { minAccountAgeDays: 0 });
    const newcomer = robloxPlayer(roblox, { roleId: ROLE.soldier, created: new Date(NOW - 60_000).toISOString() });
    const otherId = w.addMember();
    const second = replyOf(await w.command(otherId, "link-roblox", usernameOption(newcomer.name)));
    roblox.setUserDescription(newcomer.id, phraseOf(second));
    await w.pressConfirm(otherId, second);
    expect((await w.repositories.members.get(w.guildId, otherId))?.robloxUserId).toBe(newcomer.id);
  });

  test("Roblox leaves the creation date out: refused (never guessed old enough), with a try-again message", async () => {
    const w = await fresh(7);
    const player = robloxPlayer(roblox, { roleId: ROLE.soldier, created: "2020-01-01T00:00:00.000Z" });
    const memberId = w.addMember();
    roblox.failures.inject({ pathIncludes: `/cloud/v2/users/${player.id}`, mangle: { dropField: "createTime" } });
    const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
    expect(reply.content).toBe(
      "This server only links Roblox accounts at least 7 days old, and Roblox didn't say when this one was made. Try again in a few minutes.",
    );
    expect(await w.repositories.linkChallenges.get(w.guildId, memberId, "phrase")).toBeUndefined();
  });

  describe("Sign in with Roblox", () => {
    async function signInAs(w: World, memberId: string, player: { id: number; name: string }) {
      const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
      const start = new URL(buttonsOf(reply).find((button) => button.label === "Sign in with Roblox")!.url!);
      roblox.oauthApprove(player.id);
      const browser = new Browser();
      const authorize = new URL((await browser.get(start)).headers.get("location")!);
      const callbackUrl = (await browser.get(authorize)).headers.get("location")!;
      const response = await browser.get(callbackUrl);
      return { browser, response, html: await response.text() };
    }

    test("a young account is refused on the page after signing in, with the date in UTC, and nothing is linked", async () => {
      // /link-roblox refuses a young account already when the gate is on; the sign-in is reached
      // here by a member whose server set the gate after they were shown the button.
      const w = await fresh(0, true);
      const player = robloxPlayer(roblox, { roleId: ROLE.soldier, created: YOUNG_CREATED });
      const memberId = w.addMember();
      const reply = replyOf(await w.command(memberId, "link-roblox", usernameOption(player.name)));
      await w.repositories.guilds.upsert(w.guildId, { minAccountAgeDays: 30 });
      const start = new URL(buttonsOf(reply).find((button) => button.label === "Sign in with Roblox")!.url!);
      roblox.oauthApprove(player.id);
      const browser = new Browser();
      const authorize = new URL((await browser.get(start)).headers.get("location")!);
      const callback = await browser.get((await browser.get(authorize)).headers.get("location")!);
      const html = await callback.text();
      expect(callback.status).toBe(403);
      expect(html).toContain("This server only links Roblox accounts at least 30 days old, and this one is newer. Nothing was linked.");
      expect(html).toContain("You can link it from 26 December 2026, 09:30 UTC.");
      expect(html).not.toContain("<form");
      expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();
      expect(memberWrites(w)).toEqual([]);
      expect((await linkAudit(w, memberId)).map((entry) => [entry.action, entry.outcome])).toEqual([["link", "failed"]]);
    });

    test("a gate set between the sign-in and the confirmation holds at the confirmation", async () => {
      const w = await fresh(0, true);
      const player = robloxPlayer(roblox, { roleId: ROLE.soldier, created: YOUNG_CREATED });
      const memberId = w.addMember();
      const { browser, response, html } = await signInAs(w, memberId, player);
      expect(response.status).toBe(200);
      expect(html).toContain(`You signed in to Roblox as ${player.name}.`);

      await w.repositories.guilds.upsert(w.guildId, { minAccountAgeDays: 30 });
      const confirmed = await browser.post(`${w.http!.url}/oauth/confirm`, formFields(html));
      expect(confirmed.status).toBe(403);
      expect(await confirmed.text()).toContain("You can link it from 26 December 2026, 09:30 UTC.");
      expect((await w.repositories.members.get(w.guildId, memberId))?.robloxUserId ?? null).toBeNull();
      expect(memberWrites(w)).toEqual([]);
    });

    test("an account old enough signs in and links", async () => {
      const w = await fresh(30, true);
      const player = robloxPlayer(roblox, { roleId: ROLE.corporal, created: "2019-05-05T00:00:00.000Z" });
      const memberId = w.addMember();
      const { browser, html } = await signInAs(w, memberId, player);
      const confirmed = await browser.post(`${w.http!.url}/oauth/confirm`, formFields(html));
      expect(confirmed.status).toBe(200);
      expect(await w.repositories.members.get(w.guildId, memberId)).toMatchObject({ robloxUserId: player.id, verifiedBy: "oauth" });
      expect(discord.memberRoleIds(w.guildId, memberId)).toEqual([w.rankRole.corporal]);
    });
  });
});
