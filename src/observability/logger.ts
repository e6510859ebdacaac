import pino, { type Logger } from "pino";

export type { Logger };

/** Paths pino blanks out wherever they appear in a log object: secrets never reach the logs. */
export const redactedPaths = [
  "token",
  "*.token",
  "apiKey",
  "*.apiKey",
  "cookie",
  "*.cookie",
  "authorization",
  "*.authorization",
  "headers.authorization",
  "headers.cookie",
  'headers["x-api-key"]',
  "config.discordToken",
  "config.robloxApiKey",
  "config.robloxCookie",
  "config.encryptionKey",
  "config.robloxOAuthClientSecret",
];

export function createLogger(options: { level?: string; destination?: pino.DestinationStream } = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "rankbridge" },
      redact: { paths: redactedPaths, censor: "[redacted]" },
    },
    options.destination,
  );
}
