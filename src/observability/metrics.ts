import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

/**
 * Every Prometheus series the bot exposes. Built once in `app.ts` and handed to the adapters,
 * so tests can read a private registry instead of a global one.
 */
/** One guild's member state (src/sync/member-snapshots.ts and a running sync's copy), for /metrics. */
export interface MemberStateSample {
  guildId: string;
  /** "snapshot": kept between runs; "run": a running sync's own. */
  holder: "snapshot" | "run";
  members: number;
  approximateBytes: number;
}

/** One group's change feed, for /metrics (src/sync/change-feed/feed.ts). */
export interface ChangeFeedSample {
  groupId: number;
  /** Every entry created before this (epoch ms) has been read and applied; null before the first complete poll. */
  caughtUpTo: number | null;
}

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  // prom-client names these gauges `*_total`, which `promtool check metrics` rejects; they add
  // little for a bot, so they are dropped rather than renamed.
  for (const name of ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"]) {
    registry.removeSingleMetric(name);
  }
  const registers = [registry];
  /** Read at each scrape: the learned rate of the process-wide Roblox client's header-less hosts. */
  const learnedRateSources: Array<() => Array<{ api: string; perMinute: number }>> = [];
  // Read at scrape time: the member state changes with every chunk and event, so it is not pushed.
  let memberState: () => readonly MemberStateSample[] = () => [];
  let changeFeed: () => readonly ChangeFeedSample[] = () => [];
  const shardStatus = new Gauge({
    name: "rankbridge_shard_ready",
    help: "1 when the shard is READY (or RESUMED), 0 otherwise",
    labelNames: ["shard"] as const,
    registers,
  });
  const processShards = new Gauge({
    name: "rankbridge_process_shards",
    help: "1 for each shard this process runs (SHARD_IDS) out of shard_count: which process serves a guild's shard",
    labelNames: ["shard", "shard_count"] as const,
    registers,
  });

  return {
    registry,
    shardStatus,
    processShards,
    shardLatency: new Gauge({
      name: "rankbridge_shard_heartbeat_latency_seconds",
      help: "Latency of the last heartbeat ACK per shard",
      labelNames: ["shard"] as const,
      registers,
    }),
    discordRequests: new Counter({
      name: "rankbridge_discord_requests_total",
      help: "Discord REST responses by route, method and status",
      labelNames: ["route", "method", "status"] as const,
      registers,
    }),
    discordRateLimited: new Counter({
      name: "rankbridge_discord_rate_limited_total",
      help: "Waits imposed by Discord rate limits, by route and whether a 429 was received",
      labelNames: ["route", "global"] as const,
      registers,
    }),
    robloxRequests: new Counter({
      name: "rankbridge_roblox_requests_total",
      help: "Roblox HTTP requests by API class and outcome",
      labelNames: ["api", "outcome"] as const,
      registers,
    }),
    robloxRequestDuration: new Histogram({
      name: "rankbridge_roblox_request_duration_seconds",
      help: "Roblox request latency by API class",
      labelNames: ["api"] as const,
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    robloxCredentials: new Gauge({
      name: "rankbridge_roblox_credentials_ok",
      help: "Start-up verification of the Roblox credentials: 1 ok, 0 failed, per check (read, write)",
      labelNames: ["check"] as const,
      registers,
    }),
    interactions: new Counter({
      name: "rankbridge_interactions_total",
      help: "Interactions handled by command and outcome",
      labelNames: ["command", "outcome"] as const,
      registers,
    }),
    syncRuns: new Counter({
      name: "rankbridge_sync_runs_total",
      help: "Sync runs by trigger and outcome",
      labelNames: ["trigger", "outcome"] as const,
      registers,
    }),
    syncMembers: new Counter({
      name: "rankbridge_sync_members_total",
      help: "Members handled by sync runs, by outcome",
      labelNames: ["outcome"] as const,
      registers,
    }),
    syncDuration: new Histogram({
      name: "rankbridge_sync_run_duration_seconds",
      help: "Wall time of sync runs",
      buckets: [1, 5, 15, 60, 300, 900, 3600, 14400],
      registers,
    }),
    syncRequests: new Counter({
      name: "rankbridge_sync_requests_total",
      help: "Requests sent by sync runs, by API (roblox, discord)",
      labelNames: ["api"] as const,
      registers,
    }),
    memberStateMembers: new Gauge({
      name: "rankbridge_member_state_members",
      help: "Guild members whose roles are held for syncs, per guild and holder (snapshot, run)",
      labelNames: ["guild", "holder"] as const,
      registers,
      collect() {
        this.reset();
        for (const sample of memberState()) this.set({ guild: sample.guildId, holder: sample.holder }, sample.members);
      },
    }),
    memberStateBytes: new Gauge({
      name: "rankbridge_member_state_bytes",
      help: "Approximate bytes of the member roles held for syncs, per guild and holder (snapshot, run)",
      labelNames: ["guild", "holder"] as const,
      registers,
      collect() {
        this.reset();
        for (const sample of memberState()) this.set({ guild: sample.guildId, holder: sample.holder }, sample.approximateBytes);
      },
    }),
    /**
     * The shards this process runs, once the shard count is known: each gets its
     * `rankbridge_process_shards` series, and `rankbridge_shard_ready` 0 until it is READY, so a
     * shard that never connects is seen on the first scrape rather than missing.
     */
    reportShards(shardIds: readonly number[], shardCount: number): void {
      processShards.reset();
      for (const shard of shardIds) {
        processShards.set({ shard: String(shard), shard_count: String(shardCount) }, 1);
        shardStatus.set({ shard: String(shard) }, 0);
      }
    },
    /** Where the member-state gauges read from (wired in app.ts). */
    readMemberStateFrom(source: () => readonly MemberStateSample[]): void {
      memberState = source;
    },
    robloxLearnedRate: new Gauge({
      name: "rankbridge_roblox_learned_rate_per_minute",
      help: "Requests a minute the bot allows itself on Roblox hosts that send no rate-limit headers, as learned from their answers",
      labelNames: ["api"] as const,
      registers,
      collect() {
        for (const source of learnedRateSources) for (const { api, perMinute } of source()) this.set({ api }, perMinute);
      },
    }),
    learnedRateSources,
    pendingRobloxWrites: new Gauge({
      name: "rankbridge_pending_roblox_writes",
      help: "Roblox rank writes waiting to be retried",
      registers,
    }),
    changeFeedLag: new Gauge({
      name: "rankbridge_change_feed_lag_seconds",
      help: "Per Roblox group: seconds since the time up to which every audit-log entry has been read and applied (now minus the last complete poll's start)",
      labelNames: ["group"] as const,
      registers,
      collect() {
        this.reset();
        const now = Date.now();
        for (const { groupId, caughtUpTo } of changeFeed()) {
          if (caughtUpTo !== null) this.set({ group: String(groupId) }, Math.max(0, (now - caughtUpTo) / 1000));
        }
      },
    }),
    /** Where the change-feed lag is read from (wired in app.ts). */
    readChangeFeedFrom(source: () => readonly ChangeFeedSample[]): void {
      changeFeed = source;
    },
    changeFeedEntriesRead: new Counter({
      name: "rankbridge_change_feed_entries_read_total",
      help: "Roblox group audit-log entries read by the change feed, by action type (other: types it does not act on)",
      labelNames: ["action"] as const,
      registers,
    }),
    changeFeedEntriesApplied: new Counter({
      name: "rankbridge_change_feed_entries_applied_total",
      help: "Changes read from a Roblox group audit log that changed a member's Discord roles or stored rank, by action type",
      labelNames: ["action"] as const,
      registers,
    }),
    changeFeedOwnEntries: new Counter({
      name: "rankbridge_change_feed_own_entries_total",
      help: "Audit-log entries recognised as rankbridge's own rank writes, which the change feed does not echo back",
      registers,
    }),
    changeFeedDelay: new Histogram({
      name: "rankbridge_change_feed_apply_delay_seconds",
      help: "From a change's time in the Roblox audit log to its Discord role edit",
      buckets: [0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300],
      registers,
    }),
    changeFeedErrors: new Counter({
      name: "rankbridge_change_feed_errors_total",
      help: "Change-feed problems by kind: forbidden (the key may not read the log), unavailable, no_api_key, gap, roblox (a failed read), apply",
      labelNames: ["kind"] as const,
      registers,
    }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
