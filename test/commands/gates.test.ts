import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { answerOf, discordWrites, int, role, startCommandWorld, str, sub, type CommandWorld } from "./harness.ts";
import { auditEntryDetail } from "../../src/discord/views/audit-notes.ts";

/** `/config min-account-age` and `/config group-lock` (design §3.1), through the real router and both emulators. */
let world: CommandWorld;
const GROUP = 7;

beforeAll(async () => {
  world = await startCommandWorld();
  world.seedGroup(GROUP, "Army");
});
afterAll(() => world.close());

async function newGuild() {
  const guild = world.discord.createGuild({ name: `Gate Guild ${Math.random().toString(36).slice(2, 8)}` });
  await world.repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP });
  return guild;
}

async function config(guildId: string, userId: string, subcommand: string, ...options: Parameters<typeof sub>[1][]) {
  return answerOf(await world.command(guildId, userId, "config", [sub(subcommand, ...options)]));
}

/** The config entries, each with the detail /audit shows (the row's own text, or its note worded). */
const configAudit = async (guildId: string) =>
  (await world.repositories.audit.listLatest(guildId, { limit: 20, action: "config" })).map((row) => ({ ...row, detail: auditEntryDetail(row) }));

describe("/config min-account-age", () => {
  test("sets the minimum, audits before and after, shows it in /config show, and 0 turns it off", async () => {
    const guild = await newGuild();
    expect((await config(guild.id, guild.ownerId, "show")).text).toContain("Minimum Roblox account age: off");

    const set = await config(guild.id, guild.ownerId, "min-account-age", int("days", 30));
    expect(set.content).toBe(
      "Roblox accounts younger than **30 days** can no longer link here; they are told the date they can. Members already linked keep their link.",
    );
    expect(set.ephemeral).toBe(true);
    expect((await world.repositories.guilds.get(guild.id))?.minAccountAgeDays).toBe(30);
    expect((await configAudit(guild.id))[0]).toMatchObject({
      actorId: guild.ownerId,
      before: { minAccountAgeDays: 0 },
      after: { minAccountAgeDays: 30 },
      detail: "Minimum Roblox account age set to 30 days",
    });
    expect((await config(guild.id, guild.ownerId, "show")).text).toContain("Minimum Roblox account age: 30 days to link");

    const off = await config(guild.id, guild.ownerId, "min-account-age", int("days", 0));
    expect(off.content).toBe("Any Roblox account can link here again (no minimum account age).");
    expect((await world.repositories.guilds.get(guild.id))?.minAccountAgeDays).toBe(0);
    expect((await configAudit(guild.id))[0]).toMatchObject({ before: { minAccountAgeDays: 30 }, after: { minAccountAgeDays: 0 }, detail: "Minimum Roblox account age turned off" });
  });

  test("a value outside 0-3650 is refused clearly and changes nothing", async () => {
    const guild = await newGuild();
    await world.repositories.guilds.upsert(guild.id, { minAccountAgeDays: 14 });
    const auditBefore = (await configAudit(guild.id)).length;
    for (const days of [-1, 3651, 1_000_000]) {
      const refused = await config(guild.id, guild.ownerId, "min-account-age", int("days", days));
      expect(refused.content).toBe("The minimum account age is a whole number of days from 0 (off) to 3650. Nothing was changed.");
    }
    expect((await world.repositories.guilds.get(guild.id))?.minAccountAgeDays).toBe(14);
    expect(await configAudit(guild.id)).toHaveLength(auditBefore);
    expect(discordWrites(world).filter((request) => request.path.includes(guild.id))).toEqual([]);
  });

  test("is refused to a member without Manage Roles; another guild's setting is untouched", async () => {
    const guild = await newGuild();
    const other = await newGuild();
    const member = world.discord.addMember(guild.id, { username: "newbie" });
    const refused = await config(guild.id, member.user.id, "min-account-age", int("days", 365));
    expect(refused.content).toBe("You need the Manage Roles permission to use this command.");
    expect((await world.repositories.guilds.get(guild.id))?.minAccountAgeDays).toBe(0);
    await config(guild.id, guild.ownerId, "min-account-age", int("days", 5));
    expect((await world.repositories.guilds.get(other.id))?.minAccountAgeDays).toBe(0);
  });
});

