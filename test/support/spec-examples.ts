/**
 * Example answers built from an OpenAPI document: the 200 body of an operation, with every
 * property's own `example` (or a plain value of its type when it has none: 1, true, "1"), arrays
 * of one item.
 * And the other half of a schema test: the paths of the fields a zod schema requires, so each can
 * be removed from the example in turn.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { z } from "zod";

type JsonSchema = {
  $ref?: string;
  type?: string | string[];
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  example?: unknown;
  format?: string;
  allOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  anyOf?: JsonSchema[];
  nullable?: boolean;
};

type Document = { paths: Record<string, Record<string, { responses?: Record<string, { content?: Record<string, { schema?: JsonSchema }> }> }>> };

const documents = new Map<string, Document>();

function load(file: string): Document {
  let document = documents.get(file);
  if (!document) {
    document = JSON.parse(readFileSync(join(import.meta.dir, "..", "specs", file), "utf8")) as Document;
    documents.set(file, document);
  }
  return document;
}

function resolve(document: Document, schema: JsonSchema): JsonSchema {
  let current = schema;
  while (current.$ref) {
    const pointer = current.$ref.replace(/^#\//, "").split("/");
    current = pointer.reduce<unknown>((node, key) => (node as Record<string, unknown>)[key], document) as JsonSchema;
  }
  return current;
}

function exampleOf(document: Document, schema: JsonSchema, depth = 0): unknown {
  const resolved = resolve(document, schema);
  const type = Array.isArray(resolved.type) ? resolved.type.find((t) => t !== "null") : resolved.type;
  if (resolved.example !== undefined) {
    // Some documents give an array's example as one item.
    return type === "array" && !Array.isArray(resolved.example) ? [structuredClone(resolved.example)] : structuredClone(resolved.example);
  }
  const variant = resolved.allOf?.[0] ?? resolved.oneOf?.[0] ?? resolved.anyOf?.[0];
  if (variant) return exampleOf(document, variant, depth + 1);
  if (resolved.format === "snowflake") return "123456789012345678";
  if (resolved.properties || type === "object") {
    if (depth > 8) return {};
    return Object.fromEntries(Object.entries(resolved.properties ?? {}).map(([key, value]) => [key, exampleOf(document, value, depth + 1)]));
  }
  if (type === "array") return resolved.items ? [exampleOf(document, resolved.items, depth + 1)] : [];
  if (type === "integer" || type === "number") return 1;
  if (type === "boolean") return true;
  // Digits fit every string the bot reads (names, snowflakes, permission bit sets).
  return "1";
}

/** The example 200 body of `method path` in `specs/<file>`. */
export function specExample(file: string, method: string, path: string): unknown {
  const document = load(file);
  const operation = document.paths[path]?.[method.toLowerCase()];
  const schema = operation?.responses?.["200"]?.content?.["application/json"]?.schema;
  if (!schema) throw new Error(`${file}: no JSON 200 answer for ${method} ${path}`);
  return exampleOf(document, schema);
}

function unwrap(schema: z.ZodType): z.ZodType {
  let current: z.ZodType = schema;
  for (;;) {
    if (current instanceof z.ZodOptional || current instanceof z.ZodNullable) current = current.unwrap() as z.ZodType;
    else if (current instanceof z.ZodPipe) current = current.in as z.ZodType;
    else return current;
  }
}

/**
 * Dotted paths (`groupMemberships.0.user`) of every field the schema cannot do without, inside
 * optional parents too when those are present. Arrays are entered at their first item.
 */
export function requiredFieldPaths(schema: z.ZodType, prefix: string[] = []): string[] {
  const inner = unwrap(schema);
  if (inner instanceof z.ZodArray) return requiredFieldPaths(inner.element as z.ZodType, [...prefix, "0"]);
  if (!(inner instanceof z.ZodObject)) return [];
  const paths: string[] = [];
  for (const [key, field] of Object.entries(inner.shape as Record<string, z.ZodType>)) {
    const here = [...prefix, key];
    if (!field.safeParse(undefined).success) paths.push(here.join("."));
    paths.push(...requiredFieldPaths(field, here));
  }
  return paths;
}

/** A copy of `value` without the field at the dotted path. */
export function withoutField(value: unknown, path: string): unknown {
  const copy = structuredClone(value) as Record<string, unknown>;
  const keys = path.split(".");
  let node: Record<string, unknown> | undefined = copy;
  for (const key of keys.slice(0, -1)) node = node?.[key] as Record<string, unknown> | undefined;
  if (node) delete node[keys[keys.length - 1]!];
  return copy;
}

/** Whether the dotted path exists in `value`. */
export function hasField(value: unknown, path: string): boolean {
  let node: unknown = value;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object" || !(key in node)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return true;
}

/** The error `run` throws; a run that throws none fails the test. */
export function caught(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  throw new Error("expected a malformed-answer error, got none");
}
