import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/config/env.ts";
import { loadProxyConfig } from "../../src/proxy/config.ts";

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadProxyConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.variable} ${p.message}`);
    throw error;
  }
  return [];
}

describe("discord-proxy configuration (design §8)", () => {
  test("defaults: Discord's API, port 8081 on HTTP_HOST 0.0.0.0, no token needed", () => {
    expect(loadProxyConfig({})).toEqual({ upstreamApiUrl: "https://discord.com/api", host: "0.0.0.0", port: 8081, shutdownGraceMs: 8000, logLevel: "info" });
    expect(loadProxyConfig({ DISCORD_API_URL: "http://127.0.0.1:9000/api/", DISCORD_PROXY_PORT: "9001", HTTP_HOST: "127.0.0.1", SHUTDOWN_GRACE: "2s" })).toMatchObject({
      upstreamApiUrl: "http://127.0.0.1:9000/api",
      host: "127.0.0.1",
      port: 9001,
      shutdownGraceMs: 2000,
    });
  });

  test("a proxy pointed at itself is refused instead of forwarding to itself forever", () => {
    expect(problemsOf({ DISCORD_API_URL: "http://127.0.0.1:8081/api" })).toEqual([
      "DISCORD_API_URL points at the proxy itself (127.0.0.1:8081); set it to Discord's API, and point the bots' DISCORD_API_URL at the proxy",
    ]);
    expect(problemsOf({ DISCORD_API_URL: "http://localhost:9000/api", DISCORD_PROXY_PORT: "9000" })).toHaveLength(1);
    expect(problemsOf({ DISCORD_API_URL: "http://127.0.0.1:9000/api", DISCORD_PROXY_PORT: "8081" })).toEqual([]);
  });

  test("every problem at once", () => {
    expect(problemsOf({ DISCORD_API_URL: "discord.com", DISCORD_PROXY_PORT: "http", SHUTDOWN_GRACE: "soon", LOG_LEVEL: "loud" }).map((p) => p.split(" ")[0])).toEqual([
      "DISCORD_API_URL",
      "DISCORD_PROXY_PORT",
      "SHUTDOWN_GRACE",
      "LOG_LEVEL",
    ]);
  });
});
