/**
 * Design §10, finding 1 of the security review: a server that invites the bot must not get the
 * operator's Roblox key. The operator runs the bot for their home server with ROBLOX_API_KEY and
 * ROBLOX_GROUP_ID; the owner of an unrelated server tries to rank themselves in the operator's
 * group. Everything runs against the Discord and Roblox emulators over real sockets.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ComponentType } from "discord-api-types/v10";
import { answerOf, int, MODAL_SUBMIT, startCommandWorld, str, sub, user, type CommandWorld } from "../commands/harness.ts";

const OPERATOR_GROUP = 41;
const ATTACKER_ROBLOX = { id: 4_100_001, name: "UninvitedOwner" };
const RECRUIT_ROLE = OPERATOR_GROUP * 1000 + 3;

let world: CommandWorld;

beforeAll(async () => {
  world = await startCommandWorld({ defaultGroupId: OPERATOR_GROUP, homeGuild: true });
  world.seedGroup(OPERATOR_GROUP, "Operator's Regiment");
  world.roblox.addUser(ATTACKER_ROBLOX);
  world.roblox.setMembership(OPERATOR_GROUP, ATTACKER_ROBLOX.id, RECRUIT_ROLE);
});
afterAll(() => world.close());

/** Requests that would change anything on Roblox (the operator's group above all). */
const robloxWrites = () => world.roblox.requests.filter((request) => request.method !== "GET");

async function linkOwner(guildId: string, discordId: string) {
  const linked = await world.repositories.members.link(guildId, discordId, {
    robloxUserId: ATTACKER_ROBLOX.id,
    robloxUsername: ATTACKER_ROBLOX.name,
    verifiedBy: "profile-phrase",
  });
  expect(linked.ok).toBe(true);
}

describe("a visiting server and the operator's key", () => {
  test("a visiting server gets no fall-back to ROBLOX_GROUP_ID: it must pick its group itself", async () => {
    const visiting = world.discord.createGuild({ name: "Groupless Server" });
    const noGroup = answerOf(await world.command(visiting.id, visiting.ownerId, "ranks", [sub("import")]));
    expect(noGroup.content).toBe("This server has no Roblox group yet. An admin can set one with `/config group`.");
    expect(await world.repositories.ranks.list(visiting.id)).toHaveLength(0);
    const shown = answerOf(await world.command(visiting.id, visiting.ownerId, "config", [sub("show")]));
    expect(shown.text).toContain("Roblox group: not set: use /config group");
  });

  test("the owner of an unrelated server can't rank themselves in the operator's group (/config group to it, /ranks import, /set-rank): no Roblox write is sent", async () => {
    const visiting = world.discord.createGuild({ name: "Unrelated Server" });
    const owner = visiting.ownerId;

    // It may name the operator's group (public data is public) and import its ladder...
    const chosen = answerOf(await world.command(visiting.id, owner, "config", [sub("group", int("group-id", OPERATOR_GROUP))]));
    expect(chosen.content).toContain(`Roblox group set to **Operator's Regiment** (${OPERATOR_GROUP}).`);
    await world.command(visiting.id, owner, "ranks", [sub("import")]);
    expect((await world.repositories.ranks.list(visiting.id)).length).toBeGreaterThan(10);
    await linkOwner(visiting.id, owner);

    // ...but the operator's key writes nothing for it.
    const before = robloxWrites().length;
    const attempt = answerOf(await world.command(visiting.id, owner, "set-rank", [user("member", owner), str("rank", "General")]));
    expect(robloxWrites()).toHaveLength(before);
    expect(world.roblox.membership(OPERATOR_GROUP, ATTACKER_ROBLOX.id)?.roleId).toBe(RECRUIT_ROLE);
    expect((await world.repositories.members.get(visiting.id, owner))?.rankId ?? null).toBeNull();
    expect(await world.repositories.pendingWrites.countAll()).toBe(0);
    // The refusal says how to add a key, here and already when the group was chosen.
    expect(attempt.content).toStartWith("Nothing was changed: rankbridge changes Roblox ranks for this server only with a Roblox API key the server stored itself");
    expect(attempt.content).toContain("`/config api-key`");
    expect(chosen.content).toContain("`/config api-key`");
  });

  test("the operator's home server still ranks with the operator's key (the same command, the same group)", async () => {
    const home = world.homeGuild!;
    const officer = world.discord.addMember(home.id, { username: "officer" });
    await world.command(home.id, home.ownerId, "ranks", [sub("import")]);
    world.roblox.addUser({ id: 4_100_002, name: "HomeRecruit" });
    world.roblox.setMembership(OPERATOR_GROUP, 4_100_002, RECRUIT_ROLE);
    await world.repositories.members.link(home.id, officer.user.id, { robloxUserId: 4_100_002, robloxUsername: "HomeRecruit", verifiedBy: "profile-phrase" });

    const done = answerOf(await world.command(home.id, home.ownerId, "set-rank", [user("member", officer.user.id), str("rank", "Corporal")]));
    expect(done.text).toContain("✅ Roblox rank: set to Corporal");
    expect(world.roblox.membership(OPERATOR_GROUP, 4_100_002)?.roleId).toBe(OPERATOR_GROUP * 1000 + 7);
  });
});

