/**
 * A Discord role deleted in the guild (GUILD_ROLE_DELETE over the emulator's real gateway) leaves
 * every bind that gave it, and the verified/unverified setting naming it, each change audited with
 * the system as actor; `/binds list` then never shows it. The bot is the real process's composition.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { join } from "node:path";
import { tempDir } from "../db/helpers.ts";
import { eventually } from "../support/eventually.ts";
import { endpointsOf, startSyncBot, type SyncBot } from "./support/bot.ts";
import { createWorld, seedDatabase, type World } from "./support/world.ts";

const TIME_SCALE = 0.05;
let world: World;
let bot: SyncBot;
let cleanup: () => void;

beforeAll(async () => {
  world = await createWorld({ groupSize: 60, guildSize: 40, linked: 20, mismatchedShare: 0, timeScale: TIME_SCALE, robloxWindowMs: 60_000 * TIME_SCALE });
  const dir = tempDir("rankbridge-role-delete-");
  cleanup = dir.cleanup;
  bot = await startSyncBot({ ...endpointsOf(world), databasePath: join(dir.dir, "rankbridge.sqlite"), timeScale: TIME_SCALE });
  await seedDatabase(bot.repositories, world);
  await bot.guildReady(world.guildId);
}, 60_000);

afterAll(async () => {
  await bot?.close();
  await world?.close();
  cleanup?.();
});

async function bindsList(): Promise<string> {
  const interaction = world.discord.injectInteraction({
    guildId: world.guildId,
    userId: world.ownerId,
    commandName: "binds",
    options: [{ type: 1, name: "list", options: [] }] as never,
  });
  await interaction.waitForCallback(5_000);
  const callback = interaction.callbacks.at(-1) as { data?: { embeds?: { description?: string }[]; content?: string } };
  return [callback.data?.content ?? "", ...(callback.data?.embeds ?? []).map((embed) => embed.description ?? "")].join("\n");
}

describe("a role deleted in Discord", () => {
  test("leaves every bind and the verified role setting, audited as the system; /binds list no longer shows it", async () => {
    const { guildId } = world;
    const doomed = world.discord.createRole(guildId, { name: "Squad" }).id;
    const kept = world.discord.createRole(guildId, { name: "Kept" }).id;
    const rank = (await bot.repositories.ranks.list(guildId)).find((candidate) => candidate.discordRoleId !== null)!;
    const rankBind = (await bot.repositories.binds.add(guildId, { kind: "rank", rankId: rank.id }, [doomed, kept])).bind;
    const rangeBind = (await bot.repositories.binds.add(guildId, { kind: "range", groupId: world.groupId, minRank: 1, maxRank: 10 }, [doomed])).bind;
    await bot.repositories.guilds.upsert(guildId, { verifiedRoleId: doomed });
    expect(await bindsList()).toContain(`<@&${doomed}>`);

    world.discord.deleteRole(guildId, doomed);
    expect(await eventually(async () => (await bot.repositories.guilds.get(guildId))?.verifiedRoleId ?? null, (value) => value === null, 5_000)).toBeNull();

    const stored = await bot.repositories.binds.list(guildId);
    expect(stored.some((bind) => bind.roleIds.includes(doomed))).toBe(false);
    expect(stored.find((bind) => bind.origin.id === rankBind.origin.id)?.roleIds).toEqual([kept]);
    expect(stored.find((bind) => bind.origin.id === rangeBind.origin.id)).toBeUndefined();
    // The rank's own role is untouched.
    expect((await bot.repositories.ranks.get(guildId, rank.id))?.discordRoleId).toBe(rank.discordRoleId);

    const removals = await bot.repositories.audit.listLatest(guildId, { limit: 10, action: "binds.remove" });
    expect(removals).toHaveLength(2);
    for (const entry of removals) expect(entry.actorId).toBe("system");
    const byBind = new Map(removals.map((entry) => [(entry.before as { bindId: number }).bindId, entry]));
    expect(byBind.get(rankBind.origin.id)!.after).toMatchObject({ roleIds: [kept] });
    expect(byBind.get(rangeBind.origin.id)!.after).toBeNull();
    const config = (await bot.repositories.audit.listLatest(guildId, { limit: 1, action: "config" }))[0]!;
    expect(config).toMatchObject({ actorId: "system", before: { verifiedRoleId: doomed }, after: { verifiedRoleId: null } });

    const list = await bindsList();
    expect(list).not.toContain(doomed);
    expect(list).toContain(`<@&${kept}>`);
  }, 30_000);

  test("a role no bind gives is deleted: nothing is changed or audited", async () => {
    const { guildId } = world;
    const loose = world.discord.createRole(guildId, { name: "Loose" }).id;
    const before = { binds: await bot.repositories.binds.list(guildId), audit: (await bot.repositories.audit.listLatest(guildId, { limit: 100 })).length };
    world.discord.deleteRole(guildId, loose);
    // A role deleted after it, bound, shows the event was handled (events arrive in order).
    const marker = world.discord.createRole(guildId, { name: "Marker" }).id;
    await bot.repositories.binds.add(guildId, { kind: "linked" }, [marker]);
    world.discord.deleteRole(guildId, marker);
    const stillBound = async () => (await bot.repositories.binds.list(guildId)).some((bind) => bind.roleIds.includes(marker));
    expect(await eventually(stillBound, (bound) => !bound, 5_000)).toBe(false);
    expect(await bot.repositories.binds.list(guildId)).toEqual(before.binds);
    expect((await bot.repositories.audit.listLatest(guildId, { limit: 100 })).length).toBe(before.audit + 1);
  }, 30_000);
});
