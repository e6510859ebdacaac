// Discord snowflakes: (ms since 2015-01-01) << 22 | worker << 17 | process << 12 | increment.
// Real-looking ids matter: @discordjs/rest only generalises 17-19 digit ids into bucket routes,
// and shard routing uses the timestamp bits ((id >> 22) % shardCount).

export const DISCORD_EPOCH = 1_420_070_400_000;

export class SnowflakeGenerator {
  private increment = 0;
  private lastMs = 0;

  constructor(
    private readonly workerId = 1,
    private readonly processId = 0,
  ) {}

  /** A snowflake for an object created now (strictly increasing). */
  next(): string {
    let ms = Date.now();
    // Keep ids unique and ordered even when more than 4096 are made in one millisecond.
    if (ms < this.lastMs) ms = this.lastMs;
    if (ms === this.lastMs && this.increment >= 4095) ms = this.lastMs + 1;
    if (ms !== this.lastMs) this.increment = 0;
    this.lastMs = ms;
    return this.at(ms, this.increment++);
  }

  at(ms: number, increment = 0): string {
    const ts = BigInt(ms - DISCORD_EPOCH);
    return (
      (ts << 22n) |
      (BigInt(this.workerId & 31) << 17n) |
      (BigInt(this.processId & 31) << 12n) |
      BigInt(increment & 4095)
    ).toString();
  }
}

/**
 * Ids for things that "already existed" (users, guilds): a deterministic virtual clock that starts in
 * the past and moves forward a pseudo-random number of milliseconds per id. Ids stay unique and their
 * timestamps vary, so guilds spread over shards as real ones do.
 */
export class PastSnowflakeClock {
  private ms: number;
  private rng: () => number;

  constructor(
    private readonly gen: SnowflakeGenerator,
    startIso: string,
    seed: number,
    private readonly maxStepMs: number,
  ) {
    this.ms = Date.parse(startIso);
    this.rng = mulberry32(seed);
  }

  next(): string {
    this.ms += 1 + Math.floor(this.rng() * this.maxStepMs);
    return this.gen.at(this.ms, Math.floor(this.rng() * 4096));
  }
}

export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Milliseconds since the Discord epoch, as a Number (safe: < 2^42). */
export function snowflakeTimestamp(id: string): number {
  return Number(BigInt(id) >> 22n);
}

/** Shard that receives a guild's events: (guild_id >> 22) % shard_count. */
export function shardForGuild(guildId: string, shardCount: number): number {
  return snowflakeTimestamp(guildId) % shardCount;
}

export const SNOWFLAKE_RE = /^(0|[1-9][0-9]{0,19})$/;

export function isSnowflake(v: unknown): v is string {
  return typeof v === "string" && SNOWFLAKE_RE.test(v) && BigInt(v) < 1n << 64n;
}

/** Numeric order of two snowflake strings without BigInt (no leading zeros in valid ids). */
export function compareSnowflakes(a: string, b: string): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}
