/**
 * Gateway sessions in Redis, as @discordjs/ws calls the store: a new session is written at once,
 * sequence updates are written behind (the local copy answers every dispatch), a process that
 * replaces this one reads the session, a session that ended is removed, and after
 * `keepForReplacement` (SIGTERM) the `null` that WebSocketManager.destroy() stores is ignored.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { RedisGatewaySessions } from "../../src/cluster/gateway-sessions.ts";
import type { SharedRedis } from "../../src/cluster/redis.ts";
import { connectShared, deletePrefix, quietLogger, REDIS_TEST_URL, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";
import { Redis } from "ioredis";

const session = { sessionId: "s-1", sequence: 1, shardId: 0, shardCount: 2, resumeURL: "wss://gateway.example" };
const opened: { prefix: string; redis: SharedRedis }[] = [];

async function open(): Promise<{ prefix: string; redis: SharedRedis }> {
  const prefix = uniquePrefix("sessions");
  const entry = { prefix, redis: await connectShared(prefix) };
  opened.push(entry);
  return entry;
}

async function stored(prefix: string, shardId: number): Promise<unknown> {
  const client = new Redis(REDIS_TEST_URL);
  try {
    const text = await client.get(`${prefix}gateway:session:${shardId}`);
    return text === null ? null : JSON.parse(text);
  } finally {
    client.disconnect();
  }
}

afterEach(async () => {
  for (const { prefix, redis } of opened.splice(0)) {
    await redis.close();
    await deletePrefix(prefix);
  }
});

describe.skipIf(skipWithoutRedis)("gateway sessions over Redis", () => {
  test("a new session is written at once; sequences behind, at most once a flush period; a replacement reads it", async () => {
    const { prefix, redis } = await open();
    const store = new RedisGatewaySessions(redis, quietLogger(), 200);
    await store.updateSessionInfo(0, session);
    expect(await stored(prefix, 0)).toEqual(session);

    for (let sequence = 2; sequence <= 50; sequence++) await store.updateSessionInfo(0, { ...session, sequence });
    // The local copy is current at once; Redis still has the READY's sequence until the flush.
    expect((await store.retrieveSessionInfo(0))?.sequence).toBe(50);
    expect(await stored(prefix, 0)).toEqual(session);
    await Bun.sleep(350);
    expect(await stored(prefix, 0)).toEqual({ ...session, sequence: 50 });

    const replacement = new RedisGatewaySessions(redis, quietLogger());
    expect(await replacement.retrieveSessionInfo(0)).toEqual({ ...session, sequence: 50 });
    expect(await replacement.retrieveSessionInfo(1)).toBeNull();
    await store.close();
  });

  test("a session that ended is removed; after keepForReplacement the shutdown's null is ignored and the last sequence written", async () => {
    const { prefix, redis } = await open();
    const store = new RedisGatewaySessions(redis, quietLogger(), 60_000);
    await store.updateSessionInfo(1, { ...session, shardId: 1 });
    await store.updateSessionInfo(1, null);
    expect(await stored(prefix, 1)).toBeNull();

    await store.updateSessionInfo(0, session);
    await store.updateSessionInfo(0, { ...session, sequence: 9 });
    await store.keepForReplacement();
    await store.updateSessionInfo(0, null);
    expect(await stored(prefix, 0)).toEqual({ ...session, sequence: 9 });
    await store.close();
  });

  test("a stored value that is not a session of this shard is not resumed", async () => {
    const { prefix, redis } = await open();
    await redis.client.set(`${prefix}gateway:session:0`, JSON.stringify({ ...session, shardId: 3 }));
    expect(await new RedisGatewaySessions(redis, quietLogger()).retrieveSessionInfo(0)).toBeNull();
  });
});
