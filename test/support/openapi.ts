/**
 * Validates recorded HTTP requests (what the bot sent to an emulator) against an OpenAPI document.
 *
 * Checks, in order:
 *  1. routing: the path matches a documented path template + method on the operation's effective
 *     server (operation `servers` > path-item `servers` > document `servers`). Literal segments beat
 *     templated ones (`/messages/@original` beats `/messages/{message_id}`, `{id}:assignRole` beats
 *     `{id}`). Unknown → `no operation for METHOD path`.
 *  2. parameters: path values (percent-decoded) and query values are coerced from strings to the
 *     schema's type (ajv `coerceTypes`) and checked (type, pattern, enum, minimum/maximum, ...).
 *     Undocumented query parameters are errors; missing required ones are errors, except for the
 *     operations listed in `lenientRequiredQuery`, where they are reported as warnings.
 *     Arrays: repeated keys (`?a=1&a=2`, form/explode=true) or comma-separated (`explode: false`).
 *  3. request body: validated against the `requestBody` schema of the request's media type.
 *     Only JSON media types (`application/json`, `text/json`, `*+json`) are schema-checked; other
 *     documented types (multipart, urlencoded) are accepted with a warning. A body sent to an
 *     operation that documents none, or a missing required body, is an error. Properties marked
 *     `readOnly` must not be sent.
 *  4. security: at least one alternative of the operation's `security` must be satisfied; `{}`
 *     means anonymous is allowed.
 *
 * Schemas: the whole document is registered once in ajv under a synthetic `$id`, and each body
 * schema is fetched by JSON pointer into it, so `#/components/schemas/...` refs resolve natively.
 * Validators are compiled lazily on first use and cached per operation (the Discord document is
 * 1.2 MB; nothing is compiled until a request needs it). OpenAPI 3.1 documents use ajv's
 * JSON Schema 2020-12 dialect; 3.0 documents use draft-07 with ajv's built-in support for the
 * OpenAPI `nullable` keyword (`nullable` without `type`, which ajv rejects, and boolean
 * `exclusiveMinimum`/`exclusiveMaximum` are rewritten first). Unknown formats (`snowflake`,
 * `nonce`, `enum`, ...) are ignored; ajv-formats supplies the standard ones plus int32/int64/double.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import Ajv, { type ErrorObject, type ValidateFunction } from "ajv";
import Ajv2020 from "ajv/dist/2020";
import addFormats from "ajv-formats";

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface RecordedHttpRequest {
  method: string;
  /** Full URL or path + query. */
  url: string;
  headers?: Record<string, string>;
  /** Parsed JSON, or undefined when no body was sent. */
  body?: unknown;
  /** Overrides the `content-type` header. Defaults to application/json when a body is present. */
  contentType?: string;
}

export interface RequestValidation {
  ok: boolean;
  operationId?: string;
  /** The matched key of the document's `paths`, e.g. `/guilds/{guild_id}/members/{user_id}`. */
  pathTemplate?: string;
  /** Effective server URL of the matched operation. */
  server?: string;
  errors: string[];
  /** Non-fatal findings (lenient required query params, deprecated operations, unchecked media). */
  warnings: string[];
}

export interface OpenApiValidator {
  validate(req: RecordedHttpRequest): RequestValidation;
  /** Throws an Error listing every problem when the request does not conform. */
  assertValid(req: RecordedHttpRequest): void;
}

/** How a request satisfies one security scheme; overrides the generic interpretation. */
export interface AuthSchemeCheck {
  /** Human-readable requirement, e.g. `Authorization: Bot <token>`. */
  describe: string;
  test(req: { headers: Map<string, string>; cookies: Map<string, string>; query: URLSearchParams }): boolean;
}

export interface OpenApiValidatorOptions {
  /** Used in assertValid messages. */
  name: string;
  /** A parsed OpenAPI 3.0 / 3.1 document. Not mutated. */
  document: object;
  /**
   * Maps the recorded URL to the host it was meant for and the path on that host. `host`
   * undefined matches every server host (only the server's base path is then compared).
   * Default: `{ path: url.pathname }`.
   */
  route?: (url: URL) => { host?: string; path: string } | { error: string };
  /**
   * Operations (operationId or `METHOD /template`) whose required query parameters are not really
   * required; missing ones become warnings.
   */
  lenientRequiredQuery?: readonly string[];
  authSchemes?: Record<string, AuthSchemeCheck>;
}

