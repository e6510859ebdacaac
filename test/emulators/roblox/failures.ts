/**
 * Failure injection: answer the next N matching requests with a status (and body/headers), drop
 * their connection, delay them, or spoil the real answer's body (truncated, a field missing, lists
 * emptied); for a share of them (`rate`) or for a while (`untilMs`: an outage). Rules are checked
 * in order; the first with uses left wins.
 *
 * A dropped connection is a response whose body stream errors before anything is written: Bun then
 * closes the socket without sending a status line, so the client's fetch rejects (ECONNRESET).
 */
import { seededRandom } from "../seeded-random.ts";
import { json, type V2Code } from "./http.ts";
import type { FailureInjector, FailureRule, RobloxService } from "./types.ts";

interface ActiveRule extends FailureRule {
  remaining: number;
}

export type FailureOutcome =
  | { kind: "none" }
  | { kind: "mangle"; delayMs: number; mangle: NonNullable<FailureRule["mangle"]> }
  | { kind: "delay"; delayMs: number }
  | { kind: "respond"; delayMs: number; response: () => Response }
  | { kind: "drop"; delayMs: number };

const V2_CODES: Record<number, V2Code> = {
  400: "INVALID_ARGUMENT",
  403: "PERMISSION_DENIED",
  404: "NOT_FOUND",
  409: "ABORTED",
  429: "RESOURCE_EXHAUSTED",
  499: "CANCELLED",
  500: "INTERNAL",
  501: "NOT_IMPLEMENTED",
  503: "UNAVAILABLE",
};

const LEGACY_DEFAULTS: Record<number, { code: number; message: string }> = {
  429: { code: 0, message: "Too many requests" },
  500: { code: 0, message: "InternalServerError" },
  503: { code: 18, message: "The operation is temporarily unavailable. Please try again later." },
};

/** The body Roblox would send for `status` on `service`, when the rule gives none. */
function defaultBody(service: RobloxService, path: string, status: number): unknown {
  if (service === "apis" && path.startsWith("/cloud/")) {
    return { code: V2_CODES[status] ?? (status >= 500 ? "INTERNAL" : "INVALID_ARGUMENT"), message: `Injected failure (HTTP ${status}).` };
  }
  if (service === "apis") return { error: "server_error", error_description: `Injected failure (HTTP ${status}).` };
  const known = LEGACY_DEFAULTS[status];
  return { errors: [known ?? { code: 0, message: `Injected failure (HTTP ${status}).` }] };
}

export function droppedConnection(): Response {
  // Erroring with `undefined` keeps Bun from logging the (intentional) stream error.
  return new Response(
    new ReadableStream({
      start(controller) {
        controller.error(undefined);
      },
    }),
  );
}

export class Failures implements FailureInjector {
  private rules: ActiveRule[] = [];
  /** Seeded, so a fault plan with rates gives the same faults on every run. */
  private random = seededRandom(0x5eed);

  inject(rule: FailureRule): void {
    const times = rule.times ?? 1;
    if (!(times > 0)) throw new Error(`failures.inject: times must be positive, got ${times}`);
    if (rule.status === undefined && !rule.dropConnection && rule.delayMs === undefined && rule.mangle === undefined) {
      throw new Error("failures.inject: give status, dropConnection, delayMs or mangle");
    }
    if (rule.rate !== undefined && !(rule.rate > 0 && rule.rate <= 1)) throw new Error(`failures.inject: rate must be in (0, 1], got ${rule.rate}`);
    this.rules.push({ ...rule, remaining: rule.untilMs !== undefined ? Infinity : times });
  }

  clear(): void {
    this.rules = [];
    this.random = seededRandom(0x5eed);
  }

  get pending(): number {
    return this.rules.filter((r) => r.remaining > 0).length;
  }

  /** Consumes one use of the first rule matching the request. */
  match(method: string, service: RobloxService, path: string, target: string): FailureOutcome {
    const now = Date.now();
    this.rules = this.rules.filter((r) => r.untilMs === undefined || r.untilMs > now);
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.method === undefined || r.method.toUpperCase() === method) &&
        (r.pathIncludes === undefined || target.includes(r.pathIncludes)) &&
        (r.rate === undefined || this.random() < r.rate),
    );
    if (!rule) return { kind: "none" };
    rule.remaining--;
    if (rule.remaining <= 0) this.rules = this.rules.filter((r) => r !== rule);
    const delayMs = rule.delayMs ?? 0;
    if (rule.dropConnection) return { kind: "drop", delayMs };
    if (rule.mangle !== undefined) return { kind: "mangle", delayMs, mangle: rule.mangle };
    const status = rule.status;
    if (status === undefined) return { kind: "delay", delayMs };
    return {
      kind: "respond",
      delayMs,
      response: () => {
        const body = rule.body ?? defaultBody(service, path, status);
        const response =
          typeof body === "string"
            ? new Response(body, { status, headers: { "content-type": "text/plain; charset=utf-8" } })
            : json(body, status);
        for (const [name, value] of Object.entries(rule.headers ?? {})) response.headers.set(name, value);
        return response;
      },
    };
  }
}

/** The real handler's answer with its body spoiled as the rule says (status and headers kept). */
export async function mangleResponse(response: Response, mangle: NonNullable<FailureRule["mangle"]>): Promise<Response> {
  const text = await response.text();
  const headers = new Headers(response.headers);
  headers.delete("content-length");
  let body = text;
  if (mangle === "truncate") {
    body = text.slice(0, Math.floor(text.length / 2));
  } else {
    const value = JSON.parse(text) as Record<string, unknown>;
    if (mangle === "empty-lists" || mangle === "partial-lists") {
      for (const [key, list] of Object.entries(value)) {
        if (Array.isArray(list)) value[key] = mangle === "empty-lists" ? [] : list.slice(0, Math.floor(list.length / 2));
      }
    } else {
      delete value[mangle.dropField];
    }
    body = JSON.stringify(value);
  }
  return new Response(body, { status: response.status, headers });
}

