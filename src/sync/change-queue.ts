/**
 * The hand-over between the planner (which persists each slice of the plan and then queues its
 * changes) and the applier (which works through them in plan order, at Discord's pace). It lets
 * the two overlap, so a run takes about as long as its slowest API rather than the sum of both.
 */
export class ChangeQueue<T> {
  #items: T[] = [];
  #head = 0;
  #closed = false;
  #wake: (() => void) | undefined;

  get closed(): boolean {
    return this.#closed;
  }

  get length(): number {
    return this.#items.length - this.#head;
  }

  push(item: T): void {
    this.#items.push(item);
    this.#notify();
  }

  /** No more items will come; `next` drains what is left, then returns undefined. */
  close(): void {
    this.#closed = true;
    this.#notify();
  }

  /** Wakes a waiting `next` so the consumer can notice it was asked to stop. */
  interrupt(): void {
    this.#notify();
  }

  /** The next item in order; undefined once closed and empty, or when interrupted while empty. */
  async next(): Promise<T | undefined> {
    if (this.length === 0) {
      if (this.#closed) return undefined;
      await new Promise<void>((resolve) => (this.#wake = resolve));
      if (this.length === 0) return undefined;
    }
    const item = this.#items[this.#head++]!;
    // Drop the consumed prefix now and then, so a long run does not hold every item it has applied.
    if (this.#head > 4096 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    return item;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }
}