export interface SpecValidatorOptions {
  lenientRequiredQuery?: readonly string[];
}

const SPECS_DIR = join(import.meta.dir, "..", "specs");

/**
 * Discord REST API v10. Request paths look like `/api/v10/guilds/1/members/2` (full URLs also
 * work; the host is ignored). Bot-auth operations need `Authorization: Bot <token>`; operations
 * whose security includes `{}` (interaction callbacks, webhook-token routes) need nothing.
 */
export function discordValidator(options: SpecValidatorOptions = {}): OpenApiValidator {
  const build = () =>
    createOpenApiValidator({
      name: "Discord OpenAPI",
      document: loadSpec("discord-openapi.json"),
      route: (url) => ({ path: url.pathname }),
      lenientRequiredQuery: options.lenientRequiredQuery ?? [],
      authSchemes: {
        BotToken: { describe: "Authorization: Bot <token>", test: (r) => /^Bot \S+/.test(r.headers.get("authorization") ?? "") },
        OAuth2: { describe: "Authorization: Bearer <token>", test: (r) => /^Bearer \S+/.test(r.headers.get("authorization") ?? "") },
      },
    });
  if (Object.keys(options).length > 0) return build();
  cachedDiscord ??= build();
  return cachedDiscord;
}

/**
 * Roblox's documented quirks, relaxed by default in robloxValidator():
 * - GET groups.roblox.com/v2/users/{userId}/groups/roles marks includeLocked,
 *   includeNotificationPreferences and discoveryType as required, but Roblox serves the request
 *   without them (and the v1 twin documents them as optional). Missing ones are warnings.
 */
export const ROBLOX_LENIENT_REQUIRED_QUERY: readonly string[] = ["GET /v2/users/{userId}/groups/roles"];

/**
 * Roblox (Open Cloud + legacy web APIs). Request paths arrive as emulator paths `/{service}/...`:
 * `/apis/cloud/v2/...` is apis.roblox.com, `/groups/v1/...` is groups.roblox.com, etc. A full URL
 * on a real `*.roblox.com` host is routed by its host instead. Only operations whose effective
 * server is that host can match.
 */
export function robloxValidator(options: SpecValidatorOptions = {}): OpenApiValidator {
  const build = () =>
    createOpenApiValidator({
      name: "Roblox OpenAPI",
      document: loadSpec("roblox-openapi.subset.json"),
      route: (url) => {
        if (url.hostname.endsWith(".roblox.com")) return { host: url.hostname, path: url.pathname };
        const m = /^\/([^/]+)(\/.*)?$/.exec(url.pathname);
        if (!m?.[1]) return { error: `cannot derive a Roblox service from path ${url.pathname} (expected /{service}/...)` };
        return { host: `${m[1].toLowerCase()}.roblox.com`, path: m[2] ?? "/" };
      },
      lenientRequiredQuery: options.lenientRequiredQuery ?? ROBLOX_LENIENT_REQUIRED_QUERY,
      authSchemes: {
        "roblox-oauth2": { describe: "Authorization: Bearer <token>", test: (r) => /^Bearer \S+/.test(r.headers.get("authorization") ?? "") },
      },
    });
  if (Object.keys(options).length > 0) return build();
  cachedRoblox ??= build();
  return cachedRoblox;
}

// ---------------------------------------------------------------------------------------------
// Implementation
// ---------------------------------------------------------------------------------------------

let cachedDiscord: OpenApiValidator | undefined;
let cachedRoblox: OpenApiValidator | undefined;
const specCache = new Map<string, object>();

