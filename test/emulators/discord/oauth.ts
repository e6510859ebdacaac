// OAuth2 authorization-code grant, as Discord documents it (docs: topics/oauth2):
//
//   GET  /oauth2/authorize   the consent page (here: pick which of the emulator's users is at the browser)
//   POST /oauth2/authorize   the page's form: Authorize redirects to redirect_uri?code&state, Cancel to
//                            redirect_uri?error=access_denied&error_description&state
//   POST /api/v10/oauth2/token  grant_type=authorization_code, code, redirect_uri (must equal the one
//                            authorized), code_verifier (checked against the S256 challenge); client id
//                            and secret by HTTP Basic or in the form. Codes are single-use and expire.
//   Bearer tokens then read /users/@me (scope identify) and /users/@me/guilds (scope guilds).
//
// Errors follow RFC 6749 §5.2 as Discord returns them: {"error": "invalid_grant", "error_description":
// "Invalid \"code\" in request."} with 400, invalid_client with 401. Where the docs are silent we chose:
// an unregistered redirect_uri, an unknown client_id or a bad response_type show an error page on
// Discord's side and never redirect (as Discord does: it cannot trust the redirect_uri); a wrong
// code_verifier is invalid_grant "Invalid \"code_verifier\" in request.".
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { DiscordState } from "./state.ts";

/** Scopes the emulator grants; any other requested scope is refused on the consent page (invalid_scope). */
export const OAUTH_SCOPES = ["identify", "guilds", "email", "guilds.members.read", "openid"] as const;

const CODE_TTL_MS = 10 * 60_000;
/** Discord's access tokens last a week. */
const ACCESS_TOKEN_TTL_S = 604_800;
/** The consent page lists at most this many users (seeded benchmarks hold thousands). */
const USERS_LISTED = 200;

interface PendingCode {
  clientId: string;
  userId: string;
  scopes: string[];
  redirectUri: string;
  codeChallenge: string | null;
  codeChallengeMethod: string | null;
  expiresAt: number;
}

export interface BearerGrant {
  userId: string;
  scopes: string[];
}

export interface OAuthTokenResult {
  status: number;
  body: Record<string, unknown>;
}

const random = (bytes: number) => randomBytes(bytes).toString("base64url");
const sha256Base64Url = (text: string) => createHash("sha256").update(text).digest("base64url");