describe("/config group-lock", () => {
  test("stores the mode, audited; /config show names it; kick without Kick Members says so", async () => {
    const guild = await newGuild();
    expect((await config(guild.id, guild.ownerId, "show")).text).toContain("Group lock: remove-roles (from the left-group policy)");

    const kick = await config(guild.id, guild.ownerId, "group-lock", str("mode", "kick"));
    expect(kick.content).toContain("Group lock set to **kick**: linked members who are not in the Roblox group are told why by DM and removed from the server");
    expect(kick.content).toContain("rankbridge doesn't have the Kick Members permission yet");
    expect((await world.repositories.guilds.get(guild.id))?.groupLockMode).toBe("kick");
    expect((await configAudit(guild.id))[0]).toMatchObject({ before: { groupLockMode: null }, after: { groupLockMode: "kick" }, detail: "Group lock set to kick" });

    world.discord.updateRole(guild.id, world.discord.guild(guild.id)!.botRoleId, { permissions: (1n << 1n) | (1n << 28n) });
    world.bot.parts.guilds.forget(guild.id);
    const able = await config(guild.id, guild.ownerId, "group-lock", str("mode", "kick"));
    expect(able.content).not.toContain("Kick Members permission");
    expect(able.content).toContain("The guild owner and members whose highest role is at or above rankbridge's are never kicked.");
    expect((await config(guild.id, guild.ownerId, "show")).text).toContain("Group lock: kick: linked members");

    await config(guild.id, guild.ownerId, "group-lock", str("mode", "off"));
    expect((await world.repositories.guilds.get(guild.id))?.groupLockMode).toBe("off");
    // The older /config left-group hands the choice back to the left-group policy.
    await config(guild.id, guild.ownerId, "left-group", str("policy", "remove"));
    expect((await world.repositories.guilds.get(guild.id))?.groupLockMode ?? null).toBeNull();
  });

  test("an unknown mode is refused and nothing changes", async () => {
    const guild = await newGuild();
    const before = (await configAudit(guild.id)).length;
    expect((await config(guild.id, guild.ownerId, "group-lock", str("mode", "ban"))).content).toBe(
      "The mode must be one of: off, remove-roles, kick. Nothing was changed.",
    );
    expect((await world.repositories.guilds.get(guild.id))?.groupLockMode ?? null).toBeNull();
    expect(await configAudit(guild.id)).toHaveLength(before);
  });
});