function loadSpec(file: string): object {
  let doc = specCache.get(file);
  if (!doc) {
    doc = JSON.parse(readFileSync(join(SPECS_DIR, file), "utf8")) as object;
    specCache.set(file, doc);
  }
  return doc;
}

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);
const HTTP_METHODS = ["get", "put", "post", "delete", "options", "head", "patch", "trace"] as const;
const DOC_ID = "https://openapi.invalid/document.json";

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required: boolean;
  deprecated: boolean;
  schema: unknown;
  style?: string;
  explode?: boolean;
}

interface Server {
  url: string;
  host?: string;
  basePath: string;
}

interface Segment {
  regex: RegExp;
  names: string[];
  /** 2 = literal, 1 = literal + parameter, 0 = parameter only. */
  rank: number;
}

interface Operation {
  key: string; // "METHOD /template"
  method: string;
  pathTemplate: string;
  operationId?: string;
  deprecated: boolean;
  servers: Server[];
  segments: Segment[];
  parameters: Parameter[];
  requestBody?: { required: boolean; pointer: string; content: Obj };
  security?: Array<Record<string, unknown>>;
}

interface Route {
  op: Operation;
  server: Server;
  params: Record<string, string>;
}

export function createOpenApiValidator(options: OpenApiValidatorOptions): OpenApiValidator {
  const version = String((options.document as Obj).openapi ?? "");
  const is31 = version.startsWith("3.1");
  const doc: Obj = is31 ? (options.document as Obj) : normalizeOas30(options.document);
  const operations = collectOperations(doc);
  const lenient = new Set(options.lenientRequiredQuery ?? []);
  const route: NonNullable<OpenApiValidatorOptions["route"]> = options.route ?? ((url) => ({ path: url.pathname }));
  const securitySchemes = isObj(doc.components) && isObj(doc.components.securitySchemes) ? doc.components.securitySchemes : {};

  let bodyAjv: Ajv | undefined;
  let paramAjv: Ajv | undefined;
  const compiled = new Map<string, ValidateFunction | Error>();

  const makeAjv = (coerce: boolean): Ajv => {
    const Ctor = is31 ? Ajv2020 : Ajv;
    const ajv = new Ctor({
      strict: false,
      allErrors: true,
      coerceTypes: coerce,
      // Unknown formats (snowflake, nonce, enum, ...) are ignored; silence ajv's warning for them.
      logger: {
        log: console.log,
        warn: (...args: unknown[]) => {
          if (!/unknown format/.test(String(args[0]))) console.warn(...args);
        },
        error: console.error,
      },
    }) as Ajv;
    addFormats(ajv);
    // Request validation: properties marked readOnly must not be sent (OpenAPI 3.0 §4.7.24.1).
    ajv.removeKeyword("readOnly");
    ajv.addKeyword({ keyword: "readOnly", schemaType: "boolean", validate: (readOnly: boolean) => !readOnly });
    ajv.addSchema(doc, DOC_ID, undefined, false);
    return ajv;
  };

  const getCompiled = (cacheKey: string, build: () => ValidateFunction | undefined): ValidateFunction | Error => {
    let fn = compiled.get(cacheKey);
    if (!fn) {
      try {
        fn = build() ?? new Error(`schema not found for ${cacheKey}`);
      } catch (e) {
        fn = e instanceof Error ? e : new Error(String(e));
      }
      compiled.set(cacheKey, fn);
    }
    return fn;
  };

  function matchRoute(method: string, host: string | undefined, rawPath: string): { route?: Route; hint?: string } {
    let best: Route | undefined;
    const allowed = new Map<string, string[]>(); // template -> methods, when only the method is wrong
    const elsewhere = new Set<string>(); // servers on other hosts where the path is documented
    let anyBase = false;
    for (const op of operations) {
      for (const server of op.servers) {
        const base = server.basePath;
        if (base && rawPath !== base && !rawPath.startsWith(`${base}/`)) continue;
        const params = matchTemplate(op.segments, rawPath.slice(base.length) || "/");
        const hostOk = host === undefined || server.host === undefined || server.host === host;
        if (!hostOk) {
          if (params && op.method === method) elsewhere.add(server.url);
          continue;
        }
        anyBase = true;
        if (!params) continue;
        if (op.method !== method) {
          allowed.set(op.pathTemplate, [...(allowed.get(op.pathTemplate) ?? []), op.method]);
          continue;
        }
        if (!best || compareRank(op.segments, best.op.segments) > 0) best = { op, server, params };
      }
    }
    if (best) return { route: best };
    if (allowed.size) return { hint: [...allowed].map(([t, ms]) => `${t} allows ${ms.join(", ")}`).join("; ") };
    if (elsewhere.size) return { hint: `documented only on ${[...elsewhere].join(", ")}, not on ${host}` };
    if (!anyBase) {
      const bases = new Set(
        operations.flatMap((o) => o.servers.filter((s) => host === undefined || s.host === undefined || s.host === host).map((s) => s.url)),
      );
      return { hint: bases.size ? `expected a path under ${[...bases].join(", ")}` : `no documented server for host ${host}` };
    }
    return {};
  }

  function validateParam(op: Operation, p: Parameter, value: unknown, where: string, errors: string[]): void {
    const fn = getCompiled(`${op.key}|${p.in}|${p.name}`, () => {
      paramAjv ??= makeAjv(true);
      return paramAjv.compile({
        type: "object",
        properties: { v: fixParamSchema(p.schema) },
      });
    });
    if (fn instanceof Error) {
      errors.push(`${where}: schema could not be compiled: ${fn.message}`);
      return;
    }
    if (!fn({ v: value })) {
      for (const e of fn.errors ?? []) errors.push(formatAjvError(where, e, "/v"));
    }
  }

  function checkQuery(op: Operation, query: URLSearchParams, errors: string[], warnings: string[]): void {
    const declared = new Map(op.parameters.filter((p) => p.in === "query").map((p) => [p.name, p]));
    const authQuery = new Set<string>();
    for (const req of op.security ?? []) {
      for (const name of Object.keys(req)) {
        const s = securitySchemes[name];
        if (isObj(s) && s.type === "apiKey" && s.in === "query" && typeof s.name === "string") authQuery.add(s.name);
      }
    }
    const seen = new Set<string>();
    for (const name of query.keys()) {
      if (seen.has(name)) continue;
      seen.add(name);
      if (!declared.has(name) && !authQuery.has(name)) errors.push(`unknown query parameter "${name}"`);
    }
    for (const p of declared.values()) {
      const raw = query.getAll(p.name);
      const where = `query parameter "${p.name}"`;
      if (raw.length === 0) {
        if (!p.required) continue;
        const msg = `missing required query parameter "${p.name}"`;
        if (lenient.has(op.key) || (op.operationId !== undefined && lenient.has(op.operationId))) {
          warnings.push(`${msg} (tolerated: listed in lenientRequiredQuery)`);
        } else {
          errors.push(msg);
        }
        continue;
      }
      if (p.deprecated) warnings.push(`${where} is deprecated`);
      const shape = schemaShape(p.schema, doc);
      let value: unknown;
      if (raw.length > 1) {
        if (!shape.array) {
          errors.push(`${where} given ${raw.length} times but is not an array`);
          continue;
        }
        value = raw;
      } else {
        const single = raw[0] ?? "";
        const explode = p.explode ?? (p.style === undefined || p.style === "form");
        if (shape.array && (!shape.scalar || !explode)) value = explode ? [single] : single === "" ? [] : single.split(",");
        else value = single;
      }
      validateParam(op, p, value, where, errors);
    }
  }

  function checkBody(op: Operation, req: RecordedHttpRequest, headers: Map<string, string>, errors: string[], warnings: string[]): void {
    const hasBody = req.body !== undefined;
    const rb = op.requestBody;
    if (!rb) {
      if (hasBody) errors.push(`${op.key} documents no request body, but one was sent`);
      return;
    }
    if (!hasBody) {
      if (rb.required) errors.push(`missing required request body`);
      return;
    }
    const rawType = req.contentType ?? headers.get("content-type") ?? "application/json";
    const mediaType = rawType.split(";")[0]!.trim().toLowerCase();
    const documented = Object.keys(rb.content);
    const key =
      documented.find((t) => t.toLowerCase() === mediaType) ??
      documented.find((t) => t.endsWith("/*") && mediaType.startsWith(t.slice(0, -1).toLowerCase())) ??
      documented.find((t) => t === "*/*");
    if (key === undefined) {
      errors.push(`unsupported content type "${mediaType}" (documented: ${documented.join(", ")})`);
      return;
    }
    if (!/^(application|text)\/(.+\+)?json$/.test(mediaType)) {
      warnings.push(`request body of type ${mediaType} not schema-checked`);
      return;
    }
    const media = rb.content[key];
    if (!isObj(media) || media.schema === undefined) return;
    const pointer = `${rb.pointer}/content/${escapePointer(key)}/schema`;
    const fn = getCompiled(`${op.key}|body|${key}`, () => {
      bodyAjv ??= makeAjv(false);
      return bodyAjv.getSchema(`${DOC_ID}#${encodePointer(pointer)}`);
    });
    if (fn instanceof Error) {
      errors.push(`request body schema could not be compiled: ${fn.message}`);
      return;
    }
    if (!fn(req.body)) {
      const seen = new Set<string>();
      for (const e of fn.errors ?? []) {
        const msg = formatAjvError("body", e);
        if (!seen.has(msg)) errors.push(msg);
        seen.add(msg);
      }
    }
  }

  function checkSecurity(op: Operation, headers: Map<string, string>, query: URLSearchParams, errors: string[]): void {
    const requirements = op.security ?? (Array.isArray(doc.security) ? (doc.security as Array<Record<string, unknown>>) : []);
    if (requirements.length === 0 || requirements.some((r) => Object.keys(r).length === 0)) return;
    const cookies = parseCookies(headers.get("cookie"));
    const ctx = { headers, cookies, query };
    const described: string[] = [];
    for (const requirement of requirements) {
      let satisfied = true;
      const parts: string[] = [];
      for (const name of Object.keys(requirement)) {
        const check = options.authSchemes?.[name] ?? genericSchemeCheck(name, securitySchemes[name]);
        parts.push(check.describe);
        if (!check.test(ctx)) satisfied = false;
      }
      if (satisfied) return;
      described.push(parts.join(" + "));
    }
    const auth = headers.get("authorization");
    const got = auth ? ` (got Authorization: ${auth.split(" ")[0]} …)` : "";
    errors.push(`missing auth: ${op.key} requires ${described.length > 1 ? "one of: " : ""}${described.join(", ")}${got}`);
  }

  function validate(req: RecordedHttpRequest): RequestValidation {
    const errors: string[] = [];
    const warnings: string[] = [];
    const method = req.method.toUpperCase();
    let url: URL;
    try {
      url = new URL(req.url, "http://emulator.invalid");
    } catch {
      return { ok: false, errors: [`unparseable URL ${req.url}`], warnings };
    }
    const routed = route(url);
    if ("error" in routed) return { ok: false, errors: [`no operation for ${method} ${url.pathname}: ${routed.error}`], warnings };
    const { route: found, hint } = matchRoute(method, routed.host, routed.path);
    if (!found) {
      return { ok: false, errors: [`no operation for ${method} ${url.pathname}${hint ? ` (${hint})` : ""}`], warnings };
    }
    const { op, server } = found;
    if (op.deprecated) warnings.push(`${op.key} is deprecated`);
    const headers = new Map(Object.entries(req.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));

    for (const p of op.parameters) {
      if (p.in === "path") {
        const value = found.params[p.name];
        if (value !== undefined) validateParam(op, p, value, `path parameter "${p.name}"`, errors);
      } else if (p.in === "header" && p.required && !headers.has(p.name.toLowerCase())) {
        errors.push(`missing required header "${p.name}"`);
      }
    }
    checkQuery(op, url.searchParams, errors, warnings);
    checkBody(op, req, headers, errors, warnings);
    checkSecurity(op, headers, url.searchParams, errors);

    return {
      ok: errors.length === 0,
      ...(op.operationId !== undefined ? { operationId: op.operationId } : {}),
      pathTemplate: op.pathTemplate,
      server: server.url,
      errors,
      warnings,
    };
  }

  return {
    validate,
    assertValid(req) {
      const result = validate(req);
      if (!result.ok) {
        const target = result.pathTemplate ? ` (${result.operationId ?? `${req.method.toUpperCase()} ${result.pathTemplate}`})` : "";
        throw new Error(
          `${options.name}: ${req.method.toUpperCase()} ${req.url}${target} does not conform:\n${result.errors.map((e) => `  - ${e}`).join("\n")}`,
        );
      }
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Document helpers
// ---------------------------------------------------------------------------------------------

function collectOperations(doc: Obj): Operation[] {
  const out: Operation[] = [];
  const docServers = parseServers(doc.servers) ?? [{ url: "/", basePath: "" }];
  const paths = isObj(doc.paths) ? doc.paths : {};
  for (const [template, rawItem] of Object.entries(paths)) {
    const [item, itemPointer] = deref(doc, rawItem, `/paths/${escapePointer(template)}`);
    if (!isObj(item)) continue;
    const itemParams = collectParameters(doc, item.parameters, `${itemPointer}/parameters`);
    const itemServers = parseServers(item.servers);
    const segments = compileTemplate(template);
    for (const m of HTTP_METHODS) {
      const op = item[m];
      if (!isObj(op)) continue;
      const opPointer = `${itemPointer}/${m}`;
      const params = new Map(itemParams.map((p) => [`${p.in}:${p.name}`, p]));
      for (const p of collectParameters(doc, op.parameters, `${opPointer}/parameters`)) params.set(`${p.in}:${p.name}`, p);
      let requestBody: Operation["requestBody"];
      if (op.requestBody !== undefined) {
        const [rb, rbPointer] = deref(doc, op.requestBody, `${opPointer}/requestBody`);
        if (isObj(rb)) requestBody = { required: rb.required === true, pointer: rbPointer, content: isObj(rb.content) ? rb.content : {} };
      }
      const method = m.toUpperCase();
      out.push({
        key: `${method} ${template}`,
        method,
        pathTemplate: template,
        ...(typeof op.operationId === "string" ? { operationId: op.operationId } : {}),
        deprecated: op.deprecated === true,
        servers: parseServers(op.servers) ?? itemServers ?? docServers,
        segments,
        parameters: [...params.values()],
        ...(requestBody ? { requestBody } : {}),
        ...(Array.isArray(op.security) ? { security: op.security as Array<Record<string, unknown>> } : {}),
      });
    }
  }
  return out;
}

function collectParameters(doc: Obj, list: unknown, pointer: string): Parameter[] {
  if (!Array.isArray(list)) return [];
  const out: Parameter[] = [];
  list.forEach((raw, i) => {
    const [p] = deref(doc, raw, `${pointer}/${i}`);
    if (!isObj(p) || typeof p.name !== "string" || typeof p.in !== "string") return;
    out.push({
      name: p.name,
      in: p.in as Parameter["in"],
      required: p.required === true || p.in === "path",
      deprecated: p.deprecated === true,
      schema: p.schema ?? {},
      ...(typeof p.style === "string" ? { style: p.style } : {}),
      ...(typeof p.explode === "boolean" ? { explode: p.explode } : {}),
    });
  });
  return out;
}

function parseServers(raw: unknown): Server[] | undefined {
  if (!Array.isArray(raw) || raw.length === 0) return undefined;
  const out: Server[] = [];
  for (const s of raw) {
    if (!isObj(s) || typeof s.url !== "string") continue;
    // Substitute server variables with their defaults.
    const vars = isObj(s.variables) ? s.variables : {};
    const url = s.url.replace(/\{([^}]+)\}/g, (_, name: string) => {
      const v = vars[name];
      return isObj(v) && typeof v.default === "string" ? v.default : "";
    });
    let host: string | undefined;
    let basePath: string;
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) {
      const u = new URL(url);
      host = u.hostname;
      basePath = u.pathname;
    } else {
      basePath = url;
    }
    basePath = basePath.replace(/\/+$/, "");
    out.push({ url: s.url, ...(host !== undefined ? { host } : {}), basePath });
  }
  return out.length ? out : undefined;
}

function compileTemplate(template: string): Segment[] {
  return template
    .split("/")
    .slice(1)
    .map((seg) => {
      const names: string[] = [];
      let literal = false;
      let source = "";
      for (const part of seg.split(/(\{[^}]+\})/)) {
        if (part === "") continue;
        const m = /^\{([^}]+)\}$/.exec(part);
        if (m?.[1]) {
          names.push(m[1]);
          source += "(.+?)";
        } else {
          literal = true;
          source += part.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
        }
      }
      return { regex: new RegExp(`^${source}$`), names, rank: names.length === 0 ? 2 : literal ? 1 : 0 };
    });
}

