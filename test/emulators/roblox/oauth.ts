/**
 * "Sign in with Roblox": OAuth 2.0 authorization code flow with PKCE, OpenID Connect ID tokens
 * (ES256, verifiable with `GET /oauth/v1/certs`), userinfo, introspection, revocation and the
 * discovery document ([OAUTHREF], [OAUTHDEV], notes §3).
 *
 * The emulator has no browser: `approve(userId)` chooses the user who is "signed in" and consents
 * on every authorize request until changed; with no user approved, authorize redirects with
 * `error=access_denied`.
 *
 * Choices where Roblox is not documented (from how [RBXOC] handles responses): a bad client id,
 * secret or redirect_uri at the token endpoint is 400 `invalid_client`/`invalid_request`; a bad,
 * used or expired code or a failed PKCE check is 401 `invalid_grant`; a bad refresh token is 400
 * `invalid_grant`; userinfo with a bad token is 401 `invalid_token`. Only `S256` PKCE is accepted.
 * The issuer is the emulator's own `{base}/apis/oauth/` (Roblox: `https://apis.roblox.com/oauth/`).
 */
import { createHash, randomBytes, randomUUID } from "node:crypto";
import type { Principal } from "./auth.ts";
import type { EmulatorEnv } from "./env.ts";
import { json, type RequestContext } from "./http.ts";
import { headshotUrl } from "./thumbnails.ts";

export interface OAuthClientOptions {
  /** Scopes the client may request; default any. */
  scopes?: string[];
}

interface Client {
  id: string;
  secret: string;
  redirectUris: string[];
  scopes: string[] | null;
}

interface CodeGrant {
  clientId: string;
  userId: number;
  redirectUri: string;
  scopes: string[];
  challenge?: string;
  nonce?: string;
  expiresAt: number;
  used: boolean;
}

interface TokenGrant {
  clientId: string;
  userId: number;
  scopes: string[];
  /** Authorization id: stable across refreshes, the OAuth rate-limit bucket. */
  aid: string;
  jti: string;
  iat: number;
  exp: number;
}

const ACCESS_TTL_S = 900;
const REFRESH_TTL_S = 90 * 24 * 3600;
const ID_TOKEN_TTL_S = 36_000;
const SUPPORTED_SCOPES = ["openid", "profile", "email", "verification", "credentials", "age", "premium", "roles"];

const b64url = (data: string | ArrayBuffer | Uint8Array) =>
  Buffer.from(typeof data === "string" ? data : new Uint8Array(data)).toString("base64url");

export class OAuthProvider {
  private readonly clients = new Map<string, Client>();
  private readonly codes = new Map<string, CodeGrant>();
  private readonly accessTokens = new Map<string, TokenGrant>();
  private readonly refreshTokens = new Map<string, TokenGrant & { used: boolean }>();
  private approvedUserId: number | null = null;
  private keys?: { privateKey: CryptoKey; jwk: { kty: string; crv: string; x?: string; y?: string; kid: string; alg: string; use: string } };

  constructor(
    private readonly env: EmulatorEnv,
    private readonly codeTtlMs: number,
  ) {}

  async init(): Promise<void> {
    const pair = (await crypto.subtle.generateKey({ name: "ECDSA", namedCurve: "P-256" }, true, ["sign", "verify"])) as CryptoKeyPair;
    const exported = await crypto.subtle.exportKey("jwk", pair.publicKey);
    const kid = randomBytes(8).toString("hex");
    this.keys = {
      privateKey: pair.privateKey,
      jwk: { kty: "EC", crv: "P-256", x: exported.x, y: exported.y, kid, alg: "ES256", use: "sig" },
    };
  }

  get issuer(): string {
    return `${this.env.baseUrl}/apis/oauth/`;
  }

  addClient(id: string, secret: string, redirectUris: string[], options: OAuthClientOptions = {}): void {
    this.clients.set(id, { id, secret, redirectUris: [...redirectUris], scopes: options.scopes ?? null });
  }

  approve(userId: number | null): void {
    if (userId !== null) this.env.state.requireUser(userId);
    this.approvedUserId = userId;
  }

  /** The principal of a live access token (for Open Cloud routes). */
  principal(token: string): Principal | undefined {
    const grant = this.accessTokens.get(token);
    if (!grant || grant.exp * 1000 <= Date.now()) return undefined;
    return {
      kind: "oauth",
      bucket: `oauth:${grant.aid}`,
      scopes: new Set(grant.scopes),
      userId: grant.userId,
      actsAsGroup: null,
      allowedGroups: null,
    };
  }

