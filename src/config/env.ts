import { z } from "zod";
import { parseDuration } from "../lib/duration.ts";

/**
 * The environment of design.md §2, parsed once at start. Every problem is collected so an operator
 * fixes them all in one go instead of one restart per typo.
 *
 * Over 300 lines on purpose: it is the one schema of every setting the contract names, so the whole
 * environment is read, checked and typed (`Config` is its output) in one place.
 */

const SNOWFLAKE = /^\d{17,20}$/;
const LOG_LEVELS = ["fatal", "error", "warn", "info", "debug", "trace", "silent"] as const;
const SHARDING_STRATEGIES = ["simple", "workers"] as const;
const ROBLOX_SERVICES = ["apis", "users", "groups", "thumbnails", "auth"] as const;
/** Below a second the feed would only queue on the audit log's 100-a-minute limit. */
const MIN_CHANGE_FEED_INTERVAL_MS = 1_000;

function isOneOf(values: readonly string[], value: string | undefined): boolean {
  return value !== undefined && values.includes(value);
}

const optionalString = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === "" ? undefined : value.trim()));

const integerString = (what: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .regex(/^\d+$/, `must be a whole number (${what})`)
    .transform(Number)
    .refine((n) => n >= min && n <= max, `must be between ${min} and ${max} (${what})`);

function redisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === "redis:" || url.protocol === "rediss:") && url.hostname !== "";
  } catch {
    return false;
  }
}

function httpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === "http:" || url.protocol === "https:";
  } catch {
    return false;
  }
}

/**
 * What is wrong with a DATABASE_URL, or undefined when it is a usable PostgreSQL URL. Never quotes
 * the URL: it may carry a password.
 */