function matchTemplate(segments: Segment[], rawPath: string): Record<string, string> | undefined {
  const raw = rawPath.split("/").slice(1);
  if (raw.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < segments.length; i++) {
    let value: string;
    try {
      value = decodeURIComponent(raw[i]!);
    } catch {
      return undefined;
    }
    const seg = segments[i]!;
    const m = seg.regex.exec(value);
    if (!m) return undefined;
    seg.names.forEach((n, j) => {
      params[n] = m[j + 1]!;
    });
  }
  return params;
}

/** > 0 when `a` is more specific than `b` (literal segments beat templated ones, left to right). */
function compareRank(a: Segment[], b: Segment[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const d = a[i]!.rank - b[i]!.rank;
    if (d !== 0) return d;
  }
  return 0;
}

/** Follows local `$ref`s; returns the target and its JSON pointer. */
function deref(doc: Obj, value: unknown, pointer: string): [unknown, string] {
  let current = value;
  let currentPointer = pointer;
  for (let depth = 0; depth < 20 && isObj(current) && typeof current.$ref === "string" && current.$ref.startsWith("#"); depth++) {
    currentPointer = decodeURIComponent(current.$ref.slice(1));
    current = resolvePointer(doc, currentPointer);
  }
  return [current, currentPointer];
}

