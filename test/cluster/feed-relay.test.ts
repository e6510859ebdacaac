/**
 * The change feed's relay over the real Redis (src/cluster/feed-relay.ts, sync/change-feed/claims.ts):
 * batches handed on reach every follower in order, a replacement process with the same shard set
 * goes on where the old one stopped, a position the stream no longer holds (trimmed, Redis emptied)
 * is a gap, and only the holder of a group's feed lease hands a poll on: one that lost it stops.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { RedisFeedRelay } from "../../src/cluster/feed-relay.ts";
import { RedisLeases } from "../../src/cluster/leases.ts";
import type { SharedRedis } from "../../src/cluster/redis.ts";
import type { AuditLogEntry } from "../../src/services/roblox-port.ts";
import { FeedClaims } from "../../src/sync/change-feed/claims.ts";
import type { FeedBatch } from "../../src/sync/change-feed/relay.ts";
import { FeedStatus } from "../../src/sync/change-feed/status.ts";
import { connectShared, deletePrefix, quietLogger, skipWithoutRedis, uniquePrefix } from "../support/redis.ts";

function promotion(userId: number, at: number): AuditLogEntry {
  return {
    actionType: "ChangeRank",
    robloxActionType: "ChangeRank",
    created: new Date(at),
    actor: { userId: 5_000, username: "CaptainAmy" },
    target: { userId, username: `user${userId}` },
    oldRole: { id: 1, name: "Private" },
    newRole: { id: 2, name: "Corporal" },
  };
}

const entries = (polledAt: number, ...list: AuditLogEntry[]): FeedBatch => ({ kind: "entries", polledAt, entries: list });

describe.skipIf(skipWithoutRedis)("change feed relay over Redis", () => {
  const prefix = uniquePrefix("feed-relay");
  const connections: SharedRedis[] = [];
  const connect = async () => {
    const redis = await connectShared(prefix);
    connections.push(redis);
    return redis;
  };
  const relay = async (scope: string) => {
    const redis = await connect();
    return new RedisFeedRelay(redis, new RedisLeases(redis), { scope: () => scope });
  };

  beforeAll(async () => {
    await connect();
  });
  afterAll(async () => {
    await deletePrefix(prefix);
    await Promise.all(connections.map((redis) => redis.close()));
  });

  test("followers start at the newest batch, then get every batch in order, entries intact; a replacement with the same shards goes on", async () => {
    const reader = await relay("0/2");
    const shard0 = await relay("0/2");
    const shard1 = await relay("1/2");
    await reader.publish(1, entries(1_000));
    // Followed for the first time: from here on (what came before is the periodic sync's).
    expect((await shard0.receive([1])).get(1)).toBeUndefined();
    expect((await shard1.receive([1])).get(1)).toBeUndefined();

    await reader.publish(1, entries(2_000, promotion(10, 1_900)));
    await reader.publish(1, { kind: "gap", polledAt: 3_000, reason: "too-many" });
    for (const follower of [shard0, shard1]) {
      const got = (await follower.receive([1])).get(1)!;
      expect(got.gap).toBe(false);
      expect(got.batches).toEqual([entries(2_000, promotion(10, 1_900)), { kind: "gap", polledAt: 3_000, reason: "too-many" }]);
      expect((got.batches[0] as Extract<FeedBatch, { kind: "entries" }>).entries[0]!.created).toBeInstanceOf(Date);
      await follower.acknowledge(1, got.position);
      expect((await follower.receive([1])).get(1)).toBeUndefined();
    }

    // Shard 1's process is replaced after one more batch: the new one reads on from the stored position.
    await reader.publish(1, entries(4_000, promotion(11, 3_900)));
    const replacement = await relay("1/2");
    const got = (await replacement.receive([1])).get(1)!;
    expect(got).toMatchObject({ gap: false, batches: [entries(4_000, promotion(11, 3_900))] });
  });

  test("a position trimmed from the stream is a gap; so is one Redis lost (emptied, the stream begun again)", async () => {
    const reader = await relay("all");
    const follower = await relay("0/2");
    await reader.publish(2, entries(1_000));
    await follower.receive([2]);
    await reader.publish(2, entries(2_000, promotion(20, 1_500)));
    await reader.publish(2, entries(3_000, promotion(21, 2_500)));
    // The stream is cut to its newest batch: the one after our position is gone.
    await connections[0]!.client.xtrim(`${prefix}feed:stream:2`, "MAXLEN", 1);
    const trimmed = (await follower.receive([2])).get(2)!;
    expect(trimmed.gap).toBe(true);
    expect(trimmed.batches).toEqual([entries(3_000, promotion(21, 2_500))]);
    await follower.acknowledge(2, trimmed.position);

    // Redis restarted empty: positions and stream are gone; the follower still knows where it stood.
    await deletePrefix(prefix);
    expect((await follower.receive([2])).get(2)).toBeUndefined();
    await reader.publish(2, entries(5_000, promotion(22, 4_500)));
    const lost = (await follower.receive([2])).get(2)!;
    expect(lost.gap).toBe(true);
    expect(lost.batches).toEqual([entries(5_000, promotion(22, 4_500))]);
  });

  test("one holder of a group's feed lease; a holder that lost it hands nothing on, and the next one does, with a later token", async () => {
    const status = new FeedStatus(1_000);
    const claimsOf = async () => new FeedClaims({ relay: await relay("x"), ttlMs: 300, status, logger: quietLogger(), now: Date.now });
    const follower = await relay("0/2");
    const first = await claimsOf();
    const second = await claimsOf();
    const held = await first.take(3);
    expect(typeof held).toBe("object");
    expect(await second.take(3)).toBe("elsewhere");
    await follower.receive([3]);

    // The first holder stalls (no renewal) past the TTL: the second takes over.
    await first.drop(3, false);
    await Bun.sleep(400);
    const taken = await second.take(3);
    expect(typeof taken).toBe("object");
    if (typeof held !== "object" || typeof taken !== "object") throw new Error("no claim");
    expect(taken.token).toBeGreaterThan(held.token);

    const saved: number[] = [];
    const save = async (token: number) => {
      saved.push(token);
      return true;
    };
    await first.handOn(3, held, entries(1_000, promotion(30, 900)), save);
    await second.handOn(3, taken, entries(2_000, promotion(31, 1_900)), save);
    expect(saved).toEqual([taken.token]);
    expect((await follower.receive([3])).get(3)?.batches).toEqual([entries(2_000, promotion(31, 1_900))]);
    await second.releaseAll();
    expect(typeof (await first.take(3))).toBe("object");
    await first.releaseAll();
  });
});
