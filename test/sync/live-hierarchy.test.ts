/**
 * The hierarchy a run follows live, against the Discord emulator's REST (no gateway here, so no
 * role event reaches the bot: the case of a missed event). A refused edit re-reads the roles and
 * the bot's member, once, and from then on the same cause is judged before sending.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { API } from "@discordjs/core";
import { REST } from "@discordjs/rest";
import { DiscordGuilds } from "../../src/discord/guilds.ts";
import { LiveHierarchy } from "../../src/sync/live-hierarchy.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { describeRoleProblem } from "../../src/discord/views/role-problems.ts";

let discord: DiscordEmulator;
let api: API;

beforeAll(async () => {
  discord = await startDiscordEmulator({ recordRequests: true });
  api = new API(new REST({ api: discord.restBase, offset: 0 }).setToken(discord.token));
});
afterAll(() => discord.close());

async function world() {
  const guild = discord.createGuild({ name: "Hierarchy" });
  const rankA = discord.createRole(guild.id, { name: "Rank A" });
  const rankB = discord.createRole(guild.id, { name: "Rank B" });
  const guilds = new DiscordGuilds(api);
  guilds.botUserId = discord.botUserId;
  const hierarchy = new LiveHierarchy(guilds, await guilds.botStanding(guild.id));
  const botRole = discord.role(guild.id, guild.botRoleId)!;
  return { guild, rankA, rankB, guilds, hierarchy, botRole };
}

const roleReads = (guildId: string) => discord.requests.filter((r) => r.method === "GET" && r.path.endsWith(`/guilds/${guildId}/roles`));

describe("LiveHierarchy", () => {
  test("a role moved above the bot while no event arrived: the first 403 re-reads the roles and blocks that role only", async () => {
    const { guild, rankA, rankB, hierarchy, botRole } = await world();
    expect(hierarchy.check({ addRoleIds: [rankA.id] }).ok).toBe(true);
    discord.updateRole(guild.id, rankA.id, { position: botRole.position + 1 });
    // The cached roles still allow it: only Discord's refusal can tell.
    expect(hierarchy.check({ addRoleIds: [rankA.id] }).ok).toBe(true);

    await hierarchy.refused({ addRoleIds: [rankA.id], removeRoleIds: [] }, "Missing Permissions (50013)");
    expect(roleReads(guild.id)).toHaveLength(1);
    const verdict = hierarchy.check({ addRoleIds: [rankA.id] });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.problems[0]).toMatchObject({ kind: "above-bot", roleName: "Rank A" });
    expect(hierarchy.check({ addRoleIds: [rankB.id] }).ok).toBe(true);
  });

  test("a refusal the roles do not explain blocks the roles of that edit for the rest of the run", async () => {
    const { guild, rankA, rankB, hierarchy } = await world();
    await hierarchy.refused({ addRoleIds: [rankA.id], removeRoleIds: [] }, "Missing Permissions (50013)");
    const verdict = hierarchy.check({ addRoleIds: [rankA.id] });
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(describeRoleProblem(verdict.problems[0]!)).toContain('Discord refused a change of "Rank A"');
    expect(hierarchy.check({ removeRoleIds: [rankB.id] }).ok).toBe(true);
    expect(roleReads(guild.id)).toHaveLength(1);
  });

  test("the bot's own roles changing (GUILD_MEMBER_UPDATE of the bot) re-judges at once", async () => {
    const { rankA, hierarchy } = await world();
    hierarchy.botRolesChanged([]);
    expect(hierarchy.check({ addRoleIds: [rankA.id] }).ok).toBe(false);
  });
});
