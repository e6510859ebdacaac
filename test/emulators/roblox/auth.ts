/**
 * Credentials: Open Cloud API keys (x-api-key) with scopes and an owner, legacy `.ROBLOSECURITY`
 * cookies, and the per-session CSRF tokens the legacy hosts demand on mutating requests.
 */
import { randomBytes } from "node:crypto";

export interface ApiKeyOptions {
  /** The user who owns the key: it acts with that user's rank in each group. */
  ownerUserId?: number;
  /** The group that owns the key: it acts with the group's own (owner-level) permissions there. */
  ownerGroupId?: number;
  /** e.g. "group:read", "group:write", "user.advanced:read", "user.social:read". */
  scopes: string[];
  /**
   * Groups the key may act on; requests about other groups get 403 PERMISSION_DENIED. Default:
   * every group for a user-owned key, the owning group for a group-owned key.
   */
  groups?: number[];
}

/** Who is calling an Open Cloud route. */
export interface Principal {
  kind: "apiKey" | "oauth";
  /** Rate-limit bucket: the key's owner (shared by all of its keys), or the OAuth authorization. */
  bucket: string;
  scopes: ReadonlySet<string>;
  /** The acting user (key owner, OAuth subject); null for group-owned keys. */
  userId: number | null;
  /** Group-owned key: the group whose permissions it carries. */
  actsAsGroup: "all" | number | null;
  /** Groups the principal may act on; null = any. */
  allowedGroups: ReadonlySet<number> | null;
}

const ANONYMOUS_SESSION = "\0anonymous";

export class AuthStore {
  private readonly apiKeys = new Map<string, Principal>();
  private readonly cookies = new Map<string, number>();
  private readonly csrfTokens = new Map<string, string>();

  addApiKey(key: string, opts: ApiKeyOptions): void {
    if (!key) throw new Error("addApiKey: empty key");
    if (opts.ownerUserId !== undefined && opts.ownerGroupId !== undefined) {
      throw new Error("addApiKey: a key is owned by a user or by a group, not both");
    }
    const groups = opts.groups ?? (opts.ownerGroupId !== undefined ? [opts.ownerGroupId] : null);
    this.apiKeys.set(key, {
      kind: "apiKey",
      bucket:
        opts.ownerUserId !== undefined
          ? `user:${opts.ownerUserId}`
          : opts.ownerGroupId !== undefined
            ? `group:${opts.ownerGroupId}`
            : `key:${key}`,
      scopes: new Set(opts.scopes),
      userId: opts.ownerUserId ?? null,
      // A key with no owner stands in for a group-owned key on every group it may act on.
      actsAsGroup: opts.ownerGroupId ?? (opts.ownerUserId === undefined ? "all" : null),
      allowedGroups: groups ? new Set(groups) : null,
    });
  }

  removeApiKey(key: string): void {
    this.apiKeys.delete(key);
  }

  principalForKey(key: string | null): Principal | undefined {
    return key ? this.apiKeys.get(key) : undefined;
  }

  addCookie(cookie: string, userId: number): void {
    if (!cookie) throw new Error("addCookie: empty cookie");
    this.cookies.set(cookie, userId);
  }

  removeCookie(cookie: string): void {
    this.cookies.delete(cookie);
    this.csrfTokens.delete(cookie);
  }

  userForCookie(cookie: string | undefined): number | undefined {
    return cookie === undefined ? undefined : this.cookies.get(cookie);
  }

  /** The current CSRF token of a session (a cookie, or the anonymous session when undefined). */
  csrfToken(cookie: string | undefined): string {
    const session = cookie ?? ANONYMOUS_SESSION;
    let token = this.csrfTokens.get(session);
    if (!token) {
      token = newCsrfToken();
      this.csrfTokens.set(session, token);
    }
    return token;
  }

  /** Invalidates the cached token of one session, or of all: the next mutating request gets 403 + a new token. */
  rotateCsrfToken(cookie?: string): void {
    if (cookie === undefined) {
      for (const session of this.csrfTokens.keys()) this.csrfTokens.set(session, newCsrfToken());
    } else {
      this.csrfTokens.set(cookie, newCsrfToken());
    }
  }
}

/** 12 characters like Roblox's (`V9sif/vKTPUi`). */
function newCsrfToken(): string {
  return randomBytes(9).toString("base64");
}