describe("queued Roblox writes", () => {
  test("a visiting server's queued write (say, left from before an upgrade) is not sent with the operator's key; it waits, not lost", async () => {
    const visiting = world.discord.createGuild({ name: "Queued Server" });
    await world.repositories.guilds.upsert(visiting.id, { robloxGroupId: OPERATOR_GROUP });
    await world.repositories.pendingWrites.enqueue(visiting.id, {
      discordId: visiting.ownerId,
      robloxUserId: ATTACKER_ROBLOX.id,
      groupId: OPERATOR_GROUP,
      targetRobloxRoleId: OPERATOR_GROUP * 1000 + 15,
      targetRank: 250,
      nextAttemptAt: 0,
      lastError: "HTTP 503",
    });
    const before = robloxWrites().length;
    const summary = await world.bot.parts.pendingWrites.runOnce();
    expect(summary).toMatchObject({ rescheduled: 1, landed: 0 });
    expect(robloxWrites()).toHaveLength(before);
    expect(world.roblox.membership(OPERATOR_GROUP, ATTACKER_ROBLOX.id)?.roleId).toBe(RECRUIT_ROLE);
    expect((await world.repositories.pendingWrites.getForUser(visiting.id, ATTACKER_ROBLOX.id))?.lastError).toBe("not sent: visiting-without-key");
    await world.repositories.pendingWrites.removeForUser(visiting.id, ATTACKER_ROBLOX.id);
  });
});

describe("a visiting server with its own key", () => {
  test("writes with its own key once Roblox confirms the key's owner may change ranks; a key that can't is refused before any write", async () => {
    const visiting = world.discord.createGuild({ name: "Allied Server" });
    const owner = visiting.ownerId;
    await world.repositories.guilds.upsert(visiting.id, { robloxGroupId: OPERATOR_GROUP });
    await world.command(visiting.id, owner, "ranks", [sub("import")]);
    const member = world.discord.addMember(visiting.id, { username: "ally" });
    world.roblox.addUser({ id: 4_100_003, name: "AllyRecruit" });
    world.roblox.setMembership(OPERATOR_GROUP, 4_100_003, RECRUIT_ROLE);
    await world.repositories.members.link(visiting.id, member.user.id, { robloxUserId: 4_100_003, robloxUsername: "AllyRecruit", verifiedBy: "profile-phrase" });

    // A key whose owner holds a role without "Change rank": stored with a warning, and no write is sent with it.
    world.roblox.addUser({ id: 4_100_010, name: "PlainMember" });
    world.roblox.setMembership(OPERATOR_GROUP, 4_100_010, OPERATOR_GROUP * 1000 + 8);
    const weakKey = `weak-${crypto.randomUUID()}`;
    world.roblox.addApiKey(weakKey, { ownerUserId: 4_100_010, scopes: ["group:read", "group:write"] });
    const weak = answerOf(await submitKey(visiting.id, owner, weakKey));
    expect(weak.content).toContain(`Roblox says this key can't change ranks in group ${OPERATOR_GROUP}`);
    const before = robloxWrites().length;
    const refused = answerOf(await world.command(visiting.id, owner, "set-rank", [user("member", member.user.id), str("rank", "Corporal")]));
    expect(refused.content).toStartWith(`Nothing was changed: Roblox says this server's API key can't change ranks in group ${OPERATOR_GROUP}.`);
    expect(robloxWrites()).toHaveLength(before);

    // A key whose owner is a General (Change rank): the write goes out with that key, never the operator's.
    world.roblox.addUser({ id: 4_100_011, name: "AllyGeneral" });
    world.roblox.setMembership(OPERATOR_GROUP, 4_100_011, OPERATOR_GROUP * 1000 + 15);
    const strongKey = `strong-${crypto.randomUUID()}`;
    world.roblox.addApiKey(strongKey, { ownerUserId: 4_100_011, scopes: ["group:read", "group:write"] });
    const strong = answerOf(await submitKey(visiting.id, owner, strongKey));
    expect(strong.content).toContain("Roblox confirmed it may change ranks there.");
    const from = world.roblox.requests.length;
    const done = answerOf(await world.command(visiting.id, owner, "set-rank", [user("member", member.user.id), str("rank", "Corporal")]));
    expect(done.text).toContain("✅ Roblox rank: set to Corporal");
    const writes = world.roblox.requests.slice(from).filter((request) => request.method !== "GET");
    expect(writes.length).toBeGreaterThan(0);
    expect(writes.map((request) => request.headers["x-api-key"])).toEqual(writes.map(() => strongKey));
  });
});

