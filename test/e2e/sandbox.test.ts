import { expect, test } from "bun:test";
import { join } from "node:path";

/** `bun run sandbox` runs the real bot against the emulators, tours the commands and stops cleanly. */
test("the sandbox starts the bot, tours the commands and stops cleanly", async () => {
  const child = Bun.spawn(["bun", "run", "sandbox"], {
    cwd: join(import.meta.dir, "..", ".."),
    env: { ...process.env, SANDBOX_EXIT_AFTER_TOUR: "1", HTTP_PORT: "0", LOG_LEVEL: "info" },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [output, exitCode] = await Promise.all([new Response(child.stdout).text(), child.exited]);
  expect(exitCode).toBe(0);
  expect(output).toMatch(/rankbridge is ready\. Health http:\/\/127\.0\.0\.1:\d+\/healthz/);
  expect(output).toContain("Pong from shard");
  expect(output).toContain("Your current Roblox rank: Recruit (Rank 1)");
  expect(output).toContain("Ranks In Sync");
  expect(output).toContain("Rank: Recruit (Rank 1) → **Private (Rank 2)**");
  expect(output).toContain("Legionnaire2 (<@");
  expect(output).toContain("Synced: 1 · Already in sync:");
  expect(output).toContain("Rank sync status");
  expect(output).toMatch(/Dashboard http:\/\/127\.0\.0\.1:\d+\/dashboard/);
  expect(output).toContain('Signed in to the dashboard; it lists "Sandbox Legion"');
  expect(output).not.toContain("skipping /");
  expect(output).toContain("Sandbox stopped (bot exit code 0).");
}, 120_000);
