/**
 * A fair share of one credential's Roblox budget between guilds (design §10: no guild can starve
 * another). Requests wait in one FIFO queue per guild; the queues take turns (round-robin) handing
 * one request at a time to the credential's shared limiter, so a guild's burst queues behind its
 * own earlier requests, never in front of another guild's next one.
 *
 * Which guild a request is for comes from the application's guild scope (src/services/guild-scope.ts:
 * `currentGuild`), so the Roblox client's callers do not pass a guild key by hand. Work outside any
 * guild shares one queue of its own.
 */

/** Hands a job to the shared limiter; calls `started` when the limiter starts running it. */
export type Admit<T> = (started: () => void) => Promise<T>;

/** A job waiting for its turn; `drop` rejects it without running it. */
type Waiting = (() => void) & { drop?: (reason: Error) => void };

export class FairQueue {
  readonly #queues = new Map<string, Waiting[]>();
  /** Keys with waiting jobs, in the order they get their next turn. */
  readonly #turns: string[] = [];
  /** Jobs handed to the limiter and not finished, per key. */
  readonly #inFlight = new Map<string, number>();
  #admittedNotStarted = 0;

  /**
   * @param perKeyInFlight Jobs one key may have handed over and unfinished: below the limiter's
   *   concurrency, so another key's request finds a free slot instead of waiting for a burst's
   *   requests already running.
   * @param lookahead Jobs handed to the limiter that it has not started yet. One keeps the order
   *   decided here (the limiter's own queue is FIFO) while the next job is always ready to start.
   */
  constructor(
    private readonly perKeyInFlight = Number.POSITIVE_INFINITY,
    private readonly lookahead = 1,
  ) {}

  /** Waits for `key`'s turn, then admits the job; resolves or rejects with it. */
  run<T>(key: string, admit: Admit<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const start: Waiting = () => {
        let waitingToStart = true;
        const started = () => {
          if (!waitingToStart) return;
          waitingToStart = false;
          this.#admittedNotStarted--;
          this.#pump();
        };
        const finished = () => {
          const count = (this.#inFlight.get(key) ?? 1) - 1;
          if (count > 0) this.#inFlight.set(key, count);
          else this.#inFlight.delete(key);
          started();
          this.#pump();
        };
        admit(started).then(resolve, reject).finally(finished);
      };
      start.drop = reject;
      const queue = this.#queues.get(key);
      if (queue) queue.push(start);
      else {
        this.#queues.set(key, [start]);
        this.#turns.push(key);
      }
      this.#pump();
    });
  }

  /** Rejects every job not yet handed to the limiter (the limiter is stopping and drops its own). */
  drop(reason: Error): void {
    const waiting = [...this.#queues.values()].flat();
    this.#queues.clear();
    this.#turns.length = 0;
    for (const job of waiting) job.drop?.(reason);
  }

  /** Jobs not yet handed to the limiter, over every key. */
  get size(): number {
    let total = 0;
    for (const queue of this.#queues.values()) total += queue.length;
    return total;
  }

  /** Jobs not yet handed to the limiter, per key; for tests and logs. */
  waiting(): Map<string, number> {
    return new Map([...this.#queues].map(([key, queue]) => [key, queue.length]));
  }

  #pump(): void {
    while (this.#admittedNotStarted < this.lookahead) {
      // The first key in turn order that may have another job in flight.
      const turn = this.#turns.findIndex((key) => (this.#inFlight.get(key) ?? 0) < this.perKeyInFlight);
      if (turn < 0) return;
      const [key] = this.#turns.splice(turn, 1) as [string];
      const queue = this.#queues.get(key)!;
      const start = queue.shift()!;
      if (queue.length > 0) this.#turns.push(key);
      else this.#queues.delete(key);
      this.#inFlight.set(key, (this.#inFlight.get(key) ?? 0) + 1);
      this.#admittedNotStarted++;
      start();
    }
  }
}
