import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { ComponentType, InteractionResponseType } from "discord-api-types/v10";
import { SecretDecryptionError } from "../../src/security/secrets.ts";
import { specProblems } from "../support/spec-check.ts";
import {
  answerOf,
  channel,
  MODAL_SUBMIT,
  PROCESS_API_KEY,
  role,
  startCommandWorld,
  str,
  sub,
  int,
  type CommandWorld,
} from "./harness.ts";

const GROUP = 7;
const OTHER_GROUP = 8;
const GUILD_KEY_OWNER = 3;

let world: CommandWorld;

beforeAll(async () => {
  world = await startCommandWorld();
  world.seedGroup(GROUP, "Army");
  world.seedGroup(OTHER_GROUP, "Navy");
  world.roblox.addUser({ id: GUILD_KEY_OWNER, name: "ClanLeader" });
  world.roblox.setMembership(GROUP, GUILD_KEY_OWNER, GROUP * 1000 + 15); // General: may change ranks
});
afterAll(() => world.close());

async function newGuild(groupId: number | null = GROUP) {
  const guild = world.discord.createGuild({ name: `Guild ${Math.random().toString(36).slice(2, 8)}` });
  if (groupId !== null) await world.repositories.guilds.upsert(guild.id, { robloxGroupId: groupId });
  return guild;
}

async function config(guildId: string, userId: string, subcommand: string, ...options: Parameters<typeof sub>[1][]) {
  return answerOf(await world.command(guildId, userId, "config", [sub(subcommand, ...options)]));
}

/** The modal as Discord sends it back: a label wrapping the text input (or a legacy action row). */
function submitApiKey(guildId: string, userId: string, apiKey: string, shape: "label" | "action-row" = "label") {
  const input = { type: ComponentType.TextInput, id: 2, custom_id: "api-key", value: apiKey };
  const components = shape === "label" ? [{ type: ComponentType.Label, id: 1, component: input }] : [{ type: ComponentType.ActionRow, id: 1, components: [input] }];
  return world.run({ guildId, userId, type: MODAL_SUBMIT, customId: "config:api-key", components: components as never });
}

describe("/config show", () => {
  test("shows defaults, then what was set", async () => {
    const guild = await newGuild(null);
    const defaults = await config(guild.id, guild.ownerId, "show");
    expect(defaults.text).toContain("Roblox group: not set: use /config group");
    // A visiting server (not in HOME_GUILD_IDS): the bot's credentials only read for it (design §10).
    expect(defaults.text).toContain("Roblox API key: none: the bot's credentials only read public Roblox data for this server");
    expect(defaults.text).toContain("Admin role: none (Manage Roles only)");
    expect(defaults.text).toContain("Sync interval: 6h (the bot's default)");
    expect(defaults.text).toContain("Background sync covers: every rank");

    const staff = world.discord.createRole(guild.id, { name: "Staff" });
    await world.repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP, adminRoleId: staff.id, syncIntervalMs: 2 * 3_600_000, leftGroupPolicy: "flag" });
    const set = await config(guild.id, guild.ownerId, "show");
    expect(set.text).toContain(`Roblox group: ${GROUP}`);
    expect(set.text).not.toContain("the bot's default)\nRoblox API key");
    expect(set.text).toContain(`Admin role: <@&${staff.id}>`);
    expect(set.text).toContain("Sync interval: 2h\n");
    expect(set.text).toContain("Group lock: off (from the left-group policy)");
  });

  test("is refused to a member without Manage Roles", async () => {
    const guild = await newGuild();
    const memberId = world.discord.addMember(guild.id, { username: "curious" }).user.id;
    expect((await config(guild.id, memberId, "show")).content).toBe("You need the Manage Roles permission to use this command.");
  });
});

