import type { z } from "zod";
import type { Logger } from "../observability/logger.ts";
import type { Metrics } from "../observability/metrics.ts";
import { errorFromResponse, type ErrorContext } from "./error-mapping.ts";
import {
  RobloxNetworkError,
  RobloxRateLimitedError,
  RobloxTimeoutError,
  type RobloxError,
} from "./errors.ts";
import type { ApiClass, RobloxRateLimits } from "./limits.ts";
import { parseRateLimitHeaders, parseRetryAfter } from "./rate-limit-headers.ts";
import { parseAnswer, RobloxMalformedAnswerError } from "./schemas.ts";
import type { RobloxService, RobloxUrls } from "./urls.ts";

export type HttpMethod = "GET" | "POST" | "PATCH" | "DELETE";

/** Which credential a request carries. Legacy hosts take the cookie; Open Cloud the API key. */
export type RequestAuth = "api-key" | "cookie" | "none";

export interface RobloxRequest {
  api: ApiClass;
  service: RobloxService;
  method: HttpMethod;
  path: string;
  query?: Record<string, string | number | boolean | undefined>;
  body?: unknown;
  auth: RequestAuth;
  errors: ErrorContext;
  /** Counts the HTTP requests sent on behalf of one operation (retries included). */
  tally?: RequestTally;
}

export interface RequestTally {
  requests: number;
}

export interface RobloxCredentials {
  apiKey?: string;
  cookie?: string;
}

export interface RetryOptions {
  /** Retries after the first attempt for 429, 5xx, network errors and timeouts. */
  maxRetries?: number;
  /** First back-off delay; doubles each retry, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** No retry starts once this long has passed since the first attempt (default 60 s). */
  budgetMs?: number;
}

export interface TransportOptions {
  urls: RobloxUrls;
  credentials: RobloxCredentials;
  limits: RobloxRateLimits;
  /** Per attempt, including reading the body. */
  timeoutMs?: number;
  retry?: RetryOptions;
  metrics?: Metrics;
  logger?: Logger;
}

type AttemptResult =
  | { type: "response"; status: number; headers: Headers; text: string }
  | { type: "network"; error: unknown }
  | { type: "timeout"; error: unknown };

type Outcome = "success" | "client_error" | "csrf_token" | "rate_limited" | "server_error" | "network_error" | "timeout";

const MUTATING: ReadonlySet<HttpMethod> = new Set(["POST", "PATCH", "DELETE"]);
const RETRYABLE_STATUS: ReadonlySet<number> = new Set([429, 500, 502, 503, 504]);

/**
 * Sends one logical request: waits for its API class's limiter, attaches credentials, handles the
 * X-CSRF-TOKEN exchange, retries what may succeed later with bounded back-off, and turns every
 * failure into a typed `RobloxError`.
 */
export class RobloxTransport {
  private readonly urls: RobloxUrls;
  private readonly credentials: RobloxCredentials;
  private readonly limits: RobloxRateLimits;
  private readonly timeoutMs: number;
  private readonly maxRetries: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly budgetMs: number;
  private readonly metrics: Metrics | undefined;
  private readonly logger: Logger | undefined;
  /** Cached X-CSRF-TOKEN for cookie writes; replaced whenever a 403 hands back a new one. */
  private csrfToken: string | undefined;

  constructor(options: TransportOptions) {
    this.urls = options.urls;
    this.credentials = options.credentials;
    this.limits = options.limits;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.maxRetries = options.retry?.maxRetries ?? 4;
    this.baseDelayMs = options.retry?.baseDelayMs ?? 500;
    this.maxDelayMs = options.retry?.maxDelayMs ?? 30_000;
    this.budgetMs = options.retry?.budgetMs ?? 60_000;
    this.metrics = options.metrics;
    this.logger = options.logger;
  }

  async request<Schema extends z.ZodType>(request: RobloxRequest, schema: Schema): Promise<z.output<Schema>> {
    const limiter = this.limits.for(request.api);
    let retries = 0;
    let csrfRetried = false;
    const started = Date.now();
    for (;;) {
      const result = await limiter.schedule(() => this.attempt(request));

      let error: RobloxError;
      if (result.type === "response" && result.status >= 200 && result.status < 300) {
        try {
          return parseAnswer(`${request.method} ${request.service}${request.path}`, result.status, result.text, schema);
        } catch (malformed) {
          // A truncated or half-filled answer to a read is asked again; a write that was answered
          // oddly has still been done, so it is reported, not repeated.
          if (!(malformed instanceof RobloxMalformedAnswerError) || request.method !== "GET") throw malformed;
          error = malformed;
        }
      } else if (
        result.type === "response" &&
        result.status === 403 &&
        MUTATING.has(request.method) &&
        result.headers.get("x-csrf-token") &&
        !csrfRetried
      ) {
        // Missing or stale token: the 403 carries the current one. Retry once with it.
        this.csrfToken = result.headers.get("x-csrf-token") ?? undefined;
        csrfRetried = true;
        continue;
      } else {
        error = this.toError(request, result);
      }

      if (!error.retryable || retries >= this.maxRetries) throw error;
      retries++;

      const delayMs = this.retryDelay(result, retries);
      if (Date.now() + delayMs - started > this.budgetMs) throw error;
      this.logger?.debug(
        { api: request.api, method: request.method, path: request.path, kind: error.kind, retry: retries, delayMs },
        "roblox request will be retried",
      );
      if (error instanceof RobloxRateLimitedError) {
        // Hold every request of this class, not only this one: they would all get 429s.
        limiter.holdUntil(Date.now() + delayMs);
      } else {
        await Bun.sleep(delayMs);
      }
    }
  }

