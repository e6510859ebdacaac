/**
 * The REST client as production builds it (createDiscordRest with no emulator option) against the
 * emulator's real, unscaled member-edit bucket (10 a second per guild, exact `X-RateLimit-Reset-After`):
 * the small reset margin that replaced discord.js's 50 ms still waits out every window, so Discord
 * never answers 429. Whether it reaches the floor is measured in bench/large-guild.ts, not here.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { API } from "@discordjs/core";
import type { REST } from "@discordjs/rest";
import { createDiscordRest, RATE_LIMIT_RESET_MARGIN_MS } from "../../src/discord/rest.ts";
import { createLogger } from "../../src/observability/logger.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";

let emulator: DiscordEmulator;
let rest: REST;
const waits: number[] = [];

beforeAll(async () => {
  emulator = await startDiscordEmulator({ heartbeatIntervalMs: 5_000 });
  rest = createDiscordRest({ apiUrl: emulator.restBase, token: emulator.token, metrics: createMetrics(), logger: createLogger({ level: "silent" }) });
  rest.on("rateLimited", (info) => waits.push(info.timeToReset));
});

afterAll(async () => {
  await emulator?.close();
});

test("the production margin is small and is what the client is built with", () => {
  expect(RATE_LIMIT_RESET_MARGIN_MS).toBeGreaterThan(0);
  expect(RATE_LIMIT_RESET_MARGIN_MS).toBeLessThan(50);
  expect(rest.options.offset).toBe(RATE_LIMIT_RESET_MARGIN_MS);
});

test("35 member edits in one guild span four windows: the client waits out each one and draws no 429", async () => {
  const guild = emulator.createGuild({ name: "Margin" });
  const memberIds = emulator.addMembers(guild.id, 35);
  // A role below the bot's own, which it may give (Manage Roles).
  const role = emulator.createRole(guild.id, { name: "Member" });
  const api = new API(rest);
  emulator.resetCounters();
  await Promise.all(memberIds.map((userId) => api.guilds.editMember(guild.id, userId, { roles: [role.id] })));

  const patches = emulator.requests.filter((r) => r.method === "PATCH");
  expect(patches).toHaveLength(35);
  expect(patches.filter((r) => r.status === 429)).toHaveLength(0);
  // The bucket was exhausted three times, and each time the client waited for the reset.
  expect(waits.length).toBeGreaterThanOrEqual(3);
  expect(waits.every((ms) => ms > 0)).toBe(true);
  expect(memberIds.every((userId) => emulator.memberRoleIds(guild.id, userId)?.includes(role.id))).toBe(true);
}, 20_000);
