import { describe, expect, test } from "bun:test";
import { ConfigError, loadConfig, parseShardIds, secretValues } from "../../src/config/env.ts";

const valid = { DISCORD_TOKEN: "token" };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable} ${p.message}`);
    throw error;
  }
  return [];
}

describe("configuration", () => {
  test("defaults follow design.md §2", () => {
    const config = loadConfig(valid);
    expect(config).toMatchObject({
      discordApiUrl: "https://discord.com/api",
      shardingStrategy: "simple",
      robloxApiUrl: "https://{service}.roblox.com",
      databasePath: "./data/rankbridge.sqlite",
      httpHost: "0.0.0.0",
      httpPort: 8080,
      syncIntervalMs: 6 * 3_600_000,
      logLevel: "info",
    });
    expect(config.shardIds).toBeUndefined();
  });

  test("HOME_GUILD_IDS: guild ids, defaulting to DISCORD_DEV_GUILD_ID, else none (design §10)", () => {
    expect([...loadConfig(valid).homeGuildIds]).toEqual([]);
    expect([...loadConfig({ ...valid, DISCORD_DEV_GUILD_ID: "123456789012345678" }).homeGuildIds]).toEqual(["123456789012345678"]);
    const listed = loadConfig({ ...valid, DISCORD_DEV_GUILD_ID: "123456789012345678", HOME_GUILD_IDS: "223456789012345678, 323456789012345678" });
    expect([...listed.homeGuildIds]).toEqual(["223456789012345678", "323456789012345678"]);
    expect(problemsOf({ ...valid, HOME_GUILD_IDS: "12345, abc" })).toEqual(["HOME_GUILD_IDS must be guild ids (17-20 digits) separated by commas"]);
  });

  test("ROBLOX_CHANGE_FEED_INTERVAL: 15s by default, a duration of at least 1s, or off (design §3.2)", () => {
    expect(loadConfig(valid).changeFeedIntervalMs).toBe(15_000);
    expect(loadConfig({ ...valid, ROBLOX_CHANGE_FEED_INTERVAL: "2s" }).changeFeedIntervalMs).toBe(2_000);
    expect(loadConfig({ ...valid, ROBLOX_CHANGE_FEED_INTERVAL: " OFF " }).changeFeedIntervalMs).toBeNull();
    for (const bad of ["often", "0s", "15"]) {
      expect(problemsOf({ ...valid, ROBLOX_CHANGE_FEED_INTERVAL: bad })).toEqual([
        "ROBLOX_CHANGE_FEED_INTERVAL must be a duration of at least 1s such as 2s, 15s or 1m, or `off`",
      ]);
    }
  });

  test("shard ids accept ranges and lists", () => {
    expect(parseShardIds("0-3")).toEqual([0, 1, 2, 3]);
    expect(parseShardIds("0,2,4")).toEqual([0, 2, 4]);
    expect(parseShardIds("4-1")).toBeUndefined();
    expect(parseShardIds("a")).toBeUndefined();
    expect(loadConfig({ ...valid, SHARD_COUNT: "6", SHARD_IDS: "0-1,4" }).shardIds).toEqual([0, 1, 4]);
  });

  test("every problem is reported at once, one line per variable", () => {
    const problems = problemsOf({
      ROBLOX_API_URL: "not a url",
      SHARD_COUNT: "2",
      SHARD_IDS: "0-3",
      ENCRYPTION_KEY: "short",
      SYNC_INTERVAL: "often",
      HTTP_PORT: "99999",
      LOG_LEVEL: "loud",
    });
    const variables = problems.map((p) => p.split(" ")[0]);
    expect(variables).toEqual(
      expect.arrayContaining(["DISCORD_TOKEN", "ROBLOX_API_URL", "SHARD_IDS", "ENCRYPTION_KEY", "SYNC_INTERVAL", "HTTP_PORT", "LOG_LEVEL"]),
    );
    expect(problems.every((p) => !p.includes("\n"))).toBe(true);
  });

  test("encryption key: 64 hex characters or base64 of 32 bytes", () => {
    const hex = "ab".repeat(32);
    expect(loadConfig({ ...valid, ENCRYPTION_KEY: hex }).encryptionKey?.length).toBe(32);
    const b64 = Buffer.alloc(32, 7).toString("base64");
    expect(loadConfig({ ...valid, ENCRYPTION_KEY: b64 }).encryptionKey?.length).toBe(32);
    expect(problemsOf({ ...valid, ENCRYPTION_KEY: Buffer.alloc(16).toString("base64") })[0]).toStartWith("ENCRYPTION_KEY");
  });

  test("OAuth needs its three variables together", () => {
    expect(problemsOf({ ...valid, ROBLOX_OAUTH_CLIENT_ID: "id" })[0]).toStartWith("ROBLOX_OAUTH_CLIENT_SECRET");
    expect(problemsOf({ ...valid, ROBLOX_OAUTH_CLIENT_ID: "id", ROBLOX_OAUTH_CLIENT_SECRET: "s" })[0]).toStartWith("PUBLIC_URL");
    const config = loadConfig({
      ...valid,
      ROBLOX_OAUTH_CLIENT_ID: "id",
      ROBLOX_OAUTH_CLIENT_SECRET: "s",
      PUBLIC_URL: "https://bot.example.com",
    });
    expect(config.robloxOAuth?.publicUrl).toBe("https://bot.example.com");
  });

  test("the dashboard (design §9): on with DISCORD_CLIENT_SECRET and PUBLIC_URL; each problem said clearly", () => {
    expect(loadConfig(valid).dashboard).toBeUndefined();
    // PUBLIC_URL alone is neither the dashboard nor Sign in with Roblox, and not an error.
    expect(loadConfig({ ...valid, PUBLIC_URL: "https://bot.example.com" }).dashboard).toBeUndefined();
    expect(loadConfig({ ...valid, DISCORD_CLIENT_SECRET: "s", PUBLIC_URL: "https://bot.example.com/" }).dashboard).toEqual({
      clientId: undefined,
      clientSecret: "s",
      webUrl: "https://discord.com",
      publicUrl: "https://bot.example.com",
    });
    const custom = loadConfig({ ...valid, DISCORD_CLIENT_SECRET: "s", DISCORD_CLIENT_ID: "123456789012345678", DISCORD_WEB_URL: "http://127.0.0.1:9/", PUBLIC_URL: "http://127.0.0.1:8080" });
    expect(custom.dashboard).toMatchObject({ clientId: "123456789012345678", webUrl: "http://127.0.0.1:9" });

    expect(problemsOf({ ...valid, DISCORD_CLIENT_SECRET: "s" })).toEqual([
      "PUBLIC_URL is required with DISCORD_CLIENT_SECRET: the dashboard's sign-in callback is served under it ({PUBLIC_URL}/auth/discord/callback)",
    ]);
    expect(problemsOf({ ...valid, DISCORD_CLIENT_ID: "123456789012345678", PUBLIC_URL: "https://b.example" })[0]).toStartWith("DISCORD_CLIENT_SECRET is required");
    expect(problemsOf({ ...valid, DISCORD_CLIENT_ID: "my-app", DISCORD_CLIENT_SECRET: "s", PUBLIC_URL: "https://b.example" })[0]).toStartWith("DISCORD_CLIENT_ID must be an application id");
    expect(problemsOf({ ...valid, DISCORD_WEB_URL: "discord.com" })[0]).toStartWith("DISCORD_WEB_URL must be an http(s) URL");
    // The client secret is one of the values the logger removes.
    expect(secretValues({ DISCORD_CLIENT_SECRET: "dashboard-secret" })).toContain("dashboard-secret");
  });

  test("the error message never contains a secret's value", () => {
    try {
      loadConfig({ DISCORD_TOKEN: "super-secret-token", ENCRYPTION_KEY: "leaky-secret", ROBLOX_API_URL: "x" });
      throw new Error("expected a ConfigError");
    } catch (error) {
      expect(String((error as Error).message)).not.toContain("leaky-secret");
      expect(String((error as Error).message)).not.toContain("super-secret-token");
    }
  });

  test("DATABASE_URL (design §8): unset keeps SQLite; postgres:// or postgresql:// with a host and a database", () => {
    expect(loadConfig(valid).databaseUrl).toBeUndefined();
    expect(loadConfig({ ...valid, DATABASE_URL: "  " }).databaseUrl).toBeUndefined();
    expect(loadConfig({ ...valid, DATABASE_URL: "postgres://rankbridge@db.example:5432/rankbridge" }).databaseUrl).toBe("postgres://rankbridge@db.example:5432/rankbridge");
    expect(loadConfig({ ...valid, DATABASE_URL: "postgresql://u:p@10.0.0.5/bot?sslmode=require" }).databaseUrl).toBe("postgresql://u:p@10.0.0.5/bot?sslmode=require");
    expect(loadConfig({ ...valid, DATABASE_URL: "postgres:///bot?host=/run/postgresql" }).databaseUrl).toBe("postgres:///bot?host=/run/postgresql");

    expect(problemsOf({ ...valid, DATABASE_URL: "db.example:5432" })).toEqual([
      "DATABASE_URL must start with postgres:// or postgresql:// (it starts with db.example://); unset it to keep SQLite at DATABASE_PATH",
    ]);
    expect(problemsOf({ ...valid, DATABASE_URL: "not a url" })).toEqual(["DATABASE_URL must be a URL such as postgres://rankbridge@db.example:5432/rankbridge"]);
    expect(problemsOf({ ...valid, DATABASE_URL: "sqlite:///data/bot.sqlite" })[0]).toStartWith("DATABASE_URL must start with postgres:// or postgresql://");
    expect(problemsOf({ ...valid, DATABASE_URL: "postgres://db.example:5432" })).toEqual([
      "DATABASE_URL must name the database after the host, e.g. postgres://rankbridge@db.example:5432/rankbridge",
    ]);
    expect(problemsOf({ ...valid, DATABASE_URL: "postgres:///bot" })).toEqual(["DATABASE_URL must name the server, e.g. postgres://rankbridge@db.example:5432/rankbridge"]);
  });

  test("the password in DATABASE_URL is a secret the logger removes, written or decoded", () => {
    expect(secretValues({ DATABASE_URL: "postgres://bot:s3cret%2Fpass@db.example/rankbridge" })).toEqual(["s3cret%2Fpass", "s3cret/pass"]);
    expect(secretValues({ DATABASE_URL: "postgres://bot@db.example/rankbridge" })).toEqual([]);
  });
});

describe("what processes share (REDIS_URL, REDIS_PREFIX)", () => {
  test("unset: nothing is shared, and the prefix has its default", () => {
    const config = loadConfig(valid);
    expect(config.redisUrl).toBeUndefined();
    expect(config.redisPrefix).toBe("rankbridge:");
  });

  test("redis:// and rediss:// URLs are taken, with a prefix of the operator's", () => {
    expect(loadConfig({ ...valid, REDIS_URL: "redis://127.0.0.1:6379/2" }).redisUrl).toBe("redis://127.0.0.1:6379/2");
    const config = loadConfig({ ...valid, REDIS_URL: "rediss://user:pw@cache.internal:6380", REDIS_PREFIX: "bot-a:" });
    expect(config.redisUrl).toBe("rediss://user:pw@cache.internal:6380");
    expect(config.redisPrefix).toBe("bot-a:");
  });

  test.each([["http://127.0.0.1:6379"], ["127.0.0.1:6379"], ["redis://"]])("REDIS_URL %p is refused with the form it needs", (url) => {
    expect(problemsOf({ ...valid, REDIS_URL: url })).toContain("REDIS_URL must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0");
  });

  test("a REDIS_PREFIX with spaces is refused", () => {
    expect(problemsOf({ ...valid, REDIS_PREFIX: "my bot:" })).toContain("REDIS_PREFIX must be 1-64 printable characters without spaces, e.g. rankbridge:");
  });

  test("the password in REDIS_URL is a secret the logs redact; the rest of the URL is not", () => {
    expect(secretValues({ REDIS_URL: "redis://:s3cr%40t@cache:6379" })).toContain("s3cr@t");
    expect(secretValues({ REDIS_URL: "redis://cache:6379" })).toEqual([]);
  });
});