  async handle(ctx: RequestContext): Promise<Response> {
    const route = `${ctx.method} ${ctx.path}`;
    switch (route) {
      case "GET /oauth/v1/authorize":
        return this.authorize(ctx);
      case "POST /oauth/v1/token":
        return this.token(ctx);
      case "GET /oauth/v1/userinfo":
        return this.userinfo(ctx);
      case "POST /oauth/v1/token/introspect":
        return this.introspect(ctx);
      case "POST /oauth/v1/token/revoke":
        return this.revoke(ctx);
      case "POST /oauth/v1/token/resources":
        return this.resources(ctx);
      case "GET /oauth/v1/certs":
        return json({ keys: [this.keys?.jwk] });
      case "GET /oauth/.well-known/openid-configuration":
        return json(this.discovery());
      default:
        return json({ errors: [{ code: 0, message: "Not Found" }] }, 404);
    }
  }

  private discovery() {
    const base = `${this.env.baseUrl}/apis/oauth`;
    return {
      issuer: this.issuer,
      authorization_endpoint: `${base}/v1/authorize`,
      token_endpoint: `${base}/v1/token`,
      introspection_endpoint: `${base}/v1/token/introspect`,
      revocation_endpoint: `${base}/v1/token/revoke`,
      resources_endpoint: `${base}/v1/token/resources`,
      userinfo_endpoint: `${base}/v1/userinfo`,
      jwks_uri: `${base}/v1/certs`,
      scopes_supported: SUPPORTED_SCOPES,
      response_types_supported: ["none", "code"],
      subject_types_supported: ["public"],
      id_token_signing_alg_values_supported: ["ES256"],
      claims_supported: ["sub", "type", "iss", "aud", "exp", "iat", "nonce", "name", "nickname", "preferred_username", "created_at", "profile", "picture"],
      token_endpoint_auth_methods_supported: ["client_secret_post", "client_secret_basic"],
      code_challenge_methods_supported: ["S256"],
    };
  }

  // ---- authorize --------------------------------------------------------------------------

  private authorize(ctx: RequestContext): Response {
    const q = ctx.query;
    const client = this.clients.get(q.get("client_id") ?? "");
    if (!client) return oauthError(400, "invalid_client", "Unknown client_id.");
    const redirectUri = q.get("redirect_uri") ?? "";
    // An unregistered redirect_uri is never redirected to.
    if (!client.redirectUris.includes(redirectUri)) return oauthError(400, "invalid_request", "redirect_uri is not registered for this client.");
    const state = q.get("state");
    const fail = (error: string, description: string) => redirect(redirectUri, { error, error_description: description, state });

    const responseType = q.get("response_type");
    if (responseType !== "code" && responseType !== "none") return fail("unsupported_response_type", "response_type must be code.");
    const scopes = (q.get("scope") ?? "").split(" ").filter(Boolean);
    if (!scopes.includes("openid")) return fail("invalid_scope", "The openid scope is required.");
    if (client.scopes && scopes.some((s) => !client.scopes?.includes(s))) return fail("invalid_scope", "The client may not request these scopes.");
    const challenge = q.get("code_challenge") ?? undefined;
    const method = q.get("code_challenge_method");
    if (challenge !== undefined && method !== "S256") return fail("invalid_request", "code_challenge_method must be S256.");
    if (challenge === undefined && method !== null) return fail("invalid_request", "code_challenge is missing.");
    if (this.approvedUserId === null) {
      return q.get("prompt") === "none"
        ? fail("login_required", "The user is not signed in.")
        : fail("access_denied", "The user denied the request.");
    }
    if (responseType === "none") return redirect(redirectUri, { state });

    const code = randomBytes(24).toString("base64url");
    this.codes.set(code, {
      clientId: client.id,
      userId: this.approvedUserId,
      redirectUri,
      scopes,
      ...(challenge !== undefined ? { challenge } : {}),
      ...(q.get("nonce") !== null ? { nonce: q.get("nonce") as string } : {}),
      expiresAt: Date.now() + this.codeTtlMs,
      used: false,
    });
    return redirect(redirectUri, { code, state });
  }

  // ---- token ------------------------------------------------------------------------------