function resolvePointer(doc: unknown, pointer: string): unknown {
  let node = doc;
  for (const token of pointer.split("/").slice(1)) {
    const key = token.replace(/~1/g, "/").replace(/~0/g, "~");
    if (Array.isArray(node)) node = node[Number(key)];
    else if (isObj(node)) node = node[key];
    else return undefined;
  }
  return node;
}

const escapePointer = (token: string) => token.replace(/~/g, "~0").replace(/\//g, "~1");
const encodePointer = (pointer: string) => pointer.split("/").map(encodeURIComponent).join("/");

/** Which JSON types a (possibly $ref'd / composed) parameter schema admits, as far as arrays go. */
function schemaShape(schema: unknown, doc: Obj, depth = 0): { array: boolean; scalar: boolean } {
  const [s] = deref(doc, schema, "");
  if (!isObj(s) || depth > 10) return { array: false, scalar: true };
  const branches = [s.oneOf, s.anyOf].filter(Array.isArray).flat() as unknown[];
  if (branches.length) {
    const shapes = branches.map((b) => schemaShape(b, doc, depth + 1));
    return { array: shapes.some((x) => x.array), scalar: shapes.some((x) => x.scalar) };
  }
  const types = Array.isArray(s.type) ? s.type : s.type === undefined ? [] : [s.type];
  if (types.length === 0) return { array: s.items !== undefined, scalar: s.items === undefined };
  return { array: types.includes("array"), scalar: types.some((t) => t !== "array") };
}

/**
 * Makes a parameter schema compilable on its own: `#/...` refs become absolute (into the
 * registered document), and enums written as strings for a non-string type (Roblox's
 * `isCircular: {type: boolean, enum: ["true", "false"]}`) are converted to that type so the
 * coerced value can match them.
 */
function fixParamSchema(schema: unknown): unknown {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObj(node)) return node;
    const out: Obj = {};
    for (const [k, v] of Object.entries(node)) {
      if (k === "$ref" && typeof v === "string" && v.startsWith("#")) out[k] = DOC_ID + v;
      else out[k] = walk(v);
    }
    if (Array.isArray(out.enum) && (out.type === "boolean" || out.type === "integer" || out.type === "number")) {
      out.enum = out.enum.map((e) => {
        if (typeof e !== "string") return e;
        if (out.type === "boolean") return e === "true" ? true : e === "false" ? false : e;
        const n = Number(e);
        return e.trim() !== "" && Number.isFinite(n) ? n : e;
      });
    }
    return out;
  };
  return walk(schema);
}

