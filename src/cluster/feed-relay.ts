/**
 * The change feed's relay over Redis (sync/change-feed/relay.ts): the lease `lease:feed:group:<id>`
 * says which process reads a group's audit log; each poll's batch is appended to the stream
 * `feed:stream:<id>` and every process following the group reads it from its own position
 * (`feed:position:<id>:<shard set>`, so a replacement started with the same SHARD_IDS goes on where
 * the old process stopped).
 *
 * Every stream entry names the entry before it (`prev`, taken in the same script that appends), so
 * a follower knows for certain whether it missed any: the first entry after its position must name
 * that position. Anything else (the stream trimmed past it, Redis restarted empty and the stream
 * begun again) is a gap, which the feed answers with a full sync, as it does a gap in Roblox's log.
 */
import type { FeedBatch, FeedClaim, FeedRelay, ReceivedBatches } from "../sync/change-feed/relay.ts";
import type { AuditLogEntry } from "../services/roblox-port.ts";
import type { Leases } from "./leases.ts";
import type { SharedRedis } from "./redis.ts";

export interface RedisFeedRelayOptions {
  /** The process's shard set (`0,1/4`); `''` when it runs every shard. Read when first needed: the shard count may come from Discord. */
  scope: () => string;
  /** Batches kept per group: at one a poll, a follower may be this many polls behind before it has a gap (default 1000). */
  maxBatches?: number;
  /** A group nobody polls any more has its stream dropped after this (default a day). */
  streamTtlMs?: number;
  /** A follower's position is kept this long without use (default a week). */
  positionTtlMs?: number;
  /** Batches taken per group per receive (default 100). */
  receiveCount?: number;
}

// KEYS[1] stream; ARGV[1] max length, ARGV[2] batch, ARGV[3] ttl ms. Appends, naming the entry before.
const PUBLISH = `
local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
local prev = '0-0'
if #last > 0 then prev = last[1][1] end
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], '*', 'prev', prev, 'batch', ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return id`;

// KEYS[1] stream; ARGV[1] position ('' none yet), ARGV[2] count.
// {'start', newest id} | {'entries', [[id, fields]...]} | {'last', newest id} | {'empty'}
const RECEIVE = `
local newest = function()
  local last = redis.call('XREVRANGE', KEYS[1], '+', '-', 'COUNT', 1)
  if #last > 0 then return last[1][1] end
  return nil
end
if ARGV[1] == '' then return {'start', newest() or '0-0'} end
local entries = redis.call('XRANGE', KEYS[1], '(' .. ARGV[1], '+', 'COUNT', ARGV[2])
if #entries > 0 then return {'entries', entries} end
local last = newest()
if last then return {'last', last} end
return {'empty'}`;

type Received = ["start" | "last", string] | ["entries", [string, string[]][]] | ["empty"];

export class RedisFeedRelay implements FeedRelay {
  readonly #positions = new Map<number, string>();
  readonly #maxBatches: number;
  readonly #streamTtlMs: number;
  readonly #positionTtlMs: number;
  readonly #receiveCount: number;

  constructor(
    private readonly redis: SharedRedis,
    private readonly leases: Leases,
    private readonly options: RedisFeedRelayOptions,
  ) {
    this.#maxBatches = options.maxBatches ?? 1_000;
    this.#streamTtlMs = options.streamTtlMs ?? 24 * 60 * 60_000;
    this.#positionTtlMs = options.positionTtlMs ?? 7 * 24 * 60 * 60_000;
    this.#receiveCount = options.receiveCount ?? 100;
  }

  claim(groupId: number, ttlMs: number): Promise<FeedClaim | undefined> {
    return this.leases.acquire(`feed:group:${groupId}`, ttlMs);
  }

  async publish(groupId: number, batch: FeedBatch): Promise<void> {
    await this.redis.client.eval(PUBLISH, 1, this.#stream(groupId), String(this.#maxBatches), encodeBatch(batch), String(this.#streamTtlMs));
  }

  async receive(groupIds: readonly number[]): Promise<Map<number, ReceivedBatches>> {
    const received = new Map<number, ReceivedBatches>();
    if (groupIds.length === 0) return received;
    const unknown = groupIds.filter((groupId) => !this.#positions.has(groupId));
    if (unknown.length > 0) {
      const stored = await this.redis.client.mget(...unknown.map((groupId) => this.#positionKey(groupId)));
      unknown.forEach((groupId, index) => {
        const position = stored[index];
        if (position) this.#positions.set(groupId, position);
      });
    }
    const pipeline = this.redis.client.pipeline();
    for (const groupId of groupIds) pipeline.eval(RECEIVE, 1, this.#stream(groupId), this.#positions.get(groupId) ?? "", String(this.#receiveCount));
    const results = (await pipeline.exec()) ?? [];
    for (const [index, groupId] of groupIds.entries()) {
      const [error, answer] = results[index] ?? [new Error("no answer")];
      if (error) throw error;
      const position = this.#positions.get(groupId) ?? "";
      const result = answer as Received;
      if (result[0] === "start") {
        // Followed for the first time: from the newest batch on.
        await this.acknowledge(groupId, result[1]);
        continue;
      }
      if (result[0] === "empty") continue;
      if (result[0] === "last") {
        // The stream was begun again below our position (Redis emptied, another clock): what it had is unknown to us.
        if (compareIds(result[1], position) < 0) received.set(groupId, { batches: [], gap: true, position: result[1] });
        continue;
      }
      const entries = result[1] as [string, string[]][];
      const first = fieldsOf(entries[0]![1]);
      received.set(groupId, {
        batches: entries.map(([, fields]) => decodeBatch(fieldsOf(fields).batch ?? "")),
        gap: first.prev !== position,
        position: entries.at(-1)![0],
      });
    }
    return received;
  }

  async acknowledge(groupId: number, position: string): Promise<void> {
    this.#positions.set(groupId, position);
    await this.redis.client.set(this.#positionKey(groupId), position, "PX", this.#positionTtlMs);
  }

  #stream(groupId: number): string {
    return this.redis.key(`feed:stream:${groupId}`);
  }

  #positionKey(groupId: number): string {
    return this.redis.key(`feed:position:${groupId}:${this.options.scope() || "all"}`);
  }
}

/** Stream ids `ms-seq`, compared as numbers. */
export function compareIds(a: string, b: string): number {
  const [aMs = 0, aSeq = 0] = a.split("-").map(Number);
  const [bMs = 0, bSeq = 0] = b.split("-").map(Number);
  return aMs === bMs ? aSeq - bSeq : aMs - bMs;
}

function fieldsOf(flat: readonly string[]): Record<string, string> {
  const fields: Record<string, string> = {};
  for (let index = 0; index + 1 < flat.length; index += 2) fields[flat[index]!] = flat[index + 1]!;
  return fields;
}

/** JSON, with each entry's `created` as epoch ms. */
export function encodeBatch(batch: FeedBatch): string {
  if (batch.kind !== "entries") return JSON.stringify(batch);
  return JSON.stringify({ ...batch, entries: batch.entries.map((entry) => ({ ...entry, created: entry.created.getTime() })) });
}

export function decodeBatch(text: string): FeedBatch {
  const batch = JSON.parse(text) as FeedBatch | (Omit<Extract<FeedBatch, { kind: "entries" }>, "entries"> & { entries: (Omit<AuditLogEntry, "created"> & { created: number })[] });
  if (batch.kind !== "entries") return batch;
  return { ...batch, entries: batch.entries.map((entry) => ({ ...entry, created: new Date(entry.created) })) };
}
