/**
 * What keeps secrets out of the logs (design §10), at any depth: pino's `redact` paths name fixed
 * positions, so a token nested one level deeper than foreseen (an error's request body, a header
 * map inside a cause) would slip through. Every log object is walked instead: values under secret
 * keys are replaced, URLs lose their tokens, errors become plain objects with the same treatment,
 * and the process's own secrets are removed wherever their text shows up.
 */

export const REDACTED = "[redacted]";

/**
 * Keys whose values are secrets, compared without case or punctuation (`x-api-key`, `apiKey`,
 * `.ROBLOSECURITY` and `client_secret` all match).
 */
const SECRET_KEYS = new Set(
  [
    "token",
    "accessToken",
    "refreshToken",
    "idToken",
    "apiKey",
    "xApiKey",
    "authorization",
    "proxyAuthorization",
    "cookie",
    "setCookie",
    "roblosecurity",
    "xCsrfToken",
    "clientSecret",
    "codeVerifier",
    "csrfToken",
    "sessionToken",
    "secret",
    "password",
    "encryptionKey",
    "discordToken",
    "robloxApiKey",
    "robloxCookie",
    "robloxApiKeyEncrypted",
    "webhookUrl",
    "alertWebhookUrl",
  ].map(normalizeKey),
);

/**
 * `code` is an OAuth authorization code in a callback, but also Discord's numeric error code and
 * Roblox's `NOT_FOUND`-style error names, which logs need: only other strings are hidden.
 */
const ERROR_CODE = /^(?:\d+|[A-Z][A-Z0-9_]*)$/;

/** Secret-bearing parts of text: URL path tokens, query parameters, cookie values, auth schemes. */
const TEXT_PATTERNS: Array<[RegExp, string]> = [
  // Interaction and webhook tokens live in the path: /interactions/{id}/{token}/callback, /webhooks/{id}/{token}.
  [/(\/(?:interactions|webhooks)\/[^/\s?#"']+\/)[^/\s?#"']+/gi, `$1${REDACTED}`],
  [/([?&#](?:code|state|client_secret|code_verifier|access_token|refresh_token|id_token|token|api_key|key)=)[^&\s#"']+/gi, `$1${REDACTED}`],
  [/((?:^|[\s"'{,])(?:code|state|client_secret|code_verifier|access_token|refresh_token|id_token)=)[^&\s#"']+/gi, `$1${REDACTED}`],
  [/(\.ROBLOSECURITY=)[^;\s"']+/gi, `$1${REDACTED}`],
  // JSON kept as text (a response body logged as it came): the same keys as in objects.
  [/("(?:access_token|refresh_token|id_token|client_secret|code_verifier|token|api_?key|x-api-key|password|secret)"\s*:\s*)"(?:[^"\\]|\\.)*"/gi, `$1"${REDACTED}"`],
  // A credential after an auth scheme has digits or punctuation, which keeps prose ("Bot permissions") intact.
  [/\b(Bot|Bearer|Basic)\s+(?=[A-Za-z]*[0-9._~+/=-])[A-Za-z0-9._~+/=-]{16,}/g, `$1 ${REDACTED}`],
];

/** Deeper than any log object we write; past it a value is summarised, not walked. */
const MAX_DEPTH = 10;
/** Only secrets long enough to be distinctive are searched for by value. */
const MIN_SECRET_LENGTH = 8;

export class LogRedactor {
  readonly #values: string[];

  /** `secrets`: the process's own secret values (bot token, keys), removed from any text they appear in. */
  constructor(secrets: Iterable<string | undefined> = []) {
    this.#values = [...new Set([...secrets].filter((value): value is string => !!value && value.length >= MIN_SECRET_LENGTH))]
      // Longest first, so a secret containing another is replaced whole.
      .sort((a, b) => b.length - a.length);
  }

  /** A copy of `value` safe to log: plain objects, arrays and strings, secrets replaced. */
  redact(value: unknown): unknown {
    return this.#walk(value, 0, new WeakSet());
  }

  /** A string with every known secret value and secret-bearing pattern replaced. */
  text(value: string): string {
    let result = value;
    for (const secret of this.#values) result = result.replaceAll(secret, REDACTED);
    for (const [pattern, replacement] of TEXT_PATTERNS) result = result.replace(pattern, replacement);
    return result;
  }

  #walk(value: unknown, depth: number, seen: WeakSet<object>): unknown {
    if (typeof value === "string") return this.text(value);
    if (typeof value === "bigint") return value.toString();
    if (value === null || typeof value !== "object") return value;
    if (seen.has(value)) return "[circular]";
    if (depth >= MAX_DEPTH) return "[too deep]";
    if (value instanceof URL) return this.text(value.href);
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
    if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return `[${value.byteLength} bytes]`;
    seen.add(value);
    try {
      if (Array.isArray(value)) return value.map((item) => this.#walk(item, depth + 1, seen));
      if (value instanceof Headers || value instanceof Map) return this.#entries([...value.entries()], depth, seen);
      if (value instanceof Set) return [...value].map((item) => this.#walk(item, depth + 1, seen));
      if (value instanceof Error) return this.#error(value, depth, seen);
      return this.#entries(Object.entries(value), depth, seen);
    } finally {
      seen.delete(value);
    }
  }

  #entries(entries: Array<[unknown, unknown]>, depth: number, seen: WeakSet<object>): Record<string, unknown> {
    const result: Record<string, unknown> = {};
    for (const [rawKey, item] of entries) {
      const key = keyText(rawKey);
      result[key] = isSecretEntry(key, item) ? REDACTED : this.#walk(item, depth + 1, seen);
    }
    return result;
  }

  /** As pino's error serializer shapes it (type, message, stack, own fields, cause), then walked. */
  #error(error: Error, depth: number, seen: WeakSet<object>): Record<string, unknown> {
    const own = this.#entries(Object.entries(error), depth, seen);
    const shaped: Record<string, unknown> = {
      type: error.constructor?.name ?? error.name,
      message: this.text(error.message),
      stack: error.stack === undefined ? undefined : this.text(error.stack),
      ...own,
    };
    if (error.cause !== undefined) shaped.cause = this.#walk(error.cause, depth + 1, seen);
    if (error instanceof AggregateError) shaped.aggregateErrors = this.#walk(error.errors, depth + 1, seen);
    return shaped;
  }
}

/** A Map's key may be any value, including objects without `toString` (null prototype). */
function keyText(key: unknown): string {
  if (typeof key === "string") return key;
  try {
    return String(key);
  } catch {
    return Object.prototype.toString.call(key);
  }
}

function normalizeKey(key: string): string {
  return key.toLowerCase().replace(/[^a-z0-9]/g, "");
}

function isSecretEntry(key: string, value: unknown): boolean {
  if (value === null || value === undefined) return false;
  const normalized = normalizeKey(key);
  if (SECRET_KEYS.has(normalized)) return true;
  if (normalized === "code") return typeof value === "string" && !ERROR_CODE.test(value);
  return false;
}
