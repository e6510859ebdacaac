/** What the route modules share: the world, credentials, limits and settings of one emulator. */
import type { AuditLog } from "./audit-log.ts";
import type { AuthStore, Principal } from "./auth.ts";
import type { FixedWindowLimiter } from "./ratelimit.ts";
import type { RobloxState } from "./state.ts";
import type { RobloxApiClass, RobloxEmulatorCounts } from "./types.ts";

export interface EmulatorEnv {
  state: RobloxState;
  /** Every group's audit log, fed by the routes and helpers that change memberships. */
  audit: AuditLog;
  auth: AuthStore;
  /** Resolves an OAuth access token (Bearer) to a principal; set by the OAuth module. */
  oauthPrincipal: (accessToken: string) => Principal | undefined;
  limiter: FixedWindowLimiter;
  perKeyLimits: Record<RobloxApiClass, number>;
  perOAuthLimits: Record<RobloxApiClass, number>;
  nextPageTokenAtEnd: "empty" | "omit";
  counts: RobloxEmulatorCounts;
  /** `http://127.0.0.1:PORT` once listening. */
  baseUrl: string;
}
