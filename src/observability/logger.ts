import pino, { type Logger } from "pino";
import { LogRedactor } from "./log-redaction.ts";

export type { Logger };

export interface LoggerOptions {
  level?: string;
  destination?: pino.DestinationStream;
  /** The process's own secret values (see `configSecrets`), removed from any text that shows them. */
  secrets?: Iterable<string | undefined>;
}

/**
 * pino with every log object, child binding and message passed through a `LogRedactor` (design §10:
 * no log line carries a secret at any depth). pino's `redact` paths are not used: they cover fixed
 * depths only.
 */
export function createLogger(options: LoggerOptions = {}): Logger {
  const redactor = new LogRedactor(options.secrets);
  const logger = pino(
    {
      level: options.level ?? "info",
      base: { service: "rankbridge" },
      formatters: {
        // Runs before pino's serializers, so errors are still Error instances here.
        log: (object) => redactor.redact(object) as Record<string, unknown>,
      },
      // Errors were shaped by the redactor already; pino's serializer would re-shape them as "Object".
      serializers: { err: (value: unknown) => value },
      hooks: {
        // The message and its format arguments are not part of the log object.
        logMethod(args, method) {
          const safe = args.map((arg) => (typeof arg === "string" ? redactor.text(arg) : arg)) as Parameters<typeof method>;
          method.apply(this, safe);
        },
      },
    },
    options.destination,
  );
  // Child bindings skip `formatters` (pino applies its bindings formatter to the root only); children
  // are created from their parent's prototype, so this covers children of children as well.
  const child = logger.child;
  logger.child = function (this: Logger, bindings, childOptions) {
    return child.call(this, redactor.redact(bindings) as pino.Bindings, childOptions);
  } as typeof logger.child;
  return logger;
}
