/**
 * Which guild the current work is for. The application decides it (a command for its guild, a run
 * for its guild: `runForGuild`, or a client view from `scopedToGuild`); the Roblox adapter's fair
 * queue (src/roblox/fair-share.ts) reads it with `currentGuild`, so callers never pass a guild key
 * by hand and the budget of one credential is shared fairly between guilds (design §10). Work
 * outside any guild (start-up checks, background tasks not tied to one) is `UNSCOPED`.
 */
import { AsyncLocalStorage } from "node:async_hooks";

/** The queue of requests made outside any guild's scope. */
export const UNSCOPED = "";

const guildScope = new AsyncLocalStorage<string>();

/** The guild the current async context works for, or `UNSCOPED`. */
export function currentGuild(): string {
  return guildScope.getStore() ?? UNSCOPED;
}

/** Runs `work` (and everything it awaits) as work for `guildId`. */
export function runForGuild<T>(guildId: string, work: () => T): T {
  return guildScope.run(guildId, work);
}

/**
 * A view of `client` whose every call (async generators' steps included) runs as work for
 * `guildId`; it shares the client's limiters, caches and credentials.
 */
export function scopedToGuild<Client extends object>(client: Client, guildId: string): Client {
  return new Proxy(client, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== "function") return value;
      return (...args: unknown[]) => {
        const result = runForGuild(guildId, () => (value as (...a: unknown[]) => unknown).apply(target, args));
        return isAsyncGenerator(result) ? scopedGenerator(result, guildId) : result;
      };
    },
  });
}

/** An async generator's body runs on each `next()`, in the caller's context: each step is scoped. */
function scopedGenerator<T>(generator: AsyncGenerator<T>, guildId: string): AsyncGenerator<T> {
  const scoped: AsyncGenerator<T> = {
    next: (...args) => runForGuild(guildId, () => generator.next(...args)),
    return: (value) => runForGuild(guildId, () => generator.return(value)),
    throw: (error) => runForGuild(guildId, () => generator.throw(error)),
    [Symbol.asyncIterator]: () => scoped,
    [Symbol.asyncDispose]: () => runForGuild(guildId, () => generator[Symbol.asyncDispose]()),
  };
  return scoped;
}

function isAsyncGenerator(value: unknown): value is AsyncGenerator<unknown> {
  return typeof value === "object" && value !== null && typeof (value as AsyncGenerator<unknown>).next === "function" && Symbol.asyncIterator in value;
}
