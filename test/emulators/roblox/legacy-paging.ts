/**
 * Cursor paging of the legacy list endpoints (`limit`, `cursor`, `sortOrder`) over anything ordered
 * by `seq`: a group's members, a role's holders, a group's audit log. The cursor (paging.ts) is
 * bound to the list, its filters and the sort order; a cursor from another query is code 36.
 */
import { legacyBadRequest, legacyError, type RequestContext } from "./http.ts";
import { type CursorDirection, decodeCursor, encodeCursor } from "./paging.ts";
import { type Sequenced, take } from "./seq-index.ts";

const LIMITS = [10, 25, 50, 100];

/** Items after / before a seq, ascending / descending (a SeqIndex, or a filtered view of one). */
export interface OrderedSource<T extends Sequenced> {
  ascAfter(after: number): Iterator<T>;
  descBefore(before: number): Iterator<T>;
}

export interface CursorPage<T> {
  page: T[];
  previousPageCursor: string | null;
  nextPageCursor: string | null;
}

/**
 * One page. `invalidQuery` answers a `limit` outside 10/25/50/100 or a `sortOrder` outside
 * Asc/Desc (each endpoint documents its own code for that; default 400 code 0).
 */
export function pageByCursor<T extends Sequenced>(
  ctx: RequestContext,
  source: OrderedSource<T>,
  binding: string,
  invalidQuery: () => Response = () => legacyBadRequest(),
): CursorPage<T> | Response {
  const limitRaw = ctx.query.get("limit");
  const limit = limitRaw === null ? 10 : Number(limitRaw);
  if (!LIMITS.includes(limit)) return invalidQuery();
  const sortRaw = ctx.query.get("sortOrder") ?? "Asc";
  const sort = ["asc", "desc"].includes(sortRaw.toLowerCase()) ? (sortRaw.toLowerCase() as "asc" | "desc") : undefined;
  if (!sort) return invalidQuery();
  const bound = `${binding}|${sort}`;

  const cursorRaw = ctx.query.get("cursor");
  let cursor: { key: number; direction: CursorDirection } | undefined;
  if (cursorRaw) {
    cursor = decodeCursor(cursorRaw, bound);
    if (!cursor) return legacyError(400, 36, "The pagination cursor is invalid.");
  }
  const forward = (after: number) => (sort === "asc" ? source.ascAfter(after) : source.descBefore(after));
  const backward = (before: number) => (sort === "asc" ? source.descBefore(before) : source.ascAfter(before));

  let page: T[];
  let hasNext: boolean;
  let hasPrevious: boolean;
  if (!cursor) {
    ({ page, more: hasNext } = take(forward(sort === "asc" ? 0 : Number.MAX_SAFE_INTEGER), limit));
    hasPrevious = false;
  } else if (cursor.direction === "next") {
    ({ page, more: hasNext } = take(forward(cursor.key), limit));
    hasPrevious = true;
  } else {
    const taken = take(backward(cursor.key), limit);
    page = taken.page.reverse();
    hasPrevious = taken.more;
    hasNext = true;
  }
  const first = page[0];
  const last = page[page.length - 1];
  return {
    page,
    previousPageCursor: hasPrevious && first ? encodeCursor(first.seq, "previous", bound) : null,
    nextPageCursor: hasNext && last ? encodeCursor(last.seq, "next", bound) : null,
  };
}
