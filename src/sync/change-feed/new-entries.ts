/**
 * Reading what is new in a group's audit log since the feed's cursor (design §3.2): pages newest
 * first, stopping at the last entry seen. Roblox gives entries no id, so an entry is known by a key
 * made of everything it says; the cursor is the newest time applied plus the keys of the entries at
 * exactly that time (several can share a timestamp).
 *
 * A gap is reported, not papered over: the log ran out before the cursor was reached (entries
 * older than the cursor are no longer returned, so some between may have been dropped), or more
 * changed than a poll reads. The caller answers a gap with a whole-roster sync.
 */
import type { AuditLogEntry, AuditLogPage } from "../../services/roblox-port.ts";

export interface FeedCursor {
  /** `created` of the newest entry applied, epoch ms. */
  readonly newestCreatedAt: number;
  /**
   * Keys of the entries created at `newestCreatedAt`. Empty: the log held nothing when the feed
   * started, so reaching its end is no gap.
   */
  readonly newestKeys: readonly string[];
}

/** Everything an entry says, as one string: two entries with the same key are the same entry. */
export function entryKey(entry: AuditLogEntry): string {
  return [
    entry.created.getTime(),
    entry.robloxActionType,
    entry.actor?.userId ?? "",
    entry.target?.userId ?? "",
    entry.oldRole?.id ?? "",
    entry.newRole?.id ?? "",
    entry.role?.id ?? "",
  ].join("|");
}

export type NewEntries =
  /** Entries after the cursor, oldest first (none when nothing changed); `cursor` is where the feed stands after them. */
  | { readonly kind: "entries"; readonly entries: readonly AuditLogEntry[]; readonly cursor: FeedCursor }
  /** No cursor yet: the feed starts at the newest entry; what happened before is the periodic sync's. */
  | { readonly kind: "started"; readonly cursor: FeedCursor }
  /** Entries may have been missed; `cursor` skips past everything read so the feed goes on from there. */
  | { readonly kind: "gap"; readonly reason: "dropped" | "too-many"; readonly cursor: FeedCursor };

export interface ReadNewOptions {
  /** Pages read at most per poll; more than this many new entries is a gap (a full sync is cheaper). */
  maxPages: number;
}

/** Reads pages (`readPage(cursor)`, newest first) until the feed's cursor is reached. */
export async function readNewEntries(
  readPage: (pageCursor: string | null) => Promise<AuditLogPage>,
  cursor: FeedCursor | null,
  options: ReadNewOptions,
): Promise<NewEntries> {
  const fresh: AuditLogEntry[] = [];
  const known = new Set(cursor?.newestKeys ?? []);
  let newest: FeedCursor | null = null;
  let pageCursor: string | null = null;
  let reached = false;

  for (let pages = 0; ; pages++) {
    if (pages >= options.maxPages) return { kind: "gap", reason: "too-many", cursor: newest ?? cursor ?? EMPTY_LOG };
    const page = await readPage(pageCursor);
    for (const entry of page.entries) {
      const createdAt = entry.created.getTime();
      const key = entryKey(entry);
      newest = advance(newest, createdAt, key);
      if (!cursor) continue;
      if (createdAt < cursor.newestCreatedAt) {
        reached = true;
        break;
      }
      if (createdAt === cursor.newestCreatedAt && known.has(key)) {
        // Seen before; entries of the same millisecond may still follow, so read on.
        reached = true;
        continue;
      }
      fresh.push(entry);
    }
    if (!cursor) return { kind: "started", cursor: newest ?? EMPTY_LOG };
    if (reached || page.nextPageCursor === null) break;
    pageCursor = page.nextPageCursor;
  }

  if (!reached && cursor.newestKeys.length > 0) return { kind: "gap", reason: "dropped", cursor: merged(cursor, newest) };
  return { kind: "entries", entries: fresh.reverse(), cursor: merged(cursor, newest) };
}

/** The cursor of a log that was empty when the feed started: every entry is new. */
const EMPTY_LOG: FeedCursor = { newestCreatedAt: 0, newestKeys: [] };

function advance(newest: FeedCursor | null, createdAt: number, key: string): FeedCursor {
  if (!newest || createdAt > newest.newestCreatedAt) return { newestCreatedAt: createdAt, newestKeys: [key] };
  if (createdAt === newest.newestCreatedAt && !newest.newestKeys.includes(key)) return { newestCreatedAt: createdAt, newestKeys: [...newest.newestKeys, key] };
  return newest;
}

/** The later of the two; at the same time, the keys of both. */
function merged(cursor: FeedCursor, newest: FeedCursor | null): FeedCursor {
  if (!newest || newest.newestCreatedAt < cursor.newestCreatedAt) return cursor;
  if (newest.newestCreatedAt > cursor.newestCreatedAt) return newest;
  return { newestCreatedAt: cursor.newestCreatedAt, newestKeys: [...new Set([...cursor.newestKeys, ...newest.newestKeys])] };
}