/**
 * OpenAPI 3.0 → something ajv's draft-07 mode compiles: ajv natively treats `nullable: true` as
 * "also null" but throws when there is no `type`, so those become `anyOf: [schema, {type: null}]`;
 * boolean `exclusiveMinimum`/`exclusiveMaximum` (draft-04 style) become numeric.
 */
function normalizeOas30(document: object): Obj {
  const walk = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(walk);
    if (!isObj(node)) return node;
    let out: Obj = {};
    for (const [k, v] of Object.entries(node)) out[k] = k === "example" || k === "examples" ? v : walk(v);
    if (typeof out.exclusiveMinimum === "boolean") {
      if (out.exclusiveMinimum && typeof out.minimum === "number") {
        out.exclusiveMinimum = out.minimum;
        delete out.minimum;
      } else delete out.exclusiveMinimum;
    }
    if (typeof out.exclusiveMaximum === "boolean") {
      if (out.exclusiveMaximum && typeof out.maximum === "number") {
        out.exclusiveMaximum = out.maximum;
        delete out.maximum;
      } else delete out.exclusiveMaximum;
    }
    if ("nullable" in out && out.type === undefined) {
      const { nullable, ...rest } = out;
      out = nullable === true ? { anyOf: [rest, { type: "null" }] } : rest;
    }
    return out;
  };
  return walk(document) as Obj;
}

