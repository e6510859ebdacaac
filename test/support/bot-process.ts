import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";

const PROJECT_ROOT = join(import.meta.dir, "..", "..");

export interface LogLine {
  level: number;
  msg: string;
  [key: string]: unknown;
}

/**
 * The real bot, started exactly as `bun start` starts it, in a child process with its own
 * environment and a throw-away database directory.
 */
export class BotProcess {
  readonly logs: LogLine[] = [];
  stderr = "";
  #rawStdout = "";
  #waiters: { predicate: (line: LogLine) => boolean; resolve: (line: LogLine) => void }[] = [];
  readonly exited: Promise<number>;

  private constructor(
    readonly process: Subprocess<"ignore", "pipe", "pipe">,
    readonly dataDir: string,
  ) {
    this.exited = process.exited;
    void this.#pump();
    void (async () => {
      for await (const chunk of process.stderr) this.stderr += new TextDecoder().decode(chunk);
    })();
  }

  static start(env: Record<string, string | undefined>, options: { command?: string[]; dataDir?: string } = {}): BotProcess {
    const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), "rankbridge-test-"));
    const child = Bun.spawn(options.command ?? ["bun", "run", "start"], {
      cwd: PROJECT_ROOT,
      // Its own process group, so cleanup() can SIGKILL `bun run` and the bot it started together:
      // SIGKILL is not forwarded, and a bot left running would keep its gateway sessions open.
      detached: true,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        DATABASE_PATH: join(dataDir, "rankbridge.sqlite"),
        HTTP_HOST: "127.0.0.1",
        HTTP_PORT: "0",
        LOG_LEVEL: "debug",
        ...env,
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    return new BotProcess(child, dataDir);
  }

  async #pump(): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of this.process.stdout) {
      this.#rawStdout += decoder.decode(chunk, { stream: true });
      for (let newline = this.#rawStdout.indexOf("\n"); newline >= 0; newline = this.#rawStdout.indexOf("\n")) {
        const text = this.#rawStdout.slice(0, newline);
        this.#rawStdout = this.#rawStdout.slice(newline + 1);
        let line: LogLine;
        try {
          line = JSON.parse(text) as LogLine;
        } catch {
          line = { level: 30, msg: text };
        }
        this.logs.push(line);
        this.#waiters = this.#waiters.filter((w) => {
          if (!w.predicate(line)) return true;
          w.resolve(line);
          return false;
        });
      }
    }
  }

  /** Resolves with the first log line (past or future) matching the predicate. */
  waitForLog(predicate: ((line: LogLine) => boolean) | string, timeoutMs = 15_000): Promise<LogLine> {
    const match = typeof predicate === "string" ? (line: LogLine) => line.msg === predicate : predicate;
    const seen = this.logs.find(match);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new Error(
            `timed out waiting for a log line (${typeof predicate === "string" ? predicate : "predicate"});` +
              ` last lines:\n${this.logs.slice(-15).map((l) => JSON.stringify(l)).join("\n")}\nstderr:\n${this.stderr}`,
          ),
        );
      }, timeoutMs);
      this.#waiters.push({
        predicate: match,
        resolve: (line) => {
          clearTimeout(timer);
          resolve(line);
        },
      });
    });
  }

  /** Base URL of the bot's health and metrics server, from its start-up log. */
  async httpUrl(): Promise<string> {
    const line = await this.waitForLog("health and metrics listening");
    return String(line.url);
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number> {
    if (this.process.exitCode === null && !this.process.killed) this.process.kill(signal);
    return this.exited;
  }

  /** SIGTERM goes to `bun run` alone (it forwards it once); a second one would skip the bot's graceful shutdown. */
  cleanup(): void {
    try {
      process.kill(-this.process.pid, "SIGKILL");
    } catch {
      // The group is gone already: every process in it has exited.
    }
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

export { eventually } from "./eventually.ts";
