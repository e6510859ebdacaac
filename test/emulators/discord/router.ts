// Minimal path router for the REST emulator: ":name" segments capture, literal segments win over
// captures (so /users/@me beats /users/:user_id), and a path known under another method gives 405.

export type BucketKind = "memberRole" | "memberPatch" | "default" | "none";

export interface RouteRequest {
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: Headers;
  /** Names of multipart file parts, if any. */
  files: string[];
  /** Who called: the bot token, or a user's OAuth2 bearer token with its scopes. */
  caller?: { kind: "bot" } | { kind: "bearer"; userId: string; scopes: readonly string[] };
}

export interface RouteResult {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface RouteDef {
  method: string;
  pattern: string;
  /**
   * "bot": needs Authorization: Bot <token>. "bot-or-bearer": the bot token or a user's OAuth2
   * `Bearer` token (the handler checks the scope). "none": interaction callback, webhook-token
   * routes and the OAuth2 token exchange.
   */
  auth: "bot" | "bot-or-bearer" | "none";
  bucket: BucketKind;
  /** Counts toward the global per-token limit (interaction endpoints don't). */
  global: boolean;
  handler: (req: RouteRequest) => RouteResult | Promise<RouteResult>;
}

interface Compiled {
  def: RouteDef;
  segments: string[];
  literals: number;
}

export interface RouteMatch {
  def: RouteDef;
  params: Record<string, string>;
  template: string;
}

export class Router {
  private readonly bySize = new Map<number, Compiled[]>();

  add(def: RouteDef): void {
    const segments = def.pattern.split("/").filter(Boolean);
    const compiled: Compiled = { def, segments, literals: segments.filter((s) => !s.startsWith(":")).length };
    const list = this.bySize.get(segments.length) ?? [];
    list.push(compiled);
    list.sort((a, b) => b.literals - a.literals);
    this.bySize.set(segments.length, list);
  }

  /** `segments` are already percent-decoded. */
  match(method: string, segments: string[]): RouteMatch | "method-not-allowed" | undefined {
    const candidates = this.bySize.get(segments.length);
    if (!candidates) return undefined;
    let pathKnown = false;
    for (const c of candidates) {
      const params = matchSegments(c.segments, segments);
      if (!params) continue;
      if (c.def.method !== method) {
        pathKnown = true;
        continue;
      }
      return { def: c.def, params, template: `${c.def.method} ${c.def.pattern}` };
    }
    return pathKnown ? "method-not-allowed" : undefined;
  }
}

function matchSegments(pattern: string[], actual: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const a = actual[i]!;
    if (p.startsWith(":")) params[p.slice(1)] = a;
    else if (p !== a) return undefined;
  }
  return params;
}
