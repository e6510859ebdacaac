import { z } from "zod";
import { ConfigError, type ConfigProblem } from "../config/env.ts";
import { parseDuration } from "../lib/duration.ts";

/**
 * The environment of `bun run discord-proxy` (design §8): the proxy needs no bot token (it forwards
 * each caller's Authorization header), only where Discord is and where to listen.
 */

const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

function httpUrl(value: string): URL | undefined {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:" ? url : undefined;
  } catch {
    return undefined;
  }
}

function durationOk(value: string): boolean {
  try {
    parseDuration(value);
    return true;
  } catch {
    return false;
  }
}

const proxySchema = z
  .object({
    DISCORD_API_URL: optionalString
      .default("https://discord.com/api")
      .refine((v) => httpUrl(v!) !== undefined, "must be an http(s) URL, e.g. https://discord.com/api"),
    DISCORD_PROXY_PORT: optionalString
      .default("8081")
      .refine((v) => /^\d+$/.test(v!) && Number(v) <= 65_535, "must be a TCP port (0-65535)"),
    HTTP_HOST: optionalString.default("0.0.0.0"),
    SHUTDOWN_GRACE: optionalString.default("8s").refine((v) => durationOk(v!), "must be a duration such as 8s or 1m"),
    LOG_LEVEL: optionalString.default("info").refine((v) => (LOG_LEVELS as readonly string[]).includes(v!), `must be one of ${LOG_LEVELS.join(", ")}`),
  })
  .superRefine((env, ctx) => {
    // A proxy whose upstream is itself would forward every request to itself until sockets run out.
    const upstream = httpUrl(env.DISCORD_API_URL!);
    if (!upstream) return;
    const port = upstream.port || (upstream.protocol === "https:" ? "443" : "80");
    const loopback = ["localhost", "127.0.0.1", "[::1]", "0.0.0.0", env.HTTP_HOST].includes(upstream.hostname);
    if (loopback && port === env.DISCORD_PROXY_PORT) {
      ctx.addIssue({
        code: "custom",
        path: ["DISCORD_API_URL"],
        message: `points at the proxy itself (${upstream.host}); set it to Discord's API, and point the bots' DISCORD_API_URL at the proxy`,
      });
    }
  })
  .transform((e) => ({
    /** Discord's REST base without version, e.g. https://discord.com/api. */
    upstreamApiUrl: e.DISCORD_API_URL!.replace(/\/+$/, ""),
    host: e.HTTP_HOST!,
    port: Number(e.DISCORD_PROXY_PORT),
    /** On SIGTERM, how long requests in flight may take before their connections are closed. */
    shutdownGraceMs: parseDuration(e.SHUTDOWN_GRACE!),
    logLevel: e.LOG_LEVEL as (typeof LOG_LEVELS)[number],
  }));

export type ProxyConfig = z.output<typeof proxySchema>;

/** Parses the proxy's environment; throws a `ConfigError` listing every problem at once. */
export function loadProxyConfig(env: Record<string, string | undefined>): ProxyConfig {
  const parsed = proxySchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const problems: ConfigProblem[] = parsed.error.issues.map((issue) => ({
    variable: String(issue.path[0] ?? "environment"),
    message: issue.message,
  }));
  throw new ConfigError(problems);
}