describe("/config group", () => {
  test("an unknown group is refused clearly and nothing changes", async () => {
    const guild = await newGuild(GROUP);
    const answer = await config(guild.id, guild.ownerId, "group", int("group-id", 424_242));
    expect(answer.content).toContain("No Roblox group with id 424242 was found");
    expect((await world.repositories.guilds.get(guild.id))!.robloxGroupId).toBe(GROUP);
    expect(await world.repositories.audit.listLatest(guild.id)).toEqual([]);
  });

  test("a valid group is stored and audited; changing it warns that the ladder should be re-imported", async () => {
    const guild = await newGuild(null);
    const first = await config(guild.id, guild.ownerId, "group", int("group-id", GROUP));
    // A visiting server is told at once that rank writes need its own key (design §10).
    expect(first.content).toStartWith(`Roblox group set to **Army** (${GROUP}).\nNext: run /ranks import to read the group's ranks.\n⚠️ Rank changes:`);
    expect(first.content).toContain("`/config api-key`");
    expect((await world.repositories.guilds.get(guild.id))!.robloxGroupId).toBe(GROUP);

    await world.command(guild.id, guild.ownerId, "ranks", [sub("import")]);
    const changed = await config(guild.id, guild.ownerId, "group", int("group-id", OTHER_GROUP));
    expect(changed.content).toContain(`Roblox group set to **Navy** (${OTHER_GROUP}).`);
    expect(changed.content).toContain(`The rank ladder still holds the ranks of the previous group (${GROUP}). Run /ranks import`);
    const [entry] = await world.repositories.audit.listLatest(guild.id, { action: "config" });
    expect(entry).toMatchObject({ actorId: guild.ownerId, before: { robloxGroupId: GROUP }, after: { robloxGroupId: OTHER_GROUP } });
  });

  test("a negative id sent past Discord's own check is refused", async () => {
    const guild = await newGuild(GROUP);
    const answer = await config(guild.id, guild.ownerId, "group", int("group-id", -3));
    expect(answer.content).toContain("The group id is the whole number");
    expect((await world.repositories.guilds.get(guild.id))!.robloxGroupId).toBe(GROUP);
  });
});

describe("/config admin-role", () => {
  test("Manage Roles holders set it; holders of the admin role alone can't pass it on; @everyone is refused", async () => {
    const guild = await newGuild();
    const staff = world.discord.createRole(guild.id, { name: "Staff" });
    const other = world.discord.createRole(guild.id, { name: "Other" });
    const helperId = world.discord.addMember(guild.id, { username: "helper", roles: [staff.id] }).user.id;

    const set = await config(guild.id, guild.ownerId, "admin-role", role("role", staff.id));
    expect(set.content).toContain(`Members with <@&${staff.id}> can now use rankbridge's admin commands`);
    expect((await world.repositories.guilds.get(guild.id))!.adminRoleId).toBe(staff.id);

    // The helper is an admin now (show works) but may not hand admin rights to another role.
    expect((await config(guild.id, helperId, "show")).text).toContain("rankbridge settings");
    const passOn = await config(guild.id, helperId, "admin-role", role("role", other.id));
    expect(passOn.content).toBe("Only members with the Manage Roles permission can change the admin role.");
    expect((await world.repositories.guilds.get(guild.id))!.adminRoleId).toBe(staff.id);

    const everyone = await config(guild.id, guild.ownerId, "admin-role", role("role", guild.id));
    expect(everyone.content).toContain("@everyone can't be the admin role");
    expect((await world.repositories.guilds.get(guild.id))!.adminRoleId).toBe(staff.id);

    const cleared = await config(guild.id, guild.ownerId, "admin-role");
    expect(cleared.content).toContain("Admin role removed");
    expect((await world.repositories.guilds.get(guild.id))!.adminRoleId).toBeNull();
  });
});

