/**
 * "Sign in with Roblox" (OAuth 2.0 with PKCE), bound to the browser of the person linking (design
 * §10). The Discord reply links to the bot's own `/oauth/start`, which binds the sign-in to that
 * browser with an HttpOnly cookie before sending it to Roblox; the callback must come back with
 * that cookie; and nothing is linked until the person confirms, on a page naming the Discord
 * account and server that will receive the link, with a POST carrying a CSRF token derived from
 * the same cookie. A sign-in URL handed to someone else therefore links nobody by itself.
 */
import { createHash, createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { z } from "zod";
import type { LinkChallenge, Repositories } from "./storage-port.ts";
import type { Logger } from "../observability/logger.ts";
import { LinkingError } from "./linking-errors.ts";
import type { RobloxUserId } from "./roblox-port.ts";

const OAUTH_SCOPE = "openid profile";
const OAUTH_TIMEOUT_MS = 10_000;

export interface RobloxOAuthSettings {
  clientId: string;
  clientSecret: string;
  /** Where the HTTP server is reachable from browsers; the callback is `${publicUrl}/oauth/callback`. */
  publicUrl: string;
  /** The `apis` service's base URL (from `ROBLOX_API_URL`), where the OAuth endpoints live. */
  apisBase: string;
}

export interface OAuthStart {
  /** The bot's own start URL, for the Discord button. */
  readonly url: string;
  readonly expiresAt: number;
}

/** A Roblox account proven by the sign-in, waiting for the person to confirm who receives it. */
export interface OAuthProof {
  readonly state: string;
  readonly guildId: string;
  readonly discordId: string;
  readonly robloxUserId: RobloxUserId;
  readonly robloxUsername: string;
  /** The display name Roblox's userinfo gave (`nickname`, else `name`); null when it gave none. */
  readonly robloxDisplayName: string | null;
  /** For the confirmation form: only the browser holding the cookie can produce it. */
  readonly csrfToken: string;
  readonly expiresAt: number;
}

const tokenResponseSchema = z.object({ access_token: z.string().min(1), refresh_token: z.string().optional() });
const userInfoSchema = z.object({
  sub: z.string().regex(/^\d{1,16}$/),
  preferred_username: z.string().optional(),
  /** Roblox's userinfo gives the display name as `nickname` and `name` (scope `profile`). */
  nickname: z.string().optional(),
  name: z.string().optional(),
});

export class RobloxSignIn {
  readonly #settings: RobloxOAuthSettings;
  readonly #challenges: Repositories["linkChallenges"];
  readonly #logger: Logger;
  readonly #now: () => number;
  readonly #ttlMs: number;

  constructor(options: {
    settings: RobloxOAuthSettings;
    challenges: Repositories["linkChallenges"];
    logger: Logger;
    now: () => number;
    ttlMs: number;
  }) {
    this.#settings = {
      ...options.settings,
      publicUrl: options.settings.publicUrl.replace(/\/+$/, ""),
    };
    this.#challenges = options.challenges;
    this.#logger = options.logger;
    this.#now = options.now;
    this.#ttlMs = options.ttlMs;
  }

  /** The redirect URI registered with Roblox for the OAuth app. */
  get redirectUri(): string {
    return `${this.#settings.publicUrl}/oauth/callback`;
  }

  /** A new sign-in for this member; the returned URL is the bot's own start page. */
  async start(guildId: string, discordId: string): Promise<OAuthStart> {
    const state = randomBytes(32).toString("base64url");
    const challenge = await this.#challenges.put(guildId, discordId, {
      kind: "oauth",
      oauthState: state,
      pkceVerifier: randomBytes(48).toString("base64url"),
      expiresAt: this.#now() + this.#ttlMs,
    });
    return { url: `${this.#settings.publicUrl}/oauth/start?state=${state}`, expiresAt: challenge.expiresAt };
  }

  /**
   * `GET /oauth/start`: binds the sign-in to this browser (the first one to open it) and returns
   * Roblox's authorize URL. `browserNonce` is the cookie's value when the browser has one.
   * @throws LinkingError (oauth-state-unknown, oauth-state-expired, oauth-other-browser)
   */
  async begin(state: string | undefined, browserNonce: string | undefined): Promise<{ authorizeUrl: string; browserNonce: string }> {
    const challenge = await this.#challenge(state);
    const nonce = browserNonce && browserNonce.length >= 32 ? browserNonce : randomBytes(32).toString("base64url");
    const binding = bindingOf(nonce);
    const bound = await this.#challenges.bindBrowser(challenge.oauthState!, binding, this.#now()) || sameSecret(challenge.browserBinding, binding);
    if (!bound) throw otherBrowser();
    const url = new URL(`${this.#settings.apisBase}/oauth/v1/authorize`);
    url.search = new URLSearchParams({
      client_id: this.#settings.clientId,
      redirect_uri: this.redirectUri,
      scope: OAUTH_SCOPE,
      response_type: "code",
      state: challenge.oauthState!,
      code_challenge: createHash("sha256").update(challenge.pkceVerifier!).digest("base64url"),
      code_challenge_method: "S256",
    }).toString();
    return { authorizeUrl: url.toString(), browserNonce: nonce };
  }

  /**
   * `GET /oauth/callback`: in the browser that started the sign-in, exchanges the code and learns
   * who signed in. Links nothing: the person confirms first. Reloading the page shows it again.
   * @throws LinkingError (oauth-state-unknown, oauth-state-expired, oauth-other-browser, oauth-denied, oauth-rejected, roblox-unavailable)
   */
  async callback(
    params: { code?: string; state?: string; error?: string },
    browserNonce: string | undefined,
    /** The account's name when Roblox's userinfo leaves it out (scope without `profile`). */
    usernameOf: (guildId: string, robloxUserId: RobloxUserId) => Promise<string>,
  ): Promise<OAuthProof> {
    let challenge = await this.#challenge(params.state);
    this.#requireBrowser(challenge, browserNonce);
    if (challenge.robloxUserId === null) {
      if (params.error) {
        // Kept: the member may press "Sign in with Roblox" again and approve this time.
        throw new LinkingError("oauth-denied");
      }
      if (!params.code) throw new LinkingError("oauth-rejected", { step: "missing-code" });
      const signedIn = await this.#whoSignedIn(params.code, challenge.pkceVerifier!);
      const proven = { ...signedIn, robloxUsername: signedIn.robloxUsername || (await usernameOf(challenge.guildId, signedIn.robloxUserId)) };
      await this.#challenges.recordOAuthProof(challenge.oauthState!, proven);
      challenge = { ...challenge, ...proven };
    }
    return this.#proofOf(challenge, browserNonce!);
  }

  /**
   * `POST /oauth/confirm`: the person confirmed on the page; the challenge is used up.
   * @throws LinkingError (oauth-state-unknown, oauth-state-expired, oauth-other-browser, oauth-confirmation-invalid)
   */
  async confirm(params: { state?: string; csrfToken?: string }, browserNonce: string | undefined): Promise<OAuthProof> {
    const challenge = await this.#challenge(params.state);
    this.#requireBrowser(challenge, browserNonce);
    if (challenge.robloxUserId === null || !challenge.robloxUsername) {
      throw new LinkingError("oauth-confirmation-invalid", { step: "no-proof" });
    }
    const proof = this.#proofOf(challenge, browserNonce!);
    if (!sameSecret(params.csrfToken, proof.csrfToken)) {
      throw new LinkingError("oauth-confirmation-invalid", { step: "csrf" });
    }
    // One use only: a replayed confirmation must not link anyone.
    await this.#challenges.delete(challenge.guildId, challenge.discordId, "oauth");
    return proof;
  }

  async #challenge(state: string | undefined): Promise<LinkChallenge> {
    const challenge = state ? await this.#challenges.findByOAuthState(state, this.#now()) : undefined;
    if (challenge && challenge.pkceVerifier !== null) return challenge;
    const stale = state ? await this.#challenges.findByOAuthState(state, 0) : undefined;
    throw stale
      ? new LinkingError("oauth-state-expired")
      : new LinkingError("oauth-state-unknown");
  }

  #requireBrowser(challenge: LinkChallenge, browserNonce: string | undefined): void {
    if (!browserNonce || !sameSecret(challenge.browserBinding, bindingOf(browserNonce))) throw otherBrowser();
  }

  #proofOf(challenge: LinkChallenge, browserNonce: string): OAuthProof {
    return {
      state: challenge.oauthState!,
      guildId: challenge.guildId,
      discordId: challenge.discordId,
      robloxUserId: challenge.robloxUserId!,
      robloxUsername: challenge.robloxUsername!,
      robloxDisplayName: challenge.robloxDisplayName,
      csrfToken: createHmac("sha256", browserNonce).update(`confirm:${challenge.oauthState}`).digest("base64url"),
      expiresAt: challenge.expiresAt,
    };
  }

  async #whoSignedIn(code: string, verifier: string): Promise<{ robloxUserId: number; robloxUsername: string; robloxDisplayName: string | null }> {
    const { apisBase, clientId, clientSecret } = this.#settings;
    const tokens = await this.#request(
      "token",
      `${apisBase}/oauth/v1/token`,
      {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({
          grant_type: "authorization_code",
          code,
          code_verifier: verifier,
          redirect_uri: this.redirectUri,
          client_id: clientId,
          client_secret: clientSecret,
        }),
      },
      tokenResponseSchema,
    );
    const userInfo = await this.#request(
      "userinfo",
      `${apisBase}/oauth/v1/userinfo`,
      { headers: { authorization: `Bearer ${tokens.access_token}` } },
      userInfoSchema,
    );
    if (tokens.refresh_token) await this.#revoke(tokens.refresh_token);
    return {
      robloxUserId: Number(userInfo.sub),
      robloxUsername: userInfo.preferred_username ?? "",
      robloxDisplayName: userInfo.nickname || userInfo.name || null,
    };
  }

  /** The OAuth endpoints answer in OAuth's own error shape, not Roblox's API shapes, hence not RobloxClient. */
  async #request<Schema extends z.ZodType>(what: string, url: string, init: RequestInit, schema: Schema): Promise<z.output<Schema>> {
    let response: Response;
    let text: string;
    try {
      response = await fetch(url, { ...init, headers: { accept: "application/json", ...init.headers }, signal: AbortSignal.timeout(OAUTH_TIMEOUT_MS) });
      text = await response.text();
    } catch (error) {
      throw new LinkingError("roblox-unavailable", { step: "sign-in-unreachable" }, { cause: error });
    }
    if (response.status >= 500 || response.status === 429) {
      this.#logger.warn({ what, status: response.status }, "Roblox OAuth endpoint failed");
      throw new LinkingError("roblox-unavailable", { step: "sign-in-failing" });
    }
    if (!response.ok) {
      this.#logger.warn({ what, status: response.status, body: text.slice(0, 200) }, "Roblox OAuth endpoint refused");
      throw new LinkingError("oauth-rejected", { step: "refused" });
    }
    const parsed = schema.safeParse(parseJson(text));
    if (!parsed.success) {
      throw new LinkingError("oauth-rejected", { step: "unreadable" });
    }
    return parsed.data;
  }

  /** The tokens were only needed to learn who signed in; revoking ends the authorization at once. */
  async #revoke(refreshToken: string): Promise<void> {
    const { apisBase, clientId, clientSecret } = this.#settings;
    try {
      await fetch(`${apisBase}/oauth/v1/token/revoke`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ token: refreshToken, client_id: clientId, client_secret: clientSecret }),
        signal: AbortSignal.timeout(OAUTH_TIMEOUT_MS),
      });
    } catch (error) {
      this.#logger.debug({ err: error }, "could not revoke the OAuth token; it expires on its own");
    }
  }
}

function bindingOf(nonce: string): string {
  return createHash("sha256").update(nonce).digest("base64url");
}

function sameSecret(a: string | null | undefined, b: string | null | undefined): boolean {
  if (!a || !b) return false;
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function otherBrowser(): LinkingError {
  return new LinkingError("oauth-other-browser");
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
