/**
 * Reading a Roblox answer through its schema (wire.ts), at the edge where the transport receives
 * it. A body that is not JSON, or lacks or mistypes a field the bot reads, becomes a typed error
 * naming the endpoint and the field: never an empty list, a zero or Guest read into a missing field.
 */
import type { z } from "zod";
import { firstSchemaIssue } from "../errors/schema-issue.ts";
import { RobloxUnexpectedResponseError } from "./errors.ts";

/**
 * The answer did not have the shape the endpoint documents. Retryable: Roblox has answered with
 * truncated bodies and half-filled pages during incidents, and the same request usually succeeds.
 */
export class RobloxMalformedAnswerError extends RobloxUnexpectedResponseError {
  override readonly retryable = true;
  /** `GET apis/cloud/v2/groups/7/memberships`: what was asked. */
  readonly endpoint: string;
  /** The first field that was missing or of the wrong type (`groupMemberships.0.user`); null when the body was not JSON at all. */
  readonly field: string | null;

  constructor(endpoint: string, field: string | null, problem: string, details: { status?: number; cause?: unknown } = {}) {
    super(`${endpoint}: ${field === null ? problem : `field "${field}" ${problem}`}`, details);
    this.endpoint = endpoint;
    this.field = field;
  }
}

/** Parses a 2xx body: JSON first, then the schema. Throws RobloxMalformedAnswerError. */
export function parseAnswer<Schema extends z.ZodType>(endpoint: string, status: number, text: string, schema: Schema): z.output<Schema> {
  let json: unknown;
  try {
    // An empty body is what the write endpoints answer with; their schema decides whether that is enough.
    json = text === "" ? {} : JSON.parse(text);
  } catch (cause) {
    throw new RobloxMalformedAnswerError(endpoint, null, `HTTP ${status} body is not JSON (${text.length} bytes)`, { status, cause });
  }
  return parseValue(endpoint, json, schema, status);
}

/** Checks an already decoded value (for checks beyond the schema, such as "a group has roles"). */
export function parseValue<Schema extends z.ZodType>(endpoint: string, value: unknown, schema: Schema, status?: number): z.output<Schema> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const { field, problem } = firstSchemaIssue(parsed.error);
  throw new RobloxMalformedAnswerError(endpoint, field, problem, { status, cause: parsed.error });
}

/** A group always has its Guest and Owner roles: an empty role list is a broken answer, not a fact. */
export function requireRoles<T>(endpoint: string, field: string, roles: readonly T[]): void {
  if (roles.length === 0) throw new RobloxMalformedAnswerError(endpoint, field, "is an empty list (a group always has roles)");
}
