/**
 * One process per interaction (design §8: nothing is done twice): over the real Redis, of two
 * processes offered the same interaction (a replay after one RESUMEs the other's session) exactly
 * one runs it, and the router skips the one it did not claim without answering it a second time.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { API } from "@discordjs/core";
import { REST } from "@discordjs/rest";
import type { APIInteraction } from "discord-api-types/v10";
import { RedisInteractionClaims } from "../../src/cluster/interaction-claims.ts";
import type { SharedRedis } from "../../src/cluster/redis.ts";
import { openRedis } from "../../src/cluster/redis.ts";
import type { SlashCommand } from "../../src/discord/commands/types.ts";
import { InteractionRouter } from "../../src/discord/interactions/router.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { connectShared, deletePrefix, quietLogger, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";

describe.skipIf(skipWithoutRedis)("interaction claims over Redis", () => {
  const prefix = uniquePrefix("claims");
  let first: SharedRedis;
  let second: SharedRedis;
  let emulator: DiscordEmulator;

  beforeAll(async () => {
    first = await connectShared(prefix);
    second = await connectShared(prefix);
    emulator = await startDiscordEmulator({ heartbeatIntervalMs: 500 });
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    await Promise.all([first.close(), second.close(), emulator.close()]);
  });

  test("of two processes claiming one interaction at once, exactly one gets it; another interaction is free", async () => {
    const a = new RedisInteractionClaims(first, quietLogger());
    const b = new RedisInteractionClaims(second, quietLogger());
    for (let i = 0; i < 20; i++) {
      const id = `13${i}0000000000000000`;
      const claims = await Promise.all([a.claim(id), b.claim(id)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      // Claimed once means claimed for good: the winner asking again is refused too.
      expect(await a.claim(id)).toBe(false);
    }
  });

  test("Redis unreachable: the claim is granted, so commands keep running while it is away", async () => {
    const dead = openRedis("redis://127.0.0.1:1", prefix, quietLogger());
    try {
      expect(await new RedisInteractionClaims(dead, quietLogger()).claim("1400000000000000000")).toBe(true);
    } finally {
      await dead.close();
    }
  });

  test("the router runs a replayed interaction once: the process that lost the claim sends nothing", async () => {
    const guild = emulator.createGuild({ name: "Claims" });
    const api = new API(new REST({ api: emulator.restBase }).setToken(emulator.token));
    let runs = 0;
    const commands: SlashCommand[] = [
      {
        definition: { name: "once", description: "counts its runs" },
        execute: async ({ respond }) => {
          runs++;
          await respond.reply({ content: "ran" });
        },
      },
    ];
    const processes = [first, second].map((redis) => {
      const metrics = createMetrics();
      const claims = new RedisInteractionClaims(redis, quietLogger());
      return { metrics, router: new InteractionRouter({ commands, metrics, logger: quietLogger(), claimOnce: (id) => claims.claim(id) }) };
    });
    const injected = emulator.injectInteraction({ guildId: guild.id, userId: guild.ownerId, commandName: "once" });
    const payload = injected.payload as APIInteraction;
    await Promise.all(processes.map(({ router }, shard) => router.handle(payload, api, shard)));

    expect(runs).toBe(1);
    expect((await injected.waitForCallback(2_000)).body).toMatchObject({ type: 4, data: { content: "ran" } });
    const replayed = await Promise.all(processes.map(({ metrics }) => metrics.registry.getSingleMetricAsString("rankbridge_interactions_total")));
    expect(replayed.filter((text) => text.includes('command="once",outcome="replayed"} 1'))).toHaveLength(1);
  });
});