describe("/config log-channel", () => {
  test("posts a confirmation there, stores it, and later changes are logged to it", async () => {
    const guild = await newGuild();
    const logs = world.discord.createChannel(guild.id, "rank-log");
    const answer = await config(guild.id, guild.ownerId, "log-channel", channel("channel", logs.id));
    expect(answer.content).toBe(`Rank changes will be logged in <#${logs.id}>.`);
    expect((await world.repositories.guilds.get(guild.id))!.logChannelId).toBe(logs.id);
    const messages = async (count: number) => {
      const deadline = Date.now() + 2_000;
      while (world.discord.channelMessages(logs.id).length < count && Date.now() < deadline) await Bun.sleep(10);
      return world.discord.channelMessages(logs.id);
    };
    // The confirmation, then the audit entry of this very change.
    const [confirmation, ownEntry] = await messages(2);
    expect(confirmation!.content).toBe(`rankbridge will log rank changes in this channel (set by <@${guild.ownerId}>).`);
    expect(ownEntry!.embeds[0]).toMatchObject({ title: "config", description: `Log channel set to ${logs.id}` });

    await config(guild.id, guild.ownerId, "left-group", str("policy", "flag"));
    expect((await messages(3))[2]?.embeds[0]).toMatchObject({ title: "config", description: "Left-group policy set to flag" });
  });

  test("a channel the bot can't post in is refused with the fix and not stored", async () => {
    const guild = await newGuild();
    const hidden = world.discord.createChannel(guild.id, "secret");
    world.discord.failNext({ method: "POST", pathIncludes: `/channels/${hidden.id}/messages` }, { status: 403, body: { code: 50013, message: "Missing Permissions" } });
    const answer = await config(guild.id, guild.ownerId, "log-channel", channel("channel", hidden.id));
    expect(answer.content).toBe(`rankbridge can't post in <#${hidden.id}>. Give its role View Channel, Send Messages and Embed Links there, then run this again.`);
    expect((await world.repositories.guilds.get(guild.id))!.logChannelId).toBeNull();
  });

  test("a channel of another server, or one that does not exist, is refused: nothing is posted there or stored", async () => {
    const guild = await newGuild();
    const elsewhere = await newGuild();
    const theirs = world.discord.createChannel(elsewhere.id, "their-log");
    for (const channelId of [theirs.id, "0", "123456789012345678"]) {
      const answer = await config(guild.id, guild.ownerId, "log-channel", channel("channel", channelId));
      expect(answer.content).toBe("Pick a text channel of this server for the log.");
    }
    expect(world.discord.channelMessages(theirs.id)).toEqual([]);
    expect((await world.repositories.guilds.get(guild.id))?.logChannelId ?? null).toBeNull();
  });
});

describe("/config sync-interval, left-group, sync-ranks", () => {
  test("sync-interval parses durations within bounds and resets to the default", async () => {
    const guild = await newGuild();
    expect((await config(guild.id, guild.ownerId, "sync-interval", str("duration", "5m"))).content).toContain("it must be at least 15m");
    expect((await config(guild.id, guild.ownerId, "sync-interval", str("duration", "soon"))).content).toContain('"soon" is not a valid duration');
    expect((await config(guild.id, guild.ownerId, "sync-interval", str("duration", "30d"))).content).toContain("at most 7d");
    expect((await world.repositories.guilds.get(guild.id))!.syncIntervalMs).toBeNull();

    expect((await config(guild.id, guild.ownerId, "sync-interval", str("duration", "1h30m"))).content).toContain("every 1h 30m");
    expect((await world.repositories.guilds.get(guild.id))!.syncIntervalMs).toBe(90 * 60_000);
    expect((await config(guild.id, guild.ownerId, "sync-interval", str("duration", "default"))).content).toContain("default period again (6h)");
    expect((await world.repositories.guilds.get(guild.id))!.syncIntervalMs).toBeNull();
  });

  test("left-group accepts only the known policies", async () => {
    const guild = await newGuild();
    expect((await config(guild.id, guild.ownerId, "left-group", str("policy", "flag"))).content).toContain("Policy set to **flag**");
    expect((await world.repositories.guilds.get(guild.id))!.leftGroupPolicy).toBe("flag");
    expect((await config(guild.id, guild.ownerId, "left-group", str("policy", "ban"))).content).toBe("The policy must be one of: remove, flag.");
    expect((await world.repositories.guilds.get(guild.id))!.leftGroupPolicy).toBe("flag");
  });

  test("sync-ranks turns a comma list into this guild's rank ids; unknown names change nothing", async () => {
    const guild = await newGuild();
    await world.command(guild.id, guild.ownerId, "ranks", [sub("import")]);
    const ids = async (name: string) => (await world.repositories.ranks.findByName(guild.id, name))!.id;

    const set = await config(guild.id, guild.ownerId, "sync-ranks", str("ranks", " sergeant, Major ,, MAJOR"));
    expect(set.content).toBe("The background sync now covers only: **Sergeant**, **Major**.");
    expect((await world.repositories.guilds.get(guild.id))!.syncRankFilter).toEqual([await ids("Sergeant"), await ids("Major")]);

    const unknown = await config(guild.id, guild.ownerId, "sync-ranks", str("ranks", "Sergeant, Admiral"));
    expect(unknown.content).toContain('No rank is called "Admiral"');
    expect((await world.repositories.guilds.get(guild.id))!.syncRankFilter).toEqual([await ids("Sergeant"), await ids("Major")]);

    expect((await config(guild.id, guild.ownerId, "sync-ranks", str("ranks", "all"))).content).toBe("The background sync covers every rank.");
    expect((await world.repositories.guilds.get(guild.id))!.syncRankFilter).toBeNull();
  });
});

