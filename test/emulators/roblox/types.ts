/** Types shared by the Roblox emulator's modules (the public ones are re-exported by index.ts). */

/** The first path segment of an emulator URL: `http://127.0.0.1:PORT/{service}/...`. */
export const ROBLOX_SERVICES = ["apis", "users", "groups", "thumbnails", "auth"] as const;
export type RobloxService = (typeof ROBLOX_SERVICES)[number];

/** Open Cloud rate-limit classes (`x-roblox-rate-limits` of the operations the bot uses). */
export const ROBLOX_API_CLASSES = ["groups.get", "groups.roles", "groups.memberships", "groups.write", "users.get", "groups.auditLog"] as const;
export type RobloxApiClass = (typeof ROBLOX_API_CLASSES)[number];

/** `perApiKeyOwner` limits per minute from Roblox's OpenAPI document (notes §1.3). */
export const PER_API_KEY_OWNER_PER_MINUTE: Record<RobloxApiClass, number> = {
  "groups.get": 150,
  "groups.roles": 300,
  "groups.memberships": 300,
  "groups.write": 300,
  "users.get": 1000,
  "groups.auditLog": 100,
};

/** `perOauth2Authorization` limits per minute (notes §1.3), counted per OAuth authorization. */
export const PER_OAUTH2_AUTHORIZATION_PER_MINUTE: Record<RobloxApiClass, number> = {
  "groups.get": 30,
  "groups.roles": 90,
  "groups.memberships": 90,
  "groups.write": 90,
  "users.get": 10,
  "groups.auditLog": 100,
};

export interface RobloxEmulatorOptions {
  /** Port to listen on (127.0.0.1). Default 0: any free port. */
  port?: number;
  rateLimits?: {
    /** Per API key owner, per class, per window. Defaults: the documented per-minute limits. */
    perMinute?: Partial<Record<RobloxApiClass, number>>;
    /** Per OAuth authorization (Bearer tokens on Open Cloud routes). Defaults: documented. */
    perOAuth2Minute?: Partial<Record<RobloxApiClass, number>>;
    /** Window length. Default 60_000; tests and benchmarks shrink it to scale time. */
    windowMs?: number;
  };
  /** Undocumented limit for the legacy hosts (groups/users/thumbnails/auth), one fixed window shared by all callers. Default: none. */
  legacyRateLimit?: { limit: number; windowMs: number };
  /** Added before every response. Default 0. */
  latencyMs?: number;
  /** Record every request in `emulator.requests`. Default true (benchmarks may turn it off). */
  record?: boolean;
  /**
   * What Open Cloud list methods put in `nextPageToken` on the last page: `"empty"` (`""`, as in
   * recorded responses and the patterns doc) or `"omit"` (absent, as the spec's field docs say).
   * Default "empty". Clients must accept both.
   */
  nextPageTokenAtEnd?: "empty" | "omit";
  /** Lifetime of OAuth authorization codes. Default 60_000 (Roblox: one minute). */
  oauthCodeTtlMs?: number;
}

/** One request as the emulator saw it. Structurally a `RecordedHttpRequest` of test/support/openapi.ts. */
export interface RecordedRequest {
  method: string;
  service: string;
  /** Path without the `/{service}` prefix, e.g. `/cloud/v2/groups/1/memberships`. */
  path: string;
  /** Path with the service prefix plus the query string, e.g. `/apis/cloud/v2/groups/1/memberships?maxPageSize=100`. */
  url: string;
  /** Query parameters (the last value wins for repeated keys; see `url` for the raw form). */
  query: Record<string, string>;
  /** Lower-cased header names. */
  headers: Record<string, string>;
  /** Parsed JSON for JSON bodies, the raw text for other bodies, undefined when none was sent. */
  body: unknown;
  contentType?: string;
  /** Response status; 0 when the connection was dropped on purpose. */
  status: number;
  /** Arrival time (ms since the epoch). */
  at: number;
  /** The Open Cloud rate-limit class the request counted against, if any. */
  apiClass?: RobloxApiClass;
  /** Answered by an injected failure. */
  injected?: boolean;
}

export interface FailureRule {
  /** HTTP method to match (any when absent). */
  method?: string;
  /** Substring of `/{service}{path}?{query}` (any when absent). */
  pathIncludes?: string;
  /** Answer with this status instead of the real handler. */
  status?: number;
  /** Response body (JSON-encoded unless a string). Default: an error body in the shape of the service. */
  body?: unknown;
  headers?: Record<string, string>;
  /** How many matching requests the rule applies to. Default 1; `Infinity` for all. */
  times?: number;
  /** Close the connection without any response (fetch rejects). */
  dropConnection?: boolean;
  /** Delay before answering (alone: the real handler answers after the delay). */
  delayMs?: number;
  /**
   * Let the real handler answer, then spoil its body: cut it in half (truncated JSON), drop one
   * top-level field (`{ dropField: "groupMemberships" }`: a 200 without it), or empty every
   * top-level list (a valid-looking but empty answer, as Roblox has sent during incidents), or
   * keep the first half of each (a partial answer).
   */
  mangle?: "truncate" | "empty-lists" | "partial-lists" | { dropField: string };
  /** Share of matching requests the rule applies to (0..1, drawn from a seeded generator). Default 1. */
  rate?: number;
  /** The rule applies until this time (epoch ms): an outage. Uses are not counted then. */
  untilMs?: number;
}

export interface FailureInjector {
  inject(rule: FailureRule): void;
  clear(): void;
  /** Rules that still have uses left. */
  readonly pending: number;
}

export interface RobloxEmulatorCounts {
  /** Every request received, on every service. */
  total: number;
  /** Open Cloud requests that passed authentication, per rate-limit class (429s included). */
  byClass: Record<RobloxApiClass, number>;
  /** 429s sent by the Open Cloud limiter, in total and per class. */
  rateLimited: number;
  rateLimitedByClass: Record<RobloxApiClass, number>;
  /** Requests to the legacy hosts (groups, users, thumbnails, auth) and 429s sent for them. */
  legacy: number;
  legacyRateLimited: number;
  /** Requests answered by an injected failure (status, drop). */
  injected: number;
}

export function emptyClassCounts(): Record<RobloxApiClass, number> {
  return { "groups.get": 0, "groups.roles": 0, "groups.memberships": 0, "groups.write": 0, "users.get": 0, "groups.auditLog": 0 };
}