export function postgresUrlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return "must be a URL such as postgres://rankbridge@db.example:5432/rankbridge";
  }
  if (url.protocol !== "postgres:" && url.protocol !== "postgresql:") {
    return `must start with postgres:// or postgresql:// (it starts with ${url.protocol}//); unset it to keep SQLite at DATABASE_PATH`;
  }
  // A Unix socket is given as ?host=/run/postgresql with no host in the authority.
  if (!url.hostname && !url.searchParams.get("host")) return "must name the server, e.g. postgres://rankbridge@db.example:5432/rankbridge";
  if (url.pathname.replace(/^\//, "") === "") return "must name the database after the host, e.g. postgres://rankbridge@db.example:5432/rankbridge";
  return undefined;
}

/** The password in a DATABASE_URL, as written and decoded, so the logger can remove it. */
function urlPasswords(value: string | undefined): string[] {
  if (!value) return [];
  try {
    const password = new URL(value.trim()).password;
    return password ? [...new Set([password, decodeURIComponent(password)])] : [];
  } catch {
    return [];
  }
}

/** `0-3`, `0,2,4` or a mix (`0-1,4`) → sorted unique shard ids. */
export function parseShardIds(value: string): number[] | undefined {
  const ids = new Set<number>();
  for (const part of value.split(",").map((p) => p.trim())) {
    const range = /^(\d+)\s*-\s*(\d+)$/.exec(part);
    if (range) {
      const start = Number(range[1]);
      const end = Number(range[2]);
      if (end < start) return undefined;
      for (let id = start; id <= end; id++) ids.add(id);
    } else if (/^\d+$/.test(part)) {
      ids.add(Number(part));
    } else {
      return undefined;
    }
  }
  return ids.size > 0 ? [...ids].sort((a, b) => a - b) : undefined;
}

/** `id,id` → the ids, or undefined when any entry is not a guild id. */
export function parseGuildIds(value: string): string[] | undefined {
  const ids = value.split(",").map((part) => part.trim()).filter(Boolean);
  return ids.length > 0 && ids.every((id) => SNOWFLAKE.test(id)) ? [...new Set(ids)] : undefined;
}

/** 32 bytes given as 64 hex characters or as base64. */
export function parseEncryptionKey(value: string): Uint8Array | undefined {
  if (/^[0-9a-fA-F]{64}$/.test(value)) return Uint8Array.from(Buffer.from(value, "hex"));
  if (/^[A-Za-z0-9+/_-]+={0,2}$/.test(value)) {
    const bytes = Buffer.from(value, "base64");
    if (bytes.length === 32) return Uint8Array.from(bytes);
  }
  return undefined;
}

const environmentSchema = z
  .object({
    DISCORD_TOKEN: optionalString,
    DISCORD_API_URL: optionalString
      .default("https://discord.com/api")
      .refine((v) => v === undefined || httpUrl(v), "must be an http(s) URL, e.g. https://discord.com/api"),
    DISCORD_DEV_GUILD_ID: optionalString.refine(
      (v) => v === undefined || SNOWFLAKE.test(v),
      "must be a guild id (17-20 digits)",
    ),
    HOME_GUILD_IDS: optionalString,
    SHARD_COUNT: optionalString.pipe(integerString("total shards", 1, 100_000).optional()),
    SHARD_IDS: optionalString,
    // refine, not z.enum: a failed enum aborts the object and hides the cross-field problems below.
    SHARDING_STRATEGY: optionalString.default("simple").refine((v) => isOneOf(SHARDING_STRATEGIES, v), "must be `simple` or `workers`"),
    ROBLOX_GROUP_ID: optionalString.pipe(integerString("a Roblox group id", 1, Number.MAX_SAFE_INTEGER).optional()),
    ROBLOX_API_KEY: optionalString,
    ROBLOX_COOKIE: optionalString,
    ROBLOX_API_URL: optionalString.default("https://{service}.roblox.com"),
    DISCORD_CLIENT_ID: optionalString.refine((v) => v === undefined || SNOWFLAKE.test(v), "must be an application id (17-20 digits), from the developer portal's OAuth2 page"),
    DISCORD_CLIENT_SECRET: optionalString,
    DISCORD_WEB_URL: optionalString
      .default("https://discord.com")
      .refine((v) => v === undefined || httpUrl(v), "must be an http(s) URL, e.g. https://discord.com"),
    ROBLOX_OAUTH_CLIENT_ID: optionalString,
    ROBLOX_OAUTH_CLIENT_SECRET: optionalString,
    PUBLIC_URL: optionalString.refine((v) => v === undefined || httpUrl(v), "must be an http(s) URL"),
    DATABASE_PATH: optionalString.default("./data/rankbridge.sqlite"),
    DATABASE_URL: optionalString,
    ENCRYPTION_KEY: optionalString,
    REDIS_URL: optionalString.refine(
      (v) => v === undefined || redisUrl(v),
      "must be a redis:// or rediss:// URL, e.g. redis://127.0.0.1:6379/0",
    ),
    REDIS_PREFIX: optionalString
      .default("rankbridge:")
      .refine((v) => v !== undefined && /^[\x21-\x7e]{1,64}$/.test(v), "must be 1-64 printable characters without spaces, e.g. rankbridge:"),
    HTTP_HOST: optionalString.default("0.0.0.0"),
    HTTP_PORT: optionalString.default("8080").pipe(integerString("a TCP port", 0, 65_535)),
    SYNC_INTERVAL: optionalString.default("6h"),
    ROBLOX_CHANGE_FEED_INTERVAL: optionalString.default("15s"),
    SHUTDOWN_GRACE: optionalString.default("8s"),
    LOG_LEVEL: optionalString.default("info").refine((v) => isOneOf(LOG_LEVELS, v), `must be one of ${LOG_LEVELS.join(", ")}`),
  })
  .superRefine((env, ctx) => {
    const problem = (variable: string, message: string) => ctx.addIssue({ code: "custom", path: [variable], message });

    if (env.SHARD_IDS !== undefined) {
      const ids = parseShardIds(env.SHARD_IDS);
      if (!ids) problem("SHARD_IDS", "must be a range or list of shard ids, e.g. `0-3` or `0,2,4`");
      else if (env.SHARD_COUNT !== undefined && ids.some((id) => id >= env.SHARD_COUNT!))
        problem("SHARD_IDS", `shard ids must be below SHARD_COUNT (${env.SHARD_COUNT}); got ${env.SHARD_IDS}`);
    }

    if (env.HOME_GUILD_IDS !== undefined && !parseGuildIds(env.HOME_GUILD_IDS))
      problem("HOME_GUILD_IDS", "must be guild ids (17-20 digits) separated by commas");

    const template = env.ROBLOX_API_URL ?? "";
    if (!template.includes("{service}")) {
      problem("ROBLOX_API_URL", "must contain `{service}`, e.g. https://{service}.roblox.com");
    } else if (!ROBLOX_SERVICES.every((service) => httpUrl(template.replaceAll("{service}", service)))) {
      problem("ROBLOX_API_URL", `is not a valid http(s) URL template: ${template}`);
    }

    // PUBLIC_URL alone says nothing about Roblox: the dashboard (design §9) uses it too.
    if ((env.ROBLOX_OAUTH_CLIENT_ID !== undefined || env.ROBLOX_OAUTH_CLIENT_SECRET !== undefined) && (!env.ROBLOX_OAUTH_CLIENT_ID || !env.ROBLOX_OAUTH_CLIENT_SECRET)) {
      problem(
        env.ROBLOX_OAUTH_CLIENT_ID ? "ROBLOX_OAUTH_CLIENT_SECRET" : "ROBLOX_OAUTH_CLIENT_ID",
        "Sign in with Roblox needs ROBLOX_OAUTH_CLIENT_ID, ROBLOX_OAUTH_CLIENT_SECRET and PUBLIC_URL together",
      );
    } else if (env.ROBLOX_OAUTH_CLIENT_ID && !env.PUBLIC_URL) {
      problem("PUBLIC_URL", "is required with ROBLOX_OAUTH_CLIENT_ID: the OAuth callback is served under it");
    }

    if (env.DISCORD_CLIENT_SECRET && !env.PUBLIC_URL) {
      problem("PUBLIC_URL", "is required with DISCORD_CLIENT_SECRET: the dashboard's sign-in callback is served under it ({PUBLIC_URL}/auth/discord/callback)");
    }
    if (env.DISCORD_CLIENT_ID && !env.DISCORD_CLIENT_SECRET) {
      problem("DISCORD_CLIENT_SECRET", "is required with DISCORD_CLIENT_ID: the dashboard signs people in with both (unset DISCORD_CLIENT_ID to run without a dashboard)");
    }

    const databaseUrlProblem = env.DATABASE_URL === undefined ? undefined : postgresUrlProblem(env.DATABASE_URL);
    if (databaseUrlProblem) problem("DATABASE_URL", databaseUrlProblem);

    if (env.ENCRYPTION_KEY !== undefined && !parseEncryptionKey(env.ENCRYPTION_KEY))
      problem("ENCRYPTION_KEY", "must be 32 bytes written as 64 hex characters or as base64");

    try {
      parseDuration(env.SYNC_INTERVAL ?? "");
    } catch {
      problem("SYNC_INTERVAL", "must be a duration such as 45s, 30m, 6h or 1d");
    }

    if (env.ROBLOX_CHANGE_FEED_INTERVAL?.trim().toLowerCase() !== "off") {
      try {
        parseDuration(env.ROBLOX_CHANGE_FEED_INTERVAL ?? "", { min: MIN_CHANGE_FEED_INTERVAL_MS });
      } catch {
        problem("ROBLOX_CHANGE_FEED_INTERVAL", "must be a duration of at least 1s such as 2s, 15s or 1m, or `off`");
      }
    }

    try {
      parseDuration(env.SHUTDOWN_GRACE ?? "");
    } catch {
      problem("SHUTDOWN_GRACE", "must be a duration such as 8s or 1m");
    }
  })
  // The checks above passed, so the `!`s and casts below hold (defaults applied, lists, durations
  // and choices valid).
  .transform((e) => ({
    discordToken: e.DISCORD_TOKEN,
    discordApiUrl: e.DISCORD_API_URL!.replace(/\/+$/, ""),
    discordDevGuildId: e.DISCORD_DEV_GUILD_ID,
    /**
     * The operator's own guilds (design §10): they default to ROBLOX_GROUP_ID and the operator's
     * credential may change ranks for them. Every other guild is a visiting guild.
     */
    homeGuildIds: new Set(
      e.HOME_GUILD_IDS !== undefined ? parseGuildIds(e.HOME_GUILD_IDS)! : e.DISCORD_DEV_GUILD_ID ? [e.DISCORD_DEV_GUILD_ID] : [],
    ) as ReadonlySet<string>,
    shardCount: e.SHARD_COUNT,
    shardIds: e.SHARD_IDS === undefined ? undefined : parseShardIds(e.SHARD_IDS),
    shardingStrategy: e.SHARDING_STRATEGY as (typeof SHARDING_STRATEGIES)[number],
    robloxGroupId: e.ROBLOX_GROUP_ID,
    robloxApiKey: e.ROBLOX_API_KEY,
    robloxCookie: e.ROBLOX_COOKIE,
    robloxApiUrl: e.ROBLOX_API_URL!,
    robloxOAuth:
      e.ROBLOX_OAUTH_CLIENT_ID && e.ROBLOX_OAUTH_CLIENT_SECRET && e.PUBLIC_URL
        ? { clientId: e.ROBLOX_OAUTH_CLIENT_ID, clientSecret: e.ROBLOX_OAUTH_CLIENT_SECRET, publicUrl: e.PUBLIC_URL }
        : undefined,
    /**
     * The web dashboard (design §9): on when DISCORD_CLIENT_SECRET and PUBLIC_URL are set. Without a
     * DISCORD_CLIENT_ID the bot's application id is asked of Discord at start.
     */
    dashboard:
      e.DISCORD_CLIENT_SECRET && e.PUBLIC_URL
        ? {
            clientId: e.DISCORD_CLIENT_ID,
            clientSecret: e.DISCORD_CLIENT_SECRET,
            webUrl: e.DISCORD_WEB_URL!.replace(/\/+$/, ""),
            publicUrl: e.PUBLIC_URL.replace(/\/+$/, ""),
          }
        : undefined,
    databasePath: e.DATABASE_PATH!,
    /** PostgreSQL (design §8); undefined: SQLite at databasePath. */
    databaseUrl: e.DATABASE_URL,
    encryptionKey: e.ENCRYPTION_KEY === undefined ? undefined : parseEncryptionKey(e.ENCRYPTION_KEY),
    /** What the processes of one bot share (design §8); unset: this process keeps it all in memory. */
    redisUrl: e.REDIS_URL,
    redisPrefix: e.REDIS_PREFIX!,
    httpHost: e.HTTP_HOST!,
    httpPort: e.HTTP_PORT,
    syncIntervalMs: parseDuration(e.SYNC_INTERVAL!),
    /** How often each group's audit log is read for changes (design §3.2); null: the feed is off. */
    changeFeedIntervalMs: e.ROBLOX_CHANGE_FEED_INTERVAL!.trim().toLowerCase() === "off" ? null : parseDuration(e.ROBLOX_CHANGE_FEED_INTERVAL!),
    /** SIGTERM: how long in-flight work may take before waiting interactions are told to retry. */
    shutdownGraceMs: parseDuration(e.SHUTDOWN_GRACE!),
    logLevel: e.LOG_LEVEL as (typeof LOG_LEVELS)[number],
  }));

/** The parsed configuration: the output of the schema above, so the two cannot drift apart. */
export type Config = z.output<typeof environmentSchema>;

/** Settings whose values are secrets: the logger removes their text wherever it appears (design §10). */
export const SECRET_VARIABLES = [
  "DISCORD_TOKEN",
  "DISCORD_CLIENT_SECRET",
  "ROBLOX_API_KEY",
  "ROBLOX_COOKIE",
  "ROBLOX_OAUTH_CLIENT_SECRET",
  "ENCRYPTION_KEY",
] as const;

export function secretValues(env: Record<string, string | undefined>): string[] {
  const values = SECRET_VARIABLES.map((name) => env[name]?.trim()).filter((value): value is string => !!value);
  // DATABASE_URL and REDIS_URL are logged without their passwords; the passwords alone are secrets.
  return [...values, ...urlPasswords(env.DATABASE_URL), ...urlPasswords(env.REDIS_URL)];
}

export interface ConfigProblem {
  variable: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: ConfigProblem[]) {
    super(problems.map((p) => `${p.variable} ${p.message}`).join("\n"));
    this.name = "ConfigError";
  }
}

/** Parses the environment; throws a `ConfigError` listing every problem at once. */
export function loadConfig(
  env: Record<string, string | undefined>,
  options: { requireToken?: boolean } = {},
): Config {
  const parsed = environmentSchema.safeParse(env);
  const problems: ConfigProblem[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push({ variable: String(issue.path[0] ?? "environment"), message: issue.message });
    }
  }
  if (options.requireToken !== false && !env.DISCORD_TOKEN?.trim()) {
    problems.unshift({ variable: "DISCORD_TOKEN", message: "is required: the bot token from the Discord developer portal" });
  }
  if (problems.length > 0 || !parsed.success) throw new ConfigError(problems);

  return parsed.data;
}