  /** Client authentication: `client_secret_basic` or `client_secret_post`. */
  private client(ctx: RequestContext, form: URLSearchParams): Client | Response {
    let id = form.get("client_id");
    let secret = form.get("client_secret");
    const basic = /^Basic\s+(\S+)$/i.exec(ctx.headers.get("authorization") ?? "")?.[1];
    if (basic) {
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const colon = decoded.indexOf(":");
      if (colon < 0) return oauthError(400, "invalid_client", "Malformed Basic authorization.");
      // RFC 6749 §2.3.1: both parts are form-urlencoded.
      id = formDecode(decoded.slice(0, colon));
      secret = formDecode(decoded.slice(colon + 1));
    }
    const client = this.clients.get(id ?? "");
    if (!client || client.secret !== secret) return oauthError(400, "invalid_client", "Invalid client id or secret.");
    return client;
  }

  private form(ctx: RequestContext): URLSearchParams | Response {
    const type = ctx.headers.get("content-type") ?? "";
    if (!type.toLowerCase().startsWith("application/x-www-form-urlencoded")) {
      return oauthError(400, "invalid_request", "Content-Type must be application/x-www-form-urlencoded.");
    }
    return new URLSearchParams(ctx.bodyText);
  }

  private async token(ctx: RequestContext): Promise<Response> {
    const form = this.form(ctx);
    if (form instanceof Response) return form;
    const client = this.client(ctx, form);
    if (client instanceof Response) return client;
    const grantType = form.get("grant_type");

    if (grantType === "authorization_code") {
      const grant = this.codes.get(form.get("code") ?? "");
      if (!grant || grant.clientId !== client.id) return oauthError(401, "invalid_grant", "The code is invalid.");
      if (grant.used) return oauthError(401, "invalid_grant", "The code has already been used.");
      if (grant.expiresAt <= Date.now()) return oauthError(401, "invalid_grant", "The code has expired.");
      const redirectUri = form.get("redirect_uri");
      if (redirectUri !== null && redirectUri !== grant.redirectUri) {
        return oauthError(400, "invalid_request", "redirect_uri does not match the authorization request.");
      }
      if (grant.challenge !== undefined) {
        const verifier = form.get("code_verifier");
        if (!verifier) return oauthError(401, "invalid_grant", "code_verifier is required.");
        if (createHash("sha256").update(verifier).digest("base64url") !== grant.challenge) {
          return oauthError(401, "invalid_grant", "The code_verifier does not match the code_challenge.");
        }
      }
      grant.used = true;
      this.codes.delete(form.get("code") ?? "");
      return this.issue(client, grant.userId, grant.scopes, randomUUID(), grant.nonce);
    }

    if (grantType === "refresh_token") {
      const token = form.get("refresh_token") ?? "";
      const grant = this.refreshTokens.get(token);
      if (!grant || grant.clientId !== client.id || grant.used || grant.exp * 1000 <= Date.now()) {
        return oauthError(400, "invalid_grant", "The refresh token is invalid, expired or already used.");
      }
      grant.used = true; // single use: it rotates
      this.refreshTokens.delete(token);
      return this.issue(client, grant.userId, grant.scopes, grant.aid);
    }

    return oauthError(400, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token.");
  }

  private async issue(client: Client, userId: number, scopes: string[], aid: string, nonce?: string): Promise<Response> {
    const iat = Math.floor(Date.now() / 1000);
    const jti = `AT.${randomBytes(12).toString("base64url")}`;
    const grant: TokenGrant = { clientId: client.id, userId, scopes, aid, jti, iat, exp: iat + ACCESS_TTL_S };
    const accessToken = await this.sign({
      sub: String(userId),
      aid,
      scope: scopes.join(" "),
      jti,
      nbf: iat,
      exp: grant.exp,
      iat,
      iss: this.issuer,
      aud: client.id,
    });
    this.accessTokens.set(accessToken, grant);
    const refreshToken = randomBytes(48).toString("base64url");
    this.refreshTokens.set(refreshToken, { ...grant, jti: `RT.${randomBytes(12).toString("base64url")}`, exp: iat + REFRESH_TTL_S, used: false });
    const body: Record<string, unknown> = {
      access_token: accessToken,
      refresh_token: refreshToken,
      token_type: "Bearer",
      expires_in: ACCESS_TTL_S - 1,
      scope: scopes.join(" "),
    };
    if (scopes.includes("openid")) {
      body.id_token = await this.sign({
        ...this.claims(userId, scopes),
        ...(nonce !== undefined ? { nonce } : {}),
        jti: `ID.${randomBytes(12).toString("base64url")}`,
        nbf: iat,
        exp: iat + ID_TOKEN_TTL_S,
        iat,
        iss: this.issuer,
        aud: client.id,
      });
    }
    return json(body, 200, { "cache-control": "no-store" });
  }

  private claims(userId: number, scopes: string[]): Record<string, unknown> {
    const claims: Record<string, unknown> = { sub: String(userId) };
    const user = this.env.state.users.get(userId);
    if (user && scopes.includes("profile")) {
      claims.name = user.displayName;
      claims.nickname = user.displayName;
      claims.preferred_username = user.name;
      claims.created_at = Math.floor(user.createdMs / 1000);
      claims.profile = `https://www.roblox.com/users/${user.id}/profile`;
      claims.picture = user.thumbnailState === "Completed" ? headshotUrl(user.id, "150x150", "Png", false) : null;
    }
    return claims;
  }

  private async sign(payload: Record<string, unknown>): Promise<string> {
    if (!this.keys) throw new Error("OAuthProvider.init() was not awaited");
    const header = { alg: "ES256", kid: this.keys.jwk.kid, typ: "JWT" };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const signature = await crypto.subtle.sign({ name: "ECDSA", hash: "SHA-256" }, this.keys.privateKey, new TextEncoder().encode(input));
    return `${input}.${b64url(signature)}`;
  }

  // ---- resource endpoints -----------------------------------------------------------------

  private userinfo(ctx: RequestContext): Response {
    const token = /^Bearer\s+(\S+)$/i.exec(ctx.headers.get("authorization") ?? "")?.[1];
    const grant = token ? this.accessTokens.get(token) : undefined;
    if (!grant || grant.exp * 1000 <= Date.now()) {
      return json({ error: "invalid_token", error_description: "The access token is invalid or expired." }, 401, {
        "www-authenticate": 'Bearer error="invalid_token"',
      });
    }
    return json(this.claims(grant.userId, grant.scopes));
  }

  private introspect(ctx: RequestContext): Response {
    const form = this.form(ctx);
    if (form instanceof Response) return form;
    const client = this.client(ctx, form);
    if (client instanceof Response) return client;
    const token = form.get("token") ?? "";
    const access = this.accessTokens.get(token);
    const refresh = this.refreshTokens.get(token);
    const grant = access ?? refresh;
    if (!grant || grant.clientId !== client.id || grant.exp * 1000 <= Date.now()) return json({ active: false });
    return json({
      active: true,
      jti: grant.jti,
      iss: this.issuer,
      token_type: access ? "access_token" : "refresh_token",
      client_id: grant.clientId,
      aud: grant.clientId,
      sub: String(grant.userId),
      scope: grant.scopes.join(" "),
      exp: grant.exp,
      iat: grant.iat,
    });
  }

  private revoke(ctx: RequestContext): Response {
    const form = this.form(ctx);
    if (form instanceof Response) return form;
    const client = this.client(ctx, form);
    if (client instanceof Response) return client;
    const token = form.get("token") ?? "";
    const grant = this.refreshTokens.get(token) ?? this.accessTokens.get(token);
    if (grant && grant.clientId === client.id) {
      // Revoking ends the whole authorization: its refresh and access tokens.
      for (const [t, g] of this.refreshTokens) if (g.aid === grant.aid) this.refreshTokens.delete(t);
      for (const [t, g] of this.accessTokens) if (g.aid === grant.aid) this.accessTokens.delete(t);
    }
    return new Response(null, { status: 200 });
  }

  private resources(ctx: RequestContext): Response {
    const form = this.form(ctx);
    if (form instanceof Response) return form;
    const client = this.client(ctx, form);
    if (client instanceof Response) return client;
    const grant = this.accessTokens.get(form.get("token") ?? "");
    if (!grant || grant.clientId !== client.id) return oauthError(401, "invalid_token", "The access token is invalid or expired.");
    return json({ resource_infos: [] });
  }
}

function formDecode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, " "));
  } catch {
    return value;
  }
}

function oauthError(status: number, error: string, description: string): Response {
  return json({ error, error_description: description }, status, { "cache-control": "no-store" });
}

function redirect(target: string, params: Record<string, string | null | undefined>): Response {
  const url = new URL(target);
  for (const [key, value] of Object.entries(params)) if (value !== null && value !== undefined) url.searchParams.set(key, value);
  return new Response(null, { status: 302, headers: { location: url.toString() } });
}
