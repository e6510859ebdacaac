/**
 * The overview's chart of the last sync runs (design §9): members changed and failures per run, and
 * each run's duration, as inline SVG drawn on the server (no script; the CSP allows none). Colours
 * come from the stylesheet's classes, not `style` attributes (the CSP allows no inline style). Each
 * chart is an image with a title and a description; the table under it says the same in rows, for
 * screen readers and for reading exact figures.
 */
import type { FC } from "hono/jsx";
import { formatDuration } from "../../../lib/duration.ts";
import { utc, When } from "../layout.tsx";
import type { RecentRun } from "../overview.ts";

const WIDTH = 640;
const HEIGHT = 150;
const LEFT = 58;
const BOTTOM = 20;
const TOP = 12;

interface Series {
  cssClass: string;
  value(run: RecentRun): number | undefined;
  /** The bar's tooltip after the run's name. */
  text(value: number): string;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
const COUNTS: readonly Series[] = [
  { cssClass: "chart-changed", value: (run) => run.changed, text: (value) => plural(value, "member changed", "members changed") },
  { cssClass: "chart-failed", value: (run) => run.failed, text: (value) => plural(value, "failure", "failures") },
];
const DURATION: readonly Series[] = [{ cssClass: "chart-duration", value: (run) => run.durationMs, text: (value) => `took ${durationText(value)}` }];

const runLabel = (run: RecentRun) => `Run ${run.id}${run.dryRun ? " (dry run)" : ""}, ${utc(run.startedAt)}`;
const durationText = (ms: number) => (ms < 1000 ? `${Math.round(ms)} ms` : formatDuration(ms));

/** Bars for each run, one per series side by side, on a shared scale from 0 to the highest value. */
const BarChart: FC<{ id: string; title: string; description: string; runs: readonly RecentRun[]; series: readonly Series[]; axis: (max: number) => string }> = ({ id, title, description, runs, series, axis }) => {
  const max = Math.max(1, ...runs.flatMap((run) => series.map((s) => s.value(run) ?? 0)));
  const plotWidth = WIDTH - LEFT - 4;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const slot = plotWidth / Math.max(runs.length, 1);
  const barWidth = Math.max(2, (slot * 0.8) / series.length);
  const y = (value: number) => TOP + plotHeight - (value / max) * plotHeight;
  return (
    <svg class="chart" viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={`${id}-title ${id}-desc`} xmlns="http://www.w3.org/2000/svg">
      <title id={`${id}-title`}>{title}</title>
      <desc id={`${id}-desc`}>{description}</desc>
      <line class="chart-axis" x1={LEFT} y1={y(0)} x2={WIDTH - 4} y2={y(0)} />
      <line class="chart-axis" x1={LEFT} y1={TOP} x2={LEFT} y2={y(0)} />
      <text class="chart-label" x={LEFT - 6} y={TOP + 4} text-anchor="end">
        {axis(max)}
      </text>
      <text class="chart-label" x={LEFT - 6} y={y(0) + 4} text-anchor="end">
        0
      </text>
      <text class="chart-label" x={LEFT} y={HEIGHT - 4}>
        oldest
      </text>
      <text class="chart-label" x={WIDTH - 4} y={HEIGHT - 4} text-anchor="end">
        newest
      </text>
      {runs.map((run, index) =>
        series.map((s, k) => {
          const value = s.value(run);
          if (value === undefined) return null;
          const top = y(value);
          return (
            <rect class={`${s.cssClass}${run.dryRun ? " chart-dry" : ""}`} x={(LEFT + 2 + index * slot + k * barWidth).toFixed(1)} y={top.toFixed(1)} width={(barWidth - 1).toFixed(1)} height={Math.max(value > 0 ? 1 : 0, y(0) - top).toFixed(1)}>
              <title>{`${runLabel(run)}: ${s.text(value)}`}</title>
            </rect>
          );
        }),
      )}
    </svg>
  );
};

export const SyncRunsChart: FC<{ runs: readonly RecentRun[] }> = ({ runs }) => {
  if (runs.length === 0) return <p>No sync has run yet, so there is nothing to chart.</p>;
  const changed = runs.reduce((sum, run) => sum + run.changed, 0);
  const failed = runs.reduce((sum, run) => sum + run.failed, 0);
  const timed = runs.filter((run) => run.durationMs !== undefined);
  const longest = Math.max(0, ...timed.map((run) => run.durationMs!));
  return (
    <>
      <ul class="chart-legend" aria-hidden="true">
        <li>
          <span class="chart-key chart-key-changed" /> members changed
        </li>
        <li>
          <span class="chart-key chart-key-failed" /> failures
        </li>
        <li>
          <span class="chart-key chart-key-duration" /> duration
        </li>
        <li>paler bars: dry runs (nothing changed)</li>
      </ul>
      <BarChart
        id="runs-counts"
        title={`Members changed and failures in the last ${runs.length} sync runs`}
        description={`Oldest run on the left. In all, ${changed} members changed and ${failed} failures.`}
        runs={runs}
        series={COUNTS}
        axis={String}
      />
      <BarChart
        id="runs-duration"
        title={`Duration of the last ${runs.length} sync runs`}
        description={timed.length === 0 ? "No run has finished yet." : `Oldest run on the left. The longest took ${durationText(longest)}.`}
        runs={runs}
        series={DURATION}
        axis={durationText}
      />
      <details class="chart-table">
        <summary>The same runs as a table</summary>
        <table>
          <caption>The last {runs.length} sync runs, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Run</th>
              <th scope="col">Started</th>
              <th scope="col">Members changed</th>
              <th scope="col">Failures</th>
              <th scope="col">Duration</th>
              <th scope="col">Status</th>
            </tr>
          </thead>
          <tbody>
            {[...runs].reverse().map((run) => (
              <tr>
                <th scope="row">
                  {run.id}
                  {run.dryRun ? " (dry run)" : ""}
                </th>
                <td>
                  <When ms={run.startedAt} />
                </td>
                <td>{run.changed}</td>
                <td>{run.failed}</td>
                <td>{run.durationMs === undefined ? "still running" : durationText(run.durationMs)}</td>
                <td>{run.status}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </>
  );
};

/** Contrast of the bars against white: #3a45c6 7.4:1, #b3261e 6.5:1, #2f6f4a 6.1:1. */
export const SYNC_CHART_CSS = `
.chart{display:block;width:100%;max-width:40rem;height:auto;margin:.25rem 0 1rem}
.chart-axis{stroke:#5c5c66;stroke-width:1}
.chart-label{font-size:11px;fill:#1b1b1f}
.chart-changed{fill:#3a45c6}
.chart-failed{fill:#b3261e}
.chart-duration{fill:#2f6f4a}
.chart-dry{fill-opacity:.45}
.chart-legend{list-style:none;display:flex;flex-wrap:wrap;gap:.25rem 1.25rem;padding:0;margin:.5rem 0}
.chart-key{display:inline-block;width:.8rem;height:.8rem;vertical-align:middle}
.chart-key-changed{background:#3a45c6}
.chart-key-failed{background:#b3261e}
.chart-key-duration{background:#2f6f4a}
.chart-table summary{cursor:pointer}
summary:focus-visible{outline:3px solid #b3261e;outline-offset:2px}
`;
