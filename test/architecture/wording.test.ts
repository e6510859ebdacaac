/**
 * The domain (src/ranks, the sync planner and friends) and the application (src/services, src/sync)
 * return codes and facts; what a member reads is written in src/discord/views and the OAuth page's
 * wording (docs/architecture.md). This check fails when Discord wording creeps back into them:
 * emoji, Discord's mention and markdown syntax, or an error that carries a `userMessage` of its own.
 * Comments are left out (Bun's transpiler drops them), so only code and its strings are read.
 */
import { describe, expect, test } from "bun:test";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";

const ROOT = join(import.meta.dir, "..", "..");
const WORDLESS_DIRS = ["src/ranks", "src/services", "src/sync"];

interface Finding {
  readonly file: string;
  readonly rule: string;
  readonly text: string;
}

const RULES: readonly { readonly rule: string; readonly pattern: RegExp }[] = [
  { rule: "no emoji", pattern: /\p{Extended_Pictographic}/u },
  // <@id>, <@&role>, <#channel>, written out or built from a template.
  { rule: "no Discord mentions", pattern: /<(?:@[!&]?|#)(?:\$\{|\d)/ },
  // **bold** (the exponent operator has a space after it).
  { rule: "no Discord markdown", pattern: /\*\*[^\s*]/ },
  { rule: "errors carry a reason, not a userMessage", pattern: /(?:^|[\s;{])(?:this\.)?userMessage\s*=/m },
];

const transpiler = new Bun.Transpiler({ loader: "ts" });

/** What breaks the rules in one file's code (comments and types removed). */
function wordingFindings(file: string, source: string): Finding[] {
  const code = transpiler.transformSync(source);
  const findings: Finding[] = [];
  for (const line of code.split("\n")) {
    for (const { rule, pattern } of RULES) {
      if (pattern.test(line)) findings.push({ file, rule, text: line.trim().slice(0, 160) });
    }
  }
  return findings;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith(".ts") ? [path] : [];
  });
}

describe("no Discord wording in the domain and the application", () => {
  test("src/ranks, src/services and src/sync have none", () => {
    const files = WORDLESS_DIRS.flatMap((dir) => sourceFiles(join(ROOT, dir)));
    expect(files.length).toBeGreaterThan(50);
    const findings = files.flatMap((path) => wordingFindings(relative(ROOT, path), readFileSync(path, "utf8")));
    expect(findings).toEqual([]);
  });

  test("each rule catches what it is for, in code and in template strings", () => {
    // Source text to check, so its `${...}` are meant literally.
    const planted = [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: planted source text
      'export const done = (rank: string) => `✅ ${rank}`;',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: planted source text
      "export const who = (id: string) => `<@${id}> has no rank`;",
      'export const role = "<@&123> was given";',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: planted source text
      "export const name = (n: string) => `**${n}**`;",
      'export class GoneError extends Error { readonly userMessage = "It is gone."; }',
    ].join("\n");
    expect(wordingFindings("planted.ts", planted).map((finding) => finding.rule)).toEqual([
      "no emoji",
      "no Discord mentions",
      "no Discord mentions",
      "no Discord markdown",
      "errors carry a reason, not a userMessage",
    ]);
  });

  test("comments, types, the exponent operator and reading an adapter's userMessage pass", () => {
    const allowed = [
      "/** Shown as ✅ by the view, with <@id> and **bold**. */",
      "// ⚠️ the view words it",
      "export const limit = 2 ** 31 - 1;",
      "export function robloxWords(error: { userMessage: string }): string { return error.userMessage; }",
      "export type Step = { readonly status: \"ok\" | \"failed\" };",
    ].join("\n");
    expect(wordingFindings("allowed.ts", allowed)).toEqual([]);
  });
});
