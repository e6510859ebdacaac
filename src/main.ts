import { createRankbridge } from "./app.ts";
import { ConfigError, loadConfig, secretValues, type Config } from "./config/env.ts";
import { DiscordTokenRejectedError } from "./discord/startup-retry.ts";
import { AFTER_GRACE_BUDGET_MS } from "./lifecycle/shutdown.ts";
import { createLogger, type Logger } from "./observability/logger.ts";

/** Exit codes an operator (or a supervisor) can act on. */
export const ExitCode = { ok: 0, fatal: 1, config: 78 } as const;

/** Beyond the shutdown's own budget (grace plus its closing steps), the process exits regardless. */
const SHUTDOWN_MARGIN_MS = 300;

/** The process around the bot (src/app.ts): signals, a fatal gateway close and exit codes. */
async function run(config: Config, logger: Logger): Promise<void> {
  let shuttingDown = false;
  const shutdown = async (reason: string, exitCode: number) => {
    if (shuttingDown) return;
    shuttingDown = true;
    // Work that could not stop in time is resumable (runs and pending writes are in the database),
    // so a signal still ends with the signal's exit code.
    const forced = setTimeout(() => {
      logger.error("shutdown took too long; exiting");
      logger.flush();
      process.exit(exitCode);
    }, config.shutdownGraceMs + AFTER_GRACE_BUDGET_MS + SHUTDOWN_MARGIN_MS);
    forced.unref();
    await bot.stop(reason);
    logger.info({ exitCode }, "stopped");
    logger.flush();
    process.exit(exitCode);
  };

  const bot = createRankbridge(config, logger, { onFatal: (message) => void shutdown(message, ExitCode.fatal) });
  process.once("SIGTERM", () => void shutdown("SIGTERM", ExitCode.ok));
  process.once("SIGINT", () => void shutdown("SIGINT", ExitCode.ok));
  await bot.start();
}

function printConfigProblems(error: ConfigError): void {
  process.stderr.write("rankbridge: the configuration is invalid:\n");
  for (const problem of error.problems) process.stderr.write(`  ${problem.variable} ${problem.message}\n`);
}

if (import.meta.main) {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    printConfigProblems(error);
    process.exit(ExitCode.config);
  }
  const logger = createLogger({ level: config.logLevel, secrets: secretValues(process.env) });
  // An unexpected error in one handler must not take the whole bot (every guild) down.
  process.on("unhandledRejection", (reason) => logger.error({ err: reason }, "unhandled promise rejection"));
  process.on("uncaughtException", (error) => logger.error({ err: error }, "uncaught exception"));

  run(config, logger).catch((error) => {
    if (error instanceof ConfigError) {
      printConfigProblems(error);
      process.exit(ExitCode.config);
    }
    if (error instanceof DiscordTokenRejectedError) logger.fatal(error.message);
    else logger.fatal({ err: error }, "rankbridge could not start");
    logger.flush();
    process.exit(ExitCode.fatal);
  });
}