describe("/config api-key", () => {
  test("asks for the key in a modal, never in chat", async () => {
    const guild = await newGuild();
    const interaction = await world.command(guild.id, guild.ownerId, "config", [sub("api-key")]);
    const callback = await interaction.waitForCallback();
    expect(callback.type).toBe(InteractionResponseType.Modal);
    expect(callback.data.custom_id).toBe("config:api-key");
    const input = callback.data.components[0].component;
    expect(input).toMatchObject({ type: ComponentType.TextInput, custom_id: "api-key", required: true });
    expect((await world.repositories.guilds.get(guild.id))!.robloxApiKeyEncrypted).toBeNull();
  });

  test("a valid key is stored encrypted for this guild only, and the guild's Roblox requests then use it", async () => {
    const guild = await newGuild();
    const neighbour = await newGuild();
    const apiKey = `guild-key-${crypto.randomUUID()}`;
    world.roblox.addApiKey(apiKey, { ownerUserId: GUILD_KEY_OWNER, scopes: ["group:read", "group:write"], groups: [GROUP] });

    const submitted = answerOf(await submitApiKey(guild.id, guild.ownerId, apiKey));
    expect(submitted.content).toBe(`API key saved (encrypted). rankbridge now uses it for **Army** (${GROUP}). Roblox confirmed it may change ranks there.`);

    const sealed = (await world.repositories.guilds.get(guild.id))!.robloxApiKeyEncrypted!;
    expect(sealed).toStartWith("v1.");
    expect(sealed).not.toContain(apiKey);
    expect(await world.deps.secrets.decrypt(sealed, `guild:${guild.id}`)).toBe(apiKey);
    await expect(world.deps.secrets.decrypt(sealed, `guild:${neighbour.id}`)).rejects.toBeInstanceOf(SecretDecryptionError);
    expect((await world.repositories.audit.listLatest(guild.id, { action: "config" }))[0]!.after).toEqual({ robloxApiKey: "set", canWriteRanks: true });

    // The key never leaves: not in logs, not in anything sent to Discord, not in the audit trail.
    expect(world.logLines.join("")).not.toContain(apiKey);
    expect(JSON.stringify(world.discord.requests.map((r) => r.body))).not.toContain(apiKey);
    expect(JSON.stringify(await world.repositories.audit.listLatest(guild.id))).not.toContain(apiKey);

    const requestsBefore = world.roblox.requests.length;
    await world.command(guild.id, guild.ownerId, "ranks", [sub("import")]);
    await world.command(neighbour.id, neighbour.ownerId, "ranks", [sub("import")]);
    const rolesReads = world.roblox.requests.slice(requestsBefore).filter((r) => r.path === `/cloud/v2/groups/${GROUP}/roles`);
    expect(rolesReads.map((r) => r.headers["x-api-key"])).toEqual([apiKey, PROCESS_API_KEY]);
    expect(await world.repositories.ranks.list(guild.id)).toHaveLength(14);
  });

  test("keys Roblox rejects, or that can't read the group, are refused and nothing is stored", async () => {
    const guild = await newGuild();
    const unknown = answerOf(await submitApiKey(guild.id, guild.ownerId, "not-a-real-key", "action-row"));
    expect(unknown.content).toContain("Roblox rejected this API key");

    const navyOnly = `navy-key-${crypto.randomUUID()}`;
    world.roblox.addApiKey(navyOnly, { ownerUserId: GUILD_KEY_OWNER, scopes: ["group:read"], groups: [OTHER_GROUP] });
    const wrongGroup = answerOf(await submitApiKey(guild.id, guild.ownerId, navyOnly));
    expect(wrongGroup.content).toBe(
      `This API key can't read group ${GROUP}. In Creator Dashboard → API Keys, add the group with the group:read and group:write scopes.`,
    );
    const blank = answerOf(await submitApiKey(guild.id, guild.ownerId, "   "));
    expect(blank.content).toContain("The API key was empty");

    expect((await world.repositories.guilds.get(guild.id))!.robloxApiKeyEncrypted).toBeNull();
    expect(world.logLines.join("")).not.toContain(navyOnly);
  });

  test("text that can't be a key (spaces, control characters, other scripts) is refused before Roblox is asked", async () => {
    const guild = await newGuild();
    world.roblox.requests.length = 0;
    for (const text of ["abc\u0000def", "two words", "ключ-ключ"]) {
      const answer = answerOf(await submitApiKey(guild.id, guild.ownerId, text));
      expect(answer.content).toStartWith("That isn't a Roblox API key");
    }
    expect(world.roblox.requests).toEqual([]);
    expect((await world.repositories.guilds.get(guild.id))!.robloxApiKeyEncrypted).toBeNull();
  });

  test("a member without Manage Roles can't submit the form", async () => {
    const guild = await newGuild();
    const memberId = world.discord.addMember(guild.id, { username: "sneaky" }).user.id;
    const apiKey = `guild-key-${crypto.randomUUID()}`;
    world.roblox.addApiKey(apiKey, { ownerUserId: GUILD_KEY_OWNER, scopes: ["group:read"], groups: [GROUP] });
    const answer = answerOf(await submitApiKey(guild.id, memberId, apiKey));
    expect(answer.content).toContain("You need the Manage Roles permission");
    expect((await world.repositories.guilds.get(guild.id))!.robloxApiKeyEncrypted).toBeNull();
  });

  test("api-key-clear goes back to the bot's own credentials", async () => {
    const guild = await newGuild();
    const apiKey = `guild-key-${crypto.randomUUID()}`;
    world.roblox.addApiKey(apiKey, { ownerUserId: GUILD_KEY_OWNER, scopes: ["group:read"], groups: [GROUP] });
    await submitApiKey(guild.id, guild.ownerId, apiKey);
    expect((await world.repositories.guilds.get(guild.id))!.robloxApiKeyEncrypted).not.toBeNull();

    expect((await config(guild.id, guild.ownerId, "api-key-clear")).content).toContain("API key removed");
    expect((await world.repositories.guilds.get(guild.id))!.robloxApiKeyEncrypted).toBeNull();
    const requestsBefore = world.roblox.requests.length;
    await world.command(guild.id, guild.ownerId, "ranks", [sub("import")]);
    expect(world.roblox.requests.slice(requestsBefore).map((r) => r.headers["x-api-key"])).toEqual([PROCESS_API_KEY]);
    expect((await config(guild.id, guild.ownerId, "api-key-clear")).content).toContain("has no API key of its own");
  });

  test("without ENCRYPTION_KEY the form is never shown", async () => {
    const keyless = await startCommandWorld({ encryptionKey: false });
    try {
      keyless.seedGroup(GROUP);
      const guild = keyless.discord.createGuild({ name: "No secrets" });
      await keyless.repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP });
      const interaction = await keyless.command(guild.id, guild.ownerId, "config", [sub("api-key")]);
      const answer = answerOf(interaction);
      expect(answer.type).toBe(InteractionResponseType.ChannelMessageWithSource);
      expect(answer.content).toBe(
        "This bot has no ENCRYPTION_KEY configured, so it cannot store secrets such as a Roblox API key. Ask the bot operator to set one.",
      );
      const viaForm = answerOf(await keyless.run({ guildId: guild.id, userId: guild.ownerId, type: MODAL_SUBMIT, customId: "config:api-key", components: [] }));
      expect(viaForm.content).toContain("no ENCRYPTION_KEY configured");
      expect((await keyless.repositories.guilds.get(guild.id))!.robloxApiKeyEncrypted).toBeNull();
    } finally {
      await keyless.close();
    }
  });
});

describe("every request sent", () => {
  test("conforms to Discord's and Roblox's OpenAPI documents", () => {
    expect(specProblems(world)).toEqual([]);
  });
});
