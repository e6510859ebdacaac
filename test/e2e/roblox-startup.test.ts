import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { startDiscordEmulator, type DiscordEmulator } from "../emulators/discord/index.ts";
import { startRobloxEmulator, type RobloxEmulator } from "../emulators/roblox/index.ts";
import { BotProcess, eventually } from "../support/bot-process.ts";
import { seedCommunity, type Community } from "../support/community.ts";

/** The real process verifies its Roblox credentials at start: logged, on /readyz and on /metrics. */
describe("start-up verification of the Roblox credentials", () => {
  let discord: DiscordEmulator;
  let roblox: RobloxEmulator;
  let community: Community;
  let bot: BotProcess | undefined;

  beforeAll(async () => {
    discord = await startDiscordEmulator({ heartbeatIntervalMs: 500 });
    roblox = await startRobloxEmulator();
    community = seedCommunity(discord, roblox, { players: 0 });
    roblox.addApiKey("read-only-key", { ownerUserId: community.groupId * 10 + 1, scopes: ["group:read"] });
  });
  afterAll(async () => {
    await discord.close();
    await roblox.close();
  });
  afterEach(() => {
    bot?.cleanup();
    discord.resetRateLimits(); // the next process may identify at once
  });

  async function startWith(env: Record<string, string>) {
    bot = BotProcess.start({
      DISCORD_TOKEN: discord.token,
      DISCORD_API_URL: discord.restBase,
      ROBLOX_API_URL: roblox.urlTemplate,
      ...env,
    });
    const url = await bot.httpUrl();
    const readiness = await eventually(
      () => fetch(`${url}/readyz`).then(async (r) => ({ status: r.status, body: (await r.json()) as { roblox: Record<string, unknown> } })),
      (r) => r.status === 200 && !("pending" in r.body.roblox),
      20_000,
    );
    const metrics = await (await fetch(`${url}/metrics`)).text();
    return { readiness, metrics };
  }

  test("a good key: the group's name, its roles, the auth in use and write access are logged", async () => {
    const { readiness, metrics } = await startWith({ ROBLOX_API_KEY: community.apiKey, ROBLOX_GROUP_ID: String(community.groupId) });
    const line = await bot!.waitForLog("Roblox credentials verified");
    expect(line).toMatchObject({ auth: "api-key", groupName: community.groupName, roleCount: 15, canWrite: true });
    expect(readiness.body.roblox).toMatchObject({ ok: true, canWrite: true, problems: [] });
    expect(metrics).toContain('rankbridge_roblox_credentials_ok{check="write"} 1');
  }, 30_000);

  test("a wrong key: a warning names ROBLOX_API_KEY, the bot keeps running and /readyz shows it", async () => {
    const { readiness, metrics } = await startWith({ ROBLOX_API_KEY: "not-a-key", ROBLOX_GROUP_ID: String(community.groupId) });
    const warning = await bot!.waitForLog((l) => l.level === 40 && l.variable === "ROBLOX_API_KEY");
    expect(warning.msg).toStartWith("Roblox check failed: ROBLOX_API_KEY");
    expect(readiness.status).toBe(200);
    expect(readiness.body.roblox).toMatchObject({ ok: false, canWrite: false });
    expect(metrics).toContain('rankbridge_roblox_credentials_ok{check="read"} 0');
  }, 30_000);

  test("a key without group:write: reads work, the warning says writes will fail", async () => {
    const { readiness } = await startWith({ ROBLOX_API_KEY: "read-only-key", ROBLOX_GROUP_ID: String(community.groupId) });
    expect(readiness.body.roblox).toMatchObject({ ok: false, groupName: community.groupName, canWrite: false });
    const warning = await bot!.waitForLog((l) => l.level === 40 && l.variable === "ROBLOX_API_KEY");
    expect(warning.msg).toContain("group:write");
  }, 30_000);

  test("a wrong group id: the warning names ROBLOX_GROUP_ID", async () => {
    await startWith({ ROBLOX_API_KEY: community.apiKey, ROBLOX_GROUP_ID: "999999999" });
    const warning = await bot!.waitForLog((l) => l.level === 40 && l.variable === "ROBLOX_GROUP_ID");
    expect(warning.msg).toStartWith("Roblox check failed: ROBLOX_GROUP_ID");
  }, 30_000);
});
