/**
 * Design §8 / docs/cluster.md: each process of a cluster says on /metrics which shards it runs, as
 * labels, from the moment the shard count is known (before any shard is READY).
 */
import { describe, expect, test } from "bun:test";
import { ConfigError } from "../../src/config/env.ts";
import { ShardOwnership } from "../../src/lifecycle/shard-ownership.ts";
import { createMetrics } from "../../src/observability/metrics.ts";
import { checkExposition, type Sample } from "../support/exposition.ts";

function processWith(shardIds: number[] | undefined) {
  const metrics = createMetrics();
  const ownership = new ShardOwnership(shardIds, { onOwn: (ids, count) => metrics.reportShards(ids, count) });
  const samples = async (name: string): Promise<Sample[]> => {
    const { problems, samples } = checkExposition(await metrics.registry.metrics());
    expect(problems).toEqual([]);
    return samples.filter((sample) => sample.name === name).sort((a, b) => Number(a.labels.shard) - Number(b.labels.shard));
  };
  return { metrics, ownership, samples };
}

describe("the shards a process runs, on /metrics", () => {
  test("SHARD_IDS 1,3 of 4: rankbridge_process_shards names shards 1 and 3 with the count, and their readiness starts at 0", async () => {
    const { ownership, samples } = processWith([1, 3]);
    expect(await samples("rankbridge_process_shards")).toEqual([]);
    ownership.own(4);
    expect(await samples("rankbridge_process_shards")).toEqual([
      { name: "rankbridge_process_shards", labels: { shard: "1", shard_count: "4" }, value: 1 },
      { name: "rankbridge_process_shards", labels: { shard: "3", shard_count: "4" }, value: 1 },
    ]);
    expect((await samples("rankbridge_shard_ready")).map((s) => [s.labels.shard, s.value])).toEqual([
      ["1", 0],
      ["3", 0],
    ]);
  });

  test("without SHARD_IDS the process runs every shard of the count Discord recommends", async () => {
    const { ownership, samples } = processWith(undefined);
    ownership.own(3);
    expect((await samples("rankbridge_process_shards")).map((s) => s.labels)).toEqual([
      { shard: "0", shard_count: "3" },
      { shard: "1", shard_count: "3" },
      { shard: "2", shard_count: "3" },
    ]);
  });

  test("the count known again replaces the old series rather than adding to them", async () => {
    const { ownership, samples } = processWith(undefined);
    ownership.own(2);
    ownership.own(1);
    expect((await samples("rankbridge_process_shards")).map((s) => s.labels)).toEqual([{ shard: "0", shard_count: "1" }]);
  });

  test("SHARD_IDS beyond the count: a configuration error, and nothing reported", async () => {
    const { ownership, samples } = processWith([2]);
    expect(() => ownership.own(2)).toThrow(ConfigError);
    expect(await samples("rankbridge_process_shards")).toEqual([]);
  });
});
