import { describe, expect, test } from "bun:test";
import { createHttpApp } from "../../src/http/app.ts";
import { type ChangeFeedSample, createMetrics, type MemberStateSample } from "../../src/observability/metrics.ts";
import { checkExposition, promtoolCheck } from "../support/exposition.ts";

function appWith(ready: boolean) {
  const metrics = createMetrics();
  const app = createHttpApp({
    metrics,
    readiness: () => ({
      ready,
      shards: [{ id: 0, status: ready ? "ready" : "connecting", ready }],
      database: { ok: true },
    }),
  });
  return { app, metrics };
}

describe("exposition checker", () => {
  test("rejects what promtool rejects", () => {
    expect(checkExposition("# TYPE a counter\na_total 1\n").problems).toEqual([]);
    expect(checkExposition("a{b=c} 1\n").problems.join()).toContain("quoted");
    expect(checkExposition("# TYPE a gauge\na 1\nb 2\na 3\n").problems.join()).toContain("not contiguous");
    expect(checkExposition("a 1").problems.join()).toContain("newline");
    expect(checkExposition("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_sum 1\nh_count 2\n").problems.join()).toContain("+Inf");
    expect(checkExposition("1a 2\n").problems.join()).toContain("not a valid sample");
  });
});

describe("/metrics", () => {
  test("is valid exposition with the bot's own series prefixed rankbridge_", async () => {
    const { app, metrics } = appWith(true);
    metrics.interactions.inc({ command: "ping", outcome: "ok" });
    metrics.shardStatus.set({ shard: "0" }, 1);
    metrics.robloxRequestDuration.observe({ api: "groups.memberships" }, 0.12);
    metrics.discordRequests.inc({ route: "/guilds/:id/members/:id", method: "PATCH", status: "200" });
    metrics.syncRuns.inc({ trigger: "manual", outcome: "done" });
    metrics.interactions.inc({ command: 'we"ird\\name\nx', outcome: "ok" });
    metrics.learnedRateSources.push(() => [{ api: "legacy", perMinute: 150 }]);

    const response = await app.request("/metrics");
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toContain("text/plain");
    const text = await response.text();
    const { problems, samples } = checkExposition(text);
    expect(problems).toEqual([]);
    expect(samples.find((s) => s.name === "rankbridge_interactions_total" && s.labels.command === "ping")?.value).toBe(1);
    expect(samples.some((s) => s.name === 'rankbridge_interactions_total' && s.labels.command === 'we"ird\\name\nx')).toBe(true);
    expect(samples.find((s) => s.name === "rankbridge_roblox_learned_rate_per_minute")).toMatchObject({ labels: { api: "legacy" }, value: 150 });
    expect(samples.some((s) => s.name.startsWith("process_"))).toBe(true);
    const own = samples.filter((s) => !/^(process_|nodejs_)/.test(s.name));
    expect(own.every((s) => s.name.startsWith("rankbridge_"))).toBe(true);

    const promtool = await promtoolCheck(text);
    if (promtool) expect(promtool).toEqual({ exitCode: 0, output: "" });
  });
});

describe("member state series", () => {
  test("members held and approximate bytes per guild and holder, read at scrape time, valid exposition", async () => {
    const { app, metrics } = appWith(true);
    let held: MemberStateSample[] = [{ guildId: "111", holder: "snapshot", members: 50_000, approximateBytes: 4_900_000 }];
    metrics.readMemberStateFrom(() => held);
    const first = checkExposition(await (await app.request("/metrics")).text());
    expect(first.problems).toEqual([]);
    expect(first.samples.find((s) => s.name === "rankbridge_member_state_members" && s.labels.guild === "111")).toMatchObject({ labels: { holder: "snapshot" }, value: 50_000 });
    expect(first.samples.find((s) => s.name === "rankbridge_member_state_bytes" && s.labels.guild === "111")?.value).toBe(4_900_000);

    // A guild whose state was dropped disappears from the next scrape.
    held = [{ guildId: "222", holder: "run", members: 3, approximateBytes: 900 }];
    const text = await (await app.request("/metrics")).text();
    const second = checkExposition(text);
    expect(second.samples.filter((s) => s.name.startsWith("rankbridge_member_state_")).map((s) => [s.name, s.labels.guild, s.labels.holder, s.value])).toEqual([
      ["rankbridge_member_state_members", "222", "run", 3],
      ["rankbridge_member_state_bytes", "222", "run", 900],
    ]);
    const promtool = await promtoolCheck(text);
    if (promtool) expect(promtool).toEqual({ exitCode: 0, output: "" });
  });
});

describe("/healthz and /readyz", () => {
  test("healthz is 200 while the process runs", async () => {
    const { app } = appWith(false);
    expect((await app.request("/healthz")).status).toBe(200);
  });

  test("readyz is 503 with the part that is not ready, 200 when all are", async () => {
    const notReady = await appWith(false).app.request("/readyz");
    expect(notReady.status).toBe(503);
    expect(await notReady.json()).toMatchObject({ ready: false, shards: [{ id: 0, ready: false }] });
    expect((await appWith(true).app.request("/readyz")).status).toBe(200);
  });
});

describe("change feed series", () => {
  test("lag per group read at scrape time, entries read and applied by action, errors by kind, the apply delay: valid exposition", async () => {
    const { app, metrics } = appWith(true);
    let samples: ChangeFeedSample[] = [
      { groupId: 7, caughtUpTo: Date.now() - 4_000 },
      { groupId: 8, caughtUpTo: null },
    ];
    metrics.readChangeFeedFrom(() => samples);
    metrics.changeFeedEntriesRead.inc({ action: "ChangeRank" }, 3);
    metrics.changeFeedEntriesRead.inc({ action: "other" });
    metrics.changeFeedEntriesApplied.inc({ action: "ChangeRank" }, 2);
    metrics.changeFeedOwnEntries.inc(2);
    metrics.changeFeedErrors.inc({ kind: "forbidden" });
    metrics.changeFeedDelay.observe(3.2);

    const text = await (await app.request("/metrics")).text();
    const scraped = checkExposition(text);
    expect(scraped.problems).toEqual([]);
    const lag = scraped.samples.filter((s) => s.name === "rankbridge_change_feed_lag_seconds");
    // A group not yet read completely has no lag to show.
    expect(lag.map((s) => s.labels.group)).toEqual(["7"]);
    expect(lag[0]!.value).toBeGreaterThanOrEqual(4);
    expect(lag[0]!.value).toBeLessThan(10);
    expect(scraped.samples.find((s) => s.name === "rankbridge_change_feed_entries_applied_total")).toMatchObject({ labels: { action: "ChangeRank" }, value: 2 });
    expect(scraped.samples.find((s) => s.name === "rankbridge_change_feed_errors_total")).toMatchObject({ labels: { kind: "forbidden" }, value: 1 });
    expect(scraped.samples.find((s) => s.name === "rankbridge_change_feed_apply_delay_seconds_count")?.value).toBe(1);
    const promtool = await promtoolCheck(text);
    if (promtool) expect(promtool).toEqual({ exitCode: 0, output: "" });

    // A group the feed no longer reads disappears from the next scrape.
    samples = [];
    const after = checkExposition(await (await app.request("/metrics")).text());
    expect(after.samples.filter((s) => s.name === "rankbridge_change_feed_lag_seconds")).toEqual([]);
  });
});