function submitKey(guildId: string, userId: string, apiKey: string) {
  const input = { type: ComponentType.TextInput, id: 2, custom_id: "api-key", value: apiKey };
  return world.run({ guildId, userId, type: MODAL_SUBMIT, customId: "config:api-key", components: [{ type: ComponentType.Label, id: 1, component: input }] as never });
}

describe("a stored key that can't be decrypted", () => {
  test("is an error for that server: /config show says so, /readyz counts it, the log warns, and nothing falls back to the operator's key", async () => {
    const home = world.homeGuild!;
    const member = world.discord.addMember(home.id, { username: "sealed" });
    world.roblox.addUser({ id: 4_100_020, name: "SealedRecruit" });
    world.roblox.setMembership(OPERATOR_GROUP, 4_100_020, RECRUIT_ROLE);
    await world.repositories.members.link(home.id, member.user.id, { robloxUserId: 4_100_020, robloxUsername: "SealedRecruit", verifiedBy: "profile-phrase" });
    await world.command(home.id, home.ownerId, "ranks", [sub("import")]);
    // Sealed for another guild: the guild id is bound into the ciphertext, so it can't be opened here.
    const stolen = `stolen-${crypto.randomUUID()}`;
    const sealedElsewhere = await world.deps.secrets.encrypt(stolen, "guild:some-other-guild");
    await world.repositories.guilds.upsert(home.id, { robloxApiKeyEncrypted: sealedElsewhere });

    // No fall-back to the operator's key, though this is a home server.
    const before = robloxWrites().length;
    const refused = answerOf(await world.command(home.id, home.ownerId, "set-rank", [user("member", member.user.id), str("rank", "Corporal")]));
    expect(robloxWrites()).toHaveLength(before);
    expect(world.roblox.membership(OPERATOR_GROUP, 4_100_020)?.roleId).toBe(RECRUIT_ROLE);
    expect(refused.content).toStartWith("Nothing was changed: this server's stored Roblox API key can't be decrypted");

    const shown = answerOf(await world.command(home.id, home.ownerId, "config", [sub("show")]));
    expect(shown.text).toContain("Roblox API key: ⚠️ this server's stored key can't be decrypted");

    const readiness = await world.bot.httpApp.request("/readyz");
    expect(await readiness.json()).toMatchObject({ guildCredentials: { unusable: 1 } });
    const warning = world.logLines.find((line) => line.includes("stored Roblox API key cannot be decrypted"));
    expect(warning).toContain(home.id);
    expect(world.logLines.join("")).not.toContain(stolen);

    // Storing the key again clears the error.
    await world.repositories.guilds.upsert(home.id, { robloxApiKeyEncrypted: null });
    await world.command(home.id, home.ownerId, "config", [sub("show")]);
    expect(await (await world.bot.httpApp.request("/readyz")).json()).toMatchObject({ guildCredentials: { unusable: 0 } });
  });
});