describe("/config verified-role and unverified-role", () => {
  test("set, shown, audited, unset with no role; one role can't be both", async () => {
    const guild = await newGuild();
    const verified = world.discord.createRole(guild.id, { name: "Verified" }).id;
    const unverified = world.discord.createRole(guild.id, { name: "Unverified" }).id;
    expect((await config(guild.id, guild.ownerId, "verified-role", role("role", verified))).content).toBe(
      `Linked members now hold <@&${verified}>, given at link and at the next /sync, taken when they unlink.`,
    );
    expect((await config(guild.id, guild.ownerId, "unverified-role", role("role", unverified))).content).toContain(`Members who are not linked now hold <@&${unverified}>`);
    expect(await world.repositories.guilds.get(guild.id)).toMatchObject({ verifiedRoleId: verified, unverifiedRoleId: unverified });
    expect((await configAudit(guild.id))[1]).toMatchObject({ before: { verifiedRoleId: null }, after: { verifiedRoleId: verified }, detail: `Verified role set to ${verified}` });
    const show = (await config(guild.id, guild.ownerId, "show")).text;
    expect(show).toContain(`Verified role: <@&${verified}>`);
    expect(show).toContain(`Unverified role: <@&${unverified}>`);

    expect((await config(guild.id, guild.ownerId, "verified-role", role("role", unverified))).content).toBe(
      `<@&${unverified}> is already the other of the verified and unverified roles; one role can't be both. Nothing was changed.`,
    );
    expect((await config(guild.id, guild.ownerId, "verified-role")).content).toContain("There is no verified role any more");
    expect((await world.repositories.guilds.get(guild.id))?.verifiedRoleId).toBeNull();
  });

  test("@everyone, a managed role, a role above the bot and a role above the actor are refused; nothing changes", async () => {
    const guild = await newGuild();
    const managed = world.discord.createRole(guild.id, { name: "Patreon", managed: true }).id;
    const botRoleId = world.discord.guild(guild.id)!.botRoleId;
    const above = world.discord.createRole(guild.id, { name: "Founders", position: world.discord.role(guild.id, botRoleId)!.position + 1 }).id;
    const staff = world.discord.createRole(guild.id, { name: "Staff", permissions: 1n << 28n }).id;
    const higher = world.discord.createRole(guild.id, { name: "Veterans", position: world.discord.role(guild.id, staff)!.position + 1 }).id;
    const admin = world.discord.addMember(guild.id, { username: "staffer", roles: [staff] }).user.id;
    const before = (await configAudit(guild.id)).length;

    expect((await config(guild.id, guild.ownerId, "verified-role", role("role", guild.id))).content).toContain("@everyone can't be given by a bind");
    expect((await config(guild.id, guild.ownerId, "unverified-role", role("role", managed))).content).toContain("it is a role managed by an integration");
    expect((await config(guild.id, guild.ownerId, "verified-role", role("role", above))).content).toContain('Move the rankbridge role above "Founders"');
    expect((await config(guild.id, admin, "verified-role", role("role", higher))).content).toBe(
      `Can't make the verified role <@&${higher}>: you can only bind roles below your own highest role (Staff), and <@&${higher}> is not below it. Nothing was changed.`,
    );
    expect(await world.repositories.guilds.get(guild.id)).toMatchObject({ verifiedRoleId: null, unverifiedRoleId: null });
    expect(await configAudit(guild.id)).toHaveLength(before);
  });
});

describe("/config nickname", () => {
  test("sets a template with an example, cut to 32 characters; off turns it off; unknown placeholders are refused", async () => {
    const guild = await newGuild();
    await world.repositories.ranks.replace(guild.id, [{ name: "Sergeant", robloxRoleId: GROUP * 1000 + 8, robloxRank: 20, discordRoleId: null }]);
    const set = await config(guild.id, guild.ownerId, "nickname", str("template", "[{rank}] {roblox-username}"));
    expect(set.content).toContain("Linked members' nicknames now follow `[{rank}] {roblox-username}` (cut to 32 characters) from the next /sync; for example **[Sergeant] builderman**.");
    expect(set.content).toContain("rankbridge doesn't have the Manage Nicknames permission yet");
    expect((await world.repositories.guilds.get(guild.id))?.nicknameTemplate).toBe("[{rank}] {roblox-username}");
    expect((await configAudit(guild.id))[0]).toMatchObject({ after: { nicknameTemplate: "[{rank}] {roblox-username}" } });
    expect((await config(guild.id, guild.ownerId, "show")).text).toContain("Nickname template: `[{rank}] {roblox-username}`");

    const long = await config(guild.id, guild.ownerId, "nickname", str("template", "{display-name} of the Grand Army of the Republic"));
    expect(long.content).toContain("for example **Builder of the Grand Army of the**");

    const before = (await configAudit(guild.id)).length;
    const typo = await config(guild.id, guild.ownerId, "nickname", str("template", "[{rnak}] {roblox-username}"));
    expect(typo.content).toContain("`{rnak}` isn't a placeholder rankbridge knows");
    expect(typo.content).toContain("Nothing was changed.");
    expect((await world.repositories.guilds.get(guild.id))?.nicknameTemplate).toBe("{display-name} of the Grand Army of the Republic");
    expect(await configAudit(guild.id)).toHaveLength(before);

    expect((await config(guild.id, guild.ownerId, "nickname", str("template", "OFF"))).content).toBe("rankbridge no longer sets nicknames; members keep the ones they have.");
    expect((await world.repositories.guilds.get(guild.id))?.nicknameTemplate).toBeNull();
    expect((await config(guild.id, guild.ownerId, "show")).text).toContain("Nickname template: off");
  });
});
