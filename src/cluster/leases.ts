/**
 * Leases for work that must run once in the cluster (a group's change-feed poll, a guild's
 * scheduled sync): acquire with a TTL, renew while working, release when done.
 *
 * Each grant carries a fencing token that grows with every grant of any lease of the bot, also
 * across a Redis restart (it never falls below Redis's clock in ms): work that writes somewhere
 * else can refuse a token older than the last one it saw, so a holder that stalled past its TTL
 * cannot overwrite its successor. Redis restarted empty: every lease is free again, and the next
 * acquire takes it.
 */
import type { SharedRedis } from "./redis.ts";

export interface Lease {
  readonly name: string;
  /** Grows with every grant: larger means later. */
  readonly token: number;
  /** Extends the lease by its TTL; false when it was lost (expired and taken, or Redis restarted). */
  renew(): Promise<boolean>;
  release(): Promise<void>;
}

export interface Leases {
  /** The lease, or undefined when another holder has it. Throws when the store cannot be asked. */
  acquire(name: string, ttlMs: number): Promise<Lease | undefined>;
}

// KEYS[1] lease, KEYS[2] fencing counter; ARGV[1] ttl ms. Returns the token, or nil when held.
const ACQUIRE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return nil end
local token = redis.call('INCR', KEYS[2])
local now = redis.call('TIME')
local floor = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
if token < floor then token = floor; redis.call('SET', KEYS[2], token) end
redis.call('SET', KEYS[1], token, 'PX', ARGV[1])
return token`;

// KEYS[1] lease; ARGV[1] token, ARGV[2] ttl ms. 1 when still ours and extended.
const RENEW = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

export class RedisLeases implements Leases {
  constructor(private readonly redis: SharedRedis) {}

  async acquire(name: string, ttlMs: number): Promise<Lease | undefined> {
    const key = this.redis.key(`lease:${name}`);
    const client = this.redis.client;
    const granted = (await client.eval(ACQUIRE, 2, key, this.redis.key("lease-fence"), String(ttlMs))) as number | null;
    if (granted === null) return undefined;
    const token = Number(granted);
    return {
      name,
      token,
      renew: async () => Number(await client.eval(RENEW, 1, key, String(token), String(ttlMs))) === 1,
      release: async () => {
        await client.eval(RELEASE, 1, key, String(token));
      },
    };
  }
}

/** One process, no Redis: a lease is held in memory, so the same name is still never run twice at once here. */
export class LocalLeases implements Leases {
  readonly #held = new Map<string, { token: number; until: number }>();
  #next = 0;

  async acquire(name: string, ttlMs: number): Promise<Lease | undefined> {
    const now = Date.now();
    const current = this.#held.get(name);
    if (current && current.until > now) return undefined;
    const token = Math.max(++this.#next, now);
    this.#next = token;
    this.#held.set(name, { token, until: now + ttlMs });
    return {
      name,
      token,
      renew: async () => {
        const held = this.#held.get(name);
        if (held?.token !== token) return false;
        held.until = Date.now() + ttlMs;
        return true;
      },
      release: async () => {
        if (this.#held.get(name)?.token === token) this.#held.delete(name);
      },
    };
  }
}