function genericSchemeCheck(name: string, scheme: unknown): AuthSchemeCheck {
  if (!isObj(scheme)) return { describe: `${name} (undocumented scheme)`, test: () => false };
  if (scheme.type === "apiKey" && typeof scheme.name === "string") {
    const keyName = scheme.name;
    if (scheme.in === "header") return { describe: `${keyName} header`, test: (r) => !!r.headers.get(keyName.toLowerCase()) };
    if (scheme.in === "cookie") return { describe: `${keyName} cookie`, test: (r) => !!r.cookies.get(keyName) };
    if (scheme.in === "query") return { describe: `${keyName} query parameter`, test: (r) => !!r.query.get(keyName) };
  }
  if (scheme.type === "http" && typeof scheme.scheme === "string") {
    const word = scheme.scheme.toLowerCase();
    return {
      describe: `Authorization: ${scheme.scheme} …`,
      test: (r) => (r.headers.get("authorization") ?? "").toLowerCase().startsWith(`${word} `),
    };
  }
  // oauth2 / openIdConnect: a bearer token.
  return { describe: "Authorization: Bearer <token>", test: (r) => /^Bearer \S+/i.test(r.headers.get("authorization") ?? "") };
}

function parseCookies(header: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const part of (header ?? "").split(";")) {
    const i = part.indexOf("=");
    if (i > 0) out.set(part.slice(0, i).trim(), part.slice(i + 1).trim());
  }
  return out;
}

function formatAjvError(where: string, e: ErrorObject, stripPrefix = ""): string {
  let path = e.instancePath;
  if (stripPrefix && path.startsWith(stripPrefix)) path = path.slice(stripPrefix.length);
  const loc = `${where}${path}`;
  const p = e.params as Record<string, unknown>;
  switch (e.keyword) {
    case "enum":
      return `${loc} must be one of ${JSON.stringify(p.allowedValues)}`;
    case "additionalProperties":
      return `${loc} has unknown property "${String(p.additionalProperty)}"`;
    case "required":
      return `${loc} is missing required property "${String(p.missingProperty)}"`;
    case "readOnly":
      return `${loc} is readOnly and must not be sent in a request`;
    case "const":
      return `${loc} must be ${JSON.stringify(p.allowedValue)}`;
    default:
      return `${loc} ${e.message ?? `fails ${e.keyword}`}`;
  }
}