  private async attempt(request: RobloxRequest): Promise<AttemptResult> {
    const url = this.urls.url(request.service, request.path, request.query);
    const headers = this.headers(request);
    const started = performance.now();
    if (request.tally) request.tally.requests++;
    let result: AttemptResult;
    try {
      // The timeout lives inside the limiter job (bottleneck's `expiration` leaks slots).
      const response = await fetch(url, {
        method: request.method,
        headers,
        body: request.body === undefined ? undefined : JSON.stringify(request.body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      const text = await response.text();
      result = { type: "response", status: response.status, headers: response.headers, text };
      const retryAfterMs = parseRetryAfter(response.headers.get("retry-after"));
      this.limits.for(request.api).observe(parseRateLimitHeaders(response.headers), Date.now(), { status: response.status, retryAfterMs });
    } catch (error) {
      const timedOut = error instanceof DOMException && (error.name === "TimeoutError" || error.name === "AbortError");
      result = timedOut ? { type: "timeout", error } : { type: "network", error };
    }
    this.record(request.api, result, (performance.now() - started) / 1000);
    return result;
  }

  private headers(request: RobloxRequest): Headers {
    const headers = new Headers({ accept: "application/json", "user-agent": "rankbridge" });
    if (request.body !== undefined) headers.set("content-type", "application/json");
    if (request.auth === "api-key" && this.credentials.apiKey) {
      headers.set("x-api-key", this.credentials.apiKey);
    }
    if (request.auth === "cookie" && this.credentials.cookie) {
      headers.set("cookie", `.ROBLOSECURITY=${this.credentials.cookie}`);
      if (MUTATING.has(request.method) && this.csrfToken) headers.set("x-csrf-token", this.csrfToken);
    }
    return headers;
  }

  private toError(request: RobloxRequest, result: AttemptResult): RobloxError {
    const operation = request.errors.operation;
    if (result.type === "timeout") {
      return new RobloxTimeoutError(`${operation}: no answer within ${this.timeoutMs} ms`, { cause: result.error });
    }
    if (result.type === "network") {
      return new RobloxNetworkError(`${operation}: ${String(result.error)}`, { cause: result.error });
    }
    const retryAfterMs =
      result.status === 429
        ? (parseRetryAfter(result.headers.get("retry-after")) ?? parseRateLimitHeaders(result.headers).resetMs)
        : undefined;
    const error = errorFromResponse(result.status, result.text, request.errors, retryAfterMs);
    // A 5xx or 429 whose body maps to some other kind is still worth another try.
    if (!error.retryable && RETRYABLE_STATUS.has(result.status)) {
      return errorFromResponse(result.status, "", request.errors, retryAfterMs);
    }
    return error;
  }

  private retryDelay(result: AttemptResult, retry: number): number {
    if (result.type === "response" && result.status === 429) {
      const serverSays =
        parseRetryAfter(result.headers.get("retry-after")) ?? parseRateLimitHeaders(result.headers).resetMs;
      if (serverSays !== undefined) return serverSays;
    }
    // Exponential with "equal jitter": at least half the step, so retries don't bunch up.
    const step = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (retry - 1));
    return step / 2 + Math.random() * (step / 2);
  }

  private record(api: ApiClass, result: AttemptResult, seconds: number): void {
    if (!this.metrics) return;
    this.metrics.robloxRequests.inc({ api, outcome: outcomeOf(result) });
    this.metrics.robloxRequestDuration.observe({ api }, seconds);
  }
}

function outcomeOf(result: AttemptResult): Outcome {
  if (result.type === "timeout") return "timeout";
  if (result.type === "network") return "network_error";
  if (result.status < 400) return "success";
  if (result.status === 429) return "rate_limited";
  if (result.status >= 500) return "server_error";
  if (result.status === 403 && result.headers.get("x-csrf-token")) return "csrf_token";
  return "client_error";
}
