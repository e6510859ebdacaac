import { errorClassByKind, RobloxRateLimitedError, type RobloxError, type RobloxErrorKind } from "./errors.ts";

/**
 * The four error body shapes Roblox answers with:
 * - Open Cloud v2: `{"code":"NOT_FOUND","message":"…","details":[…]}`
 * - the API gateway (auth, routing; Open Cloud v1 and v2): `{"errors":[{"code":0,"message":"Invalid API Key"}]}`
 * - legacy BEDEV1: `{"errors":[{"code":3,"message":"…","userFacingMessage":"…"}]}`
 * - the bare CSRF answer some legacy hosts send: `{"code":0,"message":"Token Validation Failed"}`
 */
export interface ParsedErrorBody {
  code?: number | string;
  message?: string;
}

export function parseErrorBody(text: string): ParsedErrorBody {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return text ? { message: text.slice(0, 200) } : {};
  }
  if (typeof body !== "object" || body === null) return {};
  const record = body as Record<string, unknown>;
  const first = Array.isArray(record.errors) ? (record.errors[0] as Record<string, unknown> | undefined) : undefined;
  const source = first ?? record;
  const code = typeof source.code === "number" || typeof source.code === "string" ? source.code : undefined;
  const message = typeof source.message === "string" ? source.message : undefined;
  return { code, message };
}

/** What an error means depends on the endpoint: legacy code 3 is "no such user" on one and "not a member" on another. */
export interface ErrorContext {
  /** Overrides of the legacy BEDEV1 code table for this endpoint. */
  legacyCodes?: Partial<Record<number, RobloxErrorKind>>;
  /** What a 404 / `NOT_FOUND` from this endpoint is about. */
  notFound?: RobloxErrorKind;
  /** Short description for the error message, e.g. "GET group 123". */
  operation: string;
}

/** Codes documented for groups.roblox.com and users.roblox.com (notes §2.2, §2.1). */
const LEGACY_CODES: Partial<Record<number, RobloxErrorKind>> = {
  1: "group_not_found",
  2: "role_not_found",
  3: "user_not_found",
  4: "missing_permission",
  18: "service_unavailable",
  23: "cannot_change_own_rank",
  26: "same_role",
  35: "missing_permission",
  36: "invalid_request",
};

const OPEN_CLOUD_CODES: Record<string, RobloxErrorKind> = {
  INVALID_ARGUMENT: "invalid_request",
  UNAUTHENTICATED: "invalid_credentials",
  PERMISSION_DENIED: "missing_permission",
  NOT_FOUND: "invalid_request",
  ABORTED: "service_unavailable",
  RESOURCE_EXHAUSTED: "rate_limited",
  CANCELLED: "service_unavailable",
  INTERNAL: "service_unavailable",
  NOT_IMPLEMENTED: "invalid_request",
  UNAVAILABLE: "service_unavailable",
};

function kindFromStatus(status: number, context: ErrorContext): RobloxErrorKind {
  if (status === 401) return "invalid_credentials";
  if (status === 403) return "missing_permission";
  if (status === 404) return context.notFound ?? "invalid_request";
  if (status === 429) return "rate_limited";
  if (status >= 500) return "service_unavailable";
  return "invalid_request";
}

/**
 * Open Cloud documents the rank rules only in prose (no codes), so the specific cases are told
 * apart by their message; anything else keeps the kind its status code gives.
 */
function refineByMessage(kind: RobloxErrorKind, message: string): RobloxErrorKind {
  if (kind !== "invalid_request" && kind !== "missing_permission") return kind;
  if (/invalid role|not a role of/i.test(message)) return "role_not_found";
  if (/guest|cannot be assigned|not assignable/i.test(message)) return "role_not_assignable";
  if (/own (rank|role)/i.test(message)) return "cannot_change_own_rank";
  if (/owner/i.test(message)) return "cannot_change_owner_rank";
  return kind;
}

function kindForNotFound(context: ErrorContext, message: string): RobloxErrorKind {
  if (context.notFound) return context.notFound;
  if (/role/i.test(message)) return "role_not_found";
  if (/member/i.test(message)) return "not_in_group";
  if (/user/i.test(message)) return "user_not_found";
  if (/group/i.test(message)) return "group_not_found";
  return "invalid_request";
}

export function classifyError(status: number, body: ParsedErrorBody, context: ErrorContext): RobloxErrorKind {
  const message = body.message ?? "";
  if (typeof body.code === "string") {
    if (body.code === "NOT_FOUND") return kindForNotFound(context, message);
    return refineByMessage(OPEN_CLOUD_CODES[body.code] ?? kindFromStatus(status, context), message);
  }
  if (typeof body.code === "number" && body.code !== 0) {
    const kind = context.legacyCodes?.[body.code] ?? LEGACY_CODES[body.code];
    if (kind) return kind;
  }
  // Code 0 (gateway and pre-controller failures) or no code: the status and message say it.
  if (/scope/i.test(message)) return "missing_permission";
  if (/invalid api key|authorization has been denied|token validation failed/i.test(message)) {
    return "invalid_credentials";
  }
  if (/too many requests/i.test(message)) return "rate_limited";
  if (status === 404) return kindForNotFound(context, message);
  return refineByMessage(kindFromStatus(status, context), message);
}

export function errorFromResponse(
  status: number,
  bodyText: string,
  context: ErrorContext,
  retryAfterMs?: number,
): RobloxError {
  const body = parseErrorBody(bodyText);
  const kind = classifyError(status, body, context);
  const text = `${context.operation}: HTTP ${status}${body.code === undefined ? "" : ` code ${body.code}`}${
    body.message ? ` (${body.message})` : ""
  }`;
  const details = { status, code: body.code, apiMessage: body.message };
  if (kind === "rate_limited") return new RobloxRateLimitedError(text, { ...details, retryAfterMs });
  return new errorClassByKind[kind](text, details);
}
