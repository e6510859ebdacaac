import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { answerOf, discordWrites, int, startCommandWorld, sub, type CommandWorld } from "./harness.ts";

/** `/config min-account-age` and `/config group-lock` (design §3.1), through the real router and both emulators. */
let world: CommandWorld;
const GROUP = 7;

beforeAll(async () => {
  world = await startCommandWorld();
  world.seedGroup(GROUP, "Army");
});
afterAll(() => world.close());

function newGuild() {
  const guild = world.discord.createGuild({ name: `Gate Guild ${Math.random().toString(36).slice(2, 8)}` });
  world.repositories.guilds.upsert(guild.id, { robloxGroupId: GROUP });
  return guild;
}

async function config(guildId: string, userId: string, subcommand: string, ...options: Parameters<typeof sub>[1][]) {
  return answerOf(await world.command(guildId, userId, "config", [sub(subcommand, ...options)]));
}

const configAudit = (guildId: string) => world.repositories.audit.listLatest(guildId, { limit: 20, action: "config" });

describe("/config min-account-age", () => {
  test("sets the minimum, audits before and after, shows it in /config show, and 0 turns it off", async () => {
    const guild = newGuild();
    expect((await config(guild.id, guild.ownerId, "show")).text).toContain("Minimum Roblox account age: off");

    const set = await config(guild.id, guild.ownerId, "min-account-age", int("days", 30));
    expect(set.content).toBe(
      "Roblox accounts younger than **30 days** can no longer link here; they are told the date they can. Members already linked keep their link.",
    );
    expect(set.ephemeral).toBe(true);
    expect(world.repositories.guilds.get(guild.id)?.minAccountAgeDays).toBe(30);
    expect(configAudit(guild.id)[0]).toMatchObject({
      actorId: guild.ownerId,
      before: { minAccountAgeDays: 0 },
      after: { minAccountAgeDays: 30 },
      detail: "Minimum Roblox account age set to 30 days",
    });
    expect((await config(guild.id, guild.ownerId, "show")).text).toContain("Minimum Roblox account age: 30 days to link");

    const off = await config(guild.id, guild.ownerId, "min-account-age", int("days", 0));
    expect(off.content).toBe("Any Roblox account can link here again (no minimum account age).");
    expect(world.repositories.guilds.get(guild.id)?.minAccountAgeDays).toBe(0);
    expect(configAudit(guild.id)[0]).toMatchObject({ before: { minAccountAgeDays: 30 }, after: { minAccountAgeDays: 0 }, detail: "Minimum Roblox account age turned off" });
  });

  test("a value outside 0-3650 is refused clearly and changes nothing", async () => {
    const guild = newGuild();
    world.repositories.guilds.upsert(guild.id, { minAccountAgeDays: 14 });
    const auditBefore = configAudit(guild.id).length;
    for (const days of [-1, 3651, 1_000_000]) {
      const refused = await config(guild.id, guild.ownerId, "min-account-age", int("days", days));
      expect(refused.content).toBe("The minimum account age is a whole number of days from 0 (off) to 3650. Nothing was changed.");
    }
    expect(world.repositories.guilds.get(guild.id)?.minAccountAgeDays).toBe(14);
    expect(configAudit(guild.id)).toHaveLength(auditBefore);
    expect(discordWrites(world).filter((request) => request.path.includes(guild.id))).toEqual([]);
  });

  test("is refused to a member without Manage Roles; another guild's setting is untouched", async () => {
    const guild = newGuild();
    const other = newGuild();
    const member = world.discord.addMember(guild.id, { username: "newbie" });
    const refused = await config(guild.id, member.user.id, "min-account-age", int("days", 365));
    expect(refused.content).toBe("You need the Manage Roles permission to use this command.");
    expect(world.repositories.guilds.get(guild.id)?.minAccountAgeDays).toBe(0);
    await config(guild.id, guild.ownerId, "min-account-age", int("days", 5));
    expect(world.repositories.guilds.get(other.id)?.minAccountAgeDays).toBe(0);
  });
});
