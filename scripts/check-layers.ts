/**
 * The import-direction check (docs/architecture.md): imports run from the composition root down to
 * adapters, from adapters to the application, from the application to the domain, never back up.
 *
 *   bun run check:layers            checks src/ of this checkout
 *   bun scripts/check-layers.ts DIR checks DIR/src (the test plants a back-import in a copy)
 *
 * Exits 1 on a violation not in KNOWN_VIOLATIONS, and also on a known one that no longer occurs
 * (so the list only shrinks). A small script rather than dependency-cruiser: the rules are few,
 * and type-only imports need a rule of their own (a port module may re-export an adapter's data
 * shapes as types, never call the adapter), which a regex over import statements decides exactly.
 */
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";

export type Layer = "lib" | "domain" | "application" | "adapter" | "composition";

/** The pure part of the bulk sync: planning, progress, schedule, the mass-change rule, the compact member state. */
const DOMAIN_SYNC_FILES = new Set(["src/sync/planner.ts", "src/sync/planner-standing.ts", "src/sync/planner-explain.ts", "src/sync/progress.ts", "src/sync/schedule.ts", "src/sync/mass-change-guard.ts", "src/sync/compact-roles.ts"]);

/**
 * The application's port modules: the only application files that name the Roblox and database
 * adapters, and then only as types they re-export (row shapes, Roblox data shapes).
 */
export const PORT_FILES = new Set(["src/services/roblox-port.ts", "src/services/storage-port.ts", "src/services/discord-port.ts"]);

export function layerOf(file: string): Layer {
  if (file.startsWith("src/lib/")) return "lib";
  if (file.startsWith("src/ranks/") || DOMAIN_SYNC_FILES.has(file)) return "domain";
  if (file.startsWith("src/services/") || file.startsWith("src/sync/")) return "application";
  if (file === "src/app.ts" || file === "src/app-surface.ts" || file === "src/main.ts" || file.startsWith("src/lifecycle/")) return "composition";
  return "adapter";
}

export interface Import {
  from: string;
  /** A path under src/ for a relative import, else the package specifier. */
  target: string;
  typeOnly: boolean;
}

export interface Violation {
  from: string;
  target: string;
  rule: string;
}

/**
 * Violations that other work in flight removes; each names the file pair. The check prints them and
 * fails once one is gone from the code but still listed here. The goal is an empty list.
 */
export const KNOWN_VIOLATIONS: readonly { from: string; target: string }[] = [];

const IMPORT_STATEMENT = /(?:^|[\n;])\s*(import|export)\s+(type\s+)?([^;]*?)\s*from\s*["']([^"']+)["']/g;
const BARE_IMPORT = /(?:^|[\n;])\s*import\s*["']([^"']+)["']/g;
const DYNAMIC_IMPORT = /\bimport\(\s*["']([^"']+)["']\s*\)/g;

export function importsOf(file: string, source: string): Import[] {
  const imports: Import[] = [];
  const add = (specifier: string, typeOnly: boolean) => {
    const target = specifier.startsWith(".") ? normalize(join(dirname(file), specifier)) : specifier;
    imports.push({ from: file, target, typeOnly });
  };
  for (const match of source.matchAll(IMPORT_STATEMENT)) {
    const clause = match[3] ?? "";
    // `import { type A, type B } from` is type-only too; `import { type A, B }` is not.
    const names = /^\{([\s\S]*)\}$/.exec(clause.trim())?.[1]?.split(",").map((name) => name.trim()).filter(Boolean);
    const everyNameIsType = names !== undefined && names.length > 0 && names.every((name) => name.startsWith("type "));
    add(match[4]!, match[2] !== undefined || everyNameIsType);
  }
  for (const match of source.matchAll(BARE_IMPORT)) add(match[1]!, false);
  for (const match of source.matchAll(DYNAMIC_IMPORT)) add(match[1]!, false);
  return imports;
}

const FRAMEWORK_PACKAGE = /^(@discordjs\/|hono(\/|$))/;

/** The rule an import breaks, or null. */
export function ruleBroken({ from, target, typeOnly }: Import): string | null {
  const source = layerOf(from);
  const internal = target.startsWith("src/");
  if (target === "src/main.ts") return "nothing imports the process entry point";
  if (target === "src/app.ts" && from !== "src/main.ts") return "only src/main.ts uses the composition root";
  if (!internal) {
    if ((source === "domain" || source === "lib") && !target.startsWith("node:")) return `the ${source} layer uses no packages`;
    if (source === "application" && FRAMEWORK_PACKAGE.test(target)) return "the application layer does not use Discord or HTTP frameworks";
    return null;
  }
  const destination = layerOf(target);
  switch (source) {
    case "lib":
      return destination === "lib" ? null : "src/lib imports only src/lib";
    case "domain":
      return destination === "domain" || destination === "lib" ? null : "the domain imports only the domain";
    case "application":
      if (target.startsWith("src/discord/") || target.startsWith("src/http/")) return "the application layer never imports the Discord or HTTP adapters";
      if (target.startsWith("src/db/") || target.startsWith("src/roblox/")) {
        if (!PORT_FILES.has(from)) return "the application layer names the database and Roblox only through its ports (src/services/storage-port.ts, roblox-port.ts)";
        if (!typeOnly) return "a port module re-exports adapter types only; the adapter implements the port";
      }
      if (destination === "composition") return "the application layer never imports the composition root";
      return null;
    case "adapter":
      return destination === "composition" ? "adapters never import the composition root" : null;
    case "composition":
      return null;
  }
}

function sourceFiles(root: string, dir = "src"): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true }).flatMap((entry) => {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory()) return sourceFiles(root, path);
    return /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts") ? [path] : [];
  });
}

export interface LayerReport {
  violations: Violation[];
  /** Known violations still in the code. */
  known: Violation[];
  /** Known violations no longer in the code: remove them from the list. */
  stale: { from: string; target: string }[];
}

export function checkLayers(root: string, known: readonly { from: string; target: string }[] = KNOWN_VIOLATIONS): LayerReport {
  const found: Violation[] = [];
  for (const file of sourceFiles(root)) {
    for (const entry of importsOf(file, readFileSync(join(root, file), "utf8"))) {
      const rule = ruleBroken(entry);
      if (rule) found.push({ from: entry.from, target: entry.target, rule });
    }
  }
  const isKnown = (v: { from: string; target: string }) => known.some((k) => k.from === v.from && k.target === v.target);
  return {
    violations: found.filter((v) => !isKnown(v)),
    known: found.filter(isKnown),
    stale: known.filter((k) => !found.some((v) => v.from === k.from && v.target === k.target)),
  };
}

if (import.meta.main) {
  const root = process.argv[2] ?? join(import.meta.dir, "..");
  const report = checkLayers(root);
  const show = (v: Violation) => `  ${v.from} → ${v.target}: ${v.rule}`;
  if (report.known.length > 0) console.log(`Known violations, being removed (${report.known.length}):\n${report.known.map(show).join("\n")}`);
  for (const stale of report.stale) console.log(`No longer violated, remove from KNOWN_VIOLATIONS: ${stale.from} → ${stale.target}`);
  if (report.violations.length > 0) console.log(`Import-direction violations (${report.violations.length}):\n${report.violations.map(show).join("\n")}`);
  const failed = report.violations.length > 0 || report.stale.length > 0;
  console.log(failed ? "check:layers failed" : `check:layers passed (${relative(process.cwd(), root) || "."}; ${report.known.length} known violations)`);
  process.exit(failed ? 1 : 0);
}
