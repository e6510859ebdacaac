// The overview's additions (design §9 / issue 17: "members out of agreement" and "a chart of the last
// 30 sync runs (members changed, failures, duration) as inline SVG"), from stored runs only, on a
// real store: what the last finished run found, and the chart with its title, description and
// table, drawn without any inline style (the dashboard's CSP allows none).
import { describe, expect, test } from "bun:test";
import { openDatabase } from "../../src/db/client.ts";
import { createRepositories } from "../../src/db/index.ts";
import { guildOverview, type OverviewSources } from "../../src/http/dashboard/overview.ts";
import { overviewView } from "../../src/http/dashboard/pages/overview.tsx";

const GUILD = "111111111111111111";
const OTHER = "222222222222222222";
const viewer = { name: "Officer", username: "officer", csrfToken: "t" };

async function withRuns(runs: { dryRun?: boolean; updated: number; errors: number; skipped?: number; inSync: number; seconds: number; running?: boolean }[]) {
  const clock = { now: 1_800_000_000_000 };
  const handle = openDatabase(":memory:");
  const repositories = createRepositories(handle.db, { now: () => clock.now });
  for (const run of runs) {
    clock.now += 3_600_000;
    const started = await repositories.syncRuns.start(GUILD, { trigger: "background", dryRun: run.dryRun });
    if (!started.ok) throw new Error("run did not start");
    // Another guild's runs never count here.
    const other = await repositories.syncRuns.start(OTHER, { trigger: "background" });
    if (other.ok) await repositories.syncRuns.finish(OTHER, other.run.id, { status: "done", updated: 999, errors: 999, total: 5000 });
    if (run.running) continue;
    clock.now += run.seconds * 1000;
    const total = run.updated + run.errors + (run.skipped ?? 0) + run.inSync;
    await repositories.syncRuns.finish(GUILD, started.run.id, { status: "done", total, updated: run.updated, errors: run.errors, skipped: run.skipped ?? 0, inSync: run.inSync });
  }
  const sources: OverviewSources = {
    repositories,
    contexts: { groupIdOf: () => 7100 },
    scheduler: { nextRunFor: () => undefined },
    guild: async () => ({ id: GUILD, name: "Sandbox Legion", ownerId: "1", roles: new Map() }),
    defaultSyncIntervalMs: 3_600_000,
  };
  const overview = await guildOverview(sources, GUILD);
  handle.close();
  return { overview, html: String(await overviewView(viewer, GUILD, overview)) };
}

const textOf = (html: string) => html.replace(/<[^>]+>/g, " ").replace(/\s+/g, " ");

describe("the overview's members out of agreement and run chart", () => {
  test("after a real run: what it found and how many it left out of agreement (failed or blocked)", async () => {
    const { overview, html } = await withRuns([
      { updated: 3, errors: 0, inSync: 20, seconds: 4 },
      { updated: 5, errors: 2, skipped: 1, inSync: 92, seconds: 12 },
    ]);
    expect(overview.agreement).toMatchObject({ dryRun: false, total: 100, found: 8, left: 3 });
    expect(textOf(html)).toContain("Members out of agreement 3 of 100 after the sync of");
    expect(textOf(html)).toContain("it found 8 and brought 5 into agreement; the rest failed or were blocked");
  });

  test("a dry run counts them without changing anything; a running run is not yet an answer", async () => {
    const { overview, html } = await withRuns([
      { dryRun: true, updated: 7, errors: 0, inSync: 13, seconds: 2 },
      { updated: 0, errors: 0, inSync: 0, seconds: 0, running: true },
    ]);
    expect(overview.agreement).toMatchObject({ dryRun: true, total: 20, found: 7, left: 7 });
    expect(textOf(html)).toContain("7 of 20 at the dry run of");
    expect(overview.recentRuns.at(-1)).toMatchObject({ status: "running", durationMs: undefined });
    expect(textOf(html)).toContain("still running");
  });

  test("no run yet: no figure is made up, and no chart", async () => {
    const { overview, html } = await withRuns([]);
    expect(overview.agreement).toBeUndefined();
    expect(overview.recentRuns).toEqual([]);
    expect(textOf(html)).toContain("Not known yet: no sync has finished.");
    expect(html).not.toContain("<svg");
  });

  test("the last 30 runs only, oldest first, as an accessible SVG with a table and no inline style", async () => {
    const runs = Array.from({ length: 35 }, (_, i) => ({ updated: i, errors: i % 5 === 0 ? 1 : 0, inSync: 100, seconds: 10 + i }));
    const { overview, html } = await withRuns(runs);
    expect(overview.recentRuns.map((run) => run.changed)).toEqual(Array.from({ length: 30 }, (_, i) => i + 5));
    expect(overview.recentRuns[0]!.durationMs).toBe(15_000);
    // Two charts: counts (two bars a run) and duration (one a run), each a labelled image.
    expect(html.match(/<svg [^>]*role="img"/g)).toHaveLength(2);
    expect(html).toContain('aria-labelledby="runs-counts-title runs-counts-desc"');
    expect(html).toContain("<title id=\"runs-counts-title\">Members changed and failures in the last 30 sync runs</title>");
    expect(html).toContain(`In all, ${(5 + 34) * 15} members changed and 6 failures.`);
    expect(html).toContain("The longest took 44s.");
    expect(html.match(/<rect class="chart-changed/g)).toHaveLength(30);
    expect(html.match(/<rect class="chart-failed/g)).toHaveLength(30);
    expect(html.match(/<rect class="chart-duration/g)).toHaveLength(30);
    // The tallest changed bar fills the plot; a zero bar has no height.
    expect(html).toMatch(/<rect class="chart-changed" [^>]*y="12.0" [^>]*height="118.0"><title>Run \d+, [^<]+: 34 members changed<\/title>/);
    expect(html).toContain('height="0.0"><title>');
    // The table alternative: one row a run, newest first.
    const rows = [...html.matchAll(/<tr><th scope="row">(\d+)/g)].map((match) => Number(match[1]));
    expect(rows).toHaveLength(30);
    expect(rows).toEqual([...rows].sort((a, b) => b - a));
    expect(html).not.toMatch(/\sstyle=/);
  });
});
