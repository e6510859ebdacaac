/**
 * A strict reader of the Prometheus text exposition format (version 0.0.4), for tests: every rule
 * `promtool check metrics` enforces on syntax, plus the family rules (one TYPE and HELP per family,
 * before its samples, samples of a family contiguous, histogram buckets complete).
 * When promtool itself is installed the metrics test runs it as well.
 */
const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);
const VALUE = /^(?:[+-]?(?:\d+\.?\d*(?:[eE][+-]?\d+)?|\.\d+(?:[eE][+-]?\d+)?)|[+-]?inf(?:inity)?|nan)$/i; // Go ParseFloat: case-insensitive Inf and NaN

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

function parseLabels(text: string, lineNo: number, problems: string[]): Record<string, string> {
  const labels: Record<string, string> = {};
  let i = 0;
  while (i < text.length) {
    const eq = text.indexOf("=", i);
    if (eq < 0) {
      problems.push(`line ${lineNo}: label without value`);
      break;
    }
    const name = text.slice(i, eq).trim();
    if (!LABEL_NAME.test(name)) problems.push(`line ${lineNo}: invalid label name "${name}"`);
    if (text[eq + 1] !== '"') {
      problems.push(`line ${lineNo}: label value must be quoted`);
      break;
    }
    let value = "";
    let j = eq + 2;
    for (; j < text.length && text[j] !== '"'; j++) {
      if (text[j] === "\\") {
        const next = text[++j];
        if (next === "n") value += "\n";
        else if (next === "\\" || next === '"') value += next;
        else problems.push(`line ${lineNo}: invalid escape \\${next}`);
      } else value += text[j];
    }
    if (j >= text.length) problems.push(`line ${lineNo}: unterminated label value`);
    if (name in labels) problems.push(`line ${lineNo}: duplicate label "${name}"`);
    labels[name] = value;
    i = j + 1;
    if (text[i] === ",") i++;
    else if (i < text.length) {
      problems.push(`line ${lineNo}: expected "," between labels`);
      break;
    }
  }
  return labels;
}

function familyOf(sampleName: string, types: Map<string, string>): string {
  for (const suffix of ["_bucket", "_count", "_sum", "_total", "_created"]) {
    if (sampleName.endsWith(suffix)) {
      const base = sampleName.slice(0, -suffix.length);
      if (types.has(base)) return base;
    }
  }
  return sampleName;
}

export function checkExposition(text: string): { problems: string[]; samples: Sample[] } {
  const problems: string[] = [];
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const closedFamilies = new Set<string>();
  let currentFamily: string | undefined;

  if (!text.endsWith("\n")) problems.push("exposition must end with a newline");
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();

  lines.forEach((line, index) => {
    const lineNo = index + 1;
    if (line.trim() === "") return; // blank lines between families are allowed
    if (line.startsWith("#")) {
      const match = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!match) return;
      const [, kind, name = "", rest = ""] = match;
      if (!METRIC_NAME.test(name)) problems.push(`line ${lineNo}: invalid metric name "${name}"`);
      if (kind === "TYPE") {
        if (!TYPES.has(rest)) problems.push(`line ${lineNo}: unknown type "${rest}"`);
        if (types.has(name)) problems.push(`line ${lineNo}: second TYPE for ${name}`);
        if (samples.some((s) => familyOf(s.name, types) === name)) problems.push(`line ${lineNo}: TYPE after samples of ${name}`);
        types.set(name, rest);
      } else {
        if (helps.has(name)) problems.push(`line ${lineNo}: second HELP for ${name}`);
        helps.add(name);
      }
      return;
    }
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!match) {
      problems.push(`line ${lineNo}: not a valid sample: ${line}`) && undefined;
      return;
    }
    const [, name = "", labelText = "", valueText = ""] = match;
    if (!VALUE.test(valueText)) problems.push(`line ${lineNo}: invalid value "${valueText}"`);
    const family = familyOf(name, types);
    if (family !== currentFamily) {
      if (currentFamily) closedFamilies.add(currentFamily);
      if (closedFamilies.has(family)) problems.push(`line ${lineNo}: samples of ${family} are not contiguous`);
      currentFamily = family;
    }
    const type = types.get(family);
    if (type === "counter" && !/_total$|_created$/.test(name) && name !== family)
      problems.push(`line ${lineNo}: unexpected counter sample ${name}`);
    if (type === "histogram" && !/_bucket$|_count$|_sum$|_created$/.test(name))
      problems.push(`line ${lineNo}: histogram sample ${name} must be _bucket, _count or _sum`);
    samples.push({ name, labels: parseLabels(labelText, lineNo, problems), value: /nan/i.test(valueText) ? NaN : /inf/i.test(valueText) ? (valueText.startsWith("-") ? -Infinity : Infinity) : Number(valueText) });
  });

  for (const [family, type] of types) {
    if (type !== "histogram") continue;
    const buckets = samples.filter((s) => s.name === `${family}_bucket`);
    const series = new Map<string, Sample[]>();
    for (const bucket of buckets) {
      const { le, ...rest } = bucket.labels;
      if (le === undefined) problems.push(`${family}: bucket without le`);
      const key = JSON.stringify(rest);
      series.set(key, [...(series.get(key) ?? []), bucket]);
    }
    for (const [key, list] of series) {
      if (list.at(-1)?.labels.le !== "+Inf") problems.push(`${family}${key}: last bucket must be le="+Inf"`);
      for (let i = 1; i < list.length; i++) {
        if (list[i]!.value < list[i - 1]!.value) problems.push(`${family}${key}: bucket counts must not decrease`);
      }
    }
  }
  return { problems, samples };
}

/** Runs `promtool check metrics` when promtool is installed; undefined otherwise. */
export async function promtoolCheck(text: string): Promise<{ exitCode: number; output: string } | undefined> {
  if (!Bun.which("promtool")) return undefined;
  const child = Bun.spawn(["promtool", "check", "metrics"], { stdin: new Blob([text]), stdout: "pipe", stderr: "pipe" });
  const output = (await new Response(child.stdout).text()) + (await new Response(child.stderr).text());
  return { exitCode: await child.exited, output };
}