function sameText(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

export class OAuthServer {
  /** The application's client secret, as the developer portal shows it. */
  readonly clientSecret = `emulator-secret-${random(24)}`;
  readonly redirectUris = new Set<string>();
  readonly #codes = new Map<string, PendingCode>();
  readonly #tokens = new Map<string, BearerGrant & { expiresAt: number }>();
  /** Every token request, with its outcome, for tests that check what the bot sent. */
  readonly tokenRequests: { grantType: string | undefined; status: number; error?: string }[] = [];

  constructor(private readonly state: DiscordState) {}

  get clientId(): string {
    return this.state.applicationId;
  }

  /** The bearer token's grant, or undefined when it is unknown or expired. */
  bearer(token: string): BearerGrant | undefined {
    const grant = this.#tokens.get(token);
    if (!grant || grant.expiresAt <= Date.now()) return undefined;
    return { userId: grant.userId, scopes: grant.scopes };
  }

  /** GET /oauth2/authorize and the POST of its form. */
  async handleAuthorize(request: Request): Promise<Response> {
    const url = new URL(request.url);
    const params = request.method === "POST" ? new URLSearchParams(await request.text()) : url.searchParams;
    const problem = this.#authorizeProblem(params);
    if (problem) return page("Invalid authorization request", `<p role="alert">${escapeHtml(problem)}</p>`, 400);
    const redirectUri = params.get("redirect_uri")!;
    const state = params.get("state");

    if (request.method !== "POST") return this.#consentPage(params);

    const back = new URL(redirectUri);
    if (params.get("decision") !== "authorize") {
      back.searchParams.set("error", "access_denied");
      back.searchParams.set("error_description", "The resource owner or authorization server denied the request");
    } else {
      const userId = params.get("user_id") ?? "";
      const user = this.state.users.get(userId);
      if (!user || user.bot) return page("Invalid authorization request", `<p role="alert">Pick an account to sign in with.</p>`, 400);
      const code = random(24);
      this.#codes.set(code, {
        clientId: params.get("client_id")!,
        userId,
        scopes: scopesOf(params),
        redirectUri,
        codeChallenge: params.get("code_challenge"),
        codeChallengeMethod: params.get("code_challenge_method"),
        expiresAt: Date.now() + CODE_TTL_MS,
      });
      back.searchParams.set("code", code);
    }
    if (state !== null) back.searchParams.set("state", state);
    return new Response(null, { status: 302, headers: { location: back.toString(), "cache-control": "no-store" } });
  }

  #authorizeProblem(params: URLSearchParams): string | undefined {
    if (params.get("client_id") !== this.clientId) return "Unknown application: the client_id is not an application's id.";
    if (params.get("response_type") !== "code") return "Unsupported response_type: only `code` is served here.";
    const redirectUri = params.get("redirect_uri");
    if (!redirectUri || !this.redirectUris.has(redirectUri)) return "Invalid OAuth2 redirect_uri";
    const scopes = scopesOf(params);
    if (scopes.length === 0 || scopes.some((scope) => !(OAUTH_SCOPES as readonly string[]).includes(scope))) return "Invalid scope.";
    const method = params.get("code_challenge_method");
    if (params.get("code_challenge") !== null && method !== "S256" && method !== "plain") return "Invalid code_challenge_method.";
    return undefined;
  }

  #consentPage(params: URLSearchParams): Response {
    const hidden = [...params.entries()]
      .filter(([name]) => !["user_id", "decision"].includes(name))
      .map(([name, value]) => `<input type="hidden" name="${escapeHtml(name)}" value="${escapeHtml(value)}">`)
      .join("\n");
    const users = [...this.state.users.values()].filter((user) => !user.bot && user.id !== this.state.appOwner.id).slice(0, USERS_LISTED);
    const choices = users
      .map(
        (user, index) =>
          `<div><input type="radio" id="user-${user.id}" name="user_id" value="${user.id}"${index === 0 ? " checked" : ""}>` +
          ` <label for="user-${user.id}">${escapeHtml(user.globalName ?? user.username)} (@${escapeHtml(user.username)})</label></div>`,
      )
      .join("\n");
    const scopes = scopesOf(params).map((scope) => `<li>${escapeHtml(scope)}</li>`).join("");
    const body = `<p>An external application (${escapeHtml(this.state.botUser.username)}) wants to access your Discord account.</p>
<p>It asks for:</p><ul>${scopes}</ul>
<form method="post" action="/oauth2/authorize">
${hidden}
<fieldset><legend>Sign in as</legend>
${choices}
</fieldset>
<button type="submit" name="decision" value="deny">Cancel</button>
<button type="submit" name="decision" value="authorize">Authorize</button>
</form>`;
    return page("Authorize access to your account", body, 200);
  }

  /** POST /api/v{9,10}/oauth2/token. `form` is the urlencoded body; `authorization` the header. */
  token(form: Record<string, string>, authorization: string | null): OAuthTokenResult {
    const result = this.#token(form, authorization);
    this.tokenRequests.push({ grantType: form.grant_type, status: result.status, error: result.body.error as string | undefined });
    return result;
  }

  #token(form: Record<string, string>, authorization: string | null): OAuthTokenResult {
    const client = clientCredentials(form, authorization);
    if (!client || client.id !== this.clientId || !sameText(client.secret, this.clientSecret)) return oauthError(401, "invalid_client");
    if (form.grant_type !== "authorization_code") {
      return form.grant_type === undefined ? oauthError(400, "invalid_request", 'Missing "grant_type" in request.') : oauthError(400, "unsupported_grant_type");
    }
    if (!form.code) return oauthError(400, "invalid_request", 'Missing "code" in request.');
    const pending = this.#codes.get(form.code);
    // Single use: a code is spent by its first exchange, whatever the outcome (RFC 6749 §4.1.2).
    this.#codes.delete(form.code);
    if (!pending || pending.expiresAt <= Date.now() || pending.clientId !== client.id) return oauthError(400, "invalid_grant", 'Invalid "code" in request.');
    if (form.redirect_uri !== pending.redirectUri) return oauthError(400, "invalid_grant", 'Invalid "redirect_uri" in request.');
    if (pending.codeChallenge !== null) {
      const verifier = form.code_verifier;
      if (!verifier || !/^[A-Za-z0-9._~-]{43,128}$/.test(verifier)) return oauthError(400, "invalid_grant", 'Invalid "code_verifier" in request.');
      const expected = pending.codeChallengeMethod === "S256" ? sha256Base64Url(verifier) : verifier;
      if (!sameText(expected, pending.codeChallenge)) return oauthError(400, "invalid_grant", 'Invalid "code_verifier" in request.');
    }
    const accessToken = random(24);
    this.#tokens.set(accessToken, { userId: pending.userId, scopes: pending.scopes, expiresAt: Date.now() + ACCESS_TOKEN_TTL_S * 1000 });
    return {
      status: 200,
      body: { access_token: accessToken, token_type: "Bearer", expires_in: ACCESS_TOKEN_TTL_S, refresh_token: random(24), scope: pending.scopes.join(" ") },
    };
  }
}

function scopesOf(params: URLSearchParams): string[] {
  return (params.get("scope") ?? "").split(/[\s+]+/).filter(Boolean);
}

/** HTTP Basic (RFC 6749 §2.3.1, preferred) or client_id and client_secret in the form. */
function clientCredentials(form: Record<string, string>, authorization: string | null): { id: string; secret: string } | undefined {
  const basic = /^Basic\s+(\S+)$/i.exec(authorization ?? "");
  if (basic) {
    const decoded = Buffer.from(basic[1]!, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    if (colon < 0) return undefined;
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  }
  if (form.client_id && form.client_secret) return { id: form.client_id, secret: form.client_secret };
  return undefined;
}

function oauthError(status: number, error: string, description?: string): OAuthTokenResult {
  return { status, body: description ? { error, error_description: description } : { error } };
}

function page(title: string, body: string, status: number): Response {
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Discord: ${escapeHtml(title)}</title></head>
<body><main><h1>${escapeHtml(title)}</h1>
${body}
</main></body></html>`;
  return new Response(html, { status, headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" } });
}
