/**
 * An ordered index of items by their `seq` (a group's join order), for paging in O(log n + page).
 *
 * Items live in chunks of at most 2 × CHUNK, each sorted by seq, so an insert or delete in the
 * middle moves at most one chunk instead of the whole list (a 100k-member group with thousands of
 * rank changes stays cheap), and appends (seeding, joins) are O(1).
 */
export interface Sequenced {
  readonly seq: number;
}

const CHUNK = 512;

export class SeqIndex<T extends Sequenced> {
  private chunks: T[][] = [];
  private count = 0;

  get size(): number {
    return this.count;
  }

  add(item: T): void {
    const last = this.chunks[this.chunks.length - 1];
    if (!last || (last[last.length - 1] as T).seq < item.seq) {
      // Append: the common case (seeding, joins).
      if (!last || last.length >= CHUNK) this.chunks.push([item]);
      else last.push(item);
      this.count++;
      return;
    }
    const ci = this.chunkFor(item.seq);
    const chunk = this.chunks[ci] as T[];
    const at = lowerBound(chunk, item.seq);
    if (chunk[at]?.seq === item.seq) return; // already present
    chunk.splice(at, 0, item);
    this.count++;
    if (chunk.length > 2 * CHUNK) this.chunks.splice(ci + 1, 0, chunk.splice(CHUNK));
  }

  delete(item: T): boolean {
    if (this.count === 0) return false;
    const ci = this.chunkFor(item.seq);
    const chunk = this.chunks[ci];
    if (!chunk) return false;
    const at = lowerBound(chunk, item.seq);
    if (chunk[at]?.seq !== item.seq) return false;
    chunk.splice(at, 1);
    this.count--;
    if (chunk.length === 0) this.chunks.splice(ci, 1);
    return true;
  }

  /** Items with seq > `after`, ascending. */
  *ascAfter(after: number): Generator<T> {
    const first = this.chunkFor(after);
    for (let ci = first; ci < this.chunks.length; ci++) {
      const chunk = this.chunks[ci] as T[];
      for (let i = ci === first ? upperBound(chunk, after) : 0; i < chunk.length; i++) yield chunk[i] as T;
    }
  }

  /** Items with seq < `before`, descending. */
  *descBefore(before: number): Generator<T> {
    const first = Math.min(this.chunkFor(before), this.chunks.length - 1);
    for (let ci = first; ci >= 0; ci--) {
      const chunk = this.chunks[ci] as T[];
      const start = ci === first ? lowerBound(chunk, before) - 1 : chunk.length - 1;
      for (let i = start; i >= 0; i--) yield chunk[i] as T;
    }
  }

  /** Index of the first chunk whose last item has seq >= `seq` (chunks.length when none). */
  private chunkFor(seq: number): number {
    let lo = 0;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const chunk = this.chunks[mid] as T[];
      if ((chunk[chunk.length - 1] as T).seq < seq) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** First index whose seq >= `seq`. */
function lowerBound<T extends Sequenced>(items: T[], seq: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid] as T).seq < seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** First index whose seq > `seq`. */
function upperBound<T extends Sequenced>(items: T[], seq: number): number {
  let lo = 0;
  let hi = items.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((items[mid] as T).seq <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Takes up to `limit` items from an iterator and says whether more remain. */
export function take<T>(items: Iterator<T>, limit: number): { page: T[]; more: boolean } {
  const page: T[] = [];
  while (page.length < limit) {
    const next = items.next();
    if (next.done) return { page, more: false };
    page.push(next.value);
  }
  return { page, more: !items.next().done };
}
