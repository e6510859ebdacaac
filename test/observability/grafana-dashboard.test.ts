// docs/grafana/rankbridge.json, the importable Grafana dashboard for operators: every query in it
// (panels and template variables) names only series the bot exports, as read from the /metrics of
// the app that src/app.ts composes (so a renamed or removed metric fails here).
import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { createInProcessBot } from "../support/in-process-bot.ts";

const dashboard = JSON.parse(readFileSync(join(import.meta.dir, "..", "..", "docs", "grafana", "rankbridge.json"), "utf8"));

const GRAFANA_DATASOURCE_VARIABLE = ["$", "{datasource}"].join("");

interface Panel {
  type: string;
  title: string;
  targets?: { expr?: string; refId?: string }[];
  panels?: Panel[];
}

/** Every PromQL query of the dashboard, with where it is. */
function queries(): { where: string; expr: string }[] {
  const found: { where: string; expr: string }[] = [];
  const walk = (panels: Panel[]) => {
    for (const panel of panels) {
      for (const target of panel.targets ?? []) found.push({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr ?? "" });
      walk(panel.panels ?? []);
    }
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating.list) {
    if (variable.type !== "query") continue;
    const expr = typeof variable.query === "string" ? variable.query : variable.query.query;
    found.push({ where: `variable $${variable.name}`, expr: expr.replace(/^label_values\((.*),\s*\w+\)$/, "$1") });
  }
  return found;
}

/**
 * The series names a PromQL expression reads: what is left once strings, label matchers, ranges,
 * grouping clauses, function calls, keywords and numbers are taken out.
 */
export function seriesNamedIn(expr: string): string[] {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, " ")
    .replace(/\{[^}]*\}/g, " ")
    .replace(/\[[^\]]*\]/g, " ")
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, " ")
    .replace(/\b[a-zA-Z_][a-zA-Z0-9_]*\s*\(/g, "(");
  const keywords = new Set(["and", "or", "unless", "offset", "bool", "inf", "nan"]);
  return [...stripped.matchAll(/[a-zA-Z_:][a-zA-Z0-9_:]*/g)].map((match) => match[0]).filter((name) => !keywords.has(name.toLowerCase()));
}

/** The series names a scrape can show: histograms as _bucket, _sum and _count, summaries as _sum and _count too. */
function exportedSeries(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const match of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    const [, name, kind] = match as unknown as [string, string, string];
    names.add(name);
    if (kind === "histogram") for (const suffix of ["_bucket", "_sum", "_count"]) names.add(`${name}${suffix}`);
    if (kind === "summary") for (const suffix of ["_sum", "_count"]) names.add(`${name}${suffix}`);
  }
  return names;
}

describe("the Grafana dashboard", () => {
  test("the series extractor sees through PromQL syntax", () => {
    expect(seriesNamedIn('histogram_quantile(0.95, sum by (le, api) (rate(a_bucket{instance=~"$instance"}[5m])))')).toEqual(["a_bucket"]);
    expect(seriesNamedIn("sum(rate(b_sum[1h])) / sum(rate(b_count[1h]))")).toEqual(["b_sum", "b_count"]);
    expect(seriesNamedIn('min by (check) (c{x="y"}) and on (instance) d')).toEqual(["c", "d"]);
  });

  test("every query names only series the bot exports, and at least one", async () => {
    const harness = createInProcessBot({ env: { DISCORD_TOKEN: "grafana-test-token", DISCORD_API_URL: "http://127.0.0.1:9/api" } });
    try {
      const exposition = await (await harness.bot.httpApp.request("/metrics")).text();
      const exported = exportedSeries(exposition);
      expect(exported.has("rankbridge_shard_ready")).toBe(true);
      const all = queries();
      expect(all.length).toBeGreaterThan(15);
      const problems = all.flatMap(({ where, expr }) => {
        const named = seriesNamedIn(expr);
        if (named.length === 0) return [`${where}: names no series (${expr})`];
        return named.filter((name) => !exported.has(name)).map((name) => `${where}: ${name} is not exported`);
      });
      expect(problems).toEqual([]);
    } finally {
      await harness.close();
    }
  });

  test("covers what design §4 says /metrics covers", () => {
    const named = new Set(queries().flatMap(({ expr }) => seriesNamedIn(expr)));
    for (const series of [
      "rankbridge_shard_ready",
      "rankbridge_shard_heartbeat_latency_seconds",
      "rankbridge_roblox_requests_total",
      "rankbridge_discord_requests_total",
      "rankbridge_interactions_total",
      "rankbridge_sync_runs_total",
      "rankbridge_sync_members_total",
      "rankbridge_pending_roblox_writes",
    ]) {
      expect({ series, shown: named.has(series) }).toEqual({ series, shown: true });
    }
  });

  test("is importable: a title, a uid, a Prometheus data source variable, and panels that use it", () => {
    expect(dashboard.title).toBe("rankbridge");
    expect(dashboard.uid).toMatch(/^[\w-]{1,40}$/);
    expect(dashboard.templating.list.find((v: { type: string }) => v.type === "datasource")?.query).toBe("prometheus");
    const ids = new Set<number>();
    for (const panel of dashboard.panels) {
      expect(ids.has(panel.id)).toBe(false);
      ids.add(panel.id);
      // Grafana's own variable syntax, not a template literal.
      if (panel.type !== "row") expect(panel.datasource.uid).toBe(GRAFANA_DATASOURCE_VARIABLE);
    }
  });
});
