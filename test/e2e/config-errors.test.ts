import { afterEach, describe, expect, test } from "bun:test";
import { BotProcess } from "../support/bot-process.ts";

/** The real process, started as `bun start`, refuses a bad environment with one line per problem. */
describe("bun start with a bad environment", () => {
  let bot: BotProcess | undefined;
  afterEach(() => bot?.cleanup());

  async function startAndFail(env: Record<string, string>) {
    bot = BotProcess.start(env);
    const exitCode = await bot.exited;
    await Bun.sleep(20);
    const lines = bot.stderr.trim().split("\n");
    return { exitCode, lines };
  }

  test("a missing DISCORD_TOKEN", async () => {
    const { exitCode, lines } = await startAndFail({});
    expect(exitCode).not.toBe(0);
    expect(lines).toContain("  DISCORD_TOKEN is required: the bot token from the Discord developer portal");
  });

  test("a malformed ROBLOX_API_URL", async () => {
    const { exitCode, lines } = await startAndFail({ DISCORD_TOKEN: "t", ROBLOX_API_URL: "ftp//nowhere" });
    expect(exitCode).not.toBe(0);
    expect(lines.filter((l) => l.includes("ROBLOX_API_URL"))).toEqual([
      "  ROBLOX_API_URL must contain `{service}`, e.g. https://{service}.roblox.com",
    ]);
  });

  test("SHARD_IDS outside SHARD_COUNT", async () => {
    const { exitCode, lines } = await startAndFail({ DISCORD_TOKEN: "t", SHARD_COUNT: "2", SHARD_IDS: "0-3" });
    expect(exitCode).not.toBe(0);
    expect(lines.filter((l) => l.includes("SHARD_IDS"))).toEqual(["  SHARD_IDS shard ids must be below SHARD_COUNT (2); got 0-3"]);
  });

  test("DATABASE_URL: not a PostgreSQL URL, and never echoed (it may hold a password)", async () => {
    const { exitCode, lines } = await startAndFail({ DISCORD_TOKEN: "t", DATABASE_URL: "mysql://rankbridge:hunter22@db.example/rankbridge" });
    expect(exitCode).toBe(78);
    expect(lines.filter((l) => l.includes("DATABASE_URL"))).toEqual([
      "  DATABASE_URL must start with postgres:// or postgresql:// (it starts with mysql://); unset it to keep SQLite at DATABASE_PATH",
    ]);
    expect(bot!.stderr).not.toContain("hunter22");
  });

  test("DATABASE_URL: a PostgreSQL server that cannot be reached ends the start with where it was (no password), not a hang", async () => {
    const { exitCode } = await startAndFail({ DISCORD_TOKEN: "t", DATABASE_URL: "postgres://rankbridge:hunter22@127.0.0.1:1/rankbridge" });
    expect(exitCode).toBe(1);
    const output = JSON.stringify(bot!.logs) + bot!.stderr;
    expect(output).toContain("cannot connect to the PostgreSQL database at postgres://rankbridge:***@127.0.0.1:1/rankbridge");
    expect(output).not.toContain("hunter22");
  });
});
