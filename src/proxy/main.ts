/**
 * `bun run discord-proxy`: @discordjs/proxy in front of DISCORD_API_URL, listening on
 * DISCORD_PROXY_PORT (default 8081) on HTTP_HOST, so several bot processes share one view of
 * Discord's per-token limits (design §8). Exit codes as the bot's: 78 for a bad configuration, 1
 * when it cannot listen, 0 after SIGTERM/SIGINT.
 */
import { ConfigError } from "../config/env.ts";
import { createLogger } from "../observability/logger.ts";
import { loadProxyConfig, type ProxyConfig } from "./config.ts";
import { startDiscordProxy } from "./server.ts";

const ExitCode = { ok: 0, fatal: 1, config: 78 } as const;

async function run(config: ProxyConfig): Promise<void> {
  // The proxy holds no token of its own, but one left in its environment is still kept out of logs.
  const logger = createLogger({ level: config.logLevel, secrets: [process.env.DISCORD_TOKEN] }).child({ component: "discord-proxy" });
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection"));

  let proxy: Awaited<ReturnType<typeof startDiscordProxy>>;
  try {
    proxy = await startDiscordProxy({ upstreamApiUrl: config.upstreamApiUrl, host: config.host, port: config.port, logger });
  } catch (error) {
    logger.fatal({ err: error, host: config.host, port: config.port }, "discord proxy could not listen");
    logger.flush();
    process.exit(ExitCode.fatal);
  }
  logger.info({ url: proxy.apiUrl, upstream: config.upstreamApiUrl }, "discord proxy listening");

  const stop = async (signal: string) => {
    logger.info({ signal, graceMs: config.shutdownGraceMs }, "discord proxy stopping");
    await proxy.close(config.shutdownGraceMs);
    logger.info("discord proxy stopped");
    logger.flush();
    process.exit(ExitCode.ok);
  };
  process.once("SIGTERM", () => void stop("SIGTERM"));
  process.once("SIGINT", () => void stop("SIGINT"));
}

if (import.meta.main) {
  let config: ProxyConfig;
  try {
    config = loadProxyConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write("discord-proxy: the configuration is invalid:\n");
    for (const problem of error.problems) process.stderr.write(`  ${problem.variable} ${problem.message}\n`);
    process.exit(ExitCode.config);
  }
  await run(config);
}
