/**
 * Background work (retries, scheduled syncs, resumed runs) is done only for guilds on this process's
 * shards (SHARD_IDS) of the shard count, which is known once /gateway/bot has answered; until then,
 * for none.
 */
import { ConfigError } from "../config/env.ts";
import { guildOnShards } from "../sync/scheduler.ts";

export interface ShardOwnershipOptions {
  /** Told the shards this process runs once the count is known (for /metrics). */
  onOwn?: (shardIds: readonly number[], shardCount: number) => void;
}

export class ShardOwnership {
  #owns: (guildId: string) => boolean = () => false;
  #shardCount: number | undefined;

  constructor(
    private readonly shardIds: readonly number[] | undefined,
    private readonly options: ShardOwnershipOptions = {},
  ) {}

  /** @throws ConfigError when a SHARD_IDS entry is not below the shard count */
  own(shardCount: number): void {
    if (this.shardIds?.some((id) => id >= shardCount)) {
      throw new ConfigError([
        { variable: "SHARD_IDS", message: `shard ids must be below the shard count (${shardCount}); got ${this.shardIds.join(",")}` },
      ]);
    }
    this.#owns = guildOnShards(this.shardIds, shardCount);
    this.#scope = this.shardIds && shardCount > 1 ? `${[...new Set(this.shardIds)].sort((a, b) => a - b).join(",")}/${shardCount}` : "";
    this.#shardCount = shardCount;
    this.options.onOwn?.(this.shardIds ?? Array.from({ length: shardCount }, (_, shard) => shard), shardCount);
  }

  /** The shard Discord routes the guild to; undefined until the shard count is known. */
  shardOf(guildId: string): number | undefined {
    return this.#shardCount === undefined ? undefined : Number((BigInt(guildId) >> 22n) % BigInt(this.#shardCount));
  }

  #scope = "";

  /**
   * The process's shard set (`0,1/4`), naming what it keeps for itself where processes share a
   * store (its change-feed cursor without Redis, its follower position with it); `''` when it runs
   * every shard.
   */
  readonly scope = (): string => this.#scope;

  /** Whether this process does the guild's background work; a function so it can be passed as is. */
  readonly owns = (guildId: string): boolean => this.#owns(guildId);
}
