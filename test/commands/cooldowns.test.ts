import { afterAll, beforeAll, expect, test } from "bun:test";
import { answerOf, startCommandWorld, sub, user, type CommandWorld } from "./harness.ts";

/** Lookups (/verify-rank, /sync) spend the operator's Roblox reads too: limited per member as well. */
let world: CommandWorld;

beforeAll(async () => {
  world = await startCommandWorld({ homeGuild: true });
  world.seedGroup(4_500);
  await world.repositories.guilds.upsert(world.homeGuild!.id, { robloxGroupId: 4_500 });
});
afterAll(async () => {
  await world.close();
});

test("an admin's 11th lookup within a minute gets the cooldown reply and reaches neither Roblox nor the handler", async () => {
  const guild = world.homeGuild!;
  const target = world.discord.addMember(guild.id, { username: "looked-up" }).user.id;
  expect(answerOf(await world.command(guild.id, guild.ownerId, "ranks", [sub("import")])).text).toContain("Imported");
  world.roblox.addUser({ id: 45_000_001, name: "LookedUp" });
  world.roblox.setMembership(4_500, 45_000_001, 4_500 * 1000 + 3);
  await world.repositories.members.link(guild.id, target, { robloxUserId: 45_000_001, robloxUsername: "LookedUp", verifiedBy: "oauth" });
  world.roblox.requests.length = 0;
  const answers: string[] = [];
  for (let attempt = 0; attempt < 10; attempt++) answers.push(answerOf(await world.command(guild.id, guild.ownerId, "verify-rank", [user("member", target)])).text);
  expect(answers.every((text) => text.includes("Roblox rank"))).toBe(true);
  expect(world.roblox.requests.length).toBeGreaterThan(0);

  world.roblox.requests.length = 0;
  const eleventh = answerOf(await world.command(guild.id, guild.ownerId, "sync", [user("member", target)]));
  expect(eleventh.text).toMatch(/^You're doing that too often\. Try again <t:\d+:R>\.$/);
  expect(eleventh.ephemeral).toBe(true);
  expect(world.roblox.requests).toEqual([]);
});
