import type { z } from "zod";

/**
 * The first problem zod found in an answer, as the typed errors at the edges report it: the field
 * as a dotted path (`groupMemberships.0.user`, or `(body)` for the whole answer) and what was wrong.
 */
export function firstSchemaIssue(error: z.ZodError): { field: string; problem: string } {
  const issue = error.issues[0];
  const field = issue && issue.path.length > 0 ? issue.path.map(String).join(".") : "(body)";
  // zod reports a missing field as an invalid type "received undefined".
  const missing = issue?.code === "invalid_type" && issue.message.endsWith("received undefined");
  return { field, problem: missing ? "is missing" : `is invalid: ${issue?.message ?? "unknown"}` };
}
