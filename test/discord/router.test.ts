import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { API } from "@discordjs/core";
import { REST } from "@discordjs/rest";
import { ComponentType, InteractionType, type APIInteraction } from "discord-api-types/v10";
import { CommandRefusedError } from "../../src/discord/commands/guards.ts";
import type { SlashCommand } from "../../src/discord/commands/types.ts";
import { InteractionRouter, RESTARTING_MESSAGE } from "../../src/discord/interactions/router.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";

/** The router against the Discord emulator's real interaction endpoints. */
let emulator: DiscordEmulator;
let api: API;
let guildId: string;
let userId: string;

const silent = createLogger({ level: "silent" });

function command(name: string, execute: SlashCommand["execute"], extra: Partial<SlashCommand> = {}): SlashCommand {
  return { definition: { name, description: `test command ${name}` }, execute, ...extra };
}

const commands: SlashCommand[] = [
  command("crash", async () => {
    throw new Error("database exploded");
  }),
  command("refuse", async () => {
    throw new CommandRefusedError("You need the Manage Roles permission to use this command.");
  }),
  command("slow", async ({ respond }) => {
    await Bun.sleep(700);
    await respond.reply({ content: "slow work finished" });
  }),
  command("public", async ({ respond }) => respond.reply({ content: "everyone sees this" }), { ephemeral: false }),
  // Waits on something the shutdown ends (a dropped Roblox queue), then tries to answer anyway.
  command("stuck", async ({ respond }) => {
    await stuckUntilReleased;
    await respond.reply({ content: "finished after all" });
    throw new Error("This job has been dropped by Bottleneck");
  }),
];
let release: () => void = () => {};
const stuckUntilReleased = new Promise<void>((resolve) => {
  release = resolve;
});

beforeAll(async () => {
  emulator = await startDiscordEmulator({ heartbeatIntervalMs: 500 });
  const guild = emulator.createGuild({ name: "Router" });
  guildId = guild.id;
  userId = guild.ownerId;
  api = new API(new REST({ api: emulator.restBase }).setToken(emulator.token));
});
afterAll(() => emulator.close());

function inject(commandName: string) {
  const injected = emulator.injectInteraction({ guildId, userId, commandName });
  return { injected, payload: injected.payload as APIInteraction };
}

describe("interaction router", () => {
  test("a handler error is logged and answered with a clear ephemeral message with a reference", async () => {
    const metrics = createMetrics();
    const router = new InteractionRouter({ commands, metrics, logger: silent });
    const { injected, payload } = inject("crash");
    await router.handle(payload, api, 0);
    const callback = await injected.waitForCallback(2_000);
    expect(callback.body).toMatchObject({ type: 4, data: { flags: 64 } });
    const content = (callback.body as { data: { content: string } }).data.content;
    expect(content).toBe(`Something went wrong running \`/crash\`. It has been logged (reference \`${payload.id.slice(-6)}\`).`);
    expect(content).not.toContain("database exploded");
    expect(await metrics.registry.getSingleMetricAsString("rankbridge_interactions_total")).toContain('command="crash",outcome="error"} 1');
  });

  test("a typed refusal shows its own message, mentioning nobody whatever it quotes", async () => {
    const router = new InteractionRouter({ commands, metrics: createMetrics(), logger: silent });
    const { injected, payload } = inject("refuse");
    await router.handle(payload, api, 0);
    const body = (await injected.waitForCallback(2_000)).body as { data: { content: string; allowed_mentions: unknown } };
    expect(body.data.content).toContain("You need the Manage Roles permission");
    expect(body.data.allowed_mentions).toEqual({ parse: [] });
  });

  test("slow work is deferred inside Discord's 3-second window, then the deferred reply is edited", async () => {
    const router = new InteractionRouter({ commands, metrics: createMetrics(), logger: silent, autoDeferAfterMs: 200 });
    const { injected, payload } = inject("slow");
    await router.handle(payload, api, 0);
    expect(injected.callbacks.map((c) => c.body)).toEqual([{ type: 5, data: { flags: 64 } }]);
    expect((await injected.waitForMessage((m) => m.content === "slow work finished", 2_000)).content).toBe("slow work finished");
  });

  test("a button or form of a command without such a handler (left by an earlier version) says so, as a refusal", async () => {
    const metrics = createMetrics();
    const router = new InteractionRouter({ commands, metrics, logger: silent });
    for (const type of [InteractionType.MessageComponent, InteractionType.ModalSubmit]) {
      const injected = emulator.injectInteraction({ guildId, userId, type, customId: "refuse:old-button", componentType: ComponentType.Button, components: [] });
      await router.handle(injected.payload as APIInteraction, api, 0);
      expect((await injected.waitForCallback(2_000)).body).toEqual({
        type: 4,
        data: { content: "This button or form is no longer active. Run the command again.", flags: 64, allowed_mentions: { parse: [] } },
      });
    }
    expect(await metrics.registry.getSingleMetricAsString("rankbridge_interactions_total")).toContain('command="refuse",outcome="refused"} 2');
  });

  test("commands choose their visibility", async () => {
    const router = new InteractionRouter({ commands, metrics: createMetrics(), logger: silent });
    const { injected, payload } = inject("public");
    await router.handle(payload, api, 0);
    expect((await injected.waitForCallback(2_000)).body).toEqual({ type: 4, data: { content: "everyone sees this" } });
  });

  test("while draining for shutdown, new interactions are told to retry and in-flight ones finish", async () => {
    const router = new InteractionRouter({ commands, metrics: createMetrics(), logger: silent, autoDeferAfterMs: 5_000 });
    const slow = inject("slow");
    const running = router.handle(slow.payload, api, 0);
    const drained = router.drain();
    const late = inject("public");
    await router.handle(late.payload, api, 0);
    expect(JSON.stringify((await late.injected.waitForCallback(2_000)).body)).toContain("restarting");
    await drained;
    await running;
    expect(JSON.stringify(slow.injected.callbacks[0]?.body)).toContain("slow work finished");
  });

  test("at the end of the grace, commands still waiting are told to run again, and nothing their handlers send later arrives", async () => {
    const router = new InteractionRouter({ commands, metrics: createMetrics(), logger: silent, autoDeferAfterMs: 100 });
    const waiting = inject("stuck");
    const notYetDeferred = inject("stuck");
    const running = [router.handle(waiting.payload, api, 0)];
    await waiting.injected.waitForCallback(2_000);
    running.push(router.handle(notYetDeferred.payload, api, 0));
    router.stopAccepting();

    expect(await router.abandonWaiting(RESTARTING_MESSAGE)).toBe(2);
    release();
    await Promise.all(running);

    // Deferred ("thinking…"): the deferred reply is edited; not acknowledged yet: the first reply says it.
    expect(waiting.injected.messages.map((m) => m.content)).toEqual([RESTARTING_MESSAGE]);
    expect(notYetDeferred.injected.callbacks.map((c) => c.body)).toEqual([{ type: 4, data: { content: RESTARTING_MESSAGE, flags: 64 } }]);
    expect(notYetDeferred.injected.messages.map((m) => m.content)).toEqual([RESTARTING_MESSAGE]);
  });
});
