import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { answerOf, int, startCommandWorld, sub, type CommandWorld } from "./harness.ts";

let world: CommandWorld;

beforeAll(async () => {
  world = await startCommandWorld();
  world.seedGroup(7, "Army");
});
afterAll(() => world.close());

async function threshold(guildId: string, userId: string, ...options: Parameters<typeof sub>[1][]) {
  return answerOf(await world.command(guildId, userId, "config", [sub("mass-change-threshold", ...options)]));
}

describe("/config mass-change-threshold", () => {
  test("stores the guild's own threshold, audits it, and resets to the defaults when given nothing", async () => {
    const guild = world.discord.createGuild({ name: "Threshold Guild" });
    await world.repositories.guilds.upsert(guild.id, { robloxGroupId: 7 });

    const set = await threshold(guild.id, guild.ownerId, int("percent", 25), int("members", 40));
    expect(set.content).toContain("more than **25%** and more than **40**");
    expect(await world.repositories.guilds.get(guild.id)).toMatchObject({ massChangePercent: 25, massChangeMembers: 40 });
    expect((await world.repositories.audit.listLatest(guild.id, { limit: 5, action: "config" })).some((row) => /Mass-change threshold: 25/.test(row.detail ?? ""))).toBe(true);

    const onlyMembers = await threshold(guild.id, guild.ownerId, int("members", 5));
    expect(onlyMembers.content).toContain("more than **25%** and more than **5**");

    const reset = await threshold(guild.id, guild.ownerId);
    expect(reset.content).toContain("more than **10%** and more than **10**");
    expect(await world.repositories.guilds.get(guild.id)).toMatchObject({ massChangePercent: null, massChangeMembers: null });
  });

  test("is refused to a member without Manage Roles, and another guild's setting is untouched", async () => {
    const guild = world.discord.createGuild({ name: "Other Guild" });
    const member = world.discord.addMember(guild.id, { username: "plain-member" });
    const answer = await threshold(guild.id, member.user.id, int("percent", 90));
    expect(answer.content).toContain("You need the Manage Roles permission");
    expect((await world.repositories.guilds.get(guild.id))?.massChangePercent ?? null).toBeNull();
  });
});
