/**
 * Critical sync failures (credentials rejected, a guild paused, runs failing again and again) sent
 * to the guild's optional alert webhook as `{ content }`, the shape a Discord webhook takes. An
 * alert that cannot be delivered is logged and dropped: it must never break the sync it reports.
 */
import type { HeldPlan } from "./run-state.ts";
import type { Logger } from "../observability/logger.ts";

/** What an alert reports, with the facts its words need (src/discord/views/sync-alerts.ts words it). */
export type SyncAlertFacts =
  /** `robloxError`: the Roblox client's words for the refusal. */
  | { readonly kind: "credentials-rejected"; readonly robloxError: string }
  /** `reason`: the pause reason kept on the guild. */
  | { readonly kind: "guild-paused"; readonly reason: string }
  | { readonly kind: "mass-change-held"; readonly reason: string; readonly hold: HeldPlan }
  | { readonly kind: "repeated-failures"; readonly failedRuns: number; readonly latestError: string | null }
  | { readonly kind: "roblox-unavailable"; readonly runId: number; readonly waitingReason: string | null }
  | { readonly kind: "roblox-back"; readonly runId: number };

export type AlertKind = SyncAlertFacts["kind"];

/** An alert as sent: its kind (for logs) and the content its view wrote. */
export interface SyncAlert {
  guildId: string;
  kind: AlertKind;
  content: string;
}

export interface SyncAlertsOptions {
  logger: Logger;
  fetch?: (url: string, init: RequestInit) => Promise<Response>;
  timeoutMs?: number;
}

/** Discord caps message content at 2000 characters. */
const MAX_CONTENT = 2000;

export class SyncAlerts {
  readonly #fetch: (url: string, init: RequestInit) => Promise<Response>;
  readonly #timeoutMs: number;

  constructor(private readonly options: SyncAlertsOptions) {
    this.#fetch = options.fetch ?? ((url, init) => fetch(url, init));
    this.#timeoutMs = options.timeoutMs ?? 5_000;
  }

  /** True when the webhook accepted it; false when there is none or it failed. */
  async send(webhookUrl: string | null | undefined, alert: SyncAlert): Promise<boolean> {
    const log = this.options.logger.child({ guildId: alert.guildId, alert: alert.kind });
    log.warn(alert.content);
    if (!webhookUrl) return false;
    const content = alert.content.slice(0, MAX_CONTENT);
    try {
      const response = await this.#fetch(webhookUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ content, allowed_mentions: { parse: [] } }),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
      if (!response.ok) {
        // The URL carries the webhook's secret token: log where it points, never the URL itself.
        log.warn({ status: response.status, host: hostOf(webhookUrl) }, "the alert webhook refused the alert");
        return false;
      }
      return true;
    } catch (error) {
      log.warn({ err: error, host: hostOf(webhookUrl) }, "could not deliver the alert");
      return false;
    }
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "(invalid URL)";
  }
}
