import { afterEach, expect, test } from "bun:test";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";

/** Started while Discord is unreachable: the process stays up, says why it is not ready, and connects once Discord is back. */
let bot: BotProcess | undefined;
let emulator: DiscordEmulator | undefined;
afterEach(async () => {
  bot?.cleanup();
  await emulator?.close();
});

function freePort(): number {
  const probe = Bun.serve({ port: 0, fetch: () => new Response() });
  const port = probe.port!;
  probe.stop(true);
  return port;
}

test("a dead network at start-up is waited out; the bot comes up when Discord does", async () => {
  const port = freePort();
  bot = BotProcess.start({ DISCORD_TOKEN: "emulator-token", DISCORD_API_URL: `http://127.0.0.1:${port}/api` });
  const url = await bot.httpUrl();
  const warning = await bot.waitForLog((l) => l.msg === "Discord unreachable while fetching /gateway/bot; retrying");
  expect(warning.level).toBe(40);
  expect((await fetch(`${url}/healthz`)).status).toBe(200);
  const notReady = await fetch(`${url}/readyz`);
  expect(notReady.status).toBe(503);
  expect(await notReady.json()).toMatchObject({ ready: false, shards: [] });

  emulator = await startDiscordEmulator({ port, token: "emulator-token", heartbeatIntervalMs: 500 });
  emulator.createGuild({ name: "Back online" });
  expect(await eventually(() => fetch(`${url}/readyz`).then((r) => r.status), (s) => s === 200, 20_000)).toBe(200);
  expect(bot.process.exitCode).toBeNull();
}, 40_000);
