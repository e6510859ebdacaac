/**
 * Page tokens and cursors. Both are opaque to clients and bound to the request that produced them:
 * - Open Cloud `pageToken`: "all other parameters provided to the subsequent call must match" and
 *   "altering any filter parameter results in a 400 error" ([SPEC], [PATTERNS]). The token is bound
 *   to the collection and the filter; `maxPageSize` may change between pages.
 * - Legacy `cursor` (`3023291639_1_8ba111cfa4097b6dd27d851a15353a1f` on the wire): key, direction
 *   and a checksum; a cursor that does not verify, or is used with another sortOrder or list, is
 *   `36: The pagination cursor is invalid.`
 */
import { createHash, randomBytes } from "node:crypto";

const SECRET = randomBytes(16).toString("hex");

function checksum(...parts: (string | number)[]): string {
  return createHash("md5").update(`${SECRET}|${parts.join("|")}`).digest("hex");
}

/** Open Cloud: a position in a collection, bound to `binding` (collection + filter). */
export function encodePageToken(position: number, binding: string): string {
  const sum = checksum("pt", position, binding).slice(0, 12);
  return Buffer.from(`${position}.${sum}`).toString("base64url");
}

/** The position, or undefined when the token is malformed or was issued for another query. */
export function decodePageToken(token: string, binding: string): { position: number } | { error: "malformed" | "mismatch" } {
  let text: string;
  try {
    text = Buffer.from(token, "base64url").toString("utf8");
  } catch {
    return { error: "malformed" };
  }
  const m = /^(\d{1,16})\.([0-9a-f]{12})$/.exec(text);
  if (!m) return { error: "malformed" };
  const position = Number(m[1]);
  if (checksum("pt", position, binding).slice(0, 12) !== m[2]) return { error: "mismatch" };
  return { position };
}

export type CursorDirection = "next" | "previous";

/** Legacy cursor `${key}_${1|0}_${md5}`: 1 = the page after `key`, 0 = the page before it. */
export function encodeCursor(key: number, direction: CursorDirection, binding: string): string {
  const dir = direction === "next" ? 1 : 0;
  return `${key}_${dir}_${checksum("cursor", key, dir, binding)}`;
}

export function decodeCursor(cursor: string, binding: string): { key: number; direction: CursorDirection } | undefined {
  const m = /^(\d{1,16})_([01])_([0-9a-f]{32})$/.exec(cursor);
  if (!m) return undefined;
  const key = Number(m[1]);
  if (checksum("cursor", key, Number(m[2]), binding) !== m[3]) return undefined;
  return { key, direction: m[2] === "1" ? "next" : "previous" };
}
