/**
 * The import-direction check (scripts/check-layers.ts) on this checkout, and on copies of src/ with
 * a back-import planted, to show it fails when one is added.
 */
import { afterEach, describe, expect, test } from "bun:test";
import { appendFileSync, cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkLayers, importsOf, KNOWN_VIOLATIONS } from "../../scripts/check-layers.ts";

const ROOT = join(import.meta.dir, "..", "..");
const copies: string[] = [];

/** A copy of src/ with `line` appended to `file`. */
function plant(file: string, line: string): string {
  const dir = mkdtempSync(join(tmpdir(), "rankbridge-layers-"));
  copies.push(dir);
  cpSync(join(ROOT, "src"), join(dir, "src"), { recursive: true });
  appendFileSync(join(dir, file), `\n${line}\n`);
  return dir;
}

afterEach(() => {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("import direction", () => {
  test("the source tree has no violation beyond the listed known ones, and every listed one still occurs", () => {
    const report = checkLayers(ROOT);
    expect(report.violations).toEqual([]);
    expect(report.stale).toEqual([]);
    expect(report.known.length).toBe(KNOWN_VIOLATIONS.length);
  });

  test("a domain file importing an adapter fails the check", () => {
    const report = checkLayers(plant("src/ranks/ladder.ts", 'import type { DiscordGuilds } from "../discord/guilds.ts";'));
    expect(report.violations).toEqual([{ from: "src/ranks/ladder.ts", target: "src/discord/guilds.ts", rule: "the domain imports only the domain" }]);
  });

  test("a service importing the HTTP adapter, a framework or the database's code fails the check", () => {
    const dir = plant(
      "src/services/audit-trail.ts",
      'import { oauthRoutes } from "../http/oauth-callback.ts";\nimport type { Hono } from "hono";\nimport { openDatabase } from "../db/index.ts";',
    );
    expect(checkLayers(dir).violations.map((v) => v.target)).toEqual(["src/http/oauth-callback.ts", "hono", "src/db/index.ts"]);
  });

  test("a service or the sync naming the Roblox client or a database module, even as a type, fails the check", () => {
    const service = plant("src/services/audit-trail.ts", 'import type { RobloxClient } from "../roblox/client.ts";\nimport type { Member } from "../db/schema.ts";');
    expect(checkLayers(service).violations.map((v) => v.target)).toEqual(["src/roblox/client.ts", "src/db/schema.ts"]);
    const sync = plant("src/sync/scheduler.ts", 'import { isRobloxError } from "../roblox/errors.ts";');
    expect(checkLayers(sync).violations).toEqual([
      {
        from: "src/sync/scheduler.ts",
        target: "src/roblox/errors.ts",
        rule: "the application layer names the database and Roblox only through its ports (src/services/storage-port.ts, roblox-port.ts)",
      },
    ]);
  });

  test("a port module may re-export adapter types, never import adapter code", () => {
    expect(checkLayers(plant("src/services/roblox-port.ts", 'export type { RobloxAuthKind } from "../roblox/types.ts";')).violations).toEqual([]);
    const runtime = checkLayers(plant("src/services/roblox-port.ts", 'export { RobloxClient } from "../roblox/client.ts";'));
    expect(runtime.violations.map((v) => v.rule)).toEqual(["a port module re-exports adapter types only; the adapter implements the port"]);
  });

  test("an adapter importing the composition root fails the check", () => {
    const report = checkLayers(plant("src/discord/guilds.ts", 'import { createRankbridge } from "../app.ts";'));
    expect(report.violations.map((v) => `${v.from} → ${v.target}`)).toEqual(["src/discord/guilds.ts → src/app.ts"]);
  });

  test("a known violation that was removed from the code must be removed from the list", () => {
    const report = checkLayers(ROOT, [...KNOWN_VIOLATIONS, { from: "src/ranks/ladder.ts", target: "src/discord/guilds.ts" }]);
    expect(report.stale).toEqual([{ from: "src/ranks/ladder.ts", target: "src/discord/guilds.ts" }]);
  });

  test("type-only imports are told apart from imports of code", () => {
    const imports = importsOf(
      "src/sync/x.ts",
      'import type { A } from "../db/index.ts";\nimport { type B, type C } from "../db/schema.ts";\nimport { type D, atomically } from "../db/index.ts";\nexport { E } from "./e.ts";',
    );
    expect(imports.map((i) => [i.target, i.typeOnly])).toEqual([
      ["src/db/index.ts", true],
      ["src/db/schema.ts", true],
      ["src/db/index.ts", false],
      ["src/sync/e.ts", false],
    ]);
  });
});
